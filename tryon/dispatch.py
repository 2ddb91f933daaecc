"""Handing a queued job to a worker: the in-process thread, or the `tryon` channel for
`manage.py runworker tryon` processes (when REVETIR_REDIS_URL is set)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from tryon.events import public_id

TRYON_CHANNEL = "tryon"
RUN_MESSAGE_TYPE = "tryon.run"


def dispatch_job(job_id: int | str) -> None:
    """Wake a worker for `job_id`. The job row, not the message, is the source of truth: a worker
    that receives the message claims the job if it is still queued, else the oldest queued one."""
    if settings.TRYON_WORKER == "channel":
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("REVETIR_REDIS_URL is set but no channel layer is configured")
        async_to_sync(layer.send)(TRYON_CHANNEL, {"type": RUN_MESSAGE_TYPE, "job": public_id(job_id)})
        return
    from tryon.worker import in_process_worker

    in_process_worker().wake(job_id)
