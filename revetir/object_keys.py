"""Object ids that work on both backends: integers on SQLite, 24-hex-digit ObjectIds on MongoDB.

Ids arrive as text (URLs, form fields, JSON) and the ORM turns text into the key type of the
field it is compared with, so code that passes ids along as text runs unchanged on both backends.
Where ids leave as JSON, `key_text` keeps integers as numbers (the SQLite API stays as it was)
and writes ObjectIds, which JSON cannot carry, as their hex text.

Use: `register_converter(ObjectKeyConverter, "key")` once in the root urls.py, then `<key:pk>`
instead of `<int:pk>`; `ObjectKeyFormField` and `ObjectKeySerializerField` for ids in forms and
the API; `key_text(obj.pk)` in hand-built JSON, websocket messages and session data.

Text that is a well-formed id on one backend may still be no key at all on the other (an ObjectId's
hex on SQLite, a number on MongoDB), and the ORM raises when asked to compare with it. Give the
fields a `model` (or call `primary_key_or_none`) where such an id must simply find nothing.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A positive integer that fits a 64-bit key, or an ObjectId's 24 hex digits. Grouped, so that
# anchoring it (as the OpenAPI schema of a `<key:...>` path parameter does) anchors both choices.
OBJECT_KEY_REGEX = r"(?:[0-9]{1,19}|[0-9a-fA-F]{24})"
_OBJECT_KEY = re.compile(OBJECT_KEY_REGEX)
INVALID_KEY_MESSAGE = "Not a valid id."


def is_object_key(text: str) -> bool:
    return _OBJECT_KEY.fullmatch(text) is not None


def key_text(value: object) -> int | str | None:
    """The id as JSON can carry it: an integer stays a number, anything else (an ObjectId) its text."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return str(value)


def primary_key_or_none(model: type[Model], value: object) -> object | None:
    """`value` as `model`'s primary key on the database in use, or None when it cannot be one there.

    A None finds nothing, so a caller answers "no such object" instead of letting the query raise."""
    if value is None:
        return None
    try:
        return model._meta.pk.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return None


class ObjectKeyConverter:
    """URL converter for object ids; the view receives the id as text."""

    regex = OBJECT_KEY_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


class ObjectKeyFormField(forms.CharField):
    """A form field holding one object id, cleaned to text; with `model`, cleaned to that model's
    primary key on the database in use (an id that cannot be one there is `invalid`)."""

    default_error_messages = {"invalid": INVALID_KEY_MESSAGE}

    def __init__(self, *, model: type[Model] | None = None, **kwargs) -> None:
        kwargs.setdefault("max_length", 24)
        self.model = model
        super().__init__(**kwargs)

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        if not is_object_key(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return text

    def clean(self, value: object) -> object:
        text = super().clean(value)
        if self.model is None or text in self.empty_values:
            return text
        key = primary_key_or_none(self.model, text)
        if key is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return key


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}]})
class ObjectKeySerializerField(serializers.Field):
    """An API id: written as a number on SQLite and as text on MongoDB; read from either form.

    Read as text; with `model`, as that model's primary key on the database in use (an id that
    cannot be one there is `invalid`)."""

    default_error_messages = {"invalid": INVALID_KEY_MESSAGE}

    def __init__(self, *, model: type[Model] | None = None, **kwargs) -> None:
        self.model = model
        super().__init__(**kwargs)

    def to_representation(self, value: object) -> int | str | None:
        return key_text(value)

    def to_internal_value(self, data: object) -> object:
        if isinstance(data, int) and not isinstance(data, bool) and data > 0:
            data = str(data)
        if not isinstance(data, str) or not is_object_key(data):
            self.fail("invalid")
        if self.model is None:
            return data
        key = primary_key_or_none(self.model, data)
        if key is None:
            self.fail("invalid")
        return key
