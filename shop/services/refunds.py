"""Money given back on card orders: full refunds on cancellation, partial ones by staff, and the
refund of a payment that arrived after its order was cancelled.

No transactions (MongoDB has none): a refund first reserves its amount on the order with one
conditional update (`amount_refunded + amount <= total`, checked by row count), so two refunds can
never together give back more than was paid; then Stripe is asked; if Stripe says no, the
reservation is undone (compensation) and the order is exactly as it was. The `OrderRefund` row is
written once Stripe has accepted.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from shop import card_payments, emails
from shop.models import Order, OrderRefund, OrderStatus, PaymentMethod

logger = logging.getLogger(__name__)

CANCELLATION_REASON = "Order cancelled"
LATE_PAYMENT_REASON = "Payment arrived after the order was cancelled"


class RefundError(ValidationError):
    """The refund was not made; the message says why (Stripe's own reason when it refused)."""


def refundable_amount(order: Order) -> Decimal:
    """What is left to give back on a paid card order (0 for any other order)."""
    if order.payment_method != PaymentMethod.CARD or order.paid_at is None:
        return Decimal("0.00")
    return max(order.total - order.amount_refunded, Decimal("0.00"))


def refund_order(*, order: Order, amount: Decimal, reason: str, staff_user=None, notify: bool = False) -> OrderRefund:
    """Refund `amount` of a paid card order through Stripe and record it, or raise `RefundError`
    having changed nothing. `notify` mails the shopper about this refund (a cancellation's own
    mail says what was refunded instead)."""
    reason = reason.strip()
    if not reason:
        raise RefundError("Say why the money is given back.", code="reason_required")
    if amount <= 0:
        raise RefundError("The amount to refund must be more than 0.", code="amount")
    if order.payment_method != PaymentMethod.CARD or not order.payment_intent_id or order.paid_at is None:
        raise RefundError(f"Order {order.number} was not paid by card, so there is nothing to refund.", code="unpaid")
    reserved = Order.objects.filter(
        pk=order.pk, paid_at__isnull=False, amount_refunded__lte=F("total") - amount
    ).update(amount_refunded=F("amount_refunded") + amount, updated_at=timezone.now())
    if reserved != 1:
        order.refresh_from_db()
        raise RefundError(
            f"Only {refundable_amount(order)} {order.currency} of order {order.number} is left to refund.",
            code="too_much",
        )
    try:
        refund_id = card_payments.refund(
            intent_id=order.payment_intent_id,
            amount=amount,
            currency=order.currency,
            reason=reason,
            key=f"refund-{order.number}-{uuid.uuid4().hex}",
        )
    except card_payments.CardPaymentProblem as error:
        Order.objects.filter(pk=order.pk).update(amount_refunded=F("amount_refunded") - amount)
        order.refresh_from_db()
        raise RefundError(f"Stripe did not refund {amount} {order.currency}: {error}", code="refused") from error
    record = OrderRefund.objects.create(
        order=order, amount=amount, reason=reason, stripe_refund_id=refund_id, created_by=staff_user
    )
    order.refresh_from_db()
    if notify:
        emails.send_order_email(order=order, kind=emails.REFUNDED, refund=record)
    logger.info("Refunded %s %s on order %s (%s)", amount, order.currency, order.number, refund_id)
    return record


def refund_late_payment(*, order: Order) -> OrderRefund | None:
    """A cancelled card order whose payment went through anyway (the shopper paid as the hold
    expired): record the payment and give back what is left of it. Safe to call again, also after
    a refund Stripe refused: the amount's reservation in `refund_order` lets one refund through."""
    Order.objects.filter(
        pk=order.pk, status=OrderStatus.CANCELLED, payment_method=PaymentMethod.CARD, paid_at__isnull=True
    ).update(paid_at=timezone.now())
    order.refresh_from_db()
    if order.status != OrderStatus.CANCELLED or refundable_amount(order) <= 0:
        return None
    try:
        return refund_order(order=order, amount=refundable_amount(order), reason=LATE_PAYMENT_REASON)
    except RefundError as error:
        if error.code == "too_much":
            return None  # a concurrent call refunded it
        logger.exception("Could not refund the late payment on cancelled order %s", order.number)
        raise
