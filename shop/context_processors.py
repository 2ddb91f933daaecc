"""Values every storefront page needs (currency, cart size in the header)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def storefront(request: HttpRequest) -> dict:
    from shop.selectors import cart_item_count

    return {"SHOP_CURRENCY": settings.SHOP_CURRENCY, "cart_item_count": cart_item_count(request=request)}
