"""Inputs shared by the tests and the benchmarks: sample photos of people (public-domain pictures
shipped with scikit-image and matplotlib, and variants of them), drawn product pictures and drawn
people, stand-in neural weights, and access to the evaluation data kept beside the project
(../shared/reference and ../shared/realphotos, never copied in). Tests and `bench/` both import from
here, so a benchmark never depends on the test suite. Needs the development requirements
(requirements-dev.txt); the shop itself never imports it.
"""
