"""Starting the in-process try-on worker with the server, so the engine is loaded before the first
shopper's try-on. Kept apart from `tryon.jobs.hosts` so a scaled-out web process (Celery workers do
the try-ons) never imports the worker and engine code."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings


class StartWorkerOnFirstConnection:
    """ASGI wrapper that starts the in-process worker (which warms the engine up) on the first
    connection the server takes, from inside the server's event loop so results are published on
    it. Only where the in-process worker is used and REVETIR_TRYON_WARM_UP is on."""

    def __init__(self, application: Callable) -> None:
        self._application = application
        self._started = False

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if not self._started:
            self._started = True
            if settings.TRYON_WORKER == "thread" and settings.TRYON_WARM_UP:
                from tryon.jobs.hosts import in_process_worker

                in_process_worker().ensure_started()
        await self._application(scope, receive, send)
