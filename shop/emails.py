"""The shopper's e-mails about an order: confirmation, shipped, cancelled, and each refund.

Each is sent after the order change is written and never undoes or blocks it: a failing mail server
is logged and the order stands. Links point at the address the shopper (or staff member) used when
a request caused the mail, else at `SHOP_SITE_URL` (`REVETIR_SITE_URL`, which `make run` sets to the
address it serves). The time of a successful send is recorded on the order (a
conditional update on the still-empty column), so staff can see who was told and a repeated call
does not mail twice. Mails go through Django's e-mail settings (`EMAIL_BACKEND`, console by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from shop.models import Order, OrderRefund

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderEmailKind:
    """One kind of order e-mail: its templates (`<template>.txt`, `.html`), subject and sent-at column."""

    template: str
    subject: str
    sent_at_field: str  # "" for a mail that may go out more than once (one per refund)


CONFIRMATION = OrderEmailKind("shop/email/order_confirmation", "Your Revetir order {number}", "confirmation_sent_at")
SHIPPED = OrderEmailKind(
    "shop/email/order_shipped", "Your Revetir order {number} is on its way", "shipped_email_sent_at"
)
CANCELLED = OrderEmailKind(
    "shop/email/order_cancelled", "Your Revetir order {number} is cancelled", "cancelled_email_sent_at"
)

REFUNDED = OrderEmailKind("shop/email/order_refunded", "A refund on your Revetir order {number}", "")


def _recipient(order: Order) -> str:
    return order.user.email if order.user_id and order.user else order.email


def site_url_for(request: HttpRequest | None) -> str:
    """The shop's address for links in a mail caused by `request`: the scheme and host it came in on
    (the host already checked against ALLOWED_HOSTS); `SHOP_SITE_URL` without a request."""
    if request is None:
        return settings.SHOP_SITE_URL
    return request.build_absolute_uri("/")


def send_order_email(
    *, order: Order, kind: OrderEmailKind, site_url: str = "", refund: OrderRefund | None = None
) -> bool:
    """Mail `kind` about `order` to its shopper unless already sent. True iff a mail went out now.

    Links start with `site_url` (from `site_url_for`), else `SHOP_SITE_URL`.

    Any error while rendering or sending is logged with the order number and swallowed: the
    order is already written, and a missing e-mail must not turn into a failed checkout.
    """
    if kind.sent_at_field and getattr(order, kind.sent_at_field) is not None:
        return False
    recipient = _recipient(order)
    if not recipient:
        return False
    try:
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "refunds": list(order.refunds.all()),
            "refund": refund,
            "country_name": order.country.name,
            "order_url": (site_url or settings.SHOP_SITE_URL).rstrip("/") + order.get_absolute_url(),
        }
        message = EmailMultiAlternatives(
            subject=kind.subject.format(number=order.number),
            body=render_to_string(f"{kind.template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
        )
        message.attach_alternative(render_to_string(f"{kind.template}.html", context), "text/html")
        message.send()
    except Exception:
        logger.exception("Could not e-mail %s for order %s to %s", kind.template, order.number, recipient)
        return False
    if not kind.sent_at_field:
        return True
    sent_at = timezone.now()
    Order.objects.filter(pk=order.pk, **{f"{kind.sent_at_field}__isnull": True}).update(**{kind.sent_at_field: sent_at})
    setattr(order, kind.sent_at_field, sent_at)
    return True
