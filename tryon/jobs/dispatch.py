"""Handing a queued job to a worker: the in-process host (embedded default), or a Celery message
on the `tryon` queue for `celery -A revetir worker -Q tryon` processes (REVETIR_REDIS_URL set;
broker REVETIR_BROKER_URL), or on the GPU queue (`tryon-gpu`, `make worker-gpu`) while FASHN VTON
is the engine (`tryon.engine_choice.job_queue`).

This module only sends: the in-process host registers with it when the app starts
(`register_in_process_host`), so it imports no worker, and a scaled-out web process never loads the
worker and engine code.

The message only names the job; the job row is the source of truth. A worker runs a job only if
its claim (queued → running) succeeds, so a message delivered twice, or sent again by a sweep or a
starting worker, never runs a job twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from django.conf import settings

from revetir.object_keys import key_text
from tryon.engine_choice import job_queue
from tryon.models import JobStatus, TryOnJob

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "tryon.run_job"
PREPARE_TASK = "tryon.prepare"
# Publishing gives up quickly when the broker is down, so a shopper's submit answers in seconds.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# A starting worker re-sends at most this many queued jobs (the queue bound is far below it).
REDISPATCH_LIMIT = 1000


class Host(Protocol):
    """A worker living in this process that takes wake-ups and preparations."""

    def wake(self, job_id: object) -> None: ...

    def prepare(self, kind: str, object_id: object) -> None: ...


_in_process_host: Callable[[], Host] | None = None


def register_in_process_host(host: Callable[[], Host]) -> None:
    """Called when the app starts where REVETIR_TRYON_WORKER is the thread: `host()` gives (and
    creates on first use) the in-process host."""
    global _in_process_host
    _in_process_host = host


def _host() -> Host:
    if _in_process_host is None:
        raise RuntimeError("No in-process try-on host is registered (see tryon.apps.TryonConfig.ready)")
    return _in_process_host()


def dispatch_job(job_id: object) -> None:
    """Wake a worker for `job_id`. The Celery message carries the id as text (an ObjectId's hex,
    which JSON can carry) and has no expiry: it waits in the broker until a worker takes it."""
    if settings.TRYON_WORKER == "celery":
        from revetir.celery import app

        app.send_task(
            RUN_JOB_TASK,
            args=[key_text(job_id)],
            queue=job_queue(),
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
        return
    _host().wake(job_id)


def dispatch_preparation(kind: str, object_id: object) -> None:
    """Ask a worker to prepare a newly saved photo or product image (`tryon.jobs.runner.PREPARE_PHOTO`,
    `PREPARE_GARMENT`); the in-process worker does it when no job is queued, a Celery worker in
    its turn. Off with REVETIR_TRYON_PREPARE_IN_BACKGROUND=0."""
    if not settings.TRYON_PREPARE_IN_BACKGROUND:
        return
    if settings.TRYON_WORKER == "celery":
        from revetir.celery import app

        app.send_task(
            PREPARE_TASK,
            args=[kind, key_text(object_id)],
            queue=job_queue(),
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
        return
    _host().prepare(kind, object_id)


def dispatch_each(job_ids: list[object]) -> None:
    """Send each job again; one that cannot be sent stays queued (the next worker start or
    queued-limit sweep settles it)."""
    for job_id in job_ids:
        try:
            dispatch_job(job_id)
        except Exception:
            logger.exception("Could not dispatch try-on job %s again", job_id)


def redispatch_queued_jobs() -> int:
    """Send every queued job to the workers again; returns how many.

    A worker calls this when it starts, so jobs whose message was lost (a broker restarted without
    persistence) still run. Duplicate messages are harmless: only one claim of a job succeeds.
    """
    queued = list(
        TryOnJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:REDISPATCH_LIMIT]
    )
    dispatch_each(queued)
    return len(queued)
