"""Staff admin for shipping methods: prices, free-shipping thresholds and delivery times."""

from __future__ import annotations

from django.contrib import admin

from shop.models import ShippingMethod


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "free_over", "delivery_days_min", "delivery_days_max", "active", "position")
    list_editable = ("price", "free_over", "active", "position")
    list_filter = ("active",)
    search_fields = ("name",)
