"""Values every storefront page needs (currency, cart size in the header, whether cards are taken)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def storefront(request: HttpRequest) -> dict:
    from revetir.shopper_cache import shopper_value
    from shop.card_payments import card_payments_enabled
    from shop.selectors import cart_item_count

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # A signed-in shopper's count is kept between pages (revetir.shopper_cache); a visitor's
        # session cart is counted on each page.
        items = shopper_value(user_id=user.pk, name="cart_item_count", compute=lambda: cart_item_count(request=request))
    else:
        items = cart_item_count(request=request)
    return {
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "cart_item_count": items,
        "CARD_PAYMENTS": card_payments_enabled(),
    }
