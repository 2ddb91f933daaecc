"""Stripe's webhook endpoint (/payments/stripe/webhook/): no session or token, Stripe's signature
instead (STRIPE_WEBHOOK_SECRET). It answers 2xx only after the event's change and its record are
written, so Stripe sends again an event whose handling failed."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import card_payments
from shop.services import webhooks

WEBHOOK_MAX_BYTES = 512 * 1024

WebhookAnswerSerializer = inline_serializer(
    name="StripeWebhookAnswer",
    fields={
        "received": serializers.CharField(help_text="The event id."),
        "outcome": serializers.CharField(help_text="What the event did, as stored with it."),
        "replayed": serializers.BooleanField(help_text="True when this event had been handled before."),
    },
)
WebhookErrorSerializer = inline_serializer(
    name="StripeWebhookError", fields={"status": serializers.IntegerField(), "message": serializers.CharField()}
)


class StripeWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Stripe's events (for Stripe only)",
        description=(
            "Verified with the `Stripe-Signature` header against STRIPE_WEBHOOK_SECRET. Each event is handled "
            "once (`payment_intent.succeeded` makes its order paid, `payment_intent.payment_failed` cancels it) "
            "and stored with its outcome; a replayed event answers 200 and changes nothing; other types are "
            "acknowledged and ignored. 503 while no webhook secret is set."
        ),
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=True)],
        request={"application/json": {"type": "object", "description": "A Stripe event."}},
        responses={200: WebhookAnswerSerializer, 400: WebhookErrorSerializer, 503: WebhookErrorSerializer},
        tags=["payments"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = request._request.body  # the exact bytes Stripe signed, before any parsing
        if len(body) > WEBHOOK_MAX_BYTES:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "Event too large.")
        try:
            event = card_payments.parse_webhook(payload=body, signature=request.headers.get("Stripe-Signature", ""))
            record = webhooks.stripe_event_handle(event)
        except card_payments.CardPaymentsOff as error:
            return _error(status.HTTP_503_SERVICE_UNAVAILABLE, str(error))
        except ValueError as error:
            return _error(status.HTTP_400_BAD_REQUEST, f"Webhook refused: {error}")
        return Response({"received": record.event_id, "outcome": record.outcome, "replayed": record.replayed})


def _error(code: int, message: str) -> Response:
    return Response({"status": code, "message": message}, status=code)
