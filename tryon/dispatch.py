"""Handing a queued job to a worker: the in-process thread (embedded default), or a Celery
message on the `tryon` queue for `celery -A revetir worker -Q tryon` processes (REVETIR_REDIS_URL
set; broker REVETIR_BROKER_URL).

The message only names the job; the job row is the source of truth. A worker runs a job only if
its claim (queued → running) succeeds, so a message delivered twice, or sent again by a sweep or a
starting worker, never runs a job twice.
"""

from __future__ import annotations

import logging

from django.conf import settings

from revetir.object_keys import key_text

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "tryon.run_job"
PREPARE_TASK = "tryon.prepare"
# Publishing gives up quickly when the broker is down, so a shopper's submit answers in seconds.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def dispatch_job(job_id: object) -> None:
    """Wake a worker for `job_id`. The Celery message carries the id as text (an ObjectId's hex,
    which JSON can carry) and has no expiry: it waits in the broker until a worker takes it."""
    if settings.TRYON_WORKER == "celery":
        from revetir.celery import app

        app.send_task(
            RUN_JOB_TASK,
            args=[key_text(job_id)],
            queue=settings.TRYON_QUEUE,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
        return
    # Imported here: a scaled-out web process never loads the worker and engine code.
    from tryon.worker import in_process_worker

    in_process_worker().wake(job_id)


def dispatch_preparation(kind: str, object_id: object) -> None:
    """Ask a worker to prepare a newly saved photo or product image (`tryon.worker.PREPARE_PHOTO`,
    `PREPARE_GARMENT`); the in-process worker does it when no job is queued, a Celery worker in
    its turn. Off with REVETIR_TRYON_PREPARE_IN_BACKGROUND=0."""
    if not settings.TRYON_PREPARE_IN_BACKGROUND:
        return
    if settings.TRYON_WORKER == "celery":
        from revetir.celery import app

        app.send_task(
            PREPARE_TASK,
            args=[kind, key_text(object_id)],
            queue=settings.TRYON_QUEUE,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
        return
    from tryon.worker import in_process_worker

    in_process_worker().prepare(kind, object_id)


def broker_queue_length() -> int | None:
    """Messages waiting in the broker's try-on queue; None for the in-process worker or when the
    broker cannot be reached (the operator view then says so)."""
    if settings.TRYON_WORKER != "celery":
        return None
    from revetir.celery import app

    # Declared as Celery declares it (a passive check misses prefixed Redis keys); declaring a
    # queue that exists changes nothing, and one that does not yet exist is empty.
    queue = app.amqp.queues[settings.TRYON_QUEUE]
    try:
        with app.connection_for_read() as connection, connection.channel() as channel:
            return queue.bind(channel).queue_declare().message_count
    except Exception:
        logger.exception("Could not read the length of the try-on queue from the broker")
        return None
