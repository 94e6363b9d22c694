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

Chosen by ``SPROUT_ASGI_HTTP_ONE_HOP`` (``config.asgi``).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class OneHopASGIHandler(ASGIHandler):
    """``ASGIHandler`` with a sync middleware chain run in one thread hop."""

    def load_middleware(self, is_async: bool = False) -> None:
        # The chain WSGI runs: every middleware in its sync form.
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> Any:
        # thread_sensitive: the request's own thread (ASGIHandler gives each
        # request its ThreadSensitiveContext), where its response is closed.
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(
            request
        )
        return response
