"""Checkout in three steps: shipping address, review, place order; then the confirmation page.

The address is kept in the session between steps. Placing the order is one service call; if a
size ran out meanwhile the shopper is sent back to the cart with a message naming it, and the
cart is left as it was.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop import selectors, services
from shop.countries import COUNTRIES
from shop.forms import PlaceOrderForm, ShippingAddressForm
from shop.payments import payment_provider_for
from shop.stock import OutOfStock

SESSION_ADDRESS_KEY = "shop_checkout_address"


def _cart_summary_or_none(request: HttpRequest) -> selectors.CartSummary | None:
    summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
    if summary.is_empty:
        messages.info(request, "Your cart is empty: add something before checking out.")
        return None
    return summary


@login_required
@require_http_methods(["GET", "POST"])
def checkout_address(request: HttpRequest) -> HttpResponse:
    summary = _cart_summary_or_none(request)
    if summary is None:
        return redirect("shop:cart")
    if request.method == "POST":
        form = ShippingAddressForm(request.POST)
        if form.is_valid():
            request.session[SESSION_ADDRESS_KEY] = form.cleaned_data
            return redirect("shop:checkout_review")
    else:
        form = ShippingAddressForm(
            initial=request.session.get(SESSION_ADDRESS_KEY) or {"full_name": request.user.full_name}
        )
    return render(request, "shop/checkout_address.html", {"form": form, "summary": summary})


@login_required
@require_GET
def checkout_review(request: HttpRequest) -> HttpResponse:
    summary = _cart_summary_or_none(request)
    if summary is None:
        return redirect("shop:cart")
    address = request.session.get(SESSION_ADDRESS_KEY)
    if not address:
        messages.info(request, "Where should we send your order?")
        return redirect("shop:checkout_address")
    return render(
        request,
        "shop/checkout_review.html",
        {
            "summary": summary,
            "address": address,
            "country_name": COUNTRIES.get(address.get("country", ""), address.get("country", "")),
            "form": PlaceOrderForm(initial={"idempotency_key": services.new_checkout_key()}),
        },
    )


@login_required
@require_POST
def checkout_place(request: HttpRequest) -> HttpResponseRedirect:
    earlier = services.order_for_idempotency_key(user=request.user, key=request.POST.get("idempotency_key"))
    if earlier is not None:
        return redirect("shop:checkout_complete", number=earlier.number)
    address = request.session.get(SESSION_ADDRESS_KEY)
    if not address:
        messages.info(request, "Where should we send your order?")
        return redirect("shop:checkout_address")
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you will pay.")
        return redirect("shop:checkout_review")
    cart = selectors.cart_for_request(request=request)
    if cart is None:
        messages.info(request, "Your cart is empty: add something before checking out.")
        return redirect("shop:cart")
    try:
        order = services.place_order(
            user=request.user,
            cart=cart,
            address=address,
            payment_method=form.cleaned_data["payment_method"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except OutOfStock as error:
        messages.error(request, f"{error} Your order was not placed; please change your cart and try again.")
        return redirect("shop:cart")
    except services.CheckoutError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("shop:cart")
    request.session.pop(SESSION_ADDRESS_KEY, None)
    return redirect("shop:checkout_complete", number=order.number)


@login_required
@require_GET
def checkout_complete(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_for_user(user=request.user, number=number)
    if order is None:
        raise Http404("No such order.")
    return render(
        request,
        "shop/checkout_complete.html",
        {"order": order, "payment": payment_provider_for(order.payment_method)},
    )
