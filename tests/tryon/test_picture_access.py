"""Token clients fetch their own pictures and an anonymous websocket is closed with 4401
(issue #12, failure 6)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from revetir.asgi import application
from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.revetir.test_api_contract import assert_json_error
from tryon import services
from tryon.jobs import submit
from tryon.jobs.messages import job_payload
from tryon.models import JobStatus, TryOnJob
from tryon.storage import save_private_file

# --- Token clients fetch their own pictures ---------------------------------------------------


def _finished_job(user) -> TryOnJob:
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    job = submit.submit_job(user=user, photo=photo, product_image=make_tryon_product().images.get())
    result = save_private_file(folder="results", extension="jpg", content=b"\xff\xd8result")
    small = save_private_file(folder="results", extension="jpg", content=b"\xff\xd8small")
    TryOnJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, engine="classic", result_name=result, result_small_name=small
    )
    job.refresh_from_db()
    return job


def _token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


@pytest.mark.django_db
def test_a_token_client_fetches_its_own_photo_and_results_from_the_urls_the_api_gives(dispatched):
    owner = make_user()
    job = _finished_job(owner)
    client = _token_client(owner)
    payload = client.get(f"/api/tryon/jobs/{job.pk}/").json()

    photo = client.get(payload["photo_url"])
    result = client.get(payload["result_url"])
    small = client.get(payload["result_small_url"])

    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(result.streaming_content) == b"\xff\xd8result"
    assert b"".join(small.streaming_content) == b"\xff\xd8small"
    assert result["Cache-Control"] == "private, max-age=300"


@pytest.mark.django_db
def test_another_users_token_gets_404_and_a_bad_token_a_json_401(dispatched):
    job = _finished_job(make_user())
    urls = [job_payload(job)[name] for name in ("photo_url", "result_url", "result_small_url")]

    for url in urls:
        assert _token_client(make_user()).get(url).status_code == 404
        assert_json_error(Client(HTTP_AUTHORIZATION="Token not-a-real-token").get(url), 401)
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))


# --- Anonymous websocket ----------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_websocket_from_a_foreign_origin_is_still_refused_at_the_handshake():
    communicator = WebsocketCommunicator(application, "/ws/tryon/", headers=[(b"origin", b"https://evil.example")])
    try:
        connected, _code = await communicator.connect()
        assert connected is False
    finally:
        await communicator.disconnect()


@pytest.mark.django_db
def test_shoppers_photos_are_not_reachable_under_media(client, settings, dispatched):
    settings.DEBUG = False
    job = _finished_job(make_user())

    assert client.get(f"/media/{job.result_name}").status_code == 404
    assert client.get(f"/media/../private/{job.result_name}").status_code == 404
