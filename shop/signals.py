"""Signal receivers of the shop; connected in `ShopConfig.ready()`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from revetir.shopper_cache import forget_shopper_values
from shop import services
from shop.models import Cart, CartLine


def merge_cart_on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Bring the anonymous visitor's cart along when they sign in, and say what could not come."""
    if request is None or not hasattr(request, "session"):
        return
    capped = services.cart_merge_on_login(session=request.session, user=user)
    if capped:
        details = " ".join(change.message for change in capped)
        messages.warning(request, f"Your cart was merged, with changes: {details}", fail_silently=True)


def forget_cart_badge(sender: type, *, instance: Cart | CartLine, **kwargs: object) -> None:
    """A cart or cart line saved or deleted anywhere (a service, the admin, a deleted size's cascade)
    makes its owner's kept cart badge stale (revetir.shopper_cache)."""
    if isinstance(instance, CartLine):
        services.forget_cart_badge(cart_id=instance.cart_id)
    else:
        forget_shopper_values(instance.user_id)
