"""The life of a card payment: an order awaiting payment becomes paid, or is cancelled.

A card order is placed as `awaiting_payment` with a PaymentIntent and holds its stock until
`payment_expires_at` (SHOP_PAYMENT_HOLD_MINUTES). It becomes `paid` only when the shop learns it
from Stripe, by the webhook (`shop.services.webhooks`) or by reading the intent when the shopper
comes back (`payment_sync`), whichever is first: the move is one conditional update on the
order's status, checked by its row count, so it happens exactly once (no transactions: the same
on MongoDB). A declined card, an abandoned payment or an expired hold cancels the order through
`order_change_status`, which gives the stock and the voucher use back exactly once and cancels
the intent at Stripe first, so it can no longer be paid. A payment that still arrives for a
cancelled order is refunded in full (`refund_late_payment`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from shop import card_payments, emails
from shop.models import Order, OrderStatus, PaymentMethod
from shop.services.orders import InvalidOrderTransition, order_change_status
from shop.services.refunds import refund_late_payment

logger = logging.getLogger(__name__)

PAYMENT_PROBLEM_MAX_LENGTH = 300


class PaymentError(Exception):
    """The card payment could not be started or confirmed; the message is for the shopper."""


def payment_hold_until():
    return timezone.now() + timedelta(minutes=settings.SHOP_PAYMENT_HOLD_MINUTES)


def payment_begin(*, order: Order) -> None:
    """Create the order's PaymentIntent for its total (from the order's own snapshot) and start
    the hold on its stock. Raises `PaymentError`; the caller then undoes the order."""
    try:
        intent = card_payments.create_intent(order_number=order.number, amount=order.total, currency=order.currency)
    except card_payments.CardPaymentProblem as error:
        raise PaymentError(
            f"Card payment could not be started: {error} Try again, or choose pay on delivery."
        ) from error
    expires_at = payment_hold_until()
    Order.objects.filter(pk=order.pk).update(payment_intent_id=intent.id, payment_expires_at=expires_at)
    order.payment_intent_id = intent.id
    order.payment_expires_at = expires_at
    order.payment_client_secret = intent.client_secret


def payment_client_secret(*, order: Order) -> str:
    """The intent's client secret, which the page needs to collect the card (never stored)."""
    if order.status != OrderStatus.AWAITING_PAYMENT or not order.payment_intent_id:
        return ""
    secret = getattr(order, "payment_client_secret", "")
    return secret or card_payments.retrieve_intent(order.payment_intent_id).client_secret


def _matches_order(order: Order, intent: card_payments.IntentState) -> bool:
    expected = card_payments.to_minor_units(order.total, order.currency)
    if intent.id != order.payment_intent_id or intent.amount != expected or intent.currency != order.currency:
        logger.error(
            "PaymentIntent %s (%s %s) does not match order %s (%s %s, intent %s); not marking it paid",
            intent.id, intent.amount, intent.currency, order.number, expected, order.currency, order.payment_intent_id,
        )  # fmt: skip
        return False
    return True


def payment_succeeded(*, order: Order, intent: card_payments.IntentState) -> str:
    """Record that Stripe has the money: the order becomes paid, exactly once. Returns what
    happened, in words (stored with a webhook event)."""
    if not _matches_order(order, intent):
        return "ignored: the intent does not match the order"
    now = timezone.now()
    moved = Order.objects.filter(pk=order.pk, status=OrderStatus.AWAITING_PAYMENT, payment_intent_id=intent.id).update(
        status=OrderStatus.PAID, paid_at=now, payment_problem="", updated_at=now
    )
    order.refresh_from_db()
    if moved == 1:
        logger.info("Order %s paid (%s)", order.number, intent.id)
        emails.send_order_email(order=order, kind=emails.CONFIRMATION)
        return "order paid"
    if order.status == OrderStatus.CANCELLED:
        refund = refund_late_payment(order=order)
        return "refunded: paid after cancellation" if refund else "no change: already refunded"
    return f"no change: order already {order.status}"


def payment_failed(*, order: Order, problem: str) -> str:
    """The payment did not go through (declined, abandoned, expired): cancel the order, which
    gives its stock and voucher use back once, and keep the reason for the shopper."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return f"no change: order already {order.status}"
    problem = problem[:PAYMENT_PROBLEM_MAX_LENGTH]
    Order.objects.filter(pk=order.pk, status=OrderStatus.AWAITING_PAYMENT).update(payment_problem=problem)
    order.payment_problem = problem
    try:
        order_change_status(order=order, new_status=OrderStatus.CANCELLED)
    except InvalidOrderTransition as error:
        order.refresh_from_db()
        if error.code == "concurrent_change":
            return f"no change: order already {order.status}"
        raise
    order.refresh_from_db()
    if order.paid_at is not None:
        return "refunded: paid while being cancelled"
    return "order cancelled: payment failed"


def payment_sync(*, order: Order) -> Order:
    """Bring an order awaiting payment up to date with Stripe (the shopper came back from paying,
    or opened the order): paid, failed, expired, or still waiting. Unreachable Stripe changes nothing."""
    if order.status != OrderStatus.AWAITING_PAYMENT or not order.payment_intent_id:
        return order
    try:
        intent = card_payments.retrieve_intent(order.payment_intent_id)
    except card_payments.CardPaymentProblem:
        logger.warning("Could not read the payment of order %s", order.number, exc_info=True)
        return order
    try:
        if intent.succeeded:
            payment_succeeded(order=order, intent=intent)
        elif intent.failed:
            payment_failed(order=order, problem=f"Your card was not charged: {intent.failure_message}")
        elif order.payment_expires_at and order.payment_expires_at <= timezone.now():
            payment_expire(order=order)
    except InvalidOrderTransition:
        # The intent could not be cancelled at Stripe just now: the order waits for the next look.
        logger.warning("Could not settle the payment of order %s now", order.number, exc_info=True)
    order.refresh_from_db()
    return order


def payment_expire(*, order: Order) -> str:
    return payment_failed(
        order=order,
        problem=(
            f"The payment was not completed within {settings.SHOP_PAYMENT_HOLD_MINUTES} minutes, "
            "so the items were put back on sale. Nothing was charged."
        ),
    )


def payment_confirm_with_method(*, order: Order, payment_method: str) -> card_payments.IntentState:
    """Confirm the order's intent on the server with a payment method the page created (for a
    Stripe.js without the Payment Element). A decline cancels the order at once."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise PaymentError(f"Order {order.number} is {OrderStatus(order.status).label.lower()}, not awaiting payment.")
    if not payment_method or len(payment_method) > 255:
        raise PaymentError("The card details did not arrive; enter them again.")
    try:
        intent = card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method=payment_method)
    except card_payments.StripeRefused as error:
        raise PaymentError(f"The card was not accepted: {error}") from error
    except (card_payments.StripeUnavailable, card_payments.CardPaymentsOff) as error:
        raise PaymentError(str(error)) from error
    if intent.succeeded:
        payment_succeeded(order=order, intent=intent)
    elif intent.failed:
        payment_failed(order=order, problem=f"Your card was not charged: {intent.failure_message}")
    return intent


def payments_expire_overdue(*, now=None) -> int:
    """The sweep: settle every card order whose hold has run out (paid after all, or cancelled).
    Returns how many were looked at; an order Stripe cannot be asked about is left for next time."""
    now = now or timezone.now()
    overdue = Order.objects.filter(
        status=OrderStatus.AWAITING_PAYMENT, payment_method=PaymentMethod.CARD, payment_expires_at__lte=now
    )
    count = 0
    for order in overdue:
        count += 1
        payment_sync(order=order)
    return count
