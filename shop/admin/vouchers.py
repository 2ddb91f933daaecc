"""Staff admin for vouchers: codes, limits and the uses checkout counted."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from shop.models import Voucher, VoucherUse


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
