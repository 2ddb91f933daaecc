"""Paying a card order: the payment page (Stripe's card form) and the return from paying
(Stripe's webhook is `shop.api.payments`). The owner only sees their order (others get 404);
amounts come from the order, never from the browser, and whether it is paid is always asked of Stripe.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shop import card_payments
from shop.models import Order, OrderStatus
from shop.services import payments
from shop.views.orders import own_order_or_404


def _after_payment(request: HttpRequest, order: Order) -> HttpResponseRedirect:
    """Where a settled order sends the shopper, with a plain message when it was not paid."""
    if order.status == OrderStatus.PAID:
        return redirect("shop:checkout_complete", number=order.number)
    if order.status == OrderStatus.CANCELLED and order.payment_problem:
        messages.error(request, f"Order {order.number} is cancelled. {order.payment_problem}")
    return redirect(order)


@login_required
@require_GET
def checkout_pay(request: HttpRequest, number: str) -> HttpResponse:
    order = payments.payment_sync(order=own_order_or_404(request, number))
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return _after_payment(request, order)
    try:
        client_secret = payments.payment_client_secret(order=order)
    except card_payments.CardPaymentProblem as error:
        messages.error(request, f"The card form cannot be shown right now: {error}")
        return redirect(order)
    return render(
        request,
        "shop/checkout_pay.html",
        {
            "order": order,
            "client_secret": client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "hold_minutes": settings.SHOP_PAYMENT_HOLD_MINUTES,
        },
    )


@login_required
@require_POST
def checkout_pay_confirm(request: HttpRequest, number: str) -> JsonResponse:
    """Confirm with a payment method the page made (Stripe.js builds without the Payment Element)."""
    order = own_order_or_404(request, number)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"status": 400, "message": "The request body must be JSON."}, status=400)
    payment_method = body.get("payment_method") if isinstance(body, dict) else None
    try:
        intent = payments.payment_confirm_with_method(order=order, payment_method=str(payment_method or ""))
    except payments.PaymentError as error:
        return JsonResponse({"status": 400, "message": str(error)}, status=400)
    return JsonResponse({"status": intent.status, "return_url": reverse("shop:checkout_pay_return", args=[number])})


@login_required
@require_GET
def checkout_pay_return(request: HttpRequest, number: str) -> HttpResponse:
    """Stripe sends the shopper here after paying (its query string is not trusted: the intent
    is read from Stripe)."""
    order = payments.payment_sync(order=own_order_or_404(request, number))
    if order.status == OrderStatus.AWAITING_PAYMENT:
        messages.info(request, "Your payment is not confirmed yet. If you have paid, this page will say so shortly.")
        return redirect("shop:checkout_pay", number=order.number)
    return _after_payment(request, order)
