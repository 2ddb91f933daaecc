"""Placing an order from a cart (`place_order`), once per checkout key however often it is submitted.

Nothing here relies on database transactions (MongoDB has none): stock moves only through
`shop.stock`'s conditional updates, the cart is claimed by a conditional update, and every
multi-step write undoes its earlier steps when a later one fails.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS, Address
from revetir.object_keys import primary_key_or_none
from shop import emails
from shop.models import Cart, CartLine, Order, OrderLine, OrderStatus, ShippingMethod
from shop.payments import payment_provider_for
from shop.pricing import order_totals
from shop.services.cart import describe_variant
from shop.services.payments import PaymentError
from shop.stock import StockLine, release_lines, reserve_lines
from shop.vouchers import VoucherClaim, voucher_attach, voucher_check, voucher_claim, voucher_release

logger = logging.getLogger(__name__)

ORDER_NUMBER_PREFIX = "RV-"
ORDER_NUMBER_RANDOM_BYTES = 10  # 80 random bits: 16 base32 characters
ORDER_NUMBER_ATTEMPTS = 5
REQUIRED_ADDRESS_FIELDS = ("full_name", "address_line1", "city", "postal_code", "country")
IDEMPOTENCY_KEY_MAX_LENGTH = 64
CHECKOUT_CLAIM_POLL_SECONDS = 0.05


class CheckoutError(ValidationError):
    """The order cannot be placed (empty cart, missing address, unavailable item or payment method)."""


def _new_order_number() -> str:
    random_part = base64.b32encode(secrets.token_bytes(ORDER_NUMBER_RANDOM_BYTES)).decode("ascii").rstrip("=")
    return ORDER_NUMBER_PREFIX + random_part


def _create_order_with_unique_number(**fields) -> Order:
    """Create the order under a fresh random number, retrying on the (very unlikely) collision."""
    for _attempt in range(ORDER_NUMBER_ATTEMPTS):
        number = _new_order_number()
        try:
            with transaction.atomic():
                return Order.objects.create(number=number, **fields)
        except IntegrityError:
            if not Order.objects.filter(number=number).exists():
                raise
    raise RuntimeError(f"Could not find an unused order number in {ORDER_NUMBER_ATTEMPTS} attempts")


def _clean_address(address: Mapping[str, str]) -> dict[str, str]:
    cleaned = {field: str(address.get(field) or "").strip() for field in ADDRESS_FIELDS}
    missing = [field for field in REQUIRED_ADDRESS_FIELDS if not cleaned[field]]
    if missing:
        raise CheckoutError(f"The shipping address is missing: {', '.join(missing)}.", code="address")
    cleaned["country"] = cleaned["country"].upper()
    return cleaned


def _shipping_method_for_checkout(shipping_method_id) -> ShippingMethod | None:
    """The chosen active method. A choice is required as soon as staff have set up any method."""
    active = ShippingMethod.objects.filter(active=True)
    if shipping_method_id is None or shipping_method_id == "":
        if active.exists():
            raise CheckoutError("Choose a delivery method.", code="shipping_method")
        return None
    method_key = primary_key_or_none(ShippingMethod, shipping_method_id)
    method = active.filter(pk=method_key).first() if method_key is not None else None
    if method is None:
        raise CheckoutError("That delivery method is not available; choose another.", code="shipping_method")
    return method


def new_checkout_key() -> str:
    """A fresh idempotency key for one checkout attempt (the review page puts it in its form)."""
    return secrets.token_urlsafe(24)


def _clean_idempotency_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise CheckoutError(
            f"The idempotency key must be printable text of at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters.",
            code="idempotency_key",
        )
    return key


def order_for_idempotency_key(*, user, key: str | None) -> Order | None:
    """The user's order placed under `key` (a repeated submit), if there is one."""
    key = (key or "").strip()
    if not key:
        return None
    return Order.objects.filter(user=user, idempotency_key=key).first()


def _repeated(order: Order) -> Order:
    order.repeated_submit = True
    return order


def _claim_cart(*, cart: Cart, key: str) -> bool:
    """Take the cart's checkout claim with one conditional update; True iff this call holds it.

    Only a free claim, or one older than SHOP_CHECKOUT_CLAIM_SECONDS (its process died), is taken.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.SHOP_CHECKOUT_CLAIM_SECONDS)
    taken = (
        Cart.objects.filter(pk=cart.pk)
        .filter(Q(checkout_started_at__isnull=True) | Q(checkout_started_at__lt=stale_before))
        .update(checkout_key=key, checkout_started_at=now)
    )
    return taken == 1


def _release_cart_claim(*, cart: Cart, key: str, order: Order | None) -> None:
    """Let the claim go: only our own (matched by its key, not its time, which MongoDB stores to
    the millisecond), so a takeover after our claim went stale is left alone."""
    changes: dict[str, object] = {"checkout_key": "", "checkout_started_at": None}
    if order is not None:
        changes["last_order"] = order
    Cart.objects.filter(pk=cart.pk, checkout_key=key).update(**changes)


def _recent_last_order(*, cart: Cart, user) -> Order | None:
    """The order this (now empty) cart became moments ago: a repeat without a key is answered with it."""
    cart.refresh_from_db(fields=["last_order"])
    if cart.last_order_id is None:
        return None
    recent_after = timezone.now() - timedelta(seconds=settings.SHOP_CHECKOUT_REPEAT_SECONDS)
    return Order.objects.filter(pk=cart.last_order_id, user=user, created_at__gte=recent_after).first()


def place_order(
    *,
    user,
    cart: Cart,
    address: Mapping[str, str],
    payment_method: str,
    idempotency_key: str | None = None,
    shipping_method_id=None,
    voucher_code: str = "",
    saved_address: Address | None = None,
    site_url: str = "",
) -> Order:
    """Turn the cart into an order, or change nothing; a repeated submit gets the same order.

    One checkout of a cart runs at a time: the cart is claimed by a conditional update (no
    transaction needed, so SQLite and MongoDB behave alike) before its lines are read. A parallel
    submit waits for the claim to end (at most SHOP_CHECKOUT_WAIT_SECONDS) and is then answered
    with the order the first one placed: the one stored under the same `idempotency_key`, or,
    without a key, the order the cart became in the last SHOP_CHECKOUT_REPEAT_SECONDS when the
    cart is now empty. The returned order's `repeated_submit` says which case it was.

    Stock for every line is reserved first (all or nothing, `shop.stock.OutOfStock` names the item
    that ran out), then the voucher's use (`shop.vouchers`, `VoucherError` says why it cannot be
    used). If the order or its lines cannot then be written, the voucher use and the stock are given
    back and any partial order deleted. Only after success is the cart emptied; once the claim is
    let go, the saved address is marked as used last and the confirmation e-mailed (a mail failure
    is logged, the order stands; its links start with `site_url`, see `shop.emails.site_url_for`).
    """
    key = _clean_idempotency_key(idempotency_key)
    shipping = _clean_address(address)
    provider = payment_provider_for(payment_method)
    if provider is None:
        raise CheckoutError(f"Payment method {payment_method!r} is not available.", code="payment_method")
    shipping_method = _shipping_method_for_checkout(shipping_method_id)
    claim_key = key or new_checkout_key()
    give_up_at = time.monotonic() + settings.SHOP_CHECKOUT_WAIT_SECONDS
    while True:
        earlier = order_for_idempotency_key(user=user, key=key)
        if earlier is not None:
            return _repeated(earlier)
        if _claim_cart(cart=cart, key=claim_key):
            break
        if time.monotonic() >= give_up_at:
            raise CheckoutError(
                "This order is already being placed (from another tab or an earlier click); "
                "look in your orders in a moment.",
                code="checkout_in_progress",
            )
        time.sleep(CHECKOUT_CLAIM_POLL_SECONDS)

    order: Order | None = None
    try:
        # The key is checked again under the claim: the first submit may have finished between.
        earlier = order_for_idempotency_key(user=user, key=key)
        if earlier is not None:
            return _repeated(earlier)
        order = _place_claimed_order(
            user=user,
            cart=cart,
            shipping=shipping,
            provider=provider,
            idempotency_key=key,
            shipping_method=shipping_method,
            voucher_code=voucher_code,
        )
    finally:
        _release_cart_claim(cart=cart, key=claim_key, order=order)
    if not order.repeated_submit:
        if saved_address is not None:
            Address.objects.filter(pk=saved_address.pk, user=user).update(last_used_at=timezone.now())
        if order.status != OrderStatus.AWAITING_PAYMENT:  # a card order is confirmed once it is paid
            emails.send_order_email(order=order, kind=emails.CONFIRMATION, site_url=site_url)
    return order


def _place_claimed_order(
    *,
    user,
    cart: Cart,
    shipping: dict[str, str],
    provider,
    idempotency_key: str,
    shipping_method: ShippingMethod | None,
    voucher_code: str,
) -> Order:
    """The order itself, written while this call holds the cart's checkout claim."""
    lines = list(cart.lines.select_related("variant__product"))
    if not lines:
        earlier = _recent_last_order(cart=cart, user=user)
        if earlier is not None:
            return _repeated(earlier)
        raise CheckoutError("Your cart is empty.", code="empty_cart")
    unavailable = [describe_variant(line.variant) for line in lines if not line.variant.product.is_active]
    if unavailable:
        raise CheckoutError(
            f"No longer sold: {', '.join(unavailable)}. Remove it from your cart to continue.", code="unavailable"
        )
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    voucher = voucher_check(code=voucher_code, user=user, subtotal=subtotal) if voucher_code.strip() else None
    totals = order_totals(subtotal=subtotal, shipping_method=shipping_method, voucher=voucher)

    stock_lines = [
        StockLine(variant_id=line.variant_id, quantity=line.quantity, description=describe_variant(line.variant))
        for line in lines
    ]
    reserve_lines(stock_lines)

    claim: VoucherClaim | None = None
    order: Order | None = None
    try:
        if voucher is not None:
            claim = voucher_claim(voucher=voucher, user=user)
        order = _create_order_with_unique_number(
            user=user,
            email=user.email,
            status=getattr(provider, "initial_status", OrderStatus.PLACED),
            payment_method=provider.method,
            currency=settings.SHOP_CURRENCY,
            subtotal=totals.subtotal,
            discount=totals.discount,
            shipping_price=totals.shipping,
            total=totals.total,
            shipping_method=shipping_method,
            shipping_method_name=shipping_method.name if shipping_method else "",
            voucher_code=voucher.code if voucher else "",
            idempotency_key=idempotency_key,
            **shipping,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    variant=line.variant,
                    product_name=line.variant.product.name,
                    sku=line.variant.sku,
                    size=line.variant.size,
                    unit_price=line.variant.product.price,
                    quantity=line.quantity,
                    tryon_job_id=line.tryon_job_id,
                )
                for line in lines
            ]
        )
        if claim is not None:
            voucher_attach(claim=claim, order=order)
        try:
            provider.begin_payment(order=order)
        except PaymentError as error:
            raise CheckoutError(str(error), code="payment") from error
    except BaseException:
        if order is not None:
            Order.objects.filter(pk=order.pk).delete()
        if claim is not None:
            voucher_release(claim=claim)
        release_lines(stock_lines)
        raise

    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    order.repeated_submit = False
    return order
