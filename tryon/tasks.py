"""Celery side of try-on: the task that runs one job, and the sweeper of each worker process.

The task acknowledges its message only after the job has run (`acks_late`) and hands it back when
its process dies (`reject_on_worker_lost`). A message is a turn to run the next queued job by
priority, single try-ons before page batches (`tryon.jobs.runner.run_next_queued_job`). Every run starts with a
claim, so a redelivered message runs the next queued job or nothing, never a job twice. A
job whose worker died is found by the sweeper (heartbeat past the limit), queued again once with a
fresh message, then failed with a message.

The sweeper is a thread of the worker's main process, not a beat task: a sweep must not wait in the
queue behind the very jobs it checks. It also re-sends queued jobs when the worker starts.

GPU workers (`make worker-gpu`, queue REVETIR_TRYON_GPU_QUEUE) run these same tasks for FASHN VTON
v1.5; each pool process loads the model and runs one warm-up step as it starts (`warm_up_engine`).
"""

from __future__ import annotations

import logging
import threading

from celery.signals import worker_process_init, worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection

from revetir.celery import app
from revetir.object_keys import primary_key_or_none
from shop.models import ProductImage
from tryon.jobs import dispatch, runner, state
from tryon.jobs.dispatch import PREPARE_TASK, RUN_JOB_TASK
from tryon.models import PersonPhoto, TryOnJob

logger = logging.getLogger(__name__)


@app.task(name=RUN_JOB_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_next_queued_job(job_key: str) -> bool:
    """Take this message's turn: run the next queued job by priority. True when this call ran a job."""
    job_id = primary_key_or_none(TryOnJob, job_key)
    if job_id is None:
        logger.warning("Try-on message names %r, which is no job key on this database; dropped", job_key)
        return False
    return runner.run_next_queued_job(job_id=job_id)


@app.task(name=PREPARE_TASK, ignore_result=True)
def prepare(kind: str, object_key: str) -> None:
    """Prepare a newly saved photo or product image (see `tryon.jobs.runner.run_preparation`)."""
    model = {runner.PREPARE_PHOTO: PersonPhoto, runner.PREPARE_GARMENT: ProductImage}.get(kind)
    object_id = primary_key_or_none(model, object_key) if model is not None else None
    if object_id is None:
        logger.warning("Preparation message names %r %r, which is nothing here; dropped", kind, object_key)
        return
    runner.run_preparation(kind, object_id)


@worker_process_init.connect
def warm_up_engine(**kwargs: object) -> None:
    """Each pool process loads the engine as it starts, not on the first shopper's job."""
    if settings.TRYON_WARM_UP:
        try:
            runner.warm_up()
        finally:
            connection.close()


class StaleJobSweeper:
    """Sweeps stale jobs every TRYON_SWEEP_SECONDS until stopped. Every worker runs one; the
    conditional updates in `tryon.jobs.state` make concurrent sweeps change each job once."""

    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tryon-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _serve(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                state.sweep_stale_jobs()
            except Exception:
                logger.exception("Sweeping stale try-on jobs failed; trying again in %s s", self.interval)
            finally:
                # The pool may fork a new child at any time: keep no connection open between sweeps.
                connection.close()


_sweeper: StaleJobSweeper | None = None


@worker_ready.connect
def start_sweeping(**kwargs: object) -> None:
    """Re-send the jobs already queued (their messages may be lost), then sweep on a timer."""
    global _sweeper
    try:
        resent = dispatch.redispatch_queued_jobs()
        logger.info("Try-on worker ready; %s queued jobs sent again", resent)
    finally:
        connection.close()
    _sweeper = StaleJobSweeper(interval=settings.TRYON_SWEEP_SECONDS)
    _sweeper.start()


@worker_shutdown.connect
def stop_sweeping(**kwargs: object) -> None:
    if _sweeper is not None:
        _sweeper.stop()
