"""Checkout in three steps: address and delivery, review (with a voucher), place order; then the
confirmation page.

The address (a saved one or a new one, which may be saved to the address book), the delivery
method and the voucher code are kept in the session between steps. Placing the order is one
service call; if a size ran out meanwhile the shopper is sent back to the cart with a message
naming it, and the cart is left as it was.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from accounts import selectors as account_selectors
from accounts import services as account_services
from shop import emails, selectors, services
from shop.forms import NEW_ADDRESS, CheckoutAddressForm, PlaceOrderForm, VoucherForm
from shop.models import Order, OrderStatus, ShippingMethod, Voucher
from shop.payments import available_payment_providers, payment_provider_for
from shop.pricing import order_totals
from shop.stock import OutOfStock
from shop.vouchers import VoucherError, voucher_check

SESSION_ADDRESS_KEY = "shop_checkout_address"
SESSION_ADDRESS_ID_KEY = "shop_checkout_address_id"
SESSION_SHIPPING_KEY = "shop_checkout_shipping_method"
SESSION_VOUCHER_KEY = "shop_checkout_voucher"
CHECKOUT_SESSION_KEYS = (SESSION_ADDRESS_KEY, SESSION_ADDRESS_ID_KEY, SESSION_SHIPPING_KEY, SESSION_VOUCHER_KEY)


def _cart_summary_or_none(request: HttpRequest) -> selectors.CartSummary | None:
    summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
    if summary.is_empty:
        messages.info(request, "Your cart is empty: add something before checking out.")
        return None
    return summary


def _address_form_initial(request: HttpRequest) -> dict:
    """What the address step shows: the shopper's choice so far, else the address used last."""
    initial = dict(request.session.get(SESSION_ADDRESS_KEY) or {"full_name": request.user.full_name})
    if saved_id := request.session.get(SESSION_ADDRESS_ID_KEY):
        initial["saved_address"] = saved_id
    elif request.session.get(SESSION_ADDRESS_KEY):
        initial["saved_address"] = NEW_ADDRESS
    elif (preselected := account_selectors.address_to_preselect(user=request.user)) is not None:
        initial["saved_address"] = str(preselected.pk)
    else:
        initial["saved_address"] = NEW_ADDRESS
    if shipping_id := request.session.get(SESSION_SHIPPING_KEY):
        initial["shipping_method"] = shipping_id
    else:
        initial["shipping_method"] = selectors.shipping_methods_active().first()
    return initial


def _remember_address_choice(request: HttpRequest, form: CheckoutAddressForm) -> None:
    saved = form.chosen_address()
    if saved is None:
        address = {name: form.cleaned_data[name] for name in form.ADDRESS_FIELD_NAMES}
        if form.cleaned_data.get("save_address"):
            saved = account_services.address_create(user=request.user, data=address)
            messages.success(request, "The address was saved to your address book.")
    else:
        address = saved.as_shipping()
    request.session[SESSION_ADDRESS_KEY] = address
    if saved is None:
        request.session.pop(SESSION_ADDRESS_ID_KEY, None)
    else:
        request.session[SESSION_ADDRESS_ID_KEY] = str(saved.pk)
    method = form.cleaned_data.get("shipping_method")
    if method is None:
        request.session.pop(SESSION_SHIPPING_KEY, None)
    else:
        request.session[SESSION_SHIPPING_KEY] = str(method.pk)


@login_required
@require_http_methods(["GET", "POST"])
def checkout_address(request: HttpRequest) -> HttpResponse:
    summary = _cart_summary_or_none(request)
    if summary is None:
        return redirect("shop:cart")
    form = CheckoutAddressForm(
        request.POST if request.method == "POST" else None,
        initial=_address_form_initial(request),
        addresses=account_selectors.addresses_for_user(user=request.user),
        shipping_methods=selectors.shipping_methods_active(),
        goods_total=summary.subtotal,
    )
    if request.method == "POST" and form.is_valid():
        _remember_address_choice(request, form)
        return redirect("shop:checkout_review")
    return render(request, "shop/checkout_address.html", {"form": form, "summary": summary})


def _checkout_voucher(request: HttpRequest, subtotal: Decimal) -> Voucher | None:
    """The voucher kept for this checkout if it still applies; one that stopped applying is dropped
    with the reason shown."""
    code = request.session.get(SESSION_VOUCHER_KEY)
    if not code:
        return None
    try:
        return voucher_check(code=code, user=request.user, subtotal=subtotal)
    except VoucherError as error:
        request.session.pop(SESSION_VOUCHER_KEY, None)
        messages.warning(request, f"{' '.join(error.messages)} It was removed from your order.")
        return None


def _checkout_shipping_method(request: HttpRequest) -> ShippingMethod | None:
    method_id = request.session.get(SESSION_SHIPPING_KEY)
    return selectors.shipping_method_active(method_id=method_id) if method_id else None


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
    shipping_method = _checkout_shipping_method(request)
    if shipping_method is None and selectors.shipping_methods_active().exists():
        messages.info(request, "Choose how your order should be delivered.")
        return redirect("shop:checkout_address")
    voucher = _checkout_voucher(request, summary.subtotal)
    return render(
        request,
        "shop/checkout_review.html",
        {
            "summary": summary,
            "address": address,
            "country_name": countries.name(address.get("country", "")),
            "form": PlaceOrderForm(initial={"idempotency_key": services.new_checkout_key()}),
            "voucher_form": VoucherForm(),
            "voucher": voucher,
            "shipping_method": shipping_method,
            "totals": order_totals(subtotal=summary.subtotal, shipping_method=shipping_method, voucher=voucher),
            "payment_providers": available_payment_providers(),  # each choice's instructions, by method
        },
    )


@login_required
@require_POST
def checkout_voucher(request: HttpRequest) -> HttpResponseRedirect:
    """Apply the posted voucher code to this checkout, or remove it (`remove` in the form)."""
    if "remove" in request.POST:
        request.session.pop(SESSION_VOUCHER_KEY, None)
        messages.info(request, "The voucher was removed.")
        return redirect("shop:checkout_review")
    form = VoucherForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a voucher code.")
        return redirect("shop:checkout_review")
    summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
    try:
        voucher = voucher_check(code=form.cleaned_data["code"], user=request.user, subtotal=summary.subtotal)
    except VoucherError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("shop:checkout_review")
    request.session[SESSION_VOUCHER_KEY] = voucher.code
    messages.success(request, f"Voucher {voucher.code} applied: {voucher.describe}.")
    return redirect("shop:checkout_review")


@login_required
@require_POST
def checkout_place(request: HttpRequest) -> HttpResponseRedirect:
    earlier = services.order_for_idempotency_key(user=request.user, key=request.POST.get("idempotency_key"))
    if earlier is not None:
        return _to_order_next_step(earlier)
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
    saved_id = request.session.get(SESSION_ADDRESS_ID_KEY)
    try:
        order = services.place_order(
            user=request.user,
            cart=cart,
            address=address,
            payment_method=form.cleaned_data["payment_method"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            shipping_method_id=request.session.get(SESSION_SHIPPING_KEY),
            voucher_code=request.session.get(SESSION_VOUCHER_KEY) or "",
            saved_address=account_selectors.address_for_user(user=request.user, address_id=saved_id)
            if saved_id
            else None,
            site_url=emails.site_url_for(request),
        )
    except OutOfStock as error:
        messages.error(request, f"{error} Your order was not placed; please change your cart and try again.")
        return redirect("shop:cart")
    except VoucherError as error:
        request.session.pop(SESSION_VOUCHER_KEY, None)
        messages.error(request, f"{' '.join(error.messages)} Your order was not placed; the voucher was removed.")
        return redirect("shop:checkout_review")
    except services.CheckoutError as error:
        messages.error(request, " ".join(error.messages))
        if error.code == "shipping_method":
            return redirect("shop:checkout_address")
        if error.code == "payment":  # the card payment could not start: the cart is intact, pick again
            return redirect("shop:checkout_review")
        return redirect("shop:cart")
    for key in CHECKOUT_SESSION_KEYS:
        request.session.pop(key, None)
    return _to_order_next_step(order)


def _to_order_next_step(order: Order) -> HttpResponseRedirect:
    """A card order goes on to its payment page; any other to the confirmation."""
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return redirect("shop:checkout_pay", number=order.number)
    return redirect("shop:checkout_complete", number=order.number)


@login_required
@require_GET
def checkout_complete(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_for_user(user=request.user, number=number)
    if order is None:
        raise Http404("No such order.")
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return redirect("shop:checkout_pay", number=order.number)
    return render(
        request,
        "shop/checkout_complete.html",
        {"order": order, "payment": payment_provider_for(order.payment_method)},
    )
