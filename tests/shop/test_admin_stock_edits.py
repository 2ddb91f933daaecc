"""A staff stock edit is a compare-and-set against the count the page showed: a sale made while
the page was open is never undone (issue #12, failure 4). Each test opens the real admin page,
lets a shopper buy, then submits what the page holds."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from revetir.testing.factories import make_product, make_staff
from shop.admin import stock as stock_admin
from shop.models import Variant
from shop.stock import reserve_stock

STALE_MESSAGE = "Stock changed since you opened this page: now {}."


class FormFields(HTMLParser):
    """The name → value pairs a browser would submit from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in {"submit", "button", "file", "checkbox"}:
            self.fields[name] = attributes.get("value") or ""
        elif tag == "input" and name and attributes.get("type") == "checkbox" and "checked" in attributes:
            self.fields[name] = attributes.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields[self._select] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(response) -> dict[str, str]:
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.fields


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stock_of(variant: Variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


@pytest.fixture
def variant() -> Variant:
    return make_product(stock={"M": 20}).variants.get()


def _sell(variant: Variant, quantity: int = 2) -> None:
    assert reserve_stock(variant_id=variant.pk, quantity=quantity)


# --- The variant changelist's editable stock column -------------------------------------------------


def _changelist_post(staff_client, variant: Variant, typed: str):
    url = reverse("admin:shop_variant_changelist")
    page = form_fields(staff_client.get(url))
    assert page["form-0-stock_seen"] == "20"
    _sell(variant)
    data = {name: value for name, value in page.items() if name.startswith("form-") or name == "csrfmiddlewaretoken"}
    data.update({"form-0-stock": typed, "_save": "Save"})
    return staff_client.post(url, data)


@pytest.mark.django_db
def test_changelist_stock_edit_after_a_sale_is_refused_with_the_current_count(staff_client, variant):
    response = _changelist_post(staff_client, variant, "25")

    assert response.status_code == 200
    assert response.context["cl"].formset.errors[0]["stock"][0].startswith(STALE_MESSAGE.format(18))
    assert stock_of(variant) == 18
    # The page shown again carries today's count, so a resubmit is a conscious choice.
    assert form_fields(response)["form-0-stock_seen"] == "18"


@pytest.mark.django_db
def test_changelist_save_with_the_stock_untouched_keeps_a_sale_made_meanwhile(staff_client, variant):
    response = _changelist_post(staff_client, variant, "20")

    assert response.status_code == 302
    assert stock_of(variant) == 18


@pytest.mark.django_db
def test_changelist_stock_edit_without_a_sale_meanwhile_is_saved(staff_client, variant):
    url = reverse("admin:shop_variant_changelist")
    page = form_fields(staff_client.get(url))
    data = {name: value for name, value in page.items() if name.startswith("form-") or name == "csrfmiddlewaretoken"}
    data.update({"form-0-stock": "25", "_save": "Save"})

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert stock_of(variant) == 25


# --- The variant's change page -------------------------------------------------------------------


@pytest.mark.django_db
def test_variant_change_page_stock_edit_after_a_sale_is_refused(staff_client, variant):
    url = reverse("admin:shop_variant_change", args=[variant.pk])
    data = form_fields(staff_client.get(url))
    _sell(variant, 3)
    data.update({"stock": "30", "_save": "Save"})

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["stock"][0].startswith(STALE_MESSAGE.format(17))
    assert stock_of(variant) == 17


# --- The product page's size inline --------------------------------------------------------------


def _inline_post(staff_client, variant: Variant, **changes: str):
    url = reverse("admin:shop_product_change", args=[variant.product_id])
    data = form_fields(staff_client.get(url))
    assert data["variants-0-stock_seen"] == "20"
    _sell(variant)
    data.update({f"variants-0-{name}": value for name, value in changes.items()})
    data["_save"] = "Save"
    return staff_client.post(url, data)


@pytest.mark.django_db
def test_product_inline_stock_edit_after_a_sale_is_refused(staff_client, variant):
    response = _inline_post(staff_client, variant, stock="40")

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0]["stock"][0].startswith(STALE_MESSAGE.format(18))
    assert stock_of(variant) == 18


@pytest.mark.django_db
def test_product_inline_edit_of_another_field_keeps_a_sale_made_meanwhile(staff_client, variant):
    response = _inline_post(staff_client, variant, sku="RENAMED-M")

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.sku, variant.stock) == ("RENAMED-M", 18)


@pytest.mark.django_db
def test_a_sale_between_the_forms_check_and_the_write_is_kept_and_reported(staff_client, variant, monkeypatch):
    url = reverse("admin:shop_variant_change", args=[variant.pk])
    data = form_fields(staff_client.get(url))
    data.update({"stock": "30", "_save": "Save"})
    checked = stock_admin.VariantStockForm.clean

    def check_then_sell(form):
        cleaned = checked(form)
        _sell(variant)
        return cleaned

    monkeypatch.setattr(stock_admin.VariantStockForm, "clean", check_then_sell)

    response = staff_client.post(url, data, follow=True)

    assert stock_of(variant) == 18
    assert f"{variant.sku}: stock changed since you opened this page: now 18; its stock was not changed." in (
        messages_of(response)
    )
