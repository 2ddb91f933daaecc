"""The site's routes plus `/bench/trivial/`, the cheapest view Django can serve through the same
middleware: the baseline that page throughput is compared against."""

from django.urls import include, path

from bench.trivial_view import trivial

urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("revetir.urls")),
]
