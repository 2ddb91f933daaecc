"""Staff admin for orders: status changes, tracking numbers and the sales and try-on report.

An order's status moves only through `shop.services.order_change_status`, so staff cannot make a
transition the shop does not allow.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from shop.admin.payments import OrderPaymentsAdmin
from shop.emails import site_url_for
from shop.models import ORDER_TRANSITIONS, Order, OrderLine, OrderStatus
from shop.report_charts import daily_revenue_chart, funnel_chart
from shop.reports import sales_report
from shop.services import InvalidOrderTransition, order_change_status, order_set_tracking_number


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("product_name", "sku", "size", "unit_price", "quantity", "total")
    readonly_fields = fields

    @admin.display(description="line total")
    def total(self, line: OrderLine) -> str:
        # The admin also renders an empty template row, which has no price or quantity.
        return str(line.line_total) if line.pk else ""

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class OrderStatusForm(forms.ModelForm):
    """Offers only the order's current status and the moves ORDER_TRANSITIONS allows from it, and
    asks for the courier's tracking number when the order is marked shipped."""

    class Meta:
        model = Order
        fields = ("status", "tracking_number")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = self.initial.get("status", OrderStatus.PLACED)
        allowed = {current, *ORDER_TRANSITIONS[current]}
        self.fields["status"].choices = [(value, label) for value, label in OrderStatus.choices if value in allowed]
        if not ORDER_TRANSITIONS[current]:
            self.fields["status"].help_text = "This order is final; its status cannot change."

    def clean(self) -> dict:
        cleaned = super().clean()
        tracking = (cleaned.get("tracking_number") or "").strip()
        cleaned["tracking_number"] = tracking
        if cleaned.get("status") == OrderStatus.SHIPPED and not tracking:
            self.add_error("tracking_number", "Enter the courier's tracking number to mark the order shipped.")
        return cleaned


@admin.register(Order)
class OrderAdmin(OrderPaymentsAdmin, admin.ModelAdmin):
    form = OrderStatusForm
    # The order page on the site is the owner's only (404 for staff), so no "View on site" link.
    view_on_site = False
    list_display = ("number", "customer_email", "status", "total", "currency", "tracking_number", "created_at")
    list_filter = ("status", "created_at")
    list_select_related = ("user",)
    search_fields = ("number", "email", "user__email", "tracking_number", "voucher_code")
    date_hierarchy = "created_at"
    inlines = (OrderLineInline,)
    actions = ("mark_processing", "mark_shipped", "mark_delivered", "mark_cancelled")
    readonly_fields = (
        "number",
        "user",
        "email",
        "full_name",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "country",
        "phone",
        "payment_method",
        "currency",
        "subtotal",
        "voucher_code",
        "discount",
        "shipping_method_name",
        "shipping_price",
        "total",
        "stock_state",
        "confirmation_sent_at",
        "shipped_email_sent_at",
        "cancelled_email_sent_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("number", "status", "user", "email", "created_at", "updated_at")}),
        (
            "Shipping",
            {"fields": ("full_name", "address_line1", "address_line2", "city", "postal_code", "country", "phone")},
        ),
        ("Delivery", {"fields": ("shipping_method_name", "tracking_number", "stock_state")}),
        (
            "Payment",
            {
                "fields": (
                    "payment_method",
                    "currency",
                    "subtotal",
                    "voucher_code",
                    "discount",
                    "shipping_price",
                    "total",
                )
            },
        ),
        (
            "E-mails to the shopper",
            {"fields": ("confirmation_sent_at", "shipped_email_sent_at", "cancelled_email_sent_at")},
        ),
    )

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="shop_order_report"), *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """Orders and revenue per day, best sellers and the try-on funnel over the last 30 days."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = sales_report()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Sales and try-on report, {report.start:%d %b} – {report.end:%d %b %Y}",
            "report": report,
            "currency": settings.SHOP_CURRENCY,
            "daily_chart": daily_revenue_chart(report.days, currency=settings.SHOP_CURRENCY),
            "funnel_chart": funnel_chart(report.funnel_totals),
        }
        return TemplateResponse(request, "admin/shop/report.html", context)

    @admin.display(description="stock")
    def stock_state(self, order: Order) -> str:
        """Where the order's units are, in words: a bare ✗ beside "stock released" read as a fault on
        every order that was never cancelled."""
        if order.stock_released:
            return "Returned to stock when the order was cancelled"
        return "Taken from stock for this order"

    @admin.display(description="customer e-mail", ordering="email")
    def customer_email(self, order: Order) -> str:
        return order.user.email if order.user_id else order.email

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Order, form: forms.ModelForm, change: bool) -> None:
        stored = Order.objects.get(pk=obj.pk)
        if "status" not in form.changed_data:
            if "tracking_number" in form.changed_data:
                order_set_tracking_number(order=stored, tracking_number=obj.tracking_number)
            return
        try:
            changed = order_change_status(
                order=stored,
                new_status=obj.status,
                tracking_number=obj.tracking_number,
                site_url=site_url_for(request),
            )
        except InvalidOrderTransition as error:
            obj.status = stored.status
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        obj.status = changed.status
        if "tracking_number" in form.changed_data and changed.tracking_number != obj.tracking_number:
            order_set_tracking_number(order=changed, tracking_number=obj.tracking_number)

    def _move_orders(self, request: HttpRequest, queryset: QuerySet[Order], new_status: str) -> None:
        moved: list[str] = []
        refused: list[str] = []
        for order in queryset:
            try:
                order_change_status(order=order, new_status=new_status, site_url=site_url_for(request))
            except InvalidOrderTransition as error:
                refused.append(" ".join(error.messages))
            else:
                moved.append(order.number)
        label = OrderStatus(new_status).label.lower()
        if moved:
            self.message_user(request, f"{len(moved)} order(s) marked {label}: {', '.join(moved)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{len(refused)} order(s) not changed. {' '.join(refused)}", messages.WARNING)

    @admin.action(description="Mark selected orders processing")
    def mark_processing(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move_orders(request, queryset, OrderStatus.PROCESSING)

    @admin.action(description="Mark selected orders shipped (each needs its tracking number)")
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move_orders(request, queryset, OrderStatus.SHIPPED)

    @admin.action(description="Mark selected orders delivered")
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move_orders(request, queryset, OrderStatus.DELIVERED)

    @admin.action(description="Mark selected orders cancelled (returns their stock)")
    def mark_cancelled(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move_orders(request, queryset, OrderStatus.CANCELLED)
