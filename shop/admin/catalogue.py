"""Staff admin for the catalogue: categories, and products with their sizes, gallery and size chart.

A product's sizes are edited with the stock form of `shop.admin.stock`, so a stock count typed on
the product page is checked against the count the page showed, as on the stock list.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from shop import tryon_hooks
from shop.admin.stock import LowStockListFilter, VariantStockForm, save_variant_edit
from shop.models import Category, Product, ProductImage, SizeChartRow, Variant
from shop.stock import StockChangedMeanwhile

# What staff read under each product image, and under a garment the mask check keeps from shoppers.
PRODUCT_IMAGE_HELP = (
    "The primary picture is what try-on fits: the garment alone, front view, on a plain light background, "
    "or best, a cut-out (PNG or WebP with a transparent background), whose outline is used as it is."
)
GARMENT_NOT_OFFERED_TO_STAFF = (
    "Shoppers cannot try this garment on until the picture is replaced with one that passes the check."
)


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
        if not image.is_primary:
            return "Not used by try-on: only the primary picture is fitted on shoppers' photos."
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
        self.message_user(request, f"{count} product(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products (hide them from the shop)")
    def deactivate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = queryset.update(is_active=False, updated_at=timezone.now())
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
