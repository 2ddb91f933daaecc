"""FASHN VTON v1.5 in the shop: a try-on through the job path with REVETIR_TRYON_ENGINE=fashn (the
small stand-in model on the CPU), stored, cached and pushed over the websocket like the other engines;
"auto" never picks it without a GPU and staff are told why; its jobs go to the GPU queue."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.storage import storages
from django.core.management import call_command
from PIL import Image

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.tryon.fashn_stand_in import install_small_fashn
from tryon import engine_choice, preparations, services
from tryon.checks import tryon_engine_usable
from tryon.consumers import TryOnProgressConsumer
from tryon.jobs import runner, submit
from tryon.jobs.runner import run_queued_jobs
from tryon.models import GarmentPreparation, JobStatus, PhotoPreparation, TryOnJob
from tryon.pipeline.select import select_engine

STEPS = 3


@pytest.fixture(scope="module")
def fashn_weights(tmp_path_factory, reference_dir):
    return install_small_fashn(tmp_path_factory.mktemp("weights"))


@pytest.fixture
def fashn_shop(settings, monkeypatch, fashn_weights):
    """The shop configured for FASHN with the stand-in model, its engine not loaded yet."""
    settings.TRYON_ENGINE = "fashn"
    settings.TRYON_WEIGHTS_DIR = fashn_weights
    settings.TRYON_DEVICE = "cpu"
    settings.TRYON_FASHN_STEPS = STEPS
    # The stand-in weights draw noise over the whole canvas, which the default setting refuses
    # (tests/tryon/pipeline/fashn/test_engine.py); here the job path is under test.
    settings.TRYON_FASHN_MAX_REDRAWN_OUTSIDE = 1.0
    monkeypatch.setattr(runner, "_engine", None)
    preparations.side_cache.clear()
    return fashn_weights


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@database_sync_to_async
def submitted_job(user, product=None, photo=None):
    product = product or make_tryon_product()
    photo = photo or services.save_person_photo(user=user, upload=astronaut_upload())
    return submit.submit_job(user=user, photo=photo, product_image=product.images.get(is_primary=True))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_fashn_try_on_runs_through_the_job_path_is_stored_cached_and_pushed(fashn_shop, dispatched):
    owner = await database_sync_to_async(make_user)()
    socket = WebsocketCommunicator(TryOnProgressConsumer.as_asgi(), "/ws/tryon/")
    socket.scope["user"] = owner
    try:
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from(timeout=5))["jobs"] == []
        job = await submitted_job(owner)
        assert await database_sync_to_async(run_queued_jobs)(preferred_job_id=job.pk) == 1

        messages = []
        while not messages or messages[-1]["type"] == "tryon.progress":
            messages.append(await socket.receive_json_from(timeout=10))
    finally:
        await socket.disconnect()

    done = messages[-1]
    assert (done["type"], done["status"], done["engine"]) == ("tryon.done", JobStatus.DONE, "fashn"), done
    assert done["result_url"] == f"/tryon/jobs/{job.pk}/result/"
    rendering = [message["progress"] for message in messages if message.get("stage") == "rendering"]
    assert len(rendering) >= STEPS and rendering == sorted(rendering)  # the bar moves with the sampling steps
    assert {message["engine"] for message in messages if message.get("stage")} == {"fashn"}

    job = await database_sync_to_async(TryOnJob.objects.select_related("photo", "product_image__product").get)(
        pk=job.pk
    )
    assert job.engine == "fashn" and job.engine_identity.startswith("fashn/")
    await database_sync_to_async(assert_result_stored)(job)

    # Asked again, the same pair returns the finished job without running anything.
    again = await submitted_job(owner, product=job.product_image.product, photo=job.photo)
    assert again.pk == job.pk and again.status == JobStatus.DONE
    assert dispatched == [job.pk]
    sides = await database_sync_to_async(
        lambda: (
            PhotoPreparation.objects.filter(photo=job.photo, engine_identity=job.engine_identity).count(),
            GarmentPreparation.objects.filter(engine_identity=job.engine_identity).count(),
        )
    )()
    assert sides == (1, 1)  # both sides kept for the next try-on


def assert_result_stored(job: TryOnJob) -> None:
    storage = storages["private"]
    with storage.open(job.result_name, "rb") as handle:
        result = Image.open(io.BytesIO(handle.read())).convert("RGB")
    with storage.open(job.photo.file_name, "rb") as handle:
        photo = Image.open(io.BytesIO(handle.read())).convert("RGB")
    assert result.size == photo.size  # pasted back at the photo's own resolution
    difference = np.abs(np.asarray(result, dtype=np.int16) - np.asarray(photo, dtype=np.int16)).max(axis=2)
    assert (difference > 40).mean() > 0.05  # the model's picture covers the torso
    assert (difference[: photo.height // 5] > 40).mean() < 0.01  # the top of the photo (head, background) is kept
    assert job.timings["rendering"] > 0


def test_auto_never_picks_fashn_without_a_gpu(fashn_weights, no_gpu):
    engine = select_engine("auto", weights_dir=fashn_weights, device="auto")
    assert engine.name in ("classic", "neural")
    assert select_engine("auto", weights_dir=fashn_weights, device="auto", gpu=True).name == "fashn"


@pytest.mark.django_db
def test_without_a_gpu_staff_are_told_fashn_is_installed_but_not_used(settings, fashn_weights, no_gpu):
    settings.TRYON_ENGINE = "auto"
    settings.TRYON_WEIGHTS_DIR = fashn_weights
    messages = {message.id: message for message in tryon_engine_usable()}
    assert "no CUDA GPU" in messages["tryon.W004"].msg
    assert "make worker-gpu" in messages["tryon.W004"].hint and "classic engine serves" in messages["tryon.W004"].hint
    assert set(messages) == {"tryon.W004"}

    out = io.StringIO()
    call_command("tryon_queue", stdout=out)
    assert "engine: classic (FASHN VTON v1.5 is installed but no CUDA GPU" in out.getvalue()
    assert json.loads(_queue_json())["engine"] == "classic"


def _queue_json() -> str:
    out = io.StringIO()
    call_command("tryon_queue", "--json", stdout=out)
    return out.getvalue()


def test_naming_fashn_on_a_machine_without_a_gpu_warns_that_it_is_a_gpu_engine(settings, fashn_weights, no_gpu):
    settings.TRYON_ENGINE = "fashn"
    settings.TRYON_WEIGHTS_DIR = fashn_weights
    (warning,) = tryon_engine_usable()
    assert warning.id == "tryon.W003" and "GPU engine" in warning.msg


def test_naming_fashn_without_its_weights_warns_that_every_try_on_will_fail(settings, tmp_path):
    settings.TRYON_ENGINE = "fashn"
    settings.TRYON_WEIGHTS_DIR = tmp_path
    (warning,) = tryon_engine_usable()
    assert warning.id == "tryon.W002" and "model.safetensors" in warning.msg


def test_fashn_jobs_go_to_the_gpu_queue_where_gpu_workers_serve_it(settings, fashn_weights):
    settings.TRYON_ENGINE = "auto"
    settings.TRYON_WEIGHTS_DIR = fashn_weights
    settings.TRYON_WORKER = "celery"
    settings.TRYON_GPU_WORKERS = True
    assert engine_choice.selected_engine_name() == "fashn"
    assert engine_choice.job_queue() == settings.TRYON_GPU_QUEUE == "tryon-gpu"
    assert engine_choice.current_engine_identity(garment_type="lower_body").startswith("fashn/")  # every type
    settings.TRYON_GPU_WORKERS = False
    assert engine_choice.selected_engine_name() != "fashn"
    assert engine_choice.job_queue() == settings.TRYON_QUEUE


def test_a_fashn_job_message_is_sent_to_the_gpu_queue(settings, fashn_weights, monkeypatch):
    from revetir.celery import app
    from tryon.jobs import dispatch

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "send_task", lambda name, *, queue, **options: sent.append((name, queue)))
    settings.TRYON_ENGINE = "auto"
    settings.TRYON_WEIGHTS_DIR = fashn_weights
    settings.TRYON_WORKER = "celery"
    settings.TRYON_GPU_WORKERS = True
    settings.TRYON_PREPARE_IN_BACKGROUND = True
    dispatch.dispatch_job(7)
    dispatch.dispatch_preparation("photo", 8)
    assert sent == [(dispatch.RUN_JOB_TASK, "tryon-gpu"), (dispatch.PREPARE_TASK, "tryon-gpu")]


@pytest.mark.django_db(transaction=True)
def test_without_a_gpu_an_auto_shop_with_fashn_installed_dresses_with_the_next_engine(
    fashn_shop, settings, no_gpu, dispatched
):
    settings.TRYON_ENGINE = "auto"
    owner = make_user()
    job = submit.submit_job(
        user=owner,
        photo=services.save_person_photo(user=owner, upload=astronaut_upload()),
        product_image=make_tryon_product().images.get(is_primary=True),
    )
    assert run_queued_jobs(preferred_job_id=job.pk) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.engine in ("classic", "neural") and not job.engine_identity.startswith("fashn/")
