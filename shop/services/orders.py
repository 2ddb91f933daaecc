"""Writes for placed orders: status changes along `shop.models.ORDER_TRANSITIONS` (each a
conditional update on the order row), tracking numbers, a shopper's own cancellation.

Cancelling a card order also settles its money: an unpaid one has its PaymentIntent cancelled at
Stripe first (so it can no longer be paid), a paid one is refunded in full after the status
change, and that change is undone when Stripe refuses the refund.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from shop import card_payments, emails
from shop.models import ORDER_TRANSITIONS, Order, OrderStatus
from shop.services.refunds import CANCELLATION_REASON, RefundError, refund_late_payment, refund_order, refundable_amount
from shop.stock import StockLine, release_lines
from shop.vouchers import voucher_release_for_order

logger = logging.getLogger(__name__)

CUSTOMER_CANCELLABLE_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID})


class InvalidOrderTransition(ValidationError):
    """The order cannot move to the requested status (see `shop.models.ORDER_TRANSITIONS`)."""


def order_change_status(
    *, order: Order, new_status: str, tracking_number: str | None = None, site_url: str = ""
) -> Order:
    """Move an order along `ORDER_TRANSITIONS` or raise `InvalidOrderTransition`.

    The move is a conditional update on the order's current status, so two concurrent changes
    cannot both succeed; cancelling also flips `stock_released` in the same update, which makes
    the stock (and a voucher use) go back exactly once however often cancel is pressed. Shipping
    needs a tracking number (given here or already on the order). The shopper is e-mailed when
    the order ships or is cancelled, after the change is written (links start with `site_url`, see
    `shop.emails.site_url_for`). Cancelling a card order first stops its unpaid PaymentIntent, or
    refunds a paid one (and is undone if Stripe refuses).
    """
    if new_status not in OrderStatus.values:
        raise InvalidOrderTransition(f"{new_status!r} is not an order status.", code="unknown_status")
    current = order.status
    if new_status not in ORDER_TRANSITIONS[current]:
        raise InvalidOrderTransition(
            f"Order {order.number} is {OrderStatus(current).label.lower()} and cannot become "
            f"{OrderStatus(new_status).label.lower()}.",
            code="invalid_transition",
        )
    rows = Order.objects.filter(pk=order.pk, status=current)
    changes = {"status": new_status, "updated_at": timezone.now()}
    if new_status == OrderStatus.SHIPPED:
        tracking = (tracking_number if tracking_number is not None else order.tracking_number).strip()
        if not tracking:
            raise InvalidOrderTransition(
                f"Order {order.number} needs the courier's tracking number before it can be marked shipped.",
                code="tracking_required",
            )
        changes["tracking_number"] = tracking
    if new_status == OrderStatus.CANCELLED:
        rows = rows.filter(stock_released=False)
        changes["stock_released"] = True
        intent_succeeded = _stop_unpaid_intent(order) if current == OrderStatus.AWAITING_PAYMENT else False
    if rows.update(**changes) != 1:
        order.refresh_from_db()
        raise InvalidOrderTransition(
            f"Order {order.number} changed meanwhile (it is now {OrderStatus(order.status).label.lower()}); "
            "reload and try again.",
            code="concurrent_change",
        )
    if new_status == OrderStatus.CANCELLED:
        if refundable_amount(order) > 0:
            _refund_cancelled_order(order=order, previous_status=current)
        release_lines(
            StockLine(variant_id=line.variant_id, quantity=line.quantity, description=str(line))
            for line in order.lines.filter(variant__isnull=False)
        )
        voucher_release_for_order(order=order)
        if intent_succeeded:
            _refund_late_payment_or_log(order)
    order.refresh_from_db()
    if new_status == OrderStatus.SHIPPED:
        emails.send_order_email(order=order, kind=emails.SHIPPED, site_url=site_url)
    elif new_status == OrderStatus.CANCELLED:
        emails.send_order_email(order=order, kind=emails.CANCELLED, site_url=site_url)
    return order


def _stop_unpaid_intent(order: Order) -> bool:
    """Cancel an unpaid order's PaymentIntent before the order; True if it turned out paid."""
    if not order.payment_intent_id:
        return False
    try:
        return card_payments.cancel_intent(order.payment_intent_id).succeeded
    except (card_payments.StripeUnavailable, card_payments.CardPaymentsOff) as error:
        raise InvalidOrderTransition(
            f"Order {order.number} cannot be cancelled while its card payment cannot be stopped: {error}",
            code="payment_unreachable",
        ) from error


def _refund_late_payment_or_log(order: Order) -> None:
    """The order is cancelled whatever happens here; a refund Stripe refuses now is tried again when
    Stripe's webhook for the payment arrives, and admin shows the amount still to refund."""
    try:
        refund_late_payment(order=order)
    except RefundError:
        logger.exception("Order %s is cancelled but its late payment is not refunded yet", order.number)


def _refund_cancelled_order(*, order: Order, previous_status: str) -> None:
    """Refund what is left of a cancelled paid order; if Stripe says no, put the order back."""
    try:
        refund_order(order=order, amount=refundable_amount(order), reason=CANCELLATION_REASON)
    except RefundError as error:
        Order.objects.filter(pk=order.pk, status=OrderStatus.CANCELLED, stock_released=True).update(
            status=previous_status, stock_released=False, updated_at=timezone.now()
        )
        order.refresh_from_db()
        raise InvalidOrderTransition(
            f"Order {order.number} was not cancelled: {' '.join(error.messages)}", code="refund_refused"
        ) from error


def order_set_tracking_number(*, order: Order, tracking_number: str) -> Order:
    """Staff correct or enter the courier's tracking number (kept on the order, shown to the shopper)."""
    Order.objects.filter(pk=order.pk).update(tracking_number=tracking_number.strip(), updated_at=timezone.now())
    order.refresh_from_db()
    return order


def order_cancel_by_customer(*, order: Order, user, site_url: str = "") -> Order:
    """A shopper may cancel their own order while it has not started processing."""
    if order.user_id != user.pk:
        raise InvalidOrderTransition("You can only cancel your own orders.", code="not_owner")
    if order.status not in CUSTOMER_CANCELLABLE_STATUSES:
        raise InvalidOrderTransition(
            f"Order {order.number} is already {OrderStatus(order.status).label.lower()}, so it can no longer be "
            "cancelled online. Please contact us.",
            code="not_cancellable",
        )
    return order_change_status(order=order, new_status=OrderStatus.CANCELLED, site_url=site_url)
