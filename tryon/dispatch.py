"""Handing a queued job to a worker: the in-process thread, or the `tryon` channel for
`manage.py runworker tryon` processes (when REVETIR_REDIS_URL is set)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from revetir.object_keys import key_text

TRYON_CHANNEL = "tryon"
RUN_MESSAGE_TYPE = "tryon.run"
PREPARE_MESSAGE_TYPE = "tryon.prepare"


def dispatch_job(job_id: object) -> None:
    """Wake a worker for `job_id`. The job row, not the message, is the source of truth: a worker
    that receives the message claims the job if it is still queued, else the oldest queued one.
    The channel message carries the id as JSON and msgpack can (an ObjectId as its hex text)."""
    if settings.TRYON_WORKER == "channel":
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("REVETIR_REDIS_URL is set but no channel layer is configured")
        async_to_sync(layer.send)(TRYON_CHANNEL, {"type": RUN_MESSAGE_TYPE, "job": key_text(job_id)})
        return
    from tryon.worker import in_process_worker

    in_process_worker().wake(job_id)


def dispatch_preparation(kind: str, object_id: object) -> None:
    """Ask a worker to prepare a newly saved photo or product image (`tryon.worker.PREPARE_PHOTO`,
    `PREPARE_GARMENT`) when it has no job to run. Off with REVETIR_TRYON_PREPARE_IN_BACKGROUND=0."""
    if not settings.TRYON_PREPARE_IN_BACKGROUND:
        return
    if settings.TRYON_WORKER == "channel":
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("REVETIR_REDIS_URL is set but no channel layer is configured")
        message = {"type": PREPARE_MESSAGE_TYPE, "kind": kind, "id": key_text(object_id)}
        async_to_sync(layer.send)(TRYON_CHANNEL, message)
        return
    from tryon.worker import in_process_worker

    in_process_worker().prepare(kind, object_id)
