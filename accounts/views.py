"""Account pages: sign-up, profile (details and order history), address book and account deletion.

Log-in, log-out, password change and password reset are Django's own views, configured in urls.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import AccountDeleteForm, AddressForm, BodyProfileForm, ProfileForm, SignupForm
from accounts.models import Address
from shop import selectors as shop_selectors

PROFILE_RECENT_ORDERS = 5  # the full history is on the order list page


def _safe_next_url(request: HttpRequest) -> str:
    """The `next` parameter if it points to this site, else the profile page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next_url(request))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # django.contrib.auth.login fires `user_logged_in`, which merges the anonymous cart.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Revetir, {user.get_short_name()}. Your account is ready.")
            return redirect(_safe_next_url(request))
    return render(request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")})


def _render_profile(request: HttpRequest, *, form: ProfileForm, body_form: BodyProfileForm, status: int = 200):
    recent_orders = shop_selectors.orders_for_user(user=request.user)[:PROFILE_RECENT_ORDERS]
    context = {"form": form, "body_form": body_form, "recent_orders": recent_orders}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(
                user=request.user, email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your details were saved.")
            return redirect("accounts:profile")
    if form.errors:
        # The bound form changed request.user in memory; show the stored values everywhere else.
        request.user.refresh_from_db()
    body_form = BodyProfileForm(instance=selectors.body_profile_for(user=request.user))
    return _render_profile(request, form=form, body_form=body_form)


@login_required
@require_POST
def body_profile(request: HttpRequest) -> HttpResponse:
    """Save the size finder's measurements; on an error the profile page comes back with the
    entered values and the message next to the field."""
    body_form = BodyProfileForm(request.POST, instance=selectors.body_profile_for(user=request.user))
    if body_form.is_valid():
        services.body_profile_save(user=request.user, **body_form.cleaned_data)
        messages.success(request, "Your measurements were saved: product pages now mark the size that fits you.")
        return redirect("accounts:profile")
    return _render_profile(request, form=ProfileForm(instance=request.user), body_form=body_form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_account(user=request.user)
        except services.AccountDeletionRefused as refusal:
            form.add_error(None, refusal)
        else:
            logout(request)
            messages.success(request, "Your account and personal data were deleted.")
            return redirect("shop:product_list")
    context = {
        "form": form,
        "orders_in_transit": shop_selectors.orders_in_transit(user=request.user),
        "orders_to_cancel": shop_selectors.orders_still_open(user=request.user),
    }
    return render(request, "accounts/delete_account.html", context)


# --- Address book ---------------------------------------------------------------------------------


def _own_address_or_404(request: HttpRequest, address_id) -> Address:
    address = selectors.address_for_user(user=request.user, address_id=address_id)
    if address is None:
        raise Http404("No such address in your address book.")
    return address


@login_required
@require_GET
def address_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/address_list.html", {"addresses": selectors.addresses_for_user(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def address_add(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        services.address_create(user=request.user, data=form.cleaned_data, make_default=form.cleaned_data["is_default"])
        messages.success(request, "The address was added to your address book.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_form.html", {"form": form, "address": None})


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id) -> HttpResponse:
    address = _own_address_or_404(request, address_id)
    initial = {**address.as_shipping(), "is_default": address.is_default}
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.address_update(address=address, data=form.cleaned_data)
        if form.cleaned_data["is_default"] and not address.is_default:
            services.address_set_default(user=request.user, address=address)
        messages.success(request, "The address was saved.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_form.html", {"form": form, "address": address})


@login_required
@require_http_methods(["GET", "POST"])
def address_delete(request: HttpRequest, address_id) -> HttpResponse:
    """GET asks for confirmation; POST deletes. Orders placed to the address keep their copy."""
    address = _own_address_or_404(request, address_id)
    if request.method == "POST":
        services.address_delete(address=address)
        messages.success(request, "The address was deleted from your address book.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_confirm_delete.html", {"address": address})


@login_required
@require_POST
def address_make_default(request: HttpRequest, address_id) -> HttpResponse:
    address = _own_address_or_404(request, address_id)
    services.address_set_default(user=request.user, address=address)
    messages.success(request, "Your default address was changed.")
    return redirect("accounts:address_list")
