"""Uploading a person photo: what is accepted, each rejection's message, and what is stored."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_image, coffee_image, encode, grace_hopper_image
from tryon.models import PersonPhoto
from tryon.services import save_person_photo

EXIF_ORIENTATION = 0x0112
EXIF_GPS_IFD = 0x8825


def upload(content: bytes, name: str = "me.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[str]:
    storage = storages["private"]
    if not storage.exists("photos"):
        return []
    return storage.listdir("photos")[1]


def assert_rejected(user, content: bytes, expected: str, **kwargs) -> None:
    with pytest.raises(ValidationError) as caught:
        save_person_photo(user=user, upload=upload(content, **kwargs))
    assert expected in " ".join(caught.value.messages)
    assert not PersonPhoto.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_jpeg_png_and_webp_photos_are_accepted_and_stored_privately_under_random_names():
    user = make_user()
    for format in ("JPEG", "PNG", "WEBP"):
        photo = save_person_photo(user=user, upload=upload(encode(astronaut_image(), format), name="x.bin"))
        assert photo.owner == user
        assert (photo.width, photo.height) == (512, 512)
        assert photo.file_name.startswith("photos/")
        assert "x.bin" not in photo.file_name
        assert len(photo.file_name.split("/")[1].split(".")[0]) == 32  # uuid4 hex
        assert storages["private"].exists(photo.file_name)
    assert len(stored_files()) == 3


@pytest.mark.django_db
def test_empty_file_is_rejected():
    assert_rejected(make_user(), b"", "The file is empty")


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_rejected_even_with_an_image_name():
    assert_rejected(make_user(), b"%PDF-1.7 this is a document" * 20, "not an image", name="photo.jpg")


@pytest.mark.django_db
def test_truncated_image_is_rejected():
    content = encode(astronaut_image(), "JPEG", quality=90)
    assert_rejected(make_user(), content[: len(content) // 2], "damaged or incomplete")


@pytest.mark.django_db
def test_file_over_the_size_limit_is_rejected(settings):
    settings.TRYON_MAX_UPLOAD_BYTES = 100_000
    content = encode(astronaut_image(), "PNG")
    assert len(content) > 100_000
    assert_rejected(make_user(), content, "too large")


@pytest.mark.django_db
def test_image_with_too_many_pixels_is_rejected_before_decoding(settings):
    settings.TRYON_MAX_PIXELS = 1_000_000
    content = encode(Image.new("RGB", (2000, 1000), (120, 120, 120)), "PNG")
    assert_rejected(make_user(), content, "too many pixels")


@pytest.mark.django_db
def test_decompression_bomb_over_pillows_guard_is_rejected():
    # 10 000 × 10 000 = 100 MP: more than twice the 40 MP limit, so Pillow refuses to open it.
    content = encode(Image.new("1", (10_000, 10_000)), "PNG")
    assert len(content) < 1_000_000
    assert_rejected(make_user(), content, "too many pixels")


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["GIF", "BMP"])
def test_unsupported_formats_are_rejected_with_their_name(format):
    assert_rejected(make_user(), encode(astronaut_image(), format), f"{format} images are not supported")


@pytest.mark.django_db
def test_exif_orientation_is_applied_and_all_metadata_is_removed():
    # Grace Hopper's portrait as a landscape sensor image that the camera marked "rotate 90°
    # clockwise to view" (orientation 6), with a red band along what is the top once upright and a
    # GPS position in its EXIF.
    upright = grace_hopper_image()
    upright.paste((255, 0, 0), (0, 0, upright.width, 20))
    sensor = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(EXIF_GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 30.0)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    original = encode(sensor, "JPEG", exif=exif, quality=95)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(EXIF_GPS_IFD)

    photo = save_person_photo(user=make_user(), upload=upload(original))

    with storages["private"].open(photo.file_name, "rb") as handle:
        stored_bytes = handle.read()
    stored = Image.open(io.BytesIO(stored_bytes))
    assert stored.size == (512, 600)  # upright: portrait
    assert (photo.width, photo.height) == (512, 600)
    red, green, _blue = stored.convert("RGB").getpixel((256, 10))
    assert red > 200 and green < 60  # the sensor's left edge is now the top
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    assert b"Exif" not in stored_bytes
    assert b"PhoneMaker" not in stored_bytes


@pytest.mark.django_db
def test_png_with_transparency_is_kept_as_png_without_text_chunks():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "48.85N 2.29E")
    image = astronaut_image().convert("RGBA")
    image.putalpha(Image.new("L", image.size, 200))
    photo = save_person_photo(user=make_user(), upload=upload(encode(image, "PNG", pnginfo=info), name="a.png"))
    assert photo.file_name.endswith(".png")
    with storages["private"].open(photo.file_name, "rb") as handle:
        stored_bytes = handle.read()
    assert b"48.85N" not in stored_bytes
    assert Image.open(io.BytesIO(stored_bytes)).mode == "RGBA"


@pytest.mark.django_db
def test_no_file_is_left_behind_when_the_row_cannot_be_saved(monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(PersonPhoto.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        save_person_photo(user=make_user(), upload=upload(encode(astronaut_image(), "JPEG")))
    assert stored_files() == []


@pytest.mark.django_db
def test_photo_without_a_person_is_refused_with_what_photo_to_take_and_nothing_is_stored():
    assert_rejected(
        make_user(),
        encode(coffee_image(), "JPEG"),
        "We could not find a person in this photo. Face the camera with your shoulders and hips in the picture.",
    )


@pytest.mark.django_db
def test_photo_of_two_people_is_refused():
    pair = Image.new("RGB", (1024, 512))
    pair.paste(astronaut_image(), (0, 0))
    pair.paste(astronaut_image().transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))
    assert_rejected(make_user(), encode(pair, "JPEG"), "Only you should be in the photo")


@pytest.mark.django_db
def test_stored_photo_keeps_its_body_analysis_and_says_per_garment_type_whether_it_can_be_used():
    photo = save_person_photo(user=make_user(), upload=upload(encode(grace_hopper_image(), "JPEG")))
    photo.refresh_from_db()
    assert set(photo.body_analysis["keypoints"]) >= {"nose", "left_shoulder", "right_shoulder"}
    assert photo.verdict_for("upper_body").usable
    trousers = photo.verdict_for("lower_body")
    assert not trousers.usable
    assert trousers.message.startswith("This photo shows you from the waist up: it can try tops.")
    assert not photo.verdict_for("full_body").usable


@pytest.mark.django_db
def test_upload_for_a_garment_type_the_photo_cannot_try_is_refused_and_not_stored():
    with pytest.raises(ValidationError) as caught:
        save_person_photo(user=make_user(), upload=upload(encode(astronaut_image(), "JPEG")), garment_type="lower_body")
    assert "from the waist up" in caught.value.messages[0]
    assert not PersonPhoto.objects.exists()
    assert stored_files() == []
