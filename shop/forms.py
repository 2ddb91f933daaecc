"""Forms of the shop: catalogue filters, cart and checkout input."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from shop.countries import COUNTRY_CHOICES
from shop.payments import payment_method_choices

# --- Cart and checkout ----------------------------------------------------------------------------

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{6,30}$")


class CartQuantityField(forms.IntegerField):
    """1..SHOP_MAX_LINE_QUANTITY; the upper bound is read when the form is built, not at import."""

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, **kwargs)

    def bind_limit(self) -> None:
        limit = settings.SHOP_MAX_LINE_QUANTITY
        self.max_value = limit
        self.validators = [v for v in self.validators if not isinstance(v, MaxValueValidator)]
        self.validators.append(MaxValueValidator(limit))
        self.widget.attrs["max"] = limit


class CartAddForm(forms.Form):
    """What the product page posts: which size (variant id) and how many."""

    variant = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose a size.", "invalid": "Choose a size."}
    )
    quantity = CartQuantityField(initial=1, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].bind_limit()

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1


class CartLineQuantityForm(forms.Form):
    quantity = CartQuantityField(label="Quantity")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].bind_limit()


class ShippingAddressForm(forms.Form):
    """Where the order goes. Kept in the session between the checkout steps."""

    full_name = forms.CharField(
        max_length=150, label="Full name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    address_line1 = forms.CharField(
        max_length=200, label="Address", widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_line2 = forms.CharField(
        max_length=200,
        label="Address (line 2)",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    postal_code = forms.CharField(
        max_length=20, label="Postal code", widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    country = forms.ChoiceField(
        choices=[("", "Choose a country"), *COUNTRY_CHOICES], widget=forms.Select(attrs={"autocomplete": "country"})
    )
    phone = forms.CharField(
        max_length=30,
        required=False,
        label="Phone (optional)",
        help_text="Only used by the courier if they cannot find you.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError(
                "Enter a phone number using digits, spaces, brackets, dashes and an optional +."
            )
        return phone

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = value.strip()
        return cleaned


class PlaceOrderForm(forms.Form):
    """The review page's confirmation: the payment method (only pay on delivery today)."""

    payment_method = forms.ChoiceField(label="Payment", widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = payment_method_choices()
        self.fields["payment_method"].choices = choices
        self.fields["payment_method"].initial = choices[0][0]
