"""The try-on REST API: start and follow jobs, manage photos; owner only, JSON errors, 429 when busy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from revetir.testing.factories import make_product, make_user
from revetir.testing.tryon_data import astronaut_image, astronaut_upload, encode, make_tryon_product
from tryon import services
from tryon.jobs import submit
from tryon.models import JobStatus, PersonPhoto, TryOnJob

JOBS = "/api/tryon/jobs/"
PHOTOS = "/api/tryon/photos/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_posting_a_photo_and_product_returns_202_with_the_queued_job(dispatched):
    user = make_user()
    product = make_tryon_product()
    response = api_for(user).post(JOBS, {"photo": astronaut_upload(), "product": product.pk}, format="multipart")
    assert response.status_code == 202
    body = response.json()
    job = TryOnJob.objects.get()
    assert body["id"] == job.pk
    assert body["status"] == JobStatus.QUEUED
    assert body["result_url"] is None
    assert set(body) >= {"id", "status", "stage", "progress", "engine", "result_url", "error"}
    assert dispatched == [job.pk]
    assert PersonPhoto.objects.get().owner == user


@pytest.mark.django_db
def test_a_client_tries_on_products_it_found_in_the_catalogue_api(dispatched):
    """The catalogue API gives each product the id the try-on API takes, one at a time or a page."""
    user = make_user()
    product = make_tryon_product()
    client = api_for(user)
    card = next(card for card in client.get("/api/products/").json()["results"] if card["slug"] == product.slug)
    detail = client.get(f"/api/products/{product.slug}/").json()
    assert card["id"] == detail["id"] == product.pk and card["supports_tryon"] is True

    photo = client.post(PHOTOS, {"photo": astronaut_upload()}, format="multipart").json()
    single = client.post(JOBS, {"photo_id": photo["id"], "product": card["id"]})
    other = make_tryon_product()
    page = client.post("/api/tryon/pages/", {"photo_id": photo["id"], "products": [other.pk]}, format="json")

    assert single.status_code == 202 and page.status_code == 202
    assert {job.product_id for job in TryOnJob.objects.all()} == {product.pk, other.pk}


@pytest.mark.django_db
def test_a_saved_photo_can_be_used_by_id(dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    response = api_for(user).post(JOBS, {"photo_id": photo.pk, "product": make_tryon_product().pk})
    assert response.status_code == 202
    assert TryOnJob.objects.get().photo == photo


@pytest.mark.django_db
def test_someone_elses_photo_id_is_not_found(dispatched):
    photo = services.save_person_photo(user=make_user(), upload=astronaut_upload())
    response = api_for(make_user()).post(JOBS, {"photo_id": photo.pk, "product": make_tryon_product().pk})
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_bad_input_gets_a_json_error_and_stores_nothing(dispatched):
    user = make_user()
    client = api_for(user)
    product = make_tryon_product()
    gif_bytes = encode(astronaut_image(), "GIF")
    response = client.post(JOBS, {"photo": SimpleUploadedFile("me.jpg", gif_bytes), "product": product.pk})
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "GIF images are not supported. Use a JPEG, PNG or WebP photo."}
    response = client.post(JOBS, {"product": product.pk})
    assert response.status_code == 400
    assert "either a photo file or the photo_id" in response.json()["message"]
    no_image = make_product()
    response = client.post(JOBS, {"photo": astronaut_upload(), "product": no_image.pk})
    assert response.status_code == 404
    assert not PersonPhoto.objects.exists() and not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after_and_queues_nothing(settings, dispatched):
    settings.TRYON_RATE_LIMIT_PER_MINUTE = 1
    user = make_user()
    client = api_for(user)
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    assert client.post(JOBS, {"photo_id": photo.pk, "product": make_tryon_product().pk}).status_code == 202
    response = client.post(JOBS, {"photo_id": photo.pk, "product": make_tryon_product().pk})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["status"] == 429
    assert f"try again in {response['Retry-After']} seconds" in response.json()["message"]
    assert TryOnJob.objects.count() == 1


@pytest.mark.django_db
def test_full_queue_answers_429(settings, dispatched):
    settings.TRYON_MAX_QUEUED_JOBS = 0
    response = api_for(make_user()).post(JOBS, {"photo": astronaut_upload(), "product": make_tryon_product().pk})
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.TRYON_BUSY_RETRY_SECONDS)
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_jobs_and_photos_of_another_shopper_are_not_found_and_not_listed(dispatched):
    owner, intruder = make_user(), make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    job = submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    client = api_for(intruder)
    assert client.get(f"{JOBS}{job.pk}/").status_code == 404
    assert client.delete(f"{JOBS}{job.pk}/").status_code == 404
    assert client.get(f"{PHOTOS}{photo.pk}/").status_code == 404
    assert client.delete(f"{PHOTOS}{photo.pk}/").status_code == 404
    assert client.get(JOBS).json() == []
    assert client.get(PHOTOS).json() == []
    assert TryOnJob.objects.filter(pk=job.pk).exists() and PersonPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_the_owner_lists_reads_and_deletes_jobs_and_photos(dispatched):
    owner = make_user()
    client = api_for(owner)
    created = client.post(PHOTOS, {"photo": astronaut_upload()})
    assert created.status_code == 201
    photo_id = created.json()["id"]
    assert [photo["id"] for photo in client.get(PHOTOS).json()] == [photo_id]
    job_id = client.post(JOBS, {"photo_id": photo_id, "product": make_tryon_product().pk}).json()["id"]
    assert [job["id"] for job in client.get(JOBS).json()] == [job_id]
    assert client.get(f"{JOBS}{job_id}/").json()["status"] == JobStatus.QUEUED
    assert client.delete(f"{JOBS}{job_id}/").status_code == 204
    assert client.delete(f"{PHOTOS}{photo_id}/").status_code == 204
    assert not PersonPhoto.objects.exists() and not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_anonymous_requests_are_refused():
    client = APIClient()
    assert client.get(JOBS).status_code in (401, 403)
    assert client.post(PHOTOS, {"photo": astronaut_upload()}).status_code in (401, 403)
    assert not PersonPhoto.objects.exists()


@pytest.mark.django_db
def test_the_schema_documents_the_tryon_routes(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/tryon/jobs/{id}/" in schema
    assert "/api/tryon/photos/" in schema
