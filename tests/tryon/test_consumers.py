"""The /ws/tryon/ websocket: who may connect, what they receive, and what they never see."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from revetir.asgi import application
from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.tryon.helpers import ScriptedEngine
from tryon import services
from tryon.consumers import TryOnProgressConsumer
from tryon.jobs import submit
from tryon.jobs.runner import run_queued_jobs
from tryon.models import JobStatus, TryOnJob

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def submitted_job(user):
    product = make_tryon_product()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    return submit.submit_job(user=user, photo=photo, product_image=product.images.get(is_primary=True))


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(TryOnProgressConsumer.as_asgi(), "/ws/tryon/")
    communicator.scope["user"] = user
    return communicator


async def test_anonymous_connection_through_the_real_route_is_accepted_then_closed_with_4401():
    """Accepted first, so the client reads the 4401 the README promises instead of an HTTP 403."""
    communicator = WebsocketCommunicator(application, "/ws/tryon/", headers=[(b"origin", b"http://testserver")])
    try:
        connected, _subprotocol = await communicator.connect()
        assert connected is True
        assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    finally:
        await communicator.disconnect()


async def test_anonymous_consumer_connection_closes_with_4401():
    communicator = communicator_for(AnonymousUser())
    try:
        connected, _subprotocol = await communicator.connect()
        assert connected is True
        assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    finally:
        await communicator.disconnect()


async def test_on_connect_the_shopper_gets_the_state_of_their_live_jobs_only(dispatched):
    user, other = await database_sync_to_async(make_user)(), await database_sync_to_async(make_user)()
    job = await submitted_job(user)
    await submitted_job(other)
    communicator = communicator_for(user)
    try:
        connected, _ = await communicator.connect()
        assert connected
        state = await communicator.receive_json_from(timeout=5)
        assert state["type"] == "tryon.state"
        assert [entry["job"] for entry in state["jobs"]] == [job.pk]
        assert state["jobs"][0]["status"] == JobStatus.QUEUED
    finally:
        await communicator.disconnect()


async def test_the_owner_receives_progress_and_done_and_another_shopper_receives_nothing(dispatched):
    owner, other = await database_sync_to_async(make_user)(), await database_sync_to_async(make_user)()
    owner_socket, other_socket = communicator_for(owner), communicator_for(other)
    try:
        assert (await owner_socket.connect())[0]
        assert (await other_socket.connect())[0]
        assert (await owner_socket.receive_json_from(timeout=5))["jobs"] == []
        assert (await other_socket.receive_json_from(timeout=5))["jobs"] == []

        job = await submitted_job(owner)
        engine = ScriptedEngine()
        await database_sync_to_async(run_queued_jobs)(preferred_job_id=job.pk, engine_factory=lambda: engine)

        messages = []
        while not messages or messages[-1]["type"] == "tryon.progress":
            messages.append(await owner_socket.receive_json_from(timeout=5))
        assert {message["job"] for message in messages} == {job.pk}
        stages = [message["stage"] for message in messages if message["type"] == "tryon.progress"]
        assert "segmenting" in stages and "compositing" in stages
        done = messages[-1]
        assert done["type"] == "tryon.done"
        assert done["status"] == JobStatus.DONE
        assert done["progress"] == 1.0
        assert done["engine"] == "scripted"
        assert done["result_url"] == f"/tryon/jobs/{job.pk}/result/"
        assert done["error"] == ""
        assert await other_socket.receive_nothing(timeout=0.5)
    finally:
        await owner_socket.disconnect()
        await other_socket.disconnect()


async def test_a_failure_is_pushed_with_its_message(dispatched):
    owner = await database_sync_to_async(make_user)()
    socket = communicator_for(owner)
    try:
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        job = await submitted_job(owner)
        engine = ScriptedEngine(error=RuntimeError("out of memory"))
        await database_sync_to_async(run_queued_jobs)(preferred_job_id=job.pk, engine_factory=lambda: engine)
        message = await socket.receive_json_from(timeout=5)
        while message["type"] == "tryon.progress":
            message = await socket.receive_json_from(timeout=5)
        assert message["type"] == "tryon.failed"
        assert message["job"] == job.pk
        assert "ran out of memory" in message["error"]
    finally:
        await socket.disconnect()


async def test_a_job_finished_before_the_socket_opened_is_in_the_state_on_connect(dispatched):
    owner = await database_sync_to_async(make_user)()
    job = await submitted_job(owner)
    engine = ScriptedEngine()
    await database_sync_to_async(run_queued_jobs)(preferred_job_id=job.pk, engine_factory=lambda: engine)
    socket = communicator_for(owner)
    try:
        assert (await socket.connect())[0]
        state = await socket.receive_json_from(timeout=5)
        assert [(entry["job"], entry["type"]) for entry in state["jobs"]] == [(job.pk, "tryon.done")]
        assert state["jobs"][0]["result_url"]
    finally:
        await socket.disconnect()


@database_sync_to_async
def mark_running_with_heartbeat(job, *, seconds_ago: int, attempts: int = 1) -> None:
    beat = timezone.now() - timedelta(seconds=seconds_ago)
    TryOnJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=beat, heartbeat_at=beat, worker="w", attempts=attempts
    )


async def test_a_watched_job_whose_worker_stops_beating_is_shown_queued_again_on_the_open_socket(dispatched, settings):
    settings.TRYON_HEARTBEAT_LIMIT_SECONDS = 3  # the socket checks every second
    user = await database_sync_to_async(make_user)()
    job = await submitted_job(user)
    await mark_running_with_heartbeat(job, seconds_ago=0)
    communicator = communicator_for(user)
    try:
        assert (await communicator.connect())[0]
        state = await communicator.receive_json_from(timeout=5)
        assert state["jobs"][0]["status"] == JobStatus.RUNNING
        await mark_running_with_heartbeat(job, seconds_ago=60)  # the worker died after connect
        retried = await communicator.receive_json_from(timeout=5)
        assert (retried["type"], retried["job"], retried["status"]) == ("tryon.progress", job.pk, JobStatus.QUEUED)
        assert dispatched == [job.pk, job.pk]
    finally:
        await communicator.disconnect()


async def test_a_watched_job_whose_worker_stops_on_its_second_try_is_failed_on_the_open_socket(dispatched, settings):
    settings.TRYON_HEARTBEAT_LIMIT_SECONDS = 3  # the socket checks every second
    user = await database_sync_to_async(make_user)()
    job = await submitted_job(user)
    await mark_running_with_heartbeat(job, seconds_ago=0, attempts=2)
    communicator = communicator_for(user)
    try:
        assert (await communicator.connect())[0]
        state = await communicator.receive_json_from(timeout=5)
        assert state["jobs"][0]["status"] == JobStatus.RUNNING
        await mark_running_with_heartbeat(job, seconds_ago=60, attempts=2)
        failed = await communicator.receive_json_from(timeout=5)
        assert failed["type"] == "tryon.failed"
        assert failed["job"] == job.pk
        assert failed["error"]
    finally:
        await communicator.disconnect()


async def test_a_socket_without_live_jobs_runs_no_periodic_check():
    user = await database_sync_to_async(make_user)()
    communicator = communicator_for(user)
    try:
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=5))["jobs"] == []
        watches = [task for task in asyncio.all_tasks() if "_watch_for_stale_jobs" in repr(task.get_coro())]
        assert watches == []
    finally:
        await communicator.disconnect()
