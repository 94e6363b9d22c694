"""The flash sale's HTTP edge: an ASGI middleware in front of Django
(``config.asgi`` installs it while the shop is installed) that answers the
buy button's crowd on the event loop, without Django.

Why: a sale opening is thousands of buy requests in the same second, and
Django's ASGI handler serves a few hundred requests a second on these
machines whatever the view does (every request runs its middleware in a
thread of its own: ``docs/performance.md``, "Feeds" and "Flash sales"). So
the gate stands where the request arrives, as the industry's "seckill"
designs put it in the gateway:

- ``POST /api/v1/shop/flash-sales/{id}/buy`` with a well-formed body (the
  same rules as ``shop.serializers.FlashSaleBuyInput``, or stricter) asks the
  Redis gate (``shop.gate.RedisFlashGate.admit``, one script): before the
  start -> 409 ``not_started``; after the end or a cancel -> 409 ``ended``;
  no unit left and no ticket taken with this key -> 409 ``sold_out``; else
  a unit is *admitted* for the key and the request goes on to Django, which
  authenticates the buyer and turns the admission into their ticket
  (``shop.services.flash``), or gives it back when it cannot.
- Everything else (other paths, anything unusual in the request, a sale the
  gate does not describe yet, no Redis) goes to Django untouched: Django's
  answer is the reference, the edge only answers what Django would answer
  the same way. The answers carry the API's error shape and the headers the
  site's middleware would have added.
- The buy requests it lets through enter Django at most
  ``SPROUT_FLASH_EDGE_CONCURRENCY`` at a time per process (default 4; the
  others wait on the event loop): each holds a thread and a database
  connection there, and the winners queue on the sale's row lock anyway
  (more threads only take the interpreter from the event loop answering the
  sold-out crowd: measured in docs/performance.md).
- Each of those slots is a thread of its own that lives as long as the
  process, and serves its requests with Django's handler in sync mode, the
  way a WSGI server's threads do (:class:`SlotHandler`): Django's ASGI
  handler runs every request in a new thread (a new database connection,
  ~20 ms on a loaded machine, longer than the winner's whole order) and
  hops between the loop and a thread around each sync middleware (about
  17 hops a request here); a slot keeps its connection (``CONN_MAX_AGE``)
  and runs the whole request in one go.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any, cast

from django.conf import settings
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponseBase
from django.http.request import split_domain_port, validate_host
from django.urls import set_script_prefix
from django.utils.csp import CSP, build_policy

from shop.errors import DomainError, FlashSaleEnded, FlashSaleNotStarted, FlashSoldOut
from shop.gate import Admit, RedisFlashGate, flash_gate
from shop.metrics import flash_gate_answered
from wallet.services.idempotency import KEY_PATTERN

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Set in the scope of a request the edge admitted: the key the unit was
#: admitted for (``request.scope`` in the view; clients cannot set it).
ADMISSION = "sprout.flash_admission"
BUY_PATH = re.compile(r"\A/api/v1/shop/flash-sales/([0-9]{1,18})/buy/?\Z")
BODY_MAX = 2048
_ID_MAX = 2**63 - 1
_ANSWERS: dict[Admit, type[DomainError]] = {
    Admit.NOT_STARTED: FlashSaleNotStarted,
    Admit.ENDED: FlashSaleEnded,
    Admit.SOLD_OUT: FlashSoldOut,
}


def buy_body_key(body: bytes) -> str | None:
    """The idempotency key of a buy request whose body Django would accept
    as it is (``FlashSaleBuyInput``), else None (let Django answer)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not set(data) <= {"idempotency_key", "source"}:
        return None
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        return None
    source = data.get("source")
    if source is not None:
        if not isinstance(source, dict) or len(source) > 1:
            return None
        for name, value in source.items():
            if name not in ("note", "live_session") or type(value) is not int:
                return None
            if not 1 <= value <= _ID_MAX:
                return None
    return key


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _host_allowed(headers: dict[bytes, bytes]) -> bool:
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _secure_enough(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """Django would redirect a plain-HTTP request to HTTPS: let it."""
    if not getattr(settings, "SECURE_SSL_REDIRECT", False):
        return True
    if scope.get("scheme") == "https":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        return headers.get(name, b"").decode("latin-1") == proxy[1]
    return False


def _response_headers(body: bytes, *, personal: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"vary", b"Accept"),
        (b"allow", b"POST, OPTIONS"),
    ]
    # What SecurityMiddleware, XFrameOptionsMiddleware and PrivateCacheMiddleware add.
    if getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", True):
        headers.append((b"x-content-type-options", b"nosniff"))
    if getattr(settings, "SECURE_REFERRER_POLICY", None):
        headers.append((b"referrer-policy", str(settings.SECURE_REFERRER_POLICY).encode()))
    if getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", None):
        coop = str(settings.SECURE_CROSS_ORIGIN_OPENER_POLICY).encode()
        headers.append((b"cross-origin-opener-policy", coop))
    headers.append((b"x-frame-options", str(getattr(settings, "X_FRAME_OPTIONS", "DENY")).encode()))
    # ContentSecurityPolicyMiddleware's (no nonce: an API answer uses none).
    for header, config in (
        (CSP.HEADER_ENFORCE, getattr(settings, "SECURE_CSP", None)),
        (CSP.HEADER_REPORT_ONLY, getattr(settings, "SECURE_CSP_REPORT_ONLY", None)),
    ):
        if config:
            headers.append((str(header).lower().encode(), build_policy(config, None).encode()))
    if personal:
        headers.append((b"cache-control", b"private"))
    return headers


class SlotHandler(ASGIHandler):
    """Django's handler in sync mode, for the buy requests the edge lets
    through: the middleware chain and the view run in the calling thread
    (the slot's) as under WSGI; the request and its signals are the ASGI
    handler's, so nothing downstream can tell the difference."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    def respond(self, scope: Scope, body: bytes) -> HttpResponseBase:
        """The response to the request of ``scope`` with ``body`` (in the
        slot's thread; send it, then close it there too)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=ASGIHandler, scope=scope)
        request, error = self.create_request(scope, BytesIO(body))
        response = error if request is None else self.get_response(request)
        assert response is not None  # create_request answers one or the other
        # request_finished's sender, as under ASGI.
        response._handler_class = ASGIHandler  # type: ignore[attr-defined]
        return response


class FlashSaleEdge:
    """ASGI middleware: the buy button's sold-out crowd answered before
    Django (module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app: ASGIApp = app
        # Django itself behind: its buy requests go through the slots' own
        # handler (SPROUT_FLASH_EDGE_SYNC_SLOTS, on by default; off: Django's
        # ASGI handler, the design before, for the bench's comparison).
        self._handler = (
            SlotHandler()
            if isinstance(app, ASGIHandler)
            and getattr(settings, "SPROUT_FLASH_EDGE_SYNC_SLOTS", True)
            else None
        )
        # The slots' threads live as long as the process; the queue handing
        # them out belongs to the event loop it was made on.
        self._executors: list[ThreadPoolExecutor] = []
        self._slots: dict[int, asyncio.LifoQueue[ThreadPoolExecutor]] = {}

    def _backend_slots(self) -> asyncio.LifoQueue[ThreadPoolExecutor]:
        """The slots through which this process lets buy requests into
        Django (``SPROUT_FLASH_EDGE_CONCURRENCY``): each holds a thread and a
        database connection there, and a sale's opening second would
        otherwise ask for as many as it has units. A slot is the one thread
        its requests run in (module docstring)."""
        loop = id(asyncio.get_running_loop())
        slots = self._slots.get(loop)
        if slots is None:
            if not self._executors:
                size = max(int(getattr(settings, "SPROUT_FLASH_EDGE_CONCURRENCY", 4)), 1)
                self._executors = [
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"flash-buy-{index}")
                    for index in range(size)
                ]
            # Last in, first out: the slot used last (its connection warm)
            # serves next; slots idle long enough age out their connections.
            slots = asyncio.LifoQueue()
            for executor in self._executors:
                slots.put_nowait(executor)
            self._slots = {loop: slots}  # the loops before are gone
        return slots

    async def _through_slot(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        slots = self._backend_slots()
        executor = await slots.get()
        try:
            if self._handler is None:  # not Django behind (tests): pass it on
                await self.app(scope, receive, send)
                return
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(executor, self._handler.respond, scope, body)
            try:
                await self._handler.send_response(response, cast(Any, send))
            finally:
                # request_finished: the slot's connection is checked there.
                await loop.run_in_executor(executor, response.close)
        finally:
            slots.put_nowait(executor)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        match = BUY_PATH.match(scope.get("path", ""))
        gate = flash_gate() if match else None
        if match is None or not isinstance(gate, RedisFlashGate):
            await self.app(scope, receive, send)
            return
        received, body, complete = await self._read_body(receive)
        replay = _replay(received, receive)
        headers = _headers(scope)
        key = buy_body_key(body) if complete else None
        if key is None or not _host_allowed(headers) or not _secure_enough(scope, headers):
            await self.app(scope, replay, send)
            return
        try:
            answer = await gate.admit(int(match[1]), key, time.time())
        except Exception:  # Redis away: Django's own path answers (and reports it)
            answer = Admit.UNKNOWN
        flash_gate_answered(answer)
        error = _ANSWERS.get(answer)
        if error is not None:
            personal = b"authorization" in headers or b"cookie" in headers
            await _answer(send, error(), personal=personal)
            return
        if answer is Admit.ADMITTED:
            scope = {**scope, ADMISSION: key}
        await self._through_slot(scope, body, replay, send)

    async def _read_body(self, receive: Receive) -> tuple[list[Message], bytes, bool]:
        """The messages read, the body, and whether it is all of it within
        ``BODY_MAX`` bytes (a longer or broken request: Django answers it)."""
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                return received, b"", False
            size += len(message.get("body", b""))
            if size > BODY_MAX:
                return received, b"", False
            if not message.get("more_body", False):
                return received, b"".join(m.get("body", b"") for m in received), True


def _replay(received: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands Django the messages the edge read, then the rest."""
    pending = list(received)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _answer(send: Send, error: DomainError, *, personal: bool) -> None:
    body = json.dumps(
        {"error": {"code": error.code, "message": error.message, "fields": {}}},
        separators=(",", ":"),
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": _response_headers(body, personal=personal),
        }
    )
    await send({"type": "http.response.body", "body": body})
