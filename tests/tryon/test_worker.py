"""The worker: runs jobs with the real engine, turns engine failures into messages, keeps going."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
from django.core.files.storage import storages
from PIL import Image

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.tryon.helpers import ScriptedEngine
from tryon import services
from tryon.jobs import hosts, runner
from tryon.jobs.runner import OUT_OF_MEMORY_MESSAGE, UNEXPECTED_ERROR_MESSAGE, run_queued_jobs
from tryon.jobs.submit import submit_job
from tryon.models import JobStatus, TryOnJob
from tryon.pipeline.card_picture import CARD_SIZE
from tryon.pipeline.contract import NoPersonFoundError


def submit(user, product=None):
    product = product or make_tryon_product()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    return submit_job(user=user, photo=photo, product_image=product.images.get(is_primary=True))


@pytest.mark.django_db(transaction=True)
def test_the_real_engine_puts_the_garment_on_the_astronaut_and_stores_both_results(dispatched):
    job = submit(make_user())

    assert run_queued_jobs(preferred_job_id=job.pk) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.engine in ("classic", "neural")
    assert job.progress == 1.0
    assert job.timings["total"] > 0
    assert job.started_at <= job.finished_at
    storage = storages["private"]
    with storage.open(job.result_name, "rb") as handle:
        full = Image.open(io.BytesIO(handle.read()))
    with storage.open(job.result_small_name, "rb") as handle:
        small = Image.open(io.BytesIO(handle.read()))
    assert full.size == (512, 512)
    assert small.size == CARD_SIZE  # the card picture "See it on me" shows, cut from the full result
    with storage.open(job.photo.file_name, "rb") as handle:
        before = np.asarray(Image.open(io.BytesIO(handle.read())).convert("RGB"), dtype=np.int16)
    after = np.asarray(full.convert("RGB"), dtype=np.int16)
    changed = np.abs(after - before).max(axis=2) > 30
    assert changed.mean() > 0.05  # the garment covers a visible part of the photo


@pytest.mark.django_db(transaction=True)
def test_without_redis_the_first_submit_starts_the_in_process_worker_which_runs_the_job(settings, monkeypatch):
    settings.TRYON_WORKER = "thread"
    monkeypatch.setattr(hosts, "_in_process_worker", None)
    job = submit(make_user())
    background = hosts.in_process_worker()
    try:
        deadline = time.monotonic() + 60
        while TryOnJob.objects.get(pk=job.pk).is_live and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        background.stop()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.worker.endswith(f":{os.getpid()}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "message"),
    [
        (NoPersonFoundError(), NoPersonFoundError().args[0]),
        (MemoryError(), OUT_OF_MEMORY_MESSAGE),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), OUT_OF_MEMORY_MESSAGE),
        (ValueError("shape mismatch in layer 7"), UNEXPECTED_ERROR_MESSAGE),
    ],
)
def test_an_engine_failure_fails_the_job_with_a_message_for_the_shopper(dispatched, error, message):
    job = submit(make_user())
    engine = ScriptedEngine(error=error)

    run_queued_jobs(preferred_job_id=job.pk, engine_factory=lambda: engine)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == message
    assert job.engine == "scripted"
    assert job.result_name == ""


@pytest.mark.django_db
def test_the_worker_keeps_serving_other_jobs_after_one_fails(dispatched):
    user = make_user()
    first, second = submit(user), submit(user)
    engines = iter([ScriptedEngine(error=KeyError("boom")), ScriptedEngine()])

    ran = run_queued_jobs(preferred_job_id=first.pk, engine_factory=lambda: next(engines))

    assert ran == 2
    statuses = dict(TryOnJob.objects.values_list("pk", "status"))
    assert statuses == {first.pk: JobStatus.FAILED, second.pk: JobStatus.DONE}


@pytest.mark.django_db
def test_a_job_deleted_while_running_stops_and_leaves_no_result_files(dispatched):
    job = submit(make_user())

    class DeletesItsJob(ScriptedEngine):
        def dress(self, person, photo_side, garment_side, *, on_stage=None):
            TryOnJob.objects.filter(pk=job.pk).delete()
            return super().dress(person, photo_side, garment_side, on_stage=on_stage)

    run_queued_jobs(preferred_job_id=job.pk, engine_factory=DeletesItsJob)

    storage = storages["private"]
    assert not TryOnJob.objects.exists()
    assert not storage.exists("results") or storage.listdir("results")[1] == []


@pytest.mark.django_db
def test_the_worker_tells_the_engine_the_products_garment_type(dispatched):
    job = submit(make_user(), make_tryon_product(garment_type="upper_body"))
    engine = ScriptedEngine()

    run_queued_jobs(preferred_job_id=job.pk, engine_factory=lambda: engine)

    assert engine.garment_types == ["upper_body"]


def test_warming_up_loads_the_engine_and_the_body_model_before_any_job(monkeypatch):
    from tryon.pipeline.body import models as body_models

    body_models.forget_loaded_models()
    engine = ScriptedEngine()
    loaded = []

    assert runner.warm_up(lambda: loaded.append(engine) or engine) is engine

    assert loaded == [engine]
    assert {name for name, _folder in body_models._loaded} == set(body_models.MODEL_NAMES)


def test_warming_up_without_the_body_model_or_weights_logs_what_is_missing(tmp_path, settings, caplog):
    from tryon.pipeline.contract import WeightsError

    settings.TRYON_WEIGHTS_DIR = tmp_path

    def missing_weights():
        raise WeightsError("The neural try-on model is not ready. warp_model_final.pth is missing.")

    assert runner.warm_up(missing_weights) is None
    assert "Body model not loaded at start" in caplog.text and "pose_detection.tflite" in caplog.text
    assert "warp_model_final.pth is missing" in caplog.text
