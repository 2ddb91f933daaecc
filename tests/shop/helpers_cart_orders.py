"""Builders shared by the cart, checkout and order tests."""

from __future__ import annotations

from shop.models import Cart, CartLine, Order, Variant
from shop.services import cart_get_or_create_for_user, place_order

ADDRESS = {
    "full_name": "Ada Lovelace",
    "address_line1": "12 Rue des Lilas",
    "address_line2": "",
    "city": "Lyon",
    "postal_code": "69001",
    "country": "FR",
    "phone": "",
}


def fill_cart(user, *lines: tuple[Variant, int]) -> Cart:
    """The user's cart holding exactly `lines` (variant, quantity), bypassing the stock cap."""
    cart = cart_get_or_create_for_user(user=user)
    for variant, quantity in lines:
        CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
    return cart


def order_for(user, *lines: tuple[Variant, int]) -> Order:
    cart = fill_cart(user, *lines)
    return place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")


def stock_of(variant: Variant) -> int:
    variant.refresh_from_db()
    return variant.stock
