"""Staff admin for the e-mail based user model.

Deleting users here goes through `accounts.services.delete_account`, so their orders are anonymised
and other apps' personal data is removed exactly as when shoppers delete their own account: open
orders are cancelled, and a user with an order on its way is listed as protected (not deletable).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.forms import StaffUserChangeForm, StaffUserCreationForm
from accounts.models import Address, User
from accounts.services import AccountDeletionRefused, delete_account
from shop.selectors import orders_in_transit

# Django REST framework names its app "Auth Token"; staff read what the tokens are for. The entry in
# INSTALLED_APPS must stay "rest_framework.authtoken" (its admin's model depends on that string), so
# the name is set on the installed app rather than through an app config of our own.
API_TOKENS_SECTION = "App sign-in tokens"
apps.get_app_config("authtoken").verbose_name = API_TOKENS_SECTION


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")},
        ),
    )
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Django's confirmation page refuses the deletion while anything is listed as protected."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            protected.extend(
                f"{order} of {user.email}: shipped, not yet delivered (delete the account once it is delivered)"
                for order in orders_in_transit(user=user)
            )
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        self._delete_account(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            self._delete_account(request, user)

    def _delete_account(self, request: HttpRequest, user: User) -> None:
        try:
            delete_account(user=user)
        except AccountDeletionRefused as refusal:
            self.message_user(request, f"{user.email} was not deleted: {' '.join(refusal.messages)}", messages.ERROR)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Read-only for staff: shoppers keep their own address books."""

    list_display = ("full_name", "user", "city", "country", "is_default", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("full_name", "user__email", "city", "postal_code")
    readonly_fields = ("user", "last_used_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
