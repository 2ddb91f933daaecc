"""Reads for the shop: catalogue, cart and orders. Query counts are bounded per call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.http import HttpRequest

from shop.models import Cart, CartLine, Order, ProductImage


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


# --- Cart and orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CartSummary:
    """A cart's lines (variant, product and primary image loaded) with its totals."""

    cart: Cart | None
    lines: list[CartLine]
    subtotal: Decimal
    item_count: int

    @property
    def is_empty(self) -> bool:
        return not self.lines


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    """The cart's lines with everything a cart page shows (two queries whatever the size)."""
    primary_images = Prefetch(
        "variant__product__images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images"
    )
    return cart.lines.select_related("variant__product").prefetch_related(primary_images)


def cart_summary(*, cart: Cart | None) -> CartSummary:
    if cart is None:
        return CartSummary(cart=None, lines=[], subtotal=Decimal("0.00"), item_count=0)
    lines = list(cart_lines(cart=cart))
    return CartSummary(
        cart=cart,
        lines=lines,
        subtotal=sum((line.line_total for line in lines), Decimal("0.00")),
        item_count=sum(line.quantity for line in lines),
    )


def cart_line_for_cart(*, cart: Cart | None, line_id: int) -> CartLine | None:
    """A line of this cart only: another cart's line id finds nothing."""
    if cart is None:
        return None
    return CartLine.objects.filter(cart=cart, pk=line_id).first()


def orders_for_user(*, user) -> QuerySet[Order]:
    """The user's orders, newest first, lines prefetched (two queries for any number of orders)."""
    return Order.objects.filter(user=user).order_by("-created_at", "-id").prefetch_related("lines")


def order_for_user(*, user, number: str) -> Order | None:
    """The user's order with this number; None for an unknown number or someone else's order."""
    return orders_for_user(user=user).filter(number=number).first()
