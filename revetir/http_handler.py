"""Django's ASGI handler with the middleware run as one synchronous chain on long-lived threads.

Under ASGI, Django builds the middleware chain in async mode: every `MiddlewareMixin` middleware
then runs its `process_request` and `process_response` through `sync_to_async` (a hop to a worker
thread and back each), a sync-only middleware (WhiteNoise) hops back into the event loop for the
rest of the chain, and the sync view hops out again: about a dozen thread switches for one
request, which cost three times what Django itself costs to answer a trivial view
(bench/README.md). Every middleware and view of this project is synchronous, so here the chain is
built in sync mode, as under WSGI, and the whole request (middleware, view, template rendering) runs
in one `sync_to_async` call: one hop per request. The middleware, their order and their behaviour
are unchanged; an async view would still work (Django's sync chain runs it with `async_to_sync`).

Django also gives each request a thread of its own (`ThreadSensitiveContext`), started for the
request and joined after it, so every request opened a new database connection: `CONN_MAX_AGE`
could not keep one under ASGI, and opening SQLite (and registering its functions) cost a signed-in
page more than its queries. Here each request still has one thread to itself for all its
thread-sensitive work (the `request_started` receivers, the view, `response.close()` and
`request_finished`), as Django arranges, but the threads are kept in a pool and reused, so each keeps
its database connection between requests for as long as `CONN_MAX_AGE` says (closed, as under WSGI,
by `close_old_connections` on the same thread).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse, HttpRequest, HttpResponseBase


class RequestThreads:
    """Single-thread executors handed to one request at a time and kept for the next.

    A request arriving while every kept thread is busy gets a thread for that request only, as
    Django would give it, so a burst never waits for a thread. A keep-alive client's next request
    can arrive before the previous one has closed its response, so keep about twice the number of
    requests served at once.
    """

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.idle: deque[ThreadPoolExecutor] = deque()
        self.created = 0

    def take(self) -> tuple[ThreadPoolExecutor, bool]:
        """An idle kept thread, a new kept one, or (past `kept`) a one-off; and whether it is kept."""
        if self.idle:
            return self.idle.pop(), True
        if self.created < self.kept:
            self.created += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="revetir-request"), True
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="revetir-request-extra"), False

    def give_back(self, executor: ThreadPoolExecutor, kept: bool) -> None:
        if kept:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class SyncChainASGIHandler(ASGIHandler):
    """ASGI entry point whose middleware chain and view run in one call per request on a kept thread."""

    def __init__(self, *, kept_threads: int) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.request_threads = RequestThreads(kept_threads)

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # The event loop's thread is the only one that takes and gives back threads: no lock needed.
        executor, kept = self.request_threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.request_threads.give_back(executor, kept)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        # As Django's handler: the server chunks file responses itself, so hand it large blocks.
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response
