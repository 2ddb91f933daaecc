"""The Celery broker as the operator sees it: how many try-on messages wait in its queue."""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


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
