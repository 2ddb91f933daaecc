"""Writes for the cart, checkout and orders.

Nothing here relies on database transactions (MongoDB has none): stock moves only through
`shop.stock`'s conditional updates, order status through conditional updates on the order row,
and every multi-step write undoes its earlier steps when a later one fails.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS, Address
from revetir.object_keys import primary_key_or_none
from shop import emails, tryon_hooks
from shop.models import (
    ORDER_TRANSITIONS,
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
    ShippingMethod,
    Variant,
)
from shop.payments import payment_provider_for
from shop.pricing import order_totals
from shop.stock import StockLine, release_lines, reserve_lines
from shop.vouchers import (
    VoucherClaim,
    voucher_attach,
    voucher_check,
    voucher_claim,
    voucher_release,
    voucher_release_for_order,
)

logger = logging.getLogger(__name__)

# The anonymous cart's id, kept in the session: it survives the session-key change at login,
# so the cart can still be found and merged into the user's. Stored as text, which the session's
# JSON can hold on both backends (an ObjectId is not JSON).
SESSION_CART_ID_KEY = "shop_anonymous_cart_id"
ORDER_NUMBER_PREFIX = "RV-"
ORDER_NUMBER_RANDOM_BYTES = 10  # 80 random bits: 16 base32 characters
ORDER_NUMBER_ATTEMPTS = 5
REQUIRED_ADDRESS_FIELDS = ("full_name", "address_line1", "city", "postal_code", "country")
CUSTOMER_CANCELLABLE_STATUSES = frozenset({OrderStatus.PLACED})
IDEMPOTENCY_KEY_MAX_LENGTH = 64
CHECKOUT_CLAIM_POLL_SECONDS = 0.05


class CartError(ValidationError):
    """The cart cannot be changed as asked (unknown or inactive item, bad quantity, sold out)."""


class CheckoutError(ValidationError):
    """The order cannot be placed (empty cart, missing address, unavailable item or payment method)."""


class InvalidOrderTransition(ValidationError):
    """The order cannot move to the requested status (see `shop.models.ORDER_TRANSITIONS`)."""


def describe_variant(variant: Variant) -> str:
    """How a shopper recognises a variant in a message: product name and size."""
    return f"{variant.product.name} (size {variant.size})"


def max_line_quantity() -> int:
    return settings.SHOP_MAX_LINE_QUANTITY


def line_limit_message() -> str:
    """The per-line limit as shoppers read it, next to quantity fields and in errors."""
    return f"At most {max_line_quantity()} of one size per order."


@dataclass(frozen=True)
class CartLineChange:
    """The result of putting a quantity of a variant in a cart; `capped` when less than asked."""

    description: str
    requested: int
    quantity: int
    line: CartLine | None

    @property
    def capped(self) -> bool:
        return self.quantity < self.requested

    @property
    def removed_on_request(self) -> bool:
        """The shopper set the quantity to 0, which takes the line out of the cart."""
        return self.requested == 0

    @property
    def message(self) -> str:
        if self.removed_on_request:
            return f"Removed from your cart: {self.description}."
        if self.quantity == 0:
            return f"{self.description} is out of stock, so it is not in your cart."
        if self.capped and self.quantity == max_line_quantity():
            in_cart = f"{self.quantity} of {self.description} are in your cart (you asked for {self.requested})."
            return f"{line_limit_message()} {in_cart}"
        if self.capped:
            return f"Only {self.quantity} of {self.description} can be in your cart (you asked for {self.requested})."
        return f"{self.description}: {self.quantity} in your cart."


# --- Cart ---------------------------------------------------------------------------------------


def cart_get_or_create_for_user(*, user) -> Cart:
    """The signed-in user's cart, created on first use (safe when two requests race to create it)."""
    cart = Cart.objects.filter(user=user).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(user=user)
    except IntegrityError:
        return Cart.objects.get(user=user)


def cart_get_or_create_for_session(*, session: SessionBase) -> Cart:
    """The anonymous visitor's cart, keyed by the session (which is saved first so it has a key)."""
    if not session.session_key:
        session.save()
    cart = Cart.objects.filter(session_key=session.session_key, user__isnull=True).first()
    if cart is None:
        try:
            with transaction.atomic():
                cart = Cart.objects.create(session_key=session.session_key)
        except IntegrityError:
            cart = Cart.objects.get(session_key=session.session_key, user__isnull=True)
    session[SESSION_CART_ID_KEY] = str(cart.pk)
    return cart


def cart_get_or_create(*, user, session: SessionBase) -> Cart:
    if user is not None and user.is_authenticated:
        return cart_get_or_create_for_user(user=user)
    return cart_get_or_create_for_session(session=session)


def _line_limit(variant: Variant) -> int:
    return max(0, min(max_line_quantity(), variant.stock))


def _check_quantity(quantity: int, *, minimum: int = 1) -> None:
    if quantity < minimum:
        raise CartError(f"Choose a quantity of at least {minimum}.", code="quantity")
    if quantity > max_line_quantity():
        raise CartError(line_limit_message(), code="quantity")


def _put_in_cart(*, cart: Cart, variant: Variant, quantity: int, tryon_job_id=None) -> CartLineChange:
    """Add `quantity` units to the cart's line for `variant`, capped by stock and the line limit.
    A verified try-on (`tryon_job_id`) is linked to a line that has none yet."""
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    current = line.quantity if line else 0
    requested = current + quantity
    allowed = min(requested, _line_limit(variant))
    description = describe_variant(variant)
    if allowed <= 0:
        if line is not None:
            line.delete()
        return CartLineChange(description=description, requested=requested, quantity=0, line=None)
    if line is None:
        try:
            with transaction.atomic():
                line = CartLine.objects.create(cart=cart, variant=variant, quantity=allowed, tryon_job_id=tryon_job_id)
        except IntegrityError:
            # A parallel request created the line first; add to it instead.
            return _put_in_cart(cart=cart, variant=variant, quantity=quantity, tryon_job_id=tryon_job_id)
    else:
        if allowed != current:
            CartLine.objects.filter(pk=line.pk).update(quantity=allowed)
            line.quantity = allowed
        if tryon_job_id is not None and line.tryon_job_id is None:
            CartLine.objects.filter(pk=line.pk, tryon_job__isnull=True).update(tryon_job_id=tryon_job_id)
            line.tryon_job_id = tryon_job_id
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return CartLineChange(description=description, requested=requested, quantity=allowed, line=line)


def _verified_tryon_job_id(*, cart: Cart, variant: Variant, tryon_job_id: object):
    """The id of the cart owner's own finished try-on of this variant's product, else None.

    The link only feeds the staff report's try-on funnel, so an id that does not check out (someone
    else's job, another product, a deleted job, an anonymous cart) is dropped rather than blocking
    the purchase: the shopper still gets the item, the report counts only what is proven.
    """
    if cart.user_id is None:
        return None
    return tryon_hooks.finished_tryon_job_id(job_id=tryon_job_id, owner_id=cart.user_id, product_id=variant.product_id)


def cart_add_item(*, cart: Cart, variant_id: int, quantity: int, tryon_job_id: object = None) -> CartLineChange:
    """Add a variant to the cart. Raises `CartError` for an unknown/inactive item, a bad quantity or
    a sold-out size; when fewer units are left than asked, the line is capped (see `.capped`).

    `tryon_job_id`: the try-on result the shopper added the size from (see `_verified_tryon_job_id`).
    """
    _check_quantity(quantity)
    variant = Variant.objects.select_related("product").filter(pk=variant_id, product__is_active=True).first()
    if variant is None:
        raise CartError("That item is not available any more.", code="variant")
    if variant.stock < 1:
        raise CartError(f"Sorry, {describe_variant(variant)} is out of stock.", code="out_of_stock")
    job_id = None
    if tryon_job_id not in (None, ""):
        job_id = _verified_tryon_job_id(cart=cart, variant=variant, tryon_job_id=tryon_job_id)
    return _put_in_cart(cart=cart, variant=variant, quantity=quantity, tryon_job_id=job_id)


def cart_line_set_quantity(*, line: CartLine, quantity: int) -> CartLineChange:
    """Set a line's quantity, capped by stock; 0, or a size that has sold out, removes the line."""
    _check_quantity(quantity, minimum=0)
    variant = Variant.objects.select_related("product").get(pk=line.variant_id)
    description = describe_variant(variant)
    if quantity == 0:
        cart_line_remove(line=line)
        return CartLineChange(description=description, requested=0, quantity=0, line=None)
    allowed = min(quantity, _line_limit(variant))
    if allowed <= 0:
        line.delete()
        return CartLineChange(description=description, requested=quantity, quantity=0, line=None)
    CartLine.objects.filter(pk=line.pk).update(quantity=allowed)
    line.quantity = allowed
    Cart.objects.filter(pk=line.cart_id).update(updated_at=timezone.now())
    return CartLineChange(description=description, requested=quantity, quantity=allowed, line=line)


def cart_line_remove(*, line: CartLine) -> None:
    line.delete()
    Cart.objects.filter(pk=line.cart_id).update(updated_at=timezone.now())


def cart_merge(*, source: Cart, target: Cart) -> list[CartLineChange]:
    """Add every line of `source` into `target` (quantities added, capped by stock), then delete
    `source`. Returns the lines that could not be merged in full."""
    capped: list[CartLineChange] = []
    for line in source.lines.select_related("variant__product"):
        if not line.variant.product.is_active:
            capped.append(
                CartLineChange(
                    description=describe_variant(line.variant), requested=line.quantity, quantity=0, line=None
                )
            )
            continue
        change = _put_in_cart(cart=target, variant=line.variant, quantity=line.quantity)
        if change.capped:
            capped.append(change)
    source.delete()
    return capped


def cart_merge_on_login(*, session: SessionBase, user) -> list[CartLineChange]:
    """Move the anonymous session's cart into `user`'s cart (connected to `user_logged_in`).

    Django changes the session key at login before the signal is sent, so the anonymous cart is
    found by the id remembered in the session data, which survives the key change.
    """
    cart_key = primary_key_or_none(Cart, session.pop(SESSION_CART_ID_KEY, None))
    if cart_key is None:
        return []
    source = Cart.objects.filter(pk=cart_key, user__isnull=True).first()
    if source is None:
        return []
    target = cart_get_or_create_for_user(user=user)
    return cart_merge(source=source, target=target)


# --- Checkout -----------------------------------------------------------------------------------


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
    is logged, the order stands).
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
        emails.send_order_email(order=order, kind=emails.CONFIRMATION)
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
            status=OrderStatus.PLACED,
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
        provider.begin_payment(order=order)
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


# --- Orders -------------------------------------------------------------------------------------


def order_change_status(*, order: Order, new_status: str, tracking_number: str | None = None) -> Order:
    """Move an order along `ORDER_TRANSITIONS` or raise `InvalidOrderTransition`.

    The move is a conditional update on the order's current status, so two concurrent changes
    cannot both succeed; cancelling also flips `stock_released` in the same update, which makes
    the stock (and a voucher use) go back exactly once however often cancel is pressed. Shipping
    needs a tracking number (given here or already on the order). The shopper is e-mailed when
    the order ships or is cancelled, after the change is written.
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
    if rows.update(**changes) != 1:
        order.refresh_from_db()
        raise InvalidOrderTransition(
            f"Order {order.number} changed meanwhile (it is now {OrderStatus(order.status).label.lower()}); "
            "reload and try again.",
            code="concurrent_change",
        )
    if new_status == OrderStatus.CANCELLED:
        release_lines(
            StockLine(variant_id=line.variant_id, quantity=line.quantity, description=str(line))
            for line in order.lines.filter(variant__isnull=False)
        )
        voucher_release_for_order(order=order)
    order.refresh_from_db()
    if new_status == OrderStatus.SHIPPED:
        emails.send_order_email(order=order, kind=emails.SHIPPED)
    elif new_status == OrderStatus.CANCELLED:
        emails.send_order_email(order=order, kind=emails.CANCELLED)
    return order


def order_set_tracking_number(*, order: Order, tracking_number: str) -> Order:
    """Staff correct or enter the courier's tracking number (kept on the order, shown to the shopper)."""
    Order.objects.filter(pk=order.pk).update(tracking_number=tracking_number.strip(), updated_at=timezone.now())
    order.refresh_from_db()
    return order


def order_cancel_by_customer(*, order: Order, user) -> Order:
    """A shopper may cancel their own order while it has not started processing."""
    if order.user_id != user.pk:
        raise InvalidOrderTransition("You can only cancel your own orders.", code="not_owner")
    if order.status not in CUSTOMER_CANCELLABLE_STATUSES:
        raise InvalidOrderTransition(
            f"Order {order.number} is already {OrderStatus(order.status).label.lower()}, so it can no longer be "
            "cancelled online. Please contact us.",
            code="not_cancellable",
        )
    return order_change_status(order=order, new_status=OrderStatus.CANCELLED)
