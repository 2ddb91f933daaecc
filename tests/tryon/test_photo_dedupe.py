"""The same photo uploaded again by the same shopper is stored once (by a hash of the cleaned image)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import PngImagePlugin

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_image, astronaut_upload, encode
from tests.tryon.test_api import PHOTOS, api_for
from tryon import services
from tryon.models import PersonPhoto


def _stored_photo_files(settings) -> list[Path]:
    return [path for path in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_uploading_the_same_photo_twice_reuses_the_stored_photo(settings):
    owner = make_user()

    first = services.save_person_photo(user=owner, upload=astronaut_upload("me.png"))
    second = services.save_person_photo(user=owner, upload=astronaut_upload("me-again.png"))

    assert (first.already_saved, second.already_saved) == (False, True)
    assert second.pk == first.pk
    assert PersonPhoto.objects.filter(owner=owner).count() == 1
    assert len(_stored_photo_files(settings)) == 1
    assert len(first.content_hash) == 64


@pytest.mark.django_db
def test_the_same_picture_with_other_metadata_is_still_the_same_photo():
    owner = make_user()
    tagged = PngImagePlugin.PngInfo()
    tagged.add_text("Software", "some phone camera app")
    content = encode(astronaut_image(), pnginfo=tagged)
    with_metadata = SimpleUploadedFile("tagged.png", content, content_type="image/png")

    plain = services.save_person_photo(user=owner, upload=astronaut_upload())
    again = services.save_person_photo(user=owner, upload=with_metadata)

    assert again.pk == plain.pk


@pytest.mark.django_db
def test_a_different_photo_or_another_shopper_gets_a_photo_of_its_own(settings):
    owner, other = make_user(), make_user()

    mine = services.save_person_photo(user=owner, upload=astronaut_upload())
    mirrored = services.save_person_photo(user=owner, upload=astronaut_upload(mirrored=True))
    theirs = services.save_person_photo(user=other, upload=astronaut_upload())

    assert len({mine.pk, mirrored.pk, theirs.pk}) == 3
    assert theirs.owner == other
    assert len(_stored_photo_files(settings)) == 3


@pytest.mark.django_db
def test_api_answers_200_with_the_saved_photo_when_it_is_uploaded_again():
    client = api_for(make_user())

    created = client.post(PHOTOS, {"photo": astronaut_upload()}, format="multipart")
    again = client.post(PHOTOS, {"photo": astronaut_upload()}, format="multipart")

    assert created.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert PersonPhoto.objects.count() == 1


@pytest.mark.django_db
def test_my_photos_says_the_photo_was_already_saved(client):
    client.force_login(make_user())
    client.post(reverse("tryon:photo_list"), {"photo": astronaut_upload()}, follow=True)

    response = client.post(reverse("tryon:photo_list"), {"photo": astronaut_upload()}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "You had already saved this photo, so it is kept once."
    ]
    assert PersonPhoto.objects.count() == 1
