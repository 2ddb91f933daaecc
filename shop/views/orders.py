"""The shopper's order history, order pages and cancellation (owner only: others get 404)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shop import emails, selectors, services
from shop.models import Order
from shop.payments import payment_provider_for
from shop.services import payments


def own_order_or_404(request: HttpRequest, number: str) -> Order:
    """The signed-in shopper's order `number`; 404 for anyone else's or a missing one."""
    order = selectors.order_for_user(user=request.user, number=number)
    if order is None:
        raise Http404("No such order.")
    return order


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.orders_for_user(user=request.user), settings.SHOP_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "shop/order_list.html", {"page": page, "orders": page.object_list})


@login_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    # An order awaiting card payment is brought up to date with Stripe first (paid, or its hold expired).
    order = payments.payment_sync(order=own_order_or_404(request, number))
    return render(
        request,
        "shop/order_detail.html",
        {
            "order": order,
            "country_name": order.country.name,
            "payment": payment_provider_for(order.payment_method),
            "can_cancel": order.status in services.CUSTOMER_CANCELLABLE_STATUSES,
            "refunds": list(order.refunds.all()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """GET asks "Cancel this order?" (works without JavaScript); POST cancels."""
    order = own_order_or_404(request, number)
    if request.method == "GET":
        if order.status not in services.CUSTOMER_CANCELLABLE_STATUSES:
            messages.error(request, f"Order {order.number} can no longer be cancelled online.")
            return redirect(order)
        return render(request, "shop/order_confirm_cancel.html", {"order": order})
    try:
        services.order_cancel_by_customer(order=order, user=request.user, site_url=emails.site_url_for(request))
    except services.InvalidOrderTransition as error:
        messages.error(request, " ".join(error.messages))
    else:
        order.refresh_from_db()
        refunded = (
            f" {order.amount_refunded} {order.currency} is refunded to your card." if order.amount_refunded else ""
        )
        messages.success(request, f"Order {order.number} is cancelled.{refunded}")
    return redirect(order)
