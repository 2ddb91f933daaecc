"""Project-wide REST conventions: every error is JSON with a status code and a message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

API_PATH_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = "Something went wrong on our side. Please try again; if it keeps happening, contact us."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def api_route_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that no route matches (in debug as in production)."""
    return JsonResponse(
        {"status": 404, "message": f"There is no API route {request.path}; the routes are listed at /api/docs/."},
        status=404,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler404`: JSON under /api/, the site's page everywhere else."""
    if _is_api(request):
        return JsonResponse({"status": 404, "message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: JSON under /api/, the site's page everywhere else."""
    if _is_api(request):
        return JsonResponse({"status": 500, "message": SERVER_ERROR_MESSAGE}, status=500)
    return defaults.server_error(request)


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Wrap DRF's handler so clients always get `{"status": int, "message": str, ...}`."""
    if isinstance(exc, DjangoValidationError):
        body = {"status": 400, "message": "; ".join(exc.messages), "errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, Http404):
        message = "Not found."
    elif isinstance(exc, PermissionDenied):
        message = "You do not have permission to perform this action."
    elif isinstance(detail, dict) and "detail" in detail:
        message = str(detail["detail"])
    elif isinstance(detail, dict):
        message = "Invalid input."
    elif isinstance(detail, list):
        message = "; ".join(str(item) for item in detail)
    else:
        message = str(detail)
    body: dict[str, Any] = {"status": response.status_code, "message": message}
    if isinstance(detail, dict) and "detail" not in detail:
        body["errors"] = detail
    response.data = body
    return response
