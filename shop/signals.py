"""Signal receivers of the shop; connected in `ShopConfig.ready()`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from shop import services


def merge_cart_on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Bring the anonymous visitor's cart along when they sign in, and say what could not come."""
    if request is None or not hasattr(request, "session"):
        return
    capped = services.cart_merge_on_login(session=request.session, user=user)
    if capped:
        details = " ".join(change.message for change in capped)
        messages.warning(request, f"Your cart was merged, with changes: {details}", fail_silently=True)
