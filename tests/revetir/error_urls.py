"""The project's URLs plus views that fail on purpose, for the error page tests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from revetir.urls import urlpatterns as project_urlpatterns


def raise_permission_denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def raise_suspicious_operation(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered request")


def raise_server_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the database went away")


urlpatterns = [
    *project_urlpatterns,
    path("test-errors/403/", raise_permission_denied),
    path("test-errors/400/", raise_suspicious_operation),
    path("test-errors/500/", raise_server_error),
]
