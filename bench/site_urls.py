"""The site's routes plus `/bench/trivial/`, the cheapest view Django can serve through the same
middleware: the baseline that page throughput is compared against."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("revetir.urls")),
]
