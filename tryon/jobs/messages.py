"""What the try-on worker tells browsers, and how it reaches them.

Every message goes to the channel-layer group of the job's owner, `tryon.user.<id>`; the websocket
consumer forwards it as JSON. Message shape (also the shape of each job in the on-connect state):

    {"type": "tryon.progress" | "tryon.done" | "tryon.failed",
     "job": 12, "status": "running", "stage": "warping", "progress": 0.6, "attempts": 1,
     "engine": "classic", "product": 3, "photo_url": "...", "result_url": "..." | null,
     "result_small_url": "..." | null, "error": "" }

Ids (`job`, `product`) are numbers on SQLite and 24-hex-digit strings on MongoDB, whose ObjectIds
JSON cannot carry; clients compare them as text. `attempts` counts the workers that took the job:
a job whose worker died comes back `queued` with `attempts` 1 before its second try, so clients
order messages by attempts first, then status.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from revetir.object_keys import key_text
from tryon.models import JobStatus, TryOnJob

logger = logging.getLogger(__name__)

EVENT_PROGRESS = "tryon.progress"
EVENT_DONE = "tryon.done"
EVENT_FAILED = "tryon.failed"
EVENT_STATE = "tryon.state"

_EVENT_FOR_STATUS = {
    JobStatus.QUEUED: EVENT_PROGRESS,
    JobStatus.RUNNING: EVENT_PROGRESS,
    JobStatus.DONE: EVENT_DONE,
    JobStatus.FAILED: EVENT_FAILED,
}

# The web server's event loop, when the in-process worker runs beside it. The in-memory channel
# layer is not thread-safe, so a worker thread must hand its sends to that loop.
_server_loop: asyncio.AbstractEventLoop | None = None
_server_loop_lock = threading.Lock()


def user_group(user_id: object) -> str:
    """The owner's group; an ObjectId's hex text is as valid in a group name as an integer."""
    return f"tryon.user.{user_id}"


def job_payload(job: TryOnJob) -> dict:
    """The job as browsers see it; the same fields in API responses and websocket messages."""
    done = job.status == JobStatus.DONE
    return {
        "type": _EVENT_FOR_STATUS[job.status],
        "job": key_text(job.pk),
        "status": job.status,
        "stage": job.stage,
        "progress": round(job.progress, 3),
        "attempts": job.attempts,
        "engine": job.engine,
        "product": key_text(job.product_id),
        "photo_url": reverse("tryon:photo_image", kwargs={"pk": job.photo_id}),
        "result_url": reverse("tryon:job_result", kwargs={"pk": job.pk}) if done else None,
        "result_small_url": reverse("tryon:job_result_small", kwargs={"pk": job.pk}) if done else None,
        "error": job.error,
    }


def remember_server_loop() -> None:
    """Record the event loop serving this process, if the caller runs under one (directly or via
    sync_to_async). Called when the in-process worker starts."""
    global _server_loop
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None:
        with _server_loop_lock:
            _server_loop = loop


def publish_job(job: TryOnJob) -> None:
    """Send the job's current state to its owner's browsers. Never raises: a lost message is
    recovered by the state sent on (re)connect, a failed job is not."""
    message = job_payload(job)
    try:
        _group_send(user_group(job.owner_id), message)
    except Exception:
        logger.exception("Could not publish try-on job %s to its owner's group", job.pk)


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    if loop is not None and loop.is_running() and not _in_loop_thread(loop):
        asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(timeout=10)
        return
    async_to_sync(layer.group_send)(group, message)


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
