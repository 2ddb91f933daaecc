"""Project-wide REST conventions: every error is JSON with a status code and a message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


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
