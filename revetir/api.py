"""Project-wide REST conventions: every error is JSON with a status code and a message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

API_PATH_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = "Something went wrong on our side. Please try again; if it keeps happening, contact us."


class ApiError(APIException):
    """An error a view raises with its status code and the message a client shows as it is:
    `{"status": …, "message": …}`, with `errors` (per field) when given, and a Retry-After header
    when `retry_after` is given (429 and 503 alike)."""

    def __init__(self, status_code: int, message: str, *, errors: object = None, retry_after: int | None = None):
        super().__init__(detail=message)
        self.status_code = status_code
        self.message = message
        self.errors = errors
        if retry_after is not None:
            self.wait = retry_after  # DRF's handler turns `wait` into the Retry-After header


def join_messages(messages: list[str]) -> str:
    """Several messages of one error as one line."""
    return "; ".join(str(message) for message in messages)


def field_errors_message(errors: dict) -> str:
    """A serializer's errors as one line that names each bad field ("photo_id: …"), for APIs whose
    clients show the message as it is."""
    parts = []
    for field, messages in errors.items():
        text = " ".join(str(message) for message in messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return " ".join(parts)


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
        body = {"status": 400, "message": join_messages(exc.messages), "errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, ApiError):
        response.data = {"status": exc.status_code, "message": exc.message}
        if exc.errors is not None:
            response.data["errors"] = exc.errors
        return response
    if isinstance(exc, Http404):
        message = "Not found."
    elif isinstance(exc, PermissionDenied):
        message = "You do not have permission to perform this action."
    elif isinstance(detail, dict) and "detail" in detail:
        message = str(detail["detail"])
    elif isinstance(detail, dict):
        message = "Invalid input."
    elif isinstance(detail, list):
        message = join_messages(detail)
    else:
        message = str(detail)
    body: dict[str, Any] = {"status": response.status_code, "message": message}
    if isinstance(detail, dict) and "detail" not in detail:
        body["errors"] = detail
    response.data = body
    return response
