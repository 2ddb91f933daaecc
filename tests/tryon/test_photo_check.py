"""The body model's photo check in the shop: refused uploads (page and API), and stored photos that
say per garment type whether they can be used, on the photo list, the try-on panel and the job API."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, coffee_image, encode, make_tryon_product
from shop.models import GarmentType
from tryon import services
from tryon.models import PersonPhoto, TryOnJob
from tryon.pipeline.body.analysis import HIPS_OUT, NO_PERSON

PHOTOS = "/api/tryon/photos/"
JOBS = "/api/tryon/jobs/"


def coffee_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("cup.jpg", encode(coffee_image(), "JPEG"), content_type="image/jpeg")


def photo_input(page: str, photo_pk) -> str:
    """The saved photo's radio button tag on a page."""
    match = re.search(rf'<input type="radio" name="photo_id" value="{photo_pk}"[^>]*>', page)
    assert match, f"no radio button for photo {photo_pk}"
    return match.group(0)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_api_upload_of_a_photo_without_a_person_is_a_400_with_what_photo_to_take():
    response = api_for(make_user()).post(PHOTOS, {"photo": coffee_upload()}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": NO_PERSON}
    assert not PersonPhoto.objects.exists()


@pytest.mark.django_db
def test_my_photos_page_shows_the_refusal_as_a_form_error_and_stores_nothing(client):
    client.force_login(make_user())
    response = client.post("/tryon/photos/", {"photo": coffee_upload()})
    assert response.status_code == 400
    assert NO_PERSON in response.content.decode()
    assert not PersonPhoto.objects.exists()


@pytest.mark.django_db
def test_api_photo_says_per_garment_type_whether_it_can_be_used():
    user = make_user()
    response = api_for(user).post(PHOTOS, {"photo": astronaut_upload()}, format="multipart")
    assert response.status_code == 201
    usable_for = response.json()["usable_for"]
    assert usable_for["upper_body"] == {"usable": True, "message": ""}
    assert usable_for["lower_body"] == {"usable": False, "message": HIPS_OUT}
    assert usable_for["full_body"]["usable"] is False


@pytest.mark.django_db
def test_photo_list_says_a_waist_up_photo_can_try_tops_and_why_not_trousers(client):
    user = make_user()
    services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)
    page = client.get("/tryon/photos/").content.decode()
    assert "Can try: Upper body (tops, shirts, jumpers)" in page
    assert f"Cannot try lower body (trousers, skirts) or full body (dresses): {HIPS_OUT}" in page


@pytest.mark.django_db
def test_job_api_refuses_a_saved_waist_up_photo_for_trousers_with_the_reason(dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    trousers = make_tryon_product(garment_type=GarmentType.LOWER_BODY)
    response = api_for(user).post(JOBS, {"photo_id": photo.pk, "product": trousers.pk})
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": HIPS_OUT}
    assert not TryOnJob.objects.exists()
    assert dispatched == []


@pytest.mark.django_db
def test_job_api_with_a_new_photo_that_cannot_try_the_garment_stores_neither_photo_nor_job(dispatched):
    dress = make_tryon_product(garment_type=GarmentType.FULL_BODY)
    response = api_for(make_user()).post(JOBS, {"photo": astronaut_upload(), "product": dress.pk}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"] == HIPS_OUT
    assert not PersonPhoto.objects.exists()
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_try_on_panel_lists_a_photo_that_cannot_try_this_garment_disabled_with_the_reason(client):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)
    skirt_page = client.get(make_tryon_product(garment_type=GarmentType.LOWER_BODY).get_absolute_url()).content.decode()
    assert "disabled" in photo_input(skirt_page, photo.pk)
    assert f"(cannot be used: {HIPS_OUT})" in skirt_page
    top_page = client.get(make_tryon_product().get_absolute_url()).content.decode()
    assert "disabled" not in photo_input(top_page, photo.pk)
    assert "cannot be used" not in top_page


@pytest.mark.django_db
def test_try_on_form_refuses_a_saved_photo_that_cannot_try_the_garment(client, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    trousers = make_tryon_product(garment_type=GarmentType.LOWER_BODY)
    client.force_login(user)
    response = client.post("/tryon/jobs/", {"product": trousers.pk, "photo_id": photo.pk})
    assert response.status_code == 400
    assert HIPS_OUT in response.content.decode()
    assert not TryOnJob.objects.exists()
