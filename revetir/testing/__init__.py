"""Inputs shared by the tests and the benchmarks: sample photos of people (public-domain pictures
shipped with scikit-image and matplotlib, and variants of them), drawn product pictures and drawn
people, stand-in neural weights, FASHN's reference cases, access to the evaluation data kept beside
the project (../shared/reference and ../shared/realphotos, never copied in), builders of users,
products and try-on uploads, and a stack of real processes (Daphne, Celery workers with stand-in
engines) for the scale-out tests and the queue benchmark. Tests and `bench/` both import from
here, so a benchmark never depends on the test suite. Needs the development requirements
(requirements-dev.txt); the shop itself never imports it.
"""
