"""How an order gets paid.

Each way to pay is a class implementing `PaymentProvider`, listed in the `SHOP_PAYMENT_PROVIDERS`
setting (dotted paths). Pay on delivery is always there; card payments through Stripe are added by
the settings when both Stripe keys are set (`shop.card_payments`), and without them no card is
charged and no card payment is ever pretended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from shop.models import OrderStatus, PaymentMethod

if TYPE_CHECKING:
    from shop.models import Order

DEFAULT_PAYMENT_PROVIDERS = ["shop.payments.PayOnDelivery"]


class PaymentProvider(Protocol):
    """A way to pay. `method` is the value stored on `Order.payment_method`."""

    method: str
    label: str
    customer_instructions: str
    # The status a freshly placed order starts in.
    initial_status: str

    def begin_payment(self, *, order: Order) -> None:
        """Start collecting payment for a freshly placed order; raise to refuse the order."""


class PayOnDelivery:
    """The courier collects payment at the door, so nothing is collected at checkout."""

    method = PaymentMethod.PAY_ON_DELIVERY.value
    label = PaymentMethod.PAY_ON_DELIVERY.label
    customer_instructions = "Pay the courier in cash or by card when your parcel arrives."
    initial_status = OrderStatus.PLACED.value

    def begin_payment(self, *, order: Order) -> None:
        # Nothing to collect now: the amount due is the order's subtotal, shown on the confirmation.
        return None


class StripeCard:
    """Card payment with Stripe: the order waits for payment, holding its stock for
    SHOP_PAYMENT_HOLD_MINUTES, and is paid once Stripe says so (`shop.services.payments`)."""

    method = PaymentMethod.CARD.value
    label = PaymentMethod.CARD.label
    customer_instructions = (
        "Pay now on the next page. The card number goes to Stripe, our payment provider, never to us."
    )
    initial_status = OrderStatus.AWAITING_PAYMENT.value

    def begin_payment(self, *, order: Order) -> None:
        from shop.services.payments import payment_begin  # services import this module: no cycle at import time

        payment_begin(order=order)


def available_payment_providers() -> dict[str, PaymentProvider]:
    """The providers enabled by settings, keyed by their `method`."""
    providers: dict[str, PaymentProvider] = {}
    for dotted_path in getattr(settings, "SHOP_PAYMENT_PROVIDERS", DEFAULT_PAYMENT_PROVIDERS):
        try:
            provider = import_string(dotted_path)()
        except ImportError as exc:
            raise ImproperlyConfigured(f"SHOP_PAYMENT_PROVIDERS: cannot import {dotted_path!r} ({exc})") from exc
        if provider.method not in PaymentMethod.values:
            raise ImproperlyConfigured(
                f"SHOP_PAYMENT_PROVIDERS: {dotted_path} uses method {provider.method!r}, "
                f"which is not one of shop.models.PaymentMethod ({', '.join(PaymentMethod.values)})"
            )
        providers[provider.method] = provider
    if not providers:
        raise ImproperlyConfigured("SHOP_PAYMENT_PROVIDERS is empty: enable at least shop.payments.PayOnDelivery")
    return providers


def payment_provider_for(method: str) -> PaymentProvider | None:
    """The enabled provider for `method`, or None if that method is not enabled."""
    return available_payment_providers().get(method)


def payment_method_choices() -> list[tuple[str, str]]:
    return [(provider.method, provider.label) for provider in available_payment_providers().values()]
