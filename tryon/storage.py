"""The private storage that holds shoppers' photos and try-on results.

Looked up on every call (not bound at import) so the storage configured in settings, including a
test's temporary folder, is the one used.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    return storages["private"]


def save_private_file(*, folder: str, extension: str, content: bytes) -> str:
    """Store bytes under an unguessable name (uuid4) and return the name actually used."""
    name = f"{folder}/{uuid.uuid4().hex}.{extension}"
    return private_storage().save(name, ContentFile(content))


def read_private_file(name: str) -> bytes:
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def delete_private_files(*names: str) -> None:
    """Delete the named files; names that are blank or already gone are skipped."""
    storage = private_storage()
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)
