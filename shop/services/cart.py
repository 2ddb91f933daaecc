"""Writes for the cart: the shopper's or the session's cart, adding, changing and removing lines,
merging the anonymous cart at login. Quantities are bounded by stock and the line limit; a line may
carry the try-on the size was chosen from (verified through `shop.tryon_hooks`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from revetir.object_keys import primary_key_or_none
from revetir.shopper_cache import forget_shopper_values
from shop import tryon_hooks
from shop.models import Cart, CartLine, Variant

logger = logging.getLogger(__name__)

# The anonymous cart's id, kept in the session: it survives the session-key change at login,
# so the cart can still be found and merged into the user's. Stored as text, which the session's
# JSON can hold on both backends (an ObjectId is not JSON).
SESSION_CART_ID_KEY = "shop_anonymous_cart_id"


class CartError(ValidationError):
    """The cart cannot be changed as asked (unknown or inactive item, bad quantity, sold out)."""


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


def forget_cart_badge(*, cart_id: object) -> None:
    """The cart's owner (if signed in) gets their header's cart badge counted again on the next page."""
    forget_shopper_values(Cart.objects.filter(pk=cart_id).values_list("user_id", flat=True).first())


def _cart_changed(*, cart_id: object) -> None:
    """After a line changed: the cart's time moves on and its badge is counted again (a conditional
    UPDATE of a quantity sends no signal)."""
    Cart.objects.filter(pk=cart_id).update(updated_at=timezone.now())
    forget_cart_badge(cart_id=cart_id)


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
    _cart_changed(cart_id=cart.pk)
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
    _cart_changed(cart_id=line.cart_id)
    return CartLineChange(description=description, requested=quantity, quantity=allowed, line=line)


def cart_line_remove(*, line: CartLine) -> None:
    line.delete()
    _cart_changed(cart_id=line.cart_id)


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
