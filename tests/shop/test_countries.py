"""Countries come from django-countries: the same two-letter codes are stored as before, and every
place a shopper, staff member or API client meets a country shows or takes it through that library."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Address
from revetir.testing.factories import make_order, make_product, make_staff, make_user
from shop.forms import ShippingAddressForm
from shop.models import Order
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, order_for

pytestmark = pytest.mark.django_db


def _api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_an_order_keeps_the_two_letter_code_and_reads_back_the_countrys_name():
    order = order_for(make_user(), (make_product(stock={"M": 5}).variants.get(), 1))

    stored = Order.objects.filter(pk=order.pk).values_list("country", flat=True).get()
    assert stored == "FR"
    assert Order.objects.get(pk=order.pk).country.name == "France"


def test_the_address_form_offers_every_country_by_name_in_the_shoppers_language():
    choices = dict(ShippingAddressForm().fields["country"].choices)
    assert choices[""] == "Choose a country"
    assert choices["US"] == "United States of America"
    assert choices["BA"] == "Bosnia and Herzegovina"
    assert len(choices) > 240

    with translation.override("fr"):
        assert dict(ShippingAddressForm().fields["country"].choices)["DE"] == "Allemagne"


def test_the_address_form_refuses_a_code_that_is_no_country():
    form = ShippingAddressForm(data={**ADDRESS, "country": "XX"})
    assert not form.is_valid()
    assert "country" in form.errors


def test_checkout_review_order_page_and_e_mail_name_the_country(client, mailoutbox):
    user = make_user()
    fill_cart(user, (make_product(stock={"M": 5}).variants.get(), 1))
    client.force_login(user)
    client.post(reverse("shop:checkout_address"), {**ADDRESS, "country": "BA"})

    review = strip_tags(client.get(reverse("shop:checkout_review")).content.decode())
    assert "Bosnia and Herzegovina" in review

    order = order_for(user, (make_product(stock={"M": 5}).variants.get(), 1))
    Order.objects.filter(pk=order.pk).update(country="BA")
    detail = strip_tags(client.get(reverse("shop:order_detail", args=[order.number])).content.decode())
    assert "Bosnia and Herzegovina" in detail
    assert "France" in mailoutbox[-1].body  # the confirmation went out with the order's own country


def test_the_address_book_lists_the_country_by_name(client):
    user = make_user()
    account_services.address_create(user=user, data={**ADDRESS, "country": "GB"})
    client.force_login(user)

    page = strip_tags(client.get(reverse("accounts:address_list")).content.decode())

    assert "United Kingdom" in page


def test_address_api_takes_a_code_in_any_case_or_the_english_name_and_answers_the_code():
    api = _api_for(make_user())

    by_code = api.post("/api/addresses/", {**ADDRESS, "country": "de"}, format="json")
    by_name = api.post("/api/addresses/", {**ADDRESS, "country": "Germany"}, format="json")

    assert (by_code.status_code, by_name.status_code) == (201, 201)
    assert by_code.json()["country"] == by_name.json()["country"] == "DE"
    assert set(Address.objects.values_list("country", flat=True)) == {"DE"}


def test_order_api_answers_the_country_code():
    user = make_user()
    order = order_for(user, (make_product(stock={"M": 5}).variants.get(), 1))

    body = _api_for(user).get(f"/api/orders/{order.number}/").json()

    assert body["country"] == "FR"


def test_the_openapi_schema_lists_the_country_codes():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    enums = [
        component
        for name, component in schema["components"]["schemas"].items()
        if name.lower().startswith("country") and "enum" in component
    ]
    assert enums, "no country enum in the schema"
    assert {"FR", "GB", "US"} <= set(enums[0]["enum"])


def test_admin_shows_an_orders_country_by_name(client):
    order = make_order()
    client.force_login(make_staff())

    page = strip_tags(client.get(reverse("admin:shop_order_change", args=[order.pk])).content.decode())

    assert "United Kingdom" in page
    assert "ISO 3166-1" not in page
