"""The address book: pages and API (owner-only), the default address, and checkout offering it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Address
from revetir.testing.factories import make_product, make_user
from shop.models import Order, ShippingMethod, Voucher
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart

pytestmark = pytest.mark.django_db

HOME = {**ADDRESS, "full_name": "Ada Lovelace", "address_line1": "12 Rue des Lilas", "city": "Lyon"}
OFFICE = {**ADDRESS, "full_name": "Ada Lovelace", "address_line1": "3 Quai Perrache", "city": "Lyon"}


def _api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- Pages ----------------------------------------------------------------------------------------


def test_a_shopper_adds_edits_makes_default_and_deletes_addresses(client):
    user = make_user()
    client.force_login(user)

    response = client.post(reverse("accounts:address_add"), HOME, follow=True)
    assert "The address was added to your address book." in response.content.decode()
    home = Address.objects.get(user=user)
    assert home.is_default  # the first address becomes the default

    client.post(reverse("accounts:address_add"), {**OFFICE, "phone": "+33 4 00 00 00 00"})
    office = Address.objects.get(user=user, address_line1="3 Quai Perrache")
    assert not office.is_default

    client.post(reverse("accounts:address_make_default", args=[office.pk]))
    assert list(Address.objects.filter(user=user, is_default=True)) == [office]

    client.post(reverse("accounts:address_edit", args=[home.pk]), {**HOME, "city": "Villeurbanne"})
    home.refresh_from_db()
    assert home.city == "Villeurbanne"

    confirm = client.get(reverse("accounts:address_delete", args=[office.pk]))
    assert "Delete this address?" in confirm.content.decode()
    client.post(reverse("accounts:address_delete", args=[office.pk]))
    assert list(Address.objects.filter(user=user)) == [home]
    home.refresh_from_db()
    assert home.is_default  # the default passed to the remaining address

    page = client.get(reverse("accounts:address_list")).content.decode()
    assert "Villeurbanne" in page and "France" in page and "Default address" in page


def test_an_address_form_with_a_missing_field_and_a_bad_phone_says_what_to_fix(client):
    client.force_login(make_user())

    response = client.post(reverse("accounts:address_add"), {**HOME, "city": "", "phone": "call me"})

    assert response.status_code == 200
    assert response.context["form"].errors["city"] == ["This field is required."]
    assert "phone" in response.context["form"].errors
    assert not Address.objects.exists()


@pytest.mark.parametrize("route", ["accounts:address_edit", "accounts:address_delete", "accounts:address_make_default"])
def test_another_shoppers_address_is_not_found_and_unchanged(client, route):
    owner = make_user()
    address = services.address_create(user=owner, data=HOME)
    client.force_login(make_user())

    response = client.post(reverse(route, args=[address.pk]), {**HOME, "city": "Paris"})

    assert response.status_code == 404
    assert Address.objects.get(pk=address.pk).city == "Lyon"


def test_address_pages_need_a_signed_in_shopper(client):
    response = client.get(reverse("accounts:address_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_deleting_the_account_removes_the_address_book():
    user = make_user()
    services.address_create(user=user, data=HOME)

    services.delete_account(user=user)

    assert not Address.objects.exists()


# --- Checkout ---------------------------------------------------------------------------------------


def test_checkout_preselects_the_address_used_last(client):
    user = make_user()
    home = services.address_create(user=user, data=HOME)
    office = services.address_create(user=user, data=OFFICE)
    Address.objects.filter(pk=office.pk).update(last_used_at=timezone.now())
    Address.objects.filter(pk=home.pk).update(last_used_at=timezone.now() - timedelta(days=3))
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)

    form = client.get(reverse("shop:checkout_address")).context["form"]

    assert form["saved_address"].value() == str(office.pk)
    assert [label for _key, label in form.fields["saved_address"].choices][-1] == "A new address"


def test_ordering_to_a_saved_address_copies_it_and_marks_it_used(client):
    user = make_user()
    home = services.address_create(user=user, data=HOME)
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)

    client.post(reverse("shop:checkout_address"), {"saved_address": str(home.pk)})
    client.post(reverse("shop:checkout_place"), {"payment_method": "pay_on_delivery"})

    order = Order.objects.get(user=user)
    assert (order.address_line1, order.city, order.country) == ("12 Rue des Lilas", "Lyon", "FR")
    home.refresh_from_db()
    assert home.last_used_at is not None


def test_a_new_address_at_checkout_can_be_saved_to_the_book(client):
    user = make_user()
    services.address_create(user=user, data=HOME)
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)

    client.post(reverse("shop:checkout_address"), {**OFFICE, "saved_address": "new", "save_address": "on"})
    client.post(reverse("shop:checkout_place"), {"payment_method": "pay_on_delivery"})

    saved = Address.objects.get(user=user, address_line1="3 Quai Perrache")
    assert saved.last_used_at is not None
    assert Order.objects.get(user=user).address_line1 == "3 Quai Perrache"


def test_choosing_a_new_address_at_checkout_requires_its_fields(client):
    user = make_user()
    services.address_create(user=user, data=HOME)
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)

    response = client.post(reverse("shop:checkout_address"), {"saved_address": "new", "full_name": "Ada"})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["address_line1"] == ["This field is required."]
    assert errors["city"] == ["This field is required."]


def test_checkout_does_not_accept_another_shoppers_saved_address(client):
    stranger = services.address_create(user=make_user(), data=OFFICE)
    user = make_user()
    services.address_create(user=user, data=HOME)
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)

    response = client.post(reverse("shop:checkout_address"), {"saved_address": str(stranger.pk)})

    assert response.status_code == 200
    assert "saved_address" in response.context["form"].errors


# --- API --------------------------------------------------------------------------------------------


def test_api_lists_adds_changes_and_deletes_your_addresses():
    user = make_user()
    api = _api_for(user)

    created = api.post("/api/addresses/", HOME, format="json")
    assert created.status_code == 201
    address_id = created.json()["id"]
    assert created.json()["is_default"] is True

    second = api.post("/api/addresses/", {**OFFICE, "is_default": True}, format="json").json()
    listed = api.get("/api/addresses/").json()
    assert [entry["address_line1"] for entry in listed] == ["3 Quai Perrache", "12 Rue des Lilas"]

    changed = api.patch(f"/api/addresses/{address_id}/", {"city": "Villeurbanne", "is_default": True}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["city"], changed.json()["is_default"]) == ("Villeurbanne", True)
    assert api.get(f"/api/addresses/{second['id']}/").json()["is_default"] is False

    assert api.delete(f"/api/addresses/{second['id']}/").status_code == 204
    assert Address.objects.filter(user=user).count() == 1


def test_api_address_errors_name_the_field():
    response = _api_for(make_user()).post("/api/addresses/", {**HOME, "country": "XX"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "country" in body["errors"]


def test_api_hides_other_shoppers_addresses():
    address = services.address_create(user=make_user(), data=HOME)
    api = _api_for(make_user())

    assert api.get("/api/addresses/").json() == []
    assert api.get(f"/api/addresses/{address.pk}/").status_code == 404
    assert api.delete(f"/api/addresses/{address.pk}/").status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_api_order_to_a_saved_address_with_delivery_and_voucher():
    express = ShippingMethod.objects.create(name="Express delivery", price=Decimal("9.90"))
    Voucher.objects.create(code="SPRING", value=Decimal("10"))
    user = make_user()
    home = services.address_create(user=user, data=HOME)
    fill_cart(user, (make_product(price="50.00").variants.get(), 1))
    api = _api_for(user)

    methods = api.get("/api/shipping-methods/").json()
    check = api.post("/api/vouchers/check/", {"code": "spring", "shipping_method": methods[0]["id"]}, format="json")
    response = api.post(
        "/api/orders/",
        {"address_id": home.pk, "shipping_method": express.pk, "voucher_code": "SPRING"},
        format="json",
    )

    assert check.status_code == 200
    assert check.json()["total"] == "54.90"
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["city"], body["shipping_method_name"], body["voucher_code"]) == ("Lyon", "Express delivery", "SPRING")
    assert (body["subtotal"], body["discount"], body["shipping_price"], body["total"]) == (
        "50.00",
        "5.00",
        "9.90",
        "54.90",
    )


def test_api_order_refuses_another_shoppers_address_id():
    stranger = services.address_create(user=make_user(), data=OFFICE)
    user = make_user()
    fill_cart(user, (make_product().variants.get(), 1))

    response = _api_for(user).post("/api/orders/", {"address_id": stranger.pk}, format="json")

    assert response.status_code == 400
    assert "address_id" in response.json()["errors"]
    assert not Order.objects.exists()


def test_api_voucher_errors_are_json_with_the_reason():
    user = make_user()
    fill_cart(user, (make_product().variants.get(), 1))

    response = _api_for(user).post("/api/vouchers/check/", {"code": "NOPE"}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == "There is no voucher 'NOPE'. Check the spelling."


def test_schema_documents_the_address_delivery_and_voucher_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/addresses/", "/api/addresses/{address_id}/", "/api/shipping-methods/", "/api/vouchers/check/"):
        assert path in schema["paths"]
    order_fields = schema["components"]["schemas"]["PlaceOrderRequest"]["properties"]
    assert {"address_id", "shipping_method", "voucher_code"} <= set(order_fields)
