"""Forms of the shop: catalogue filters, cart and checkout input."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django_countries import countries

from accounts.models import ADDRESS_FIELDS, Address
from revetir.object_keys import ObjectKeyFormField
from shop.models import Category, ShippingMethod, Size, Variant
from shop.payments import payment_method_choices
from shop.selectors import category_tree
from shop.services import line_limit_message

# --- Catalogue ------------------------------------------------------------------------------------

PRODUCT_SORT_CHOICES = [
    ("newest", "Newest first"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("name", "Name: A to Z"),
]
DEFAULT_PRODUCT_SORT = "newest"


class ProductFilterForm(forms.Form):
    """The catalogue's GET filters, shared by the product list page and the API.

    Its cleaned data is exactly what `shop.selectors.product_list(filters=...)` takes.
    """

    q = forms.CharField(label="Search", required=False, max_length=100, strip=True)
    category = forms.ModelChoiceField(
        label="Category",
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All categories",
        error_messages={"invalid_choice": "There is no such category."},
    )
    size = forms.ChoiceField(
        label="Size in stock",
        required=False,
        choices=[("", "Any size"), *Size.choices],
        error_messages={"invalid_choice": "Choose a size from XS to XXL."},
    )
    min_price = forms.DecimalField(
        label="Min price",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        # A text box keeps what was typed on screen when it is invalid (a number box would blank it).
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        label="Max price",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        # A text box keeps what was typed on screen when it is invalid (a number box would blank it).
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=PRODUCT_SORT_CHOICES,
        error_messages={"invalid_choice": "Sort by newest, price or name."},
    )

    def __init__(self, *args, categories: list[Category] | None = None, **kwargs) -> None:
        """`categories` is `shop.selectors.category_tree()` when the caller already has it (the
        list page shows it as navigation); otherwise the form loads it for its category menu."""
        super().__init__(*args, **kwargs)
        tree = categories if categories is not None else category_tree()
        choices = [("", "All categories")]
        for department in tree:
            choices.append((department.slug, department.name))
            choices.extend((child.slug, f"— {child.name}") for child in department.children.all())
        self.fields["category"].choices = choices

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_PRODUCT_SORT

    def clean(self) -> dict:
        cleaned = super().clean()
        min_price, max_price = cleaned.get("min_price"), cleaned.get("max_price")
        if min_price is not None and max_price is not None and min_price > max_price:
            self.add_error("max_price", "The maximum price must not be below the minimum price.")
        return cleaned


# --- Cart and checkout ----------------------------------------------------------------------------

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{6,30}$")


class CartQuantityField(forms.IntegerField):
    """min_value..SHOP_MAX_LINE_QUANTITY; the upper bound is read when the form is built, not at import."""

    def __init__(self, *, min_value: int = 1, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"min_value": f"Choose a quantity of at least {min_value}."})
        super().__init__(min_value=min_value, **kwargs)

    def bind_limit(self) -> None:
        limit = settings.SHOP_MAX_LINE_QUANTITY
        self.max_value = limit
        self.validators = [v for v in self.validators if not isinstance(v, MaxValueValidator)]
        self.validators.append(MaxValueValidator(limit, message=line_limit_message()))
        self.widget.attrs["max"] = limit


class CartAddForm(forms.Form):
    """What the product page posts: which size (variant id) and how many."""

    variant = ObjectKeyFormField(
        model=Variant, error_messages={"required": "Choose a size.", "invalid": "There is no such size."}
    )
    quantity = CartQuantityField(initial=1, required=False)
    # The try-on result the size was picked on; checked (and dropped if not the shopper's) by the service.
    from_tryon = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].bind_limit()

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1


class CartLineQuantityForm(forms.Form):
    """A cart line's new quantity; 0 takes the line out of the cart."""

    quantity = CartQuantityField(
        label="Quantity",
        min_value=0,
        error_messages={"min_value": "Choose 0 to remove this item, or a quantity of at least 1."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].bind_limit()
        self.fields["quantity"].help_text = f"0 removes it. {line_limit_message()}"


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
        choices=lambda: [("", "Choose a country"), *countries],  # named in the shopper's language
        widget=forms.Select(attrs={"autocomplete": "country"}),
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


NEW_ADDRESS = "new"
REQUIRED_MESSAGE = "This field is required."


class ShippingMethodChoiceField(forms.ModelChoiceField):
    """Radio buttons that show each method's delivery time and the price it would cost this cart."""

    def __init__(self, *, goods_total: Decimal, **kwargs) -> None:
        self.goods_total = goods_total
        super().__init__(**kwargs)

    def label_from_instance(self, method: ShippingMethod) -> str:
        price = method.price_for(self.goods_total)
        cost = "free" if not price else f"{price} {settings.SHOP_CURRENCY}"
        return f"{method.name}: {cost}, {method.delivery_time}"


class CheckoutAddressForm(ShippingAddressForm):
    """The first checkout step: a saved address or a new one (optionally saved), and delivery.

    The address fields are required only when "new address" is chosen; `saved_address` offers
    the shopper's own book only (`addresses` is theirs, from `accounts.selectors`).
    """

    saved_address = forms.ChoiceField(label="Ship to", widget=forms.RadioSelect, required=False)
    save_address = forms.BooleanField(label="Save this address to my address book", required=False)
    shipping_method = ShippingMethodChoiceField(
        label="Delivery",
        queryset=ShippingMethod.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        goods_total=Decimal("0.00"),
        error_messages={
            "required": "Choose a delivery method.",
            "invalid_choice": "That delivery method is not available; choose another.",
        },
    )

    ADDRESS_FIELD_NAMES = ADDRESS_FIELDS

    def __init__(
        self,
        *args,
        addresses: Iterable[Address],
        shipping_methods: QuerySet[ShippingMethod],
        goods_total: Decimal,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {str(address.pk): address for address in addresses}
        self.fields["saved_address"].choices = [
            *((key, str(address)) for key, address in self.addresses.items()),
            (NEW_ADDRESS, "A new address"),
        ]
        methods = self.fields["shipping_method"]
        methods.queryset = shipping_methods
        methods.goods_total = goods_total
        if not shipping_methods.exists():
            del self.fields["shipping_method"]
        if not self.addresses:
            del self.fields["saved_address"]
        self.required_address_fields = [name for name in self.ADDRESS_FIELD_NAMES if self.fields[name].required]
        for name in self.ADDRESS_FIELD_NAMES:
            self.fields[name].required = False

    @property
    def address_fields(self) -> list:
        return [self[name] for name in self.ADDRESS_FIELD_NAMES]

    def chosen_address(self) -> Address | None:
        """The saved address chosen, or None for a new address."""
        return self.addresses.get(self.cleaned_data.get("saved_address") or NEW_ADDRESS)

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.chosen_address() is None:
            for name in self.required_address_fields:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, REQUIRED_MESSAGE)
        return cleaned


class VoucherForm(forms.Form):
    """The review page's voucher box."""

    code = forms.CharField(label="Voucher code", max_length=40, strip=True)


class PlaceOrderForm(forms.Form):
    """The review page's confirmation: the payment method (only pay on delivery today)."""

    payment_method = forms.ChoiceField(label="Payment", widget=forms.RadioSelect)
    # Made when the review page renders: a double click or a resubmit sends the same key, so it
    # is answered with the order the first submit placed.
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = payment_method_choices()
        self.fields["payment_method"].choices = choices
        self.fields["payment_method"].initial = choices[0][0]
