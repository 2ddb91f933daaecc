"""URLconf of the bare Django baseline: only the trivial view."""

from django.urls import path

from bench.trivial_view import trivial

urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial")]
