"""Staff admin for card payments: an order's payment and refunds, a partial refund with a reason,
and Stripe's webhook events as received (read only).

`OrderPaymentsAdmin` is mixed into the order admin (`shop.admin.orders.OrderAdmin`); refunds go
through `shop.services.refunds.refund_order`, so a refund Stripe refuses changes nothing and the
message says why.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from shop.models import Order, OrderRefund, StripeEvent
from shop.services.refunds import RefundError, refund_order, refundable_amount

PAYMENT_FIELDS = ("payment_intent_id", "payment_expires_at", "paid_at", "payment_problem", "amount_refunded", "refund")


class OrderRefundInline(admin.TabularInline):
    model = OrderRefund
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("created_at", "amount", "reason", "created_by", "stripe_refund_id")
    readonly_fields = fields
    verbose_name_plural = "refunds (through Stripe)"

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class PartialRefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=200, help_text="Shown to the shopper on their order page and in the e-mail.")


class OrderPaymentsAdmin:
    """Mixin for the order admin: the card payment fieldset, the refunds inline and the refund page."""

    def get_inlines(self, request: HttpRequest, obj: Order | None):
        inlines = list(super().get_inlines(request, obj))
        if obj is not None and obj.payment_intent_id:
            inlines.append(OrderRefundInline)
        return inlines

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None):
        return (*super().get_readonly_fields(request, obj), *PAYMENT_FIELDS)

    def get_fieldsets(self, request: HttpRequest, obj: Order | None = None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.payment_intent_id:
            fieldsets.append(("Card payment (Stripe)", {"fields": PAYMENT_FIELDS}))
        return fieldsets

    @admin.display(description="refund")
    def refund(self, order: Order) -> str:
        left = refundable_amount(order)
        if left <= 0:
            return "Nothing left to refund."
        url = reverse("admin:shop_order_refund", args=[order.pk])
        return format_html(
            '<a class="button" href="{}">Refund part of this order…</a> ({} {} left)', url, left, order.currency
        )

    def get_urls(self):
        refund_page = self.admin_site.admin_view(self.refund_view)
        return [path("<path:object_id>/refund/", refund_page, name="shop_order_refund"), *super().get_urls()]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404("No such order.")
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:shop_order_change", args=[order.pk])
        form = PartialRefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                record = refund_order(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    staff_user=request.user,
                    notify=True,
                )
            except RefundError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request, f"Refunded {record.amount} {order.currency} on order {order.number}.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Refund part of order {order.number}",
            "order": order,
            "form": form,
            "refundable": refundable_amount(order),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/shop/order_refund.html", context)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """Webhook events as Stripe sent them and what each did; written only by the webhook."""

    list_display = ("event_id", "event_type", "payment_intent_id", "outcome", "received_at")
    list_filter = ("event_type",)
    search_fields = ("event_id", "payment_intent_id")
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StripeEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StripeEvent | None = None) -> bool:
        return False
