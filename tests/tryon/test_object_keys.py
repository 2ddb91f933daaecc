"""Try-on ids on both backends: integers on SQLite, 24-hex-digit ObjectIds on MongoDB.

These run on SQLite: an ObjectId's text must route, reverse and validate like an integer id, and
find nothing here (a clean 404 or validation error, never a crash); ids leaving as JSON (API,
websocket, worker channel) must be something JSON carries.
"""

from __future__ import annotations

import json

import pytest
from bson import ObjectId
from django.urls import Resolver404, resolve, reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from revetir.api import api_route_not_found
from revetir.celery import app as celery_app
from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.tryon.helpers import ScriptedEngine
from tryon import api, services, tasks, views
from tryon.forms import TryOnForm
from tryon.jobs import dispatch, runner, submit
from tryon.jobs.messages import job_payload
from tryon.models import JobStatus, PersonPhoto, TryOnJob

OBJECT_ID = "65f1a2b3c4d5e6f708192a3b"

KEYED_ROUTES = [
    ("tryon:job_detail", views.job_detail),
    ("tryon:job_delete", views.job_delete),
    ("tryon:job_result", views.job_result),
    ("tryon:job_result_small", views.job_result_small),
    ("tryon:photo_delete", views.photo_delete),
    ("tryon:photo_image", views.photo_image),
    ("tryon-api-job", api.JobDetailView),
    ("tryon-api-photo", api.PhotoDetailView),
]


def view_of(match) -> object:
    return getattr(match.func, "view_class", match.func)


def submitted_job(user) -> TryOnJob:
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    return submit.submit_job(user=user, photo=photo, product_image=make_tryon_product().images.get())


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def unsaved_job_with_object_ids() -> TryOnJob:
    """A job as MongoDB hands it over: every key an ObjectId."""
    return TryOnJob(
        pk=ObjectId(OBJECT_ID),
        owner_id=ObjectId(),
        photo_id=ObjectId(),
        product_id=ObjectId(),
        product_image_id=ObjectId(),
        status=JobStatus.DONE,
    )


@pytest.mark.parametrize(("name", "view"), KEYED_ROUTES)
@pytest.mark.parametrize("key", [OBJECT_ID, 12])
def test_keyed_tryon_routes_reverse_and_resolve_an_objectid_or_an_integer_as_text(name, view, key):
    url = reverse(name, kwargs={"pk": key})
    match = resolve(url)

    assert str(key) in url
    assert view_of(match) is view
    assert match.kwargs == {"pk": str(key)}


@pytest.mark.parametrize("name", [name for name, _view in KEYED_ROUTES])
def test_keyed_tryon_routes_do_not_match_text_that_is_no_id(name):
    url = reverse(name, kwargs={"pk": 7}).replace("/7/", "/not-an-id/")

    if url.startswith("/api/"):
        # Under /api/ nothing keyed matches either: the catch-all answers with a JSON 404.
        assert resolve(url).func is api_route_not_found
    else:
        with pytest.raises(Resolver404):
            resolve(url)


@pytest.mark.django_db
def test_objectid_urls_of_the_tryon_pages_are_404_on_sqlite(client, dispatched):
    client.force_login(make_user())

    for name in ("tryon:job_detail", "tryon:job_result", "tryon:job_result_small", "tryon:photo_image"):
        assert client.get(reverse(name, kwargs={"pk": OBJECT_ID})).status_code == 404, name
    for name in ("tryon:job_delete", "tryon:photo_delete"):
        assert client.post(reverse(name, kwargs={"pk": OBJECT_ID})).status_code == 404, name


@pytest.mark.django_db
def test_the_owner_still_reaches_their_job_and_photo_by_integer_id(client, dispatched):
    owner = make_user()
    job = submitted_job(owner)
    client.force_login(owner)

    assert client.get(reverse("tryon:job_detail", kwargs={"pk": job.pk})).status_code == 200
    assert api_for(owner).get(reverse("tryon-api-photo", kwargs={"pk": job.photo_id})).json()["id"] == job.photo_id


@pytest.mark.django_db
def test_objectid_urls_of_the_tryon_api_answer_a_json_404_on_sqlite(dispatched):
    client = api_for(make_user())

    for name in ("tryon-api-job", "tryon-api-photo"):
        url = reverse(name, kwargs={"pk": OBJECT_ID})
        for response in (client.get(url), client.delete(url)):
            assert response.status_code == 404, url
            assert response.json()["status"] == 404


@pytest.mark.django_db
def test_try_on_form_takes_an_objectid_product_as_text():
    form = TryOnForm(data={"product": OBJECT_ID}, user=make_user())

    form.is_valid()

    assert "product" not in form.errors
    assert form.cleaned_data["product"] == OBJECT_ID


@pytest.mark.django_db
def test_try_on_form_rejects_a_product_that_is_no_id_with_a_message():
    form = TryOnForm(data={"product": "shirt"}, user=make_user())

    assert not form.is_valid()
    assert "tried on" in form.errors["product"][0]


@pytest.mark.django_db
def test_try_on_form_with_an_objectid_photo_on_sqlite_is_a_field_error():
    user = make_user()
    form = TryOnForm(data={"product": str(make_tryon_product().pk), "photo_id": OBJECT_ID}, user=user)

    assert not form.is_valid()
    assert "photo_id" in form.errors


@pytest.mark.django_db
def test_starting_a_try_on_of_an_objectid_product_on_sqlite_is_404_and_queues_nothing(client, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)

    response = client.post(reverse("tryon:job_create"), {"product": OBJECT_ID, "photo_id": photo.pk})

    assert response.status_code == 404
    assert not TryOnJob.objects.exists()
    assert dispatched == []


@pytest.mark.django_db
def test_the_try_on_page_shows_why_a_product_that_is_no_id_was_refused(client):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)

    response = client.post(reverse("tryon:job_create"), {"product": "shirt", "photo_id": photo.pk})

    assert response.status_code == 400
    assert "go back to its page" in response.content.decode()


def test_job_create_serializer_accepts_objectids_and_integers_as_text():
    for data in ({"product": OBJECT_ID, "photo_id": OBJECT_ID}, {"product": 3, "photo_id": "4"}):
        serializer = api.JobCreateSerializer(data=data)

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data == {"product": str(data["product"]), "photo_id": str(data["photo_id"])}


def test_job_create_serializer_rejects_ids_that_are_neither():
    serializer = api.JobCreateSerializer(data={"product": "shirt", "photo_id": -4})

    assert not serializer.is_valid()
    assert set(serializer.errors) == {"product", "photo_id"}


@pytest.mark.django_db
def test_api_try_on_of_an_objectid_product_or_photo_on_sqlite_is_a_json_404(dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    product = make_tryon_product()
    client = api_for(user)

    for data in ({"product": OBJECT_ID, "photo_id": photo.pk}, {"product": product.pk, "photo_id": OBJECT_ID}):
        response = client.post("/api/tryon/jobs/", data)
        assert response.status_code == 404, data
        assert response.json()["status"] == 404
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_api_keeps_integer_ids_as_numbers_on_sqlite(dispatched):
    owner = make_user()
    job = submitted_job(owner)

    body = api_for(owner).get(reverse("tryon-api-job", kwargs={"pk": job.pk})).json()

    assert body["id"] == job.pk
    assert body["job"] == job.pk
    assert body["product"] == job.product_id


def test_job_json_and_websocket_payload_carry_objectids_as_text():
    job = unsaved_job_with_object_ids()

    payload = json.loads(json.dumps(job_payload(job)))
    rendered = json.loads(JSONRenderer().render(api.JobSerializer(api._job_json(job)).data))

    assert payload["job"] == OBJECT_ID
    assert payload["product"] == str(job.product_id)
    assert payload["result_url"] == reverse("tryon:job_result", kwargs={"pk": OBJECT_ID})
    assert payload["photo_url"] == reverse("tryon:photo_image", kwargs={"pk": str(job.photo_id)})
    assert rendered["id"] == OBJECT_ID
    assert rendered["product"] == str(job.product_id)


def test_photo_json_carries_an_objectid_as_text():
    photo = PersonPhoto(pk=ObjectId(OBJECT_ID), owner_id=ObjectId(), file_name="x.jpg", width=3, height=4)

    rendered = json.loads(JSONRenderer().render(api.PhotoSerializer(photo).data))

    assert rendered["id"] == OBJECT_ID
    assert rendered["url"] == reverse("tryon:photo_image", kwargs={"pk": OBJECT_ID})


def test_the_celery_message_carries_an_objectid_as_text_and_never_expires(settings):
    settings.TRYON_WORKER = "celery"
    settings.TRYON_QUEUE = "tryon-object-keys-test"

    dispatch.dispatch_job(ObjectId(OBJECT_ID))
    with celery_app.connection_for_read() as connection:
        message = connection.SimpleQueue(settings.TRYON_QUEUE).get(timeout=5)
    message.ack()

    assert message.headers["task"] == dispatch.RUN_JOB_TASK
    assert message.headers["expires"] is None
    args, _kwargs, _embed = json.loads(message.body)
    assert args == [OBJECT_ID]


@pytest.mark.django_db
def test_the_task_runs_the_job_its_message_names_given_as_text(monkeypatch, dispatched):
    monkeypatch.setattr(runner, "load_engine", ScriptedEngine)
    named = submitted_job(make_user())

    assert tasks.run_next_queued_job(str(named.pk)) is True

    named.refresh_from_db()
    assert (named.status, named.attempts) == (JobStatus.DONE, 1)


@pytest.mark.django_db
def test_a_task_given_an_id_that_is_no_key_here_runs_nothing(monkeypatch, dispatched):
    monkeypatch.setattr(runner, "load_engine", ScriptedEngine)
    job = submitted_job(make_user())

    assert tasks.run_next_queued_job(OBJECT_ID) is False

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["9999999999999999999", "123456789012345678901234"])
def test_ids_past_the_integer_range_are_404_on_sqlite(client, key):
    user = make_user()
    client.force_login(user)

    assert client.get(reverse("tryon:job_detail", kwargs={"pk": key})).status_code == 404
    assert api_for(user).get(reverse("tryon-api-photo", kwargs={"pk": key})).status_code == 404
    assert TryOnForm(data={"product": key, "photo_id": key}, user=user).errors["photo_id"]
