"""The shop's only door to Stripe: PaymentIntents, refunds and webhook signatures.

Everything Stripe-specific (the `stripe` library, keys, the API address, amounts in minor units)
stays here, so the order life cycle in `shop.services.payments` reads in the shop's own terms. Each
call raises `StripeRefused` (Stripe answered no: a declined card, a refused refund) or
`StripeUnavailable` (no answer: network, keys, Stripe's own errors) with a message a person can act
on; neither leaves anything half-written on our side.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)

# ISO 4217 currencies without a minor unit, as Stripe lists them for `amount` (its "zero-decimal"
# currencies); every other currency the shop would use has two decimals.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
# Stripe's default tolerance for a webhook signature's timestamp, in seconds.
WEBHOOK_TOLERANCE_SECONDS = 300
NETWORK_RETRIES = 2


class CardPaymentProblem(Exception):
    """Any reason a card payment step did not happen; the three kinds below say which."""


class CardPaymentsOff(CardPaymentProblem):
    """Card payments are not configured (no Stripe keys)."""


class StripeRefused(CardPaymentProblem):
    """Stripe answered and said no; `str()` is Stripe's reason, fit to show."""


class StripeUnavailable(CardPaymentProblem):
    """Stripe could not be asked (network, configuration) or failed itself; try again later."""


@dataclass(frozen=True)
class IntentState:
    """What the shop needs of a PaymentIntent."""

    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded, canceled, ...
    amount: int
    currency: str
    client_secret: str
    failure_message: str  # the last attempt's error, "" when there was none

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        """An attempt was made and declined (Stripe then asks for another payment method)."""
        return self.status == "requires_payment_method" and bool(self.failure_message)


def card_payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def _client() -> stripe.StripeClient:
    if not card_payments_enabled():
        raise CardPaymentsOff("Card payments are off: set STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY.")
    options: dict = {"max_network_retries": NETWORK_RETRIES}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's smallest unit (cents for EUR), as Stripe counts it."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return int((amount * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _plain(stripe_object) -> dict:
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def _state(intent) -> IntentState:
    intent = _plain(intent)
    error = intent.get("last_payment_error") or {}
    return IntentState(
        id=intent["id"],
        status=intent["status"],
        amount=int(intent["amount"]),
        currency=str(intent["currency"]).upper(),
        client_secret=intent.get("client_secret") or "",
        failure_message=(error.get("message") or error.get("code") or "") if error else "",
    )


def _message(error: stripe.StripeError) -> str:
    return error.user_message or str(error) or type(error).__name__


def _call(action: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (stripe.CardError, stripe.InvalidRequestError) as error:
        raise StripeRefused(_message(error)) from error
    except stripe.StripeError as error:
        logger.warning("Stripe could not %s: %s", action, error)
        raise StripeUnavailable(f"The card payment service did not answer ({action}): {_message(error)}") from error


def create_intent(*, order_number: str, amount: Decimal, currency: str) -> IntentState:
    """A PaymentIntent for one order, card only; the order number is its idempotency key, so a
    retried call never makes a second one."""
    intent = _call(
        "create the payment",
        _client().v1.payment_intents.create,
        params={
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": {"order_number": order_number},
        },
        options={"idempotency_key": f"order-{order_number}"},
    )
    return _state(intent)


def retrieve_intent(intent_id: str) -> IntentState:
    return _state(_call("read the payment", _client().v1.payment_intents.retrieve, intent_id))


def confirm_intent(*, intent_id: str, payment_method: str) -> IntentState:
    """Confirm on the server with a payment method the page created (a Stripe.js without the
    Payment Element, such as a test server's, hands one over). A declined card is not an error
    here: the returned state says it failed and why."""
    client = _client()
    _call("attach the card", client.v1.payment_intents.update, intent_id, params={"payment_method": payment_method})
    with contextlib.suppress(StripeRefused):  # a decline: the intent now carries it in last_payment_error
        _call("confirm the payment", client.v1.payment_intents.confirm, intent_id)
    return retrieve_intent(intent_id)


def cancel_intent(intent_id: str) -> IntentState:
    """Cancel an unpaid intent so it can no longer be paid. If it cannot be cancelled (it
    succeeded meanwhile), its current state is returned instead."""
    try:
        return _state(_call("cancel the payment", _client().v1.payment_intents.cancel, intent_id))
    except StripeRefused:
        return retrieve_intent(intent_id)


def refund(*, intent_id: str, amount: Decimal, currency: str, reason: str, key: str) -> str:
    """Give `amount` back on a paid intent; the Stripe refund's id. Raises `StripeRefused` with
    Stripe's reason when it says no. `key` is the idempotency key of this one refund."""
    created = _call(
        "refund",
        _client().v1.refunds.create,
        params={
            "payment_intent": intent_id,
            "amount": to_minor_units(amount, currency),
            "metadata": {"reason": reason[:500]},
        },
        options={"idempotency_key": key},
    )
    created = _plain(created)
    if created.get("status") in {"failed", "canceled"}:
        raise StripeRefused(created.get("failure_reason") or f"the refund {created['status']}")
    return created["id"]


def parse_webhook(*, payload: bytes, signature: str) -> dict:
    """The event in a webhook request, after checking its signature against STRIPE_WEBHOOK_SECRET.

    Raises `ValueError` for a bad signature or body, `CardPaymentsOff` when no secret is set.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise CardPaymentsOff("STRIPE_WEBHOOK_SECRET is not set, so no webhook can be trusted.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise ValueError(f"bad signature: {error.user_message or error}") from error
    return _plain(event)
