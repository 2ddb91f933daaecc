"""Ids as text: the same URL, form and API code finds SQLite's integer keys and MongoDB's ObjectIds."""

from __future__ import annotations

import pytest
from bson import ObjectId
from django import forms
from rest_framework import serializers

from revetir.object_keys import (
    INVALID_KEY_MESSAGE,
    ObjectKeyConverter,
    ObjectKeyFormField,
    ObjectKeySerializerField,
    is_object_key,
    key_text,
)
from shop.models import Product
from tests.factories import make_product

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
