"""Django's ASGI handler with the middleware run as one synchronous chain.

Under ASGI, Django builds the middleware chain in async mode: every `MiddlewareMixin` middleware
then runs its `process_request` and `process_response` through `sync_to_async` (a hop to a worker
thread and back each), a sync-only middleware (WhiteNoise) hops back into the event loop for the
rest of the chain, and the sync view hops out again: about a dozen thread switches for one
request, which cost three times what Django itself costs to answer a trivial view
(bench/README.md). Every middleware and view of this project is synchronous, so here the chain is
built in sync mode, as under WSGI, and the whole request (middleware, view, template rendering) runs
in one `sync_to_async` call: one hop per request. The middleware, their order and their behaviour
are unchanged; an async view would still work (Django's sync chain runs it with `async_to_sync`).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse, HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    """ASGI entry point whose middleware chain and view run in one worker-thread call per request."""

    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        # As Django's handler: the server chunks file responses itself, so hand it large blocks.
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response
