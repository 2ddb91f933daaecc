"""Cart pages: show, add (posted by the product page), change quantity, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from shop import selectors, services
from shop.forms import CartAddForm, CartLineQuantityForm
from shop.models import CartLine


def _safe_next_url(request: HttpRequest, fallback: str, *, or_referer: bool = False) -> str:
    """Where to go after a cart action: the posted `next` (or, for errors, the page the shopper
    came from), same site only; else `fallback`."""
    candidates = [request.POST.get("next") or ""]
    if or_referer:
        candidates.append(request.headers.get("referer") or "")
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def _form_error_text(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _report_change(request: HttpRequest, change: services.CartLineChange, *, added: bool) -> None:
    if change.removed_on_request:
        messages.success(request, change.message)
    elif change.quantity == 0 or change.capped:
        messages.warning(request, change.message)
    elif added:
        messages.success(request, f"Added to your cart: {change.description}.")
    else:
        messages.success(request, f"Updated {change.description}: {change.quantity} in your cart.")


def _own_line_or_404(request: HttpRequest, line_id: str) -> CartLine:
    """The line of the shopper's own cart; an id of another cart, or one no line here can have, is 404."""
    line = selectors.cart_line_for_cart(cart=selectors.cart_for_request(request=request), line_id=line_id)
    if line is None:
        raise Http404("No such line in your cart.")
    return line


@require_GET
def cart_detail(request: HttpRequest) -> HttpResponse:
    summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
    rows = [
        (line, CartLineQuantityForm(initial={"quantity": line.quantity}, prefix=f"line-{line.pk}"))
        for line in summary.lines
    ]
    return render(request, "shop/cart.html", {"summary": summary, "rows": rows})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponseRedirect:
    """Add a size to the cart; errors go back to the page the shopper came from."""
    back = _safe_next_url(request, fallback=reverse("shop:cart"))
    back_on_error = _safe_next_url(request, fallback=reverse("shop:cart"), or_referer=True)
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect(back_on_error)
    cart = services.cart_get_or_create(user=request.user, session=request.session)
    try:
        change = services.cart_add_item(
            cart=cart,
            variant_id=form.cleaned_data["variant"],
            quantity=form.cleaned_data["quantity"],
            tryon_job_id=form.cleaned_data["from_tryon"],
        )
    except services.CartError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back_on_error)
    _report_change(request, change, added=True)
    return redirect(back)


@require_POST
def cart_line_update(request: HttpRequest, line_id: str) -> HttpResponseRedirect:
    line = _own_line_or_404(request, line_id)
    form = CartLineQuantityForm(request.POST, prefix=f"line-{line.pk}")
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect("shop:cart")
    try:
        change = services.cart_line_set_quantity(line=line, quantity=form.cleaned_data["quantity"])
    except services.CartError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("shop:cart")
    _report_change(request, change, added=False)
    return redirect("shop:cart")


@require_POST
def cart_line_remove(request: HttpRequest, line_id: str) -> HttpResponseRedirect:
    line = _own_line_or_404(request, line_id)
    description = services.describe_variant(line.variant)
    services.cart_line_remove(line=line)
    messages.success(request, f"Removed from your cart: {description}.")
    return redirect("shop:cart")
