"""Staff admin for the catalogue, stock, orders, shipping methods and vouchers.

Stock edits write only the changed columns (never a stale copy of the whole row); a stock count
typed by staff is a compare-and-set against the count their page showed (carried in a hidden
input beside the box), so a sale made while the page was open is never undone: the edit is
refused with the count as it is now. The stock CSV import is checked as a whole first (see
`shop.stock_csv`), and an order's status moves only through
`shop.services.order_change_status`, so staff cannot make a transition the shop does not allow.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from shop import tryon_hooks
from shop.catalogue_cache import invalidate_catalogue
from shop.models import (
    ORDER_TRANSITIONS,
    Category,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    ShippingMethod,
    SizeChartRow,
    Variant,
    Voucher,
    VoucherUse,
)
from shop.report_charts import daily_revenue_chart, funnel_chart
from shop.reports import sales_report
from shop.services import InvalidOrderTransition, order_change_status, order_set_tracking_number
from shop.stock import StockChangedMeanwhile, set_stock_if_unchanged
from shop.stock_csv import StockImportRejected, stock_export_csv, stock_import_csv

# What staff read under each product image, and under a garment the mask check keeps from shoppers.
PRODUCT_IMAGE_HELP = (
    "The primary picture is what try-on fits: the garment alone, front view, on a plain light background, "
    "or best, a cut-out (PNG or WebP with a transparent background), whose outline is used as it is."
)
GARMENT_NOT_OFFERED_TO_STAFF = (
    "Shoppers cannot try this garment on until the picture is replaced with one that passes the check."
)
# Larger files are refused before parsing; a full catalogue's stock sheet is far smaller.
STOCK_CSV_MAX_BYTES = 5 * 1024 * 1024


STOCK_SEEN_SUFFIX = "_seen"


class StockSeenInput(forms.NumberInput):
    """The stock box plus a hidden input holding the count the page showed when it was opened."""

    def __init__(self, *args, seen: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen = seen

    def render(self, name, value, attrs=None, renderer=None) -> str:
        box = super().render(name, value, attrs, renderer)
        if self.seen is None:
            return box
        return box + format_html('<input type="hidden" name="{}" value="{}">', name + STOCK_SEEN_SUFFIX, self.seen)


class VariantStockForm(forms.ModelForm):
    """A variant's admin form (change page, changelist row, product inline) whose stock edit is
    checked against the count the staff member saw."""

    class Meta:
        model = Variant
        fields = ("product", "size", "sku", "stock")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stock_seen: int | None = None
        if "stock" in self.fields and self.instance.pk:
            # A refused form is shown again with today's count as the one seen.
            self.fields["stock"].widget = StockSeenInput(
                attrs=self.fields["stock"].widget.attrs, seen=self.instance.stock
            )

    def _seen_in_data(self) -> int | None:
        raw = self.data.get(self.add_prefix("stock") + STOCK_SEEN_SUFFIX, "")
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.instance.pk or cleaned.get("stock") is None:
            return cleaned
        seen = self._seen_in_data()
        current = self.instance.stock  # read when the form was posted
        if seen is None:
            self.add_error("stock", f"Reload the page before changing the stock (it is now {current}).")
        elif cleaned["stock"] != seen and current != seen:
            message = str(StockChangedMeanwhile(variant_id=self.instance.pk, current=current))
            self.add_error("stock", message[0].upper() + message[1:] + ". Enter the count again if it still holds.")
        self.stock_seen = seen
        return cleaned


def save_variant_edit(form: VariantStockForm) -> None:
    """Write the fields staff changed; the stock only if they changed it, by compare-and-set.

    Raises `StockChangedMeanwhile` when a sale landed between the form's check and this write.
    """
    variant = form.instance
    concrete = {field.name for field in Variant._meta.concrete_fields}
    columns = [name for name in form.changed_data if name in concrete and name != "stock"]
    if columns:
        Variant.objects.filter(pk=variant.pk).update(**{name: getattr(variant, name) for name in columns})
        invalidate_catalogue()  # an UPDATE sends no signal
    typed = form.cleaned_data.get("stock")
    if form.stock_seen is not None and typed is not None and typed != form.stock_seen:
        set_stock_if_unchanged(variant_id=variant.pk, expected=form.stock_seen, new=typed)


class LowStockListFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock_level"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("low", f"Low stock (≤ {settings.SHOP_LOW_STOCK_THRESHOLD})")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "low":
            return queryset
        threshold = settings.SHOP_LOW_STOCK_THRESHOLD
        if queryset.model is Variant:
            return queryset.filter(stock__lte=threshold)
        low_products = Variant.objects.filter(stock__lte=threshold).values("product_id")
        return queryset.filter(pk__in=low_products)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "position")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("parent__name", "position", "name")


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantStockForm
    extra = 0
    fields = ("size", "sku", "stock")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    formfield_overrides = {models.ImageField: {"help_text": PRODUCT_IMAGE_HELP}}
    fields = ("image", "alt_text", "is_primary", "position", "garment_check")
    readonly_fields = ("garment_check",)
    verbose_name_plural = "gallery (the primary picture is the garment on white, used by try-on)"

    @admin.display(description="Garment mask")
    def garment_check(self, image: ProductImage) -> str:
        """The cloth mask try-on found, drawn over the image, and what looks wrong about it, so a bad
        product photo is caught before a shopper tries it on."""
        if image.pk is None or not image.image:
            return "Checked once the image is saved."
        check = tryon_hooks.garment_check(product_image=image)
        if check is None:
            return "Try-on is not installed."
        if not check.prepared:
            return "Not checked yet: the try-on worker is preparing this image; reload the page in a moment."
        picture = (
            format_html('<img src="{}" alt="Garment mask of {}" class="garment-mask">', check.overlay_uri, image)
            if check.overlay_uri
            else ""
        )
        if not check.warnings:
            return format_html('{}<p class="garment-mask-ok">The mask looks right.</p>', picture)
        items = format_html_join("", '<li class="garment-mask-warning">{}</li>', ((text,) for text in check.warnings))
        if not check.refused:
            return format_html("{}<ul>{}</ul>", picture, items)
        return format_html(
            '{}<ul>{}</ul><p class="garment-mask-refused">{}</p>', picture, items, GARMENT_NOT_OFFERED_TO_STAFF
        )


class SizeChartRowInline(admin.TabularInline):
    model = SizeChartRow
    extra = 0
    fields = SizeChartRow.CHART_FIELDS
    verbose_name_plural = "size chart (body measurements each size is cut for, cm; used by the size finder)"


PRODUCT_THUMBNAIL_SIZE = (48, 64)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "name", "category", "price", "total_stock", "garment_type", "is_active", "created_at")
    list_display_links = ("thumbnail", "name")
    list_filter = ("category", "is_active", "garment_type", LowStockListFilter)
    list_select_related = ("category", "category__parent")
    search_fields = ("name", "description", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (VariantInline, ProductImageInline, SizeChartRowInline)
    actions = ("activate_products", "deactivate_products")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        """Total stock and the primary picture's file name come with each row (one query for the page)."""
        primary_image = ProductImage.objects.filter(product=OuterRef("pk"), is_primary=True).values("image")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(total_stock_units=Sum("variants__stock"), primary_image_name=Subquery(primary_image))
        )

    @admin.display(description="picture")
    def thumbnail(self, product: Product) -> str:
        if not product.primary_image_name:
            return "—"
        width, height = PRODUCT_THUMBNAIL_SIZE
        url = ProductImage._meta.get_field("image").storage.url(product.primary_image_name)
        # The first column is the link to the change page, so the picture's alt text is that link's name.
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}" class="admin-thumbnail">', url, width, height, product.name
        )

    @admin.display(description="total stock", ordering="total_stock_units")
    def total_stock(self, product: Product) -> int:
        return product.total_stock_units or 0

    @admin.action(description="Activate selected products (show them in the shop)")
    def activate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = queryset.update(is_active=True, updated_at=timezone.now())
        invalidate_catalogue()  # a bulk UPDATE sends no signal
        self.message_user(request, f"{count} product(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products (hide them from the shop)")
    def deactivate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = queryset.update(is_active=False, updated_at=timezone.now())
        invalidate_catalogue()  # a bulk UPDATE sends no signal
        self.message_user(request, f"{count} product(s) deactivated.", messages.SUCCESS)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset, change: bool) -> None:
        if formset.model is not Variant:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for variant in formset.deleted_objects:
            variant.delete()
        for variant in formset.new_objects:
            variant.save()
        for variant_form in formset.initial_forms:
            if variant_form in formset.deleted_forms or not variant_form.has_changed():
                continue
            try:
                save_variant_edit(variant_form)
            except StockChangedMeanwhile as refusal:
                self.message_user(
                    request, f"{variant_form.instance.sku}: {refusal}; its stock was not changed.", messages.ERROR
                )


class StockImportForm(forms.Form):
    file = forms.FileField(
        label="Stock CSV file",
        help_text="UTF-8 CSV with a header row including the columns sku and stock (an export works as-is).",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > STOCK_CSV_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size} bytes; the limit is {STOCK_CSV_MAX_BYTES} bytes. Split it and retry."
            )
        return upload


class VariantStockCellForm(VariantStockForm):
    """One row's stock box in the stock list. Django gives list_editable boxes no label, so a screen
    reader would announce a bare number box; the label names the SKU (WCAG 1.3.1, 4.1.2)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stock"].widget.attrs["aria-label"] = f"Stock of {self.instance.sku}"


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ("sku", "product", "size", "stock")
    list_editable = ("stock",)
    list_filter = (LowStockListFilter, "size", "product__category")
    list_select_related = ("product",)
    search_fields = ("sku", "product__name")
    autocomplete_fields = ("product",)
    ordering = ("product__name", "sku")
    change_list_template = "admin/shop/variant/change_list.html"
    form = VariantStockForm

    def get_changelist_form(self, request: HttpRequest, **kwargs) -> type[forms.ModelForm]:
        return super().get_changelist_form(request, form=VariantStockCellForm, **kwargs)

    def save_model(self, request: HttpRequest, obj: Variant, form: VariantStockForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        try:
            save_variant_edit(form)
        except StockChangedMeanwhile as refusal:
            self.message_user(request, f"{obj.sku}: {refusal}; its stock was not changed.", messages.ERROR)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_import_stock": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("stock/export/", self.admin_site.admin_view(self.stock_export_view), name="shop_variant_export"),
            path("stock/import/", self.admin_site.admin_view(self.stock_import_view), name="shop_variant_import"),
            *super().get_urls(),
        ]

    def stock_export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        buffer = io.StringIO()
        stock_export_csv(out=buffer)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"revetir-stock-{timezone.now():%Y%m%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def stock_import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = StockImportForm(request.POST or None, request.FILES or None)
        row_errors = []
        if request.method == "POST" and form.is_valid():
            try:
                summary = stock_import_csv(data=form.cleaned_data["file"].read())
            except StockImportRejected as rejection:
                row_errors = rejection.errors
                self.message_user(request, f"{rejection} Fix the rows below and upload again.", messages.ERROR)
            else:
                self.message_user(request, str(summary), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:shop_variant_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import stock from CSV",
            "form": form,
            "row_errors": row_errors,
        }
        return TemplateResponse(request, "admin/shop/variant/stock_import.html", context)


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
class OrderAdmin(admin.ModelAdmin):
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
        "stock_released",
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
        ("Delivery", {"fields": ("shipping_method_name", "tracking_number")}),
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
                    "stock_released",
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
            changed = order_change_status(order=stored, new_status=obj.status, tracking_number=obj.tracking_number)
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
                order_change_status(order=order, new_status=new_status)
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


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "free_over", "delivery_days_min", "delivery_days_max", "active", "position")
    list_editable = ("price", "free_over", "active", "position")
    list_filter = ("active",)
    search_fields = ("name",)


class VoucherUseInline(admin.TabularInline):
    model = VoucherUse
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("user", "order", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        return False


class VoucherAdminForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = (
            "code",
            "kind",
            "value",
            "minimum_subtotal",
            "valid_from",
            "valid_until",
            "usage_limit",
            "per_customer_limit",
            "active",
        )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if Voucher.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"There is already a voucher {code}.")
        return code


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """Staff create and limit vouchers; `uses` is counted by checkout only (read-only here)."""

    form = VoucherAdminForm
    list_display = ("code", "kind", "value", "minimum_subtotal", "valid_from", "valid_until", "uses_display", "active")
    list_filter = ("active", "kind")
    search_fields = ("code",)
    readonly_fields = ("uses", "created_at")
    inlines = (VoucherUseInline,)

    @admin.display(description="uses")
    def uses_display(self, voucher: Voucher) -> str:
        if voucher.usage_limit is None:
            return f"{voucher.uses} (no limit)"
        return f"{voucher.uses} of {voucher.usage_limit}"

    def save_model(self, request: HttpRequest, obj: Voucher, form: forms.ModelForm, change: bool) -> None:
        """Write only the columns staff edit, so saving never overwrites `uses` counted meanwhile."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        columns = [name for name in form.changed_data if name in form.Meta.fields]
        if columns:
            Voucher.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in columns})
