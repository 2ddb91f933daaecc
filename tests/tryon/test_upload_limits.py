"""Pictures that would take too much memory, or cannot be re-encoded, are a 400 on every upload
route, with a message, and nothing is stored (issue #12, failure 2)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from revetir.testing.factories import make_user
from revetir.testing.person_photos import astronaut, widened
from revetir.testing.tryon_data import encode, make_tryon_product
from tryon.models import PersonPhoto, TryOnJob
from tryon.photo_check import clean_person_photo


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` RGB pixels but holds one row: enough for a size check."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    one_row = zlib.compress(b"\0" * (1 + 3 * width))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", one_row) + png_chunk(b"IEND", b"")


def one_by_100000_png() -> bytes:
    return encode(Image.new("L", (1, 100_000), 128), "PNG")


def nothing_stored() -> bool:
    storage = storages["private"]
    no_files = not storage.exists("photos") or storage.listdir("photos")[1] == []
    return no_files and not PersonPhoto.objects.exists() and not TryOnJob.objects.exists()


def post_to(route: str, user, content: bytes) -> tuple[int, str]:
    """POST `content` as the photo to one of the four upload routes; returns (status, text)."""
    photo = SimpleUploadedFile("me.png", content, content_type="image/png")
    product = make_tryon_product()
    if route.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(user)
    else:
        client = Client()
        client.force_login(user)
    data = {"photo": photo}
    if route.endswith("jobs/"):
        data["product"] = product.pk
    response = client.post(route, data)
    return response.status_code, response.content.decode()


UPLOAD_ROUTES = ["/api/tryon/photos/", "/tryon/photos/", "/api/tryon/jobs/", "/tryon/jobs/"]


@pytest.mark.django_db
@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_a_1_by_100000_png_is_a_400_with_a_message_on_every_upload_route(route, dispatched):
    content = one_by_100000_png()
    assert len(content) < 1000

    status, text = post_to(route, make_user(), content)

    assert status == 400
    assert "far too narrow for a person photo" in text
    assert nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_a_39_megapixel_png_is_refused_from_its_header_on_every_upload_route(route, dispatched):
    status, text = post_to(route, make_user(), png_header_only(7700, 5143))

    assert status == 400
    assert "too many pixels" in text
    assert nothing_stored()


def test_a_picture_that_cannot_be_re_encoded_is_a_validation_error(settings):
    """With the size bounds opened up, JPEG's 65,500-pixel side limit is met: still a clear error."""
    settings.TRYON_MAX_ASPECT_RATIO = 1_000_000
    settings.TRYON_PHOTO_MAX_SIDE = 1_000_000

    with pytest.raises(ValidationError) as caught:
        clean_person_photo(SimpleUploadedFile("me.png", one_by_100000_png()))

    assert caught.value.code == "cannot_reencode"
    assert "cannot be stored as a photo" in caught.value.messages[0]


def test_a_large_jpeg_is_accepted_and_stored_no_larger_than_the_stored_size_limit(settings):
    settings.TRYON_PHOTO_MAX_SIDE = 1024
    content = encode(Image.fromarray(widened(astronaut(), 3000, 2000)), "JPEG")  # a person: passes the body check

    clean = clean_person_photo(SimpleUploadedFile("me.jpg", content))

    assert (clean.width, clean.height) == (1024, 683)
    assert Image.open(io.BytesIO(clean.content)).size == (1024, 683)


def test_png_and_webp_have_the_lower_full_decode_pixel_limit(settings):
    settings.TRYON_MAX_FULL_DECODE_PIXELS = 1_000_000

    with pytest.raises(ValidationError) as caught:
        clean_person_photo(SimpleUploadedFile("me.png", png_header_only(1200, 900)))

    assert "limit is 1 megapixels" in caught.value.messages[0]
