"""Staff admin for stock: the variant list with its stock boxes, and the stock CSV export and import.

Stock edits write only the changed columns (never a stale copy of the whole row); a stock count
typed by staff is a compare-and-set against the count their page showed (carried in a hidden
input beside the box), so a sale made while the page was open is never undone: the edit is
refused with the count as it is now. The product page's size inline uses the same form
(`shop.admin.catalogue`). The stock CSV import is checked as a whole first (see `shop.stock_csv`).
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from shop.catalogue_cache import invalidate_catalogue
from shop.models import Variant
from shop.stock import StockChangedMeanwhile, set_stock_if_unchanged
from shop.stock_csv import StockImportRejected, stock_export_csv, stock_import_csv

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
