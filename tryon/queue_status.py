"""The try-on queue as an operator sees it (the admin's job list, `manage.py tryon_queue`): jobs per
state and the oldest queued job from the database, and the messages waiting in the broker."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.utils import timezone

from tryon.engine_choice import auto_engine_choice, job_queue, selected_engine_name
from tryon.models import JobStatus, TryOnJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueOverview:
    """The state of the try-on queue as an operator needs it to judge capacity."""

    worker: str
    queue: str
    engine: str  # the engine that runs the try-ons ("auto" resolved where jobs run)
    engine_note: str  # why, when "auto" chose (e.g. FASHN installed but no GPU); else empty
    jobs_per_state: dict[str, int]
    oldest_queued_seconds: float | None
    broker_messages: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def queue_overview() -> QueueOverview:
    """Jobs per state (one indexed count each), the age of the oldest queued job, and the messages
    waiting in the broker (None for the in-process worker or an unreachable broker)."""
    jobs_per_state = {status.value: TryOnJob.objects.filter(status=status).count() for status in JobStatus}
    oldest = (
        TryOnJob.objects.filter(status=JobStatus.QUEUED).order_by("created_at").values_list("created_at", flat=True)
    ).first()
    engine, engine_note = _engine_in_use()
    return QueueOverview(
        worker=settings.TRYON_WORKER,
        queue=job_queue() if settings.TRYON_WORKER == "celery" else settings.TRYON_QUEUE,
        engine=engine,
        engine_note=engine_note,
        jobs_per_state=jobs_per_state,
        oldest_queued_seconds=None if oldest is None else round((timezone.now() - oldest).total_seconds(), 1),
        broker_messages=broker_queue_length(),
    )


def _engine_in_use() -> tuple[str, str]:
    """The engine and, for "auto", why it was chosen (the admin shows it above the job list)."""
    from tryon.pipeline.contract import TryOnError
    from tryon.pipeline.select import ENGINE_AUTO

    try:
        if settings.TRYON_ENGINE == ENGINE_AUTO:
            choice = auto_engine_choice()
            return choice.name, choice.reason
        return selected_engine_name(), ""
    except TryOnError as exc:
        return settings.TRYON_ENGINE, str(exc)


def broker_queue_length() -> int | None:
    """Messages waiting in the broker's try-on queue; None for the in-process worker or when the
    broker cannot be reached (the operator view then says so)."""
    if settings.TRYON_WORKER != "celery":
        return None
    from revetir.celery import app

    # Declared as Celery declares it (a passive check misses prefixed Redis keys); declaring a
    # queue that exists changes nothing, and one that does not yet exist is empty.
    queue = app.amqp.queues[job_queue()]
    try:
        with app.connection_for_read() as connection, connection.channel() as channel:
            return queue.bind(channel).queue_declare().message_count
    except Exception:
        logger.exception("Could not read the length of the try-on queue from the broker")
        return None
