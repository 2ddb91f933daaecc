"""Object ids that work on both backends: integers on SQLite, 24-hex-digit ObjectIds on MongoDB.

Ids arrive as text (URLs, form fields, JSON) and the ORM turns text into the key type of the
field it is compared with, so code that passes ids along as text runs unchanged on both backends.
Where ids leave as JSON, `key_text` keeps integers as numbers (the SQLite API stays as it was)
and writes ObjectIds, which JSON cannot carry, as their hex text.

Use: `register_converter(ObjectKeyConverter, "key")` once in the root urls.py, then `<key:pk>`
instead of `<int:pk>`; `ObjectKeyFormField` and `ObjectKeySerializerField` for ids in forms and
the API; `key_text(obj.pk)` in hand-built JSON, websocket messages and session data.
"""

from __future__ import annotations

import re

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A positive integer that fits a 64-bit key, or an ObjectId's 24 hex digits.
OBJECT_KEY_REGEX = r"[0-9]{1,19}|[0-9a-fA-F]{24}"
_OBJECT_KEY = re.compile(rf"(?:{OBJECT_KEY_REGEX})")
INVALID_KEY_MESSAGE = "Not a valid id."


def is_object_key(text: str) -> bool:
    return _OBJECT_KEY.fullmatch(text) is not None


def key_text(value: object) -> int | str | None:
    """The id as JSON can carry it: an integer stays a number, anything else (an ObjectId) its text."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return str(value)


class ObjectKeyConverter:
    """URL converter for object ids; the view receives the id as text."""

    regex = OBJECT_KEY_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


class ObjectKeyFormField(forms.CharField):
    """A form field holding one object id, cleaned to text."""

    default_error_messages = {"invalid": INVALID_KEY_MESSAGE}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        if not is_object_key(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return text


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}]})
class ObjectKeySerializerField(serializers.Field):
    """An API id: written as a number on SQLite and as text on MongoDB; read from either form."""

    default_error_messages = {"invalid": INVALID_KEY_MESSAGE}

    def to_representation(self, value: object) -> int | str | None:
        return key_text(value)

    def to_internal_value(self, data: object) -> str:
        if isinstance(data, int) and not isinstance(data, bool) and data > 0:
            data = str(data)
        if not isinstance(data, str) or not is_object_key(data):
            self.fail("invalid")
        return data
