"""Django's HTTP under an ASGI server in one thread hop per request.

Django's ``ASGIHandler`` builds its middleware chain in async mode: every
middleware that is sync only (``MiddlewareMixin``: security, sessions,
CSRF, authentication, messages, ...) then runs its ``process_request`` and
its ``process_response`` each through ``sync_to_async``, and the sync view
through one more. On these machines that was about 38 hand-offs between
the event loop and the request's thread per API request, a third or more
of its CPU (``bench/gifts.py --http --profile``, docs/performance.md "Gift
ledger").

:class:`OneHopASGIHandler` builds the same chain, in the same order, in
sync mode (exactly as a WSGI server runs it) and calls it once per request
through ``sync_to_async``: the middleware, the view and its database work
run on the request's thread in one go. Reading the body, the request
signals, sending the response and closing it stay Django's own (the
response is closed on the same thread, so ``request_finished`` gives that
thread's database connection back as before). An async view or
async-only middleware still works (Django adapts it with ``async_to_sync``);
what it costs then is one hop the other way.

And its thread is kept for the next request. Django's handler gives every
request a ``ThreadSensitiveContext`` of its own, which starts a new thread for
the request and ends it afterwards (two thread starts and a join per
request, with their locks and conditions: about 0.3 ms of every request
here). The one-hop handler lends each request a single-thread executor from
a set of idle ones (``ThreadSensitiveContext(executor=...)``, asgiref's way
of doing this): the request still runs every sync call on one thread of its
own, from its middleware to the closing of its response (where its database
connection goes back), as before; the thread then serves a later request,
as a WSGI server's threads do. An executor goes back to the idle set only
once whatever the request left on it has run (a request whose client went
away may leave its view still running there). Work a request starts that
outlives it must not keep the request's context: asgiref refuses a
thread-sensitive call made from an exited executor's context (the gift
batches run in a context of their own, ``live.gift_batcher``).

Chosen by ``SPROUT_ASGI_HTTP_ONE_HOP`` (``config.asgi``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

# Idle request threads kept beyond this many are ended (a burst of
# concurrent requests does not leave its threads behind for ever).
IDLE_THREADS_KEPT = 64


class RequestThreads:
    """Single-thread executors lent to one request at a time. Used from the
    event loop's thread only."""

    def __init__(self, kept: int = IDLE_THREADS_KEPT) -> None:
        self.kept = kept
        self.idle: deque[ThreadPoolExecutor] = deque()

    def lend(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sprout-request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        # Idle once what is queued on it has run: a no-op after it.
        loop = asyncio.get_running_loop()

        def idle(_: Future[None]) -> None:
            try:
                loop.call_soon_threadsafe(self._idle, executor)
            except RuntimeError:  # the loop has closed: the server is stopping
                executor.shutdown(wait=False)

        executor.submit(lambda: None).add_done_callback(idle)

    def _idle(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.kept:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class OneHopASGIHandler(ASGIHandler):
    """``ASGIHandler`` with a sync middleware chain run in one thread hop, on
    a thread kept between requests."""

    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # as Django's
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.lend()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    def load_middleware(self, is_async: bool = False) -> None:
        # The chain WSGI runs: every middleware in its sync form.
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> Any:
        # thread_sensitive: the request's own thread (__call__ lends each
        # request its executor), where its response is closed.
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(
            request
        )
        return response
