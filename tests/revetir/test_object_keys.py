"""Ids as text: the same URL, form and API code finds SQLite's integer keys and MongoDB's ObjectIds."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from bson import ObjectId
from django import forms
from django.contrib.sessions.backends.db import SessionStore
from django.urls import resolve, reverse
from django_mongodb_backend.fields import ObjectIdAutoField
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from revetir.object_keys import (
    INVALID_KEY_MESSAGE,
    ObjectKeyConverter,
    ObjectKeyFormField,
    ObjectKeySerializerField,
    is_object_key,
    key_text,
    primary_key_or_none,
)
from revetir.testing.factories import make_product, make_user
from shop.api.cart import CartLineSerializer
from shop.api.catalogue import VariantSerializer
from shop.forms import CartAddForm
from shop.models import Cart, CartLine, Product, Variant
from shop.services import SESSION_CART_ID_KEY, cart_get_or_create_for_user, cart_merge_on_login

OBJECT_ID = "6b07cf9e0d244d6bacf75de8"


@pytest.mark.parametrize("text", ["1", "42", "9223372036854775807", OBJECT_ID, OBJECT_ID.upper()])
def test_integer_and_objectid_keys_are_object_keys(text):
    assert is_object_key(text)


@pytest.mark.parametrize("text", ["", "-1", "4.2", "abc", OBJECT_ID[:-1], OBJECT_ID + "0", "12345678901234567890"])
def test_other_text_is_not_an_object_key(text):
    assert not is_object_key(text)


def test_json_keeps_integer_ids_as_numbers_and_writes_objectids_as_text():
    assert key_text(42) == 42
    assert key_text(ObjectId(OBJECT_ID)) == OBJECT_ID
    assert key_text(None) is None


def test_url_converter_round_trips_both_kinds_of_id():
    converter = ObjectKeyConverter()

    assert converter.to_url(ObjectId(OBJECT_ID)) == OBJECT_ID
    assert converter.to_url(7) == "7"
    assert converter.to_python(OBJECT_ID) == OBJECT_ID


def test_form_field_refuses_text_that_is_no_id_with_a_message():
    field = ObjectKeyFormField()

    assert field.clean(OBJECT_ID) == OBJECT_ID
    assert field.clean(" 12 ") == "12"
    with pytest.raises(forms.ValidationError, match=INVALID_KEY_MESSAGE):
        field.clean("12; drop")


def test_api_field_reads_numbers_and_text_and_refuses_anything_else():
    field = ObjectKeySerializerField()

    assert field.to_internal_value(12) == "12"
    assert field.to_internal_value(OBJECT_ID) == OBJECT_ID
    for bad in (True, 0, -3, 1.5, "x1", None):
        with pytest.raises(serializers.ValidationError):
            field.to_internal_value(bad)
    assert field.to_representation(12) == 12
    assert field.to_representation(ObjectId(OBJECT_ID)) == OBJECT_ID


@pytest.mark.django_db
def test_an_id_passed_along_as_text_finds_the_object():
    product = make_product()

    cleaned = ObjectKeyFormField().clean(str(product.pk))

    assert Product.objects.get(pk=cleaned) == product


def test_a_model_field_turns_an_id_into_that_models_key_or_refuses_one_it_cannot_have():
    field = ObjectKeyFormField(model=Product)

    assert field.clean("12") == 12
    with pytest.raises(forms.ValidationError, match=INVALID_KEY_MESSAGE):
        field.clean(OBJECT_ID)
    assert primary_key_or_none(Product, OBJECT_ID) is None
    assert primary_key_or_none(Product, None) is None


def test_on_mongodb_keys_objectid_text_becomes_an_objectid_and_a_number_is_no_key():
    mongodb_model = SimpleNamespace(_meta=SimpleNamespace(pk=ObjectIdAutoField(primary_key=True)))

    assert primary_key_or_none(mongodb_model, OBJECT_ID) == ObjectId(OBJECT_ID)
    assert primary_key_or_none(mongodb_model, "12") is None
    assert ObjectKeySerializerField(model=mongodb_model).to_internal_value(OBJECT_ID) == ObjectId(OBJECT_ID)


# --- The shop's ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("shop:cart_line_update", f"/cart/lines/{OBJECT_ID}/"),
        ("shop:cart_line_remove", f"/cart/lines/{OBJECT_ID}/remove/"),
        ("api-cart-item", f"/api/cart/items/{OBJECT_ID}/"),
    ],
)
def test_cart_line_urls_carry_an_objectid_and_hand_it_to_the_view_as_text(name, path):
    assert reverse(name, args=[ObjectId(OBJECT_ID)]) == path
    assert resolve(path).kwargs == {"line_id": OBJECT_ID}
    assert resolve(reverse(name, args=[7])).kwargs == {"line_id": "7"}


@pytest.mark.django_db
def test_cart_line_url_with_an_objectid_on_sqlite_is_not_found_and_changes_nothing(client):
    line = CartLine.objects.create(
        cart=cart_get_or_create_for_user(user=make_user()), variant=make_product().variants.first(), quantity=2
    )

    update = client.post(reverse("shop:cart_line_update", args=[OBJECT_ID]), {f"line-{OBJECT_ID}-quantity": 1})
    remove = client.post(reverse("shop:cart_line_remove", args=[OBJECT_ID]))

    assert (update.status_code, remove.status_code) == (404, 404)
    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.django_db
def test_cart_item_api_with_an_objectid_on_sqlite_answers_a_json_404():
    api = APIClient()
    api.force_authenticate(make_user())

    response = api.patch(f"/api/cart/items/{OBJECT_ID}/", {"quantity": 2}, format="json")

    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Not found."}


@pytest.mark.django_db
def test_cart_add_form_reads_the_size_id_as_this_databases_key():
    variant = make_product().variants.first()

    form = CartAddForm(data={"variant": str(variant.pk), "quantity": "2"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["variant"] == variant.pk


@pytest.mark.django_db
def test_cart_add_form_with_an_objectid_on_sqlite_says_there_is_no_such_size():
    form = CartAddForm(data={"variant": OBJECT_ID, "quantity": "1"})

    assert not form.is_valid()
    assert form.errors["variant"] == ["There is no such size."]


@pytest.mark.django_db
def test_adding_an_objectid_size_on_sqlite_is_refused_with_a_message_and_nothing_added(client):
    response = client.post(reverse("shop:cart_add"), {"variant": OBJECT_ID, "quantity": 1}, follow=True)

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == ["There is no such size."]
    assert not CartLine.objects.exists()


@pytest.mark.django_db
def test_cart_api_takes_a_size_id_as_number_or_text_and_answers_ids_as_sqlite_numbers():
    variant = make_product(stock={"M": 5}).variants.get()
    api = APIClient()
    api.force_authenticate(make_user())

    as_text = api.post("/api/cart/items/", {"variant": str(variant.pk), "quantity": 1}, format="json")
    as_number = api.post("/api/cart/items/", {"variant": variant.pk, "quantity": 1}, format="json")

    assert (as_text.status_code, as_number.status_code) == (201, 201)
    line = as_number.json()["lines"][0]
    assert line["variant"] == variant.pk
    assert line["id"] == CartLine.objects.get().pk
    assert line["quantity"] == 2


@pytest.mark.django_db
def test_cart_api_with_an_objectid_size_on_sqlite_names_the_field():
    api = APIClient()
    api.force_authenticate(make_user())

    response = api.post("/api/cart/items/", {"variant": OBJECT_ID, "quantity": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"variant": ["There is no such size."]}
    assert not CartLine.objects.exists()


def test_shop_api_writes_objectid_keys_as_text():
    product = Product(pk=ObjectId(), slug="linen-shirt", name="Linen shirt", price=Decimal("30.00"))
    variant = Variant(pk=ObjectId(OBJECT_ID), product=product, size="M", sku="LS-M", stock=3)
    line = CartLine(pk=ObjectId(), cart=Cart(pk=ObjectId()), variant=variant, quantity=1)

    variant_json = json.loads(JSONRenderer().render(VariantSerializer(variant).data))
    line_json = json.loads(JSONRenderer().render(CartLineSerializer(line).data))

    assert variant_json["id"] == OBJECT_ID
    assert (line_json["id"], line_json["variant"]) == (str(line.pk), OBJECT_ID)


def test_api_schema_documents_cart_ids_as_a_number_or_an_objectid_string(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    either = {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}]}

    line_schema = schema["components"]["schemas"]["CartLine"]["properties"]
    add_schema = schema["components"]["schemas"]["CartItemAddRequest"]["properties"]
    (line_id,) = [
        p for p in schema["paths"]["/api/cart/items/{line_id}/"]["patch"]["parameters"] if p["name"] == "line_id"
    ]
    assert {key: line_schema["id"][key] for key in either} == either
    assert {key: add_schema["variant"][key] for key in either} == either
    assert line_id["schema"]["type"] == "string"
    accepted = [
        text for text in ("7", OBJECT_ID, "7x", "x" + OBJECT_ID) if re.search(line_id["schema"]["pattern"], text)
    ]
    assert accepted == ["7", OBJECT_ID]


@pytest.mark.django_db
def test_anonymous_cart_id_is_kept_in_the_session_as_text(client):
    client.post(reverse("shop:cart_add"), {"variant": make_product().variants.first().pk, "quantity": 1})

    remembered = client.session[SESSION_CART_ID_KEY]

    assert remembered == str(Cart.objects.get(user__isnull=True).pk)


@pytest.mark.django_db
def test_login_with_a_session_cart_id_this_database_cannot_have_merges_nothing_and_keeps_the_users_cart():
    user = make_user()
    cart = cart_get_or_create_for_user(user=user)
    session = SessionStore()
    session[SESSION_CART_ID_KEY] = OBJECT_ID

    assert cart_merge_on_login(session=session, user=user) == []
    assert SESSION_CART_ID_KEY not in session
    assert Cart.objects.get(user=user) == cart
