"""Values every storefront page needs (currency, cart size in the header, whether cards are taken)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def storefront(request: HttpRequest) -> dict:
    from shop.card_payments import card_payments_enabled
    from shop.selectors import cart_item_count

    return {
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "cart_item_count": cart_item_count(request=request),
        "CARD_PAYMENTS": card_payments_enabled(),
    }
