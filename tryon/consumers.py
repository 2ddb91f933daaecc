"""Websocket consumer that streams a shopper's try-on progress.

Websocket protocol (`/ws/tryon/`, session-authenticated; anonymous sockets are closed with 4401):
- on connect the server sends `{"type": "tryon.state", "jobs": [job, ...]}`: the shopper's live
  jobs and those finished in the last few minutes, newest first, so nothing published before the
  socket opened is missed;
- then one message per change: `tryon.progress`, `tryon.done` or `tryon.failed`, each a job object
  as described in `tryon.jobs.messages`. A job whose worker died comes back as `tryon.progress` with
  status `queued` before its second try runs.
The client sends nothing.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from tryon import selectors
from tryon.jobs import state
from tryon.jobs.messages import EVENT_STATE, job_payload, user_group
from tryon.models import LIVE_STATUSES

logger = logging.getLogger(__name__)

CLOSE_CODE_UNAUTHENTICATED = 4401


class TryOnProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first: a close before accepting is an HTTP 403 to the client, with no code to read.
            await self.accept()
            await self.close(code=CLOSE_CODE_UNAUTHENTICATED)
            return
        self.user = user
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        self._stale_watch: asyncio.Task | None = None
        jobs = await self._current_state()
        await self.send_json({"type": EVENT_STATE, "jobs": jobs})
        if any(job["status"] in LIVE_STATUSES for job in jobs):
            self._watch_while_jobs_live()

    async def disconnect(self, code: int) -> None:
        watch = getattr(self, "_stale_watch", None)
        if watch is not None:
            watch.cancel()
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: object, **kwargs: object) -> None:
        """The protocol is server-to-client only; anything a client sends is ignored."""

    async def tryon_progress(self, event: dict) -> None:
        self._watch_while_jobs_live()
        await self.send_json(event)

    async def tryon_done(self, event: dict) -> None:
        await self.send_json(event)

    async def tryon_failed(self, event: dict) -> None:
        await self.send_json(event)

    @database_sync_to_async
    def _current_state(self) -> list[dict]:
        state.sweep_stale_jobs(owner_id=self.user.pk)
        return [job_payload(job) for job in selectors.jobs_for_state(user=self.user)]

    @database_sync_to_async
    def _fail_stale_and_check_live(self) -> bool:
        """Sweep this shopper's stale jobs (each retry or failure is published); True while any job
        is live."""
        if not selectors.has_live_jobs(user=self.user):
            return False
        state.sweep_stale_jobs(owner_id=self.user.pk)
        return selectors.has_live_jobs(user=self.user)

    def _watch_while_jobs_live(self) -> None:
        if self._stale_watch is None or self._stale_watch.done():
            self._stale_watch = asyncio.create_task(self._watch_for_stale_jobs())

    async def _watch_for_stale_jobs(self) -> None:
        """While the shopper watches a live job, one whose worker died is retried or failed within
        the heartbeat limit even when no worker's sweeper is running. Sockets without live
        jobs run no periodic query (a thousand idle shoppers cost nothing)."""
        interval = max(settings.TRYON_HEARTBEAT_LIMIT_SECONDS / 3, 1)
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self._fail_stale_and_check_live():
                    return
            except Exception:
                logger.exception("Stale try-on check failed")
