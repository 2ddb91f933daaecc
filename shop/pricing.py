"""An order's money: items, voucher discount, shipping and what the shopper pays.

One function computes it, so the review page, the API and the stored order agree to the cent.
The discount applies to the items only. Free shipping is judged on the items before the discount,
so the delivery prices the address step shows for the cart stay true once a voucher is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shop.models import ShippingMethod, Voucher

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal


def order_totals(*, subtotal: Decimal, shipping_method: ShippingMethod | None, voucher: Voucher | None) -> OrderTotals:
    discount = voucher.discount_for(subtotal) if voucher is not None else ZERO
    shipping = shipping_method.price_for(subtotal) if shipping_method is not None else ZERO
    return OrderTotals(subtotal=subtotal, discount=discount, shipping=shipping, total=subtotal - discount + shipping)
