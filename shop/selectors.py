"""Reads for the shop: catalogue, cart and orders. Query counts are bounded per call."""

from __future__ import annotations

from django.db.models import Sum
from django.http import HttpRequest

from shop.models import Cart, CartLine


def cart_for_request(*, request: HttpRequest) -> Cart | None:
    """The stored cart this request owns (the user's, or the anonymous session's), if any."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    session_key = request.session.session_key if hasattr(request, "session") else None
    if not session_key:
        return None
    return Cart.objects.filter(session_key=session_key, user__isnull=True).first()


def cart_item_count(*, request: HttpRequest) -> int:
    """Units in the request's cart, for the header badge (one query, none without a cart)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        session_key = request.session.session_key if hasattr(request, "session") else None
        if not session_key:
            return 0
        lines = CartLine.objects.filter(cart__session_key=session_key, cart__user__isnull=True)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0
