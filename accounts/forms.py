"""Forms for signing up, signing in by e-mail, editing the profile and deleting the account."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, AuthenticationForm, BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import ValidationError

from accounts.models import BodyProfile, User
from accounts.services import normalise_email
from shop.forms import ShippingAddressForm


class LowerCaseEmailMixin:
    """Store e-mail addresses lower-cased, and say so when one is already taken."""

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        taken = User.objects.filter(email=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email


class SignupForm(LowerCaseEmailMixin, BaseUserCreationForm):
    """E-mail, full name and the password twice, checked by the configured password validators."""

    class Meta:
        model = User
        fields = ("email", "full_name")
        labels = {"email": "E-mail address", "full_name": "Full name"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, labelled for e-mail addresses (the user model's USERNAME_FIELD).

    A failed log-in is an error of the pair, not of one field, so Django shows it above the form and
    ties it to neither input; here both inputs are marked invalid and described by it
    (`LOGIN_ERROR_ID`, the id the login template gives the error list)."""

    LOGIN_ERROR_ID = "login-error"

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an account (the password is case-sensitive).",
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "E-mail address"
        self.fields["username"].widget = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})

    def clean(self) -> dict:
        try:
            return super().clean()
        except ValidationError:
            for name in ("username", "password"):
                self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": self.LOGIN_ERROR_ID})
            raise


class ProfileForm(LowerCaseEmailMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("full_name", "email")
        labels = {"email": "E-mail address", "full_name": "Full name"}


class BodyProfileForm(forms.ModelForm):
    """The size finder's profile: height, weight and fit are required, girths optional."""

    class Meta:
        model = BodyProfile
        fields = ("height_cm", "weight_kg", "fit_preference", "chest_cm", "waist_cm", "hips_cm")
        labels = {"fit_preference": "How do you like clothes to fit?"}
        help_texts = {
            "chest_cm": "Optional: around the fullest part of the chest. Left empty, we estimate it.",
            "waist_cm": "Optional: around the natural waistline.",
            "hips_cm": "Optional: around the fullest part of the hips.",
        }
        widgets = {"fit_preference": forms.RadioSelect}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fit_preference"].choices = [
            choice for choice in self.fields["fit_preference"].choices if choice[0]
        ]
        for name in ("height_cm", "weight_kg", "chest_cm", "waist_cm", "hips_cm"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"


class AccountDeleteForm(forms.Form):
    """Deleting an account cannot be undone, so the current password is asked for again."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password; the account was not deleted.")
        return password


class StaffUserCreationForm(LowerCaseEmailMixin, AdminUserCreationForm):
    """The admin's add-user form for the e-mail based user model (password1/password2)."""

    class Meta:
        model = User
        fields = ("email", "full_name")


class StaffUserChangeForm(LowerCaseEmailMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AddressForm(ShippingAddressForm):
    """An address-book entry: the checkout's address fields, and whether it is the default."""

    is_default = forms.BooleanField(label="Use as my default address", required=False)
