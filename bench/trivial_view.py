"""The cheapest view Django can serve: a plain "ok". The baseline that page throughput (through the
project's middleware, `bench.site_urls`) and the middleware itself (against bare Django,
`bench.bare_urls`) are compared against."""

from django.http import HttpRequest, HttpResponse


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")
