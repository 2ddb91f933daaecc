"""Stripe's webhook events, each handled once and stored with what it did.

An event already stored is answered without doing anything. Otherwise it is handled (every change
it makes is a conditional update, so a replay or two deliveries racing each other change nothing
twice) and then stored; the endpoint answers 2xx only after both are written, so an event whose
handling failed is sent again by Stripe. Events that arrive out of order are harmless: a failure
after the order was paid, or a success after it was cancelled (then refunded), are each decided by
the order's current status. Types the shop does not use are acknowledged and stored as ignored.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from shop import card_payments
from shop.models import Order, StripeEvent
from shop.services.payments import payment_failed, payment_succeeded

logger = logging.getLogger(__name__)

HANDLED_TYPES = ("payment_intent.succeeded", "payment_intent.payment_failed")
OUTCOME_MAX_LENGTH = 300


def _intent_from_event(event: dict) -> card_payments.IntentState | None:
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") != "payment_intent":
        return None
    error = obj.get("last_payment_error") or {}
    return card_payments.IntentState(
        id=str(obj.get("id", "")),
        status=str(obj.get("status", "")),
        amount=int(obj.get("amount") or 0),
        currency=str(obj.get("currency", "")).upper(),
        client_secret="",
        failure_message=(error.get("message") or error.get("code") or "") if error else "",
    )


def _handle(event: dict) -> tuple[str, str]:
    """(outcome, intent id) of one new event."""
    event_type = str(event.get("type", ""))
    if event_type not in HANDLED_TYPES:
        return "ignored: event type not used by the shop", ""
    intent = _intent_from_event(event)
    if intent is None or not intent.id:
        return "ignored: no payment intent in the event", ""
    order = Order.objects.filter(payment_intent_id=intent.id).first()
    if order is None:
        return "ignored: no order has this payment intent", intent.id
    if event_type == "payment_intent.succeeded":
        return payment_succeeded(order=order, intent=intent), intent.id
    problem = intent.failure_message or "the card was declined"
    return payment_failed(order=order, problem=f"Your card was not charged: {problem}"), intent.id


def stripe_event_handle(event: dict) -> StripeEvent:
    """Handle one verified event once; the stored record (an earlier one for a replay)."""
    event_id = str(event.get("id", ""))
    if not event_id:
        raise ValueError("the event has no id")
    earlier = StripeEvent.objects.filter(event_id=event_id).first()
    if earlier is not None:
        earlier.replayed = True
        return earlier
    outcome, intent_id = _handle(event)
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event_id,
                event_type=str(event.get("type", ""))[:80],
                payment_intent_id=intent_id,
                outcome=outcome[:OUTCOME_MAX_LENGTH],
            )
    except IntegrityError:
        # The same event delivered twice at once: the other delivery stored it; our handling was a no-op.
        record = StripeEvent.objects.get(event_id=event_id)
        record.replayed = True
        return record
    record.replayed = False
    logger.info("Stripe event %s (%s): %s", event_id, record.event_type, outcome)
    return record
