"""``core.asgi_http.OneHopASGIHandler``: Django's middleware and view in one
thread hop per request under ASGI, answering exactly what the stock
``ASGIHandler`` answers: the same status, the same security headers, the
same refusals (CSRF, authentication, validation)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref import sync
from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from rest_framework.authtoken.models import Token

from core.asgi_http import OneHopASGIHandler, RequestThreads
from tests.factories import UserFactory

# The handler is the kernel's; the requests it is checked with post gifts
# (the live app and the wallet), imported where used so that a kernel-only
# site still collects this module (and leaves its tests out).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.apps("live", "wallet")]


@pytest.fixture(autouse=True)
async def _connections_closed() -> AsyncIterator[None]:
    # A gift posted under an ASGI handler rides the gift batches, whose
    # threads keep a connection, as does the test's own sync thread:
    # PostgreSQL would not drop the test database.
    yield
    from live.services.gifts import gift_batchers_close

    gift_batchers_close()
    await sync.sync_to_async(connections.close_all)()


HEADERS = ("x-frame-options", "x-content-type-options", "referrer-policy", "content-type")


async def call(
    handler: Any, method: str, path: str, body: bytes = b"", headers: list[Any] | None = None
) -> dict[str, Any]:
    sent = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
    sent += headers or []
    communicator = HttpCommunicator(handler, method, path, body=body, headers=sent)
    response = await communicator.get_response(timeout=20)
    response["headers"] = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return response


def _gift_setup() -> tuple[int, str]:
    from tests.factories import RoomFactory, fund, gift_catalog

    gift_catalog()
    room = RoomFactory(live=True)
    fan = UserFactory()
    fund(fan, 100)
    return room.pk, Token.objects.create(user=fan).key


async def test_the_one_hop_handler_answers_as_the_stock_one() -> None:
    room_id, token = await sync.sync_to_async(_gift_setup)()
    stock, one_hop = ASGIHandler(), OneHopASGIHandler()
    url = f"/api/v1/live/rooms/{room_id}/gifts/"
    auth = [(b"authorization", f"Token {token}".encode()), (b"content-type", b"application/json")]
    for handler in (stock, one_hop):
        page = await call(handler, "GET", "/healthz")
        assert page["status"] == 200
        # No credentials: refused; a bad body: the same validation error.
        refused = await call(handler, "POST", url, b'{"gift": "coffee"}', [auth[1]])
        assert refused["status"] == 401
        invalid = await call(handler, "POST", url, b'{"gift": "coffee", "quantity": 0}', auth)
        assert invalid["status"] == 400
    pages = [await call(handler, "GET", "/healthz") for handler in (stock, one_hop)]
    shown = [{h: page["headers"].get(h) for h in HEADERS} for page in pages]
    assert shown[0] == shown[1]
    bodies = [
        json.dumps({"gift": "coffee", "quantity": 1, "idempotency_key": uuid.uuid4().hex}).encode()
        for _ in range(2)
    ]
    sent = [
        await call(handler, "POST", url, body, auth)
        for handler, body in zip((stock, one_hop), bodies, strict=True)
    ]
    assert [s["status"] for s in sent] == [201, 201], [s["body"] for s in sent]
    assert sent[0]["headers"].keys() == sent[1]["headers"].keys()


async def test_a_form_post_without_its_csrf_token_is_refused_by_both() -> None:
    user = await sync.sync_to_async(UserFactory)()
    assert user.pk
    for handler in (ASGIHandler(), OneHopASGIHandler()):
        response = await call(
            handler,
            "POST",
            "/logout",
            b"",
            [(b"content-type", b"application/x-www-form-urlencoded")],
        )
        assert response["status"] == 403


async def test_requests_reuse_their_thread_one_request_at_a_time() -> None:
    """Each request still runs on a thread of its own, and that thread then
    serves later requests instead of a new one being started per request."""
    handler = OneHopASGIHandler()
    assert (await call(handler, "GET", "/healthz"))["status"] == 200
    # An executor rejoins the idle set from its thread, through the loop.
    await _until(lambda: bool(handler.threads.idle))
    (first,) = handler.threads.idle
    ident = first.submit(threading.get_ident).result(5)
    assert (await call(handler, "GET", "/healthz"))["status"] == 200
    await _until(lambda: bool(handler.threads.idle))
    assert list(handler.threads.idle) == [first]
    assert first.submit(threading.get_ident).result(5) == ident


async def test_a_thread_left_busy_is_not_lent_until_its_work_is_done() -> None:
    """A request whose client went away can leave its view running on its
    thread: the next request gets another thread meanwhile."""
    threads = RequestThreads(kept=1)
    busy = threads.lend()
    release = threading.Event()
    busy.submit(release.wait, 10)
    threads.give_back(busy)
    other = threads.lend()
    assert other is not busy
    assert other.submit(lambda: True).result(5)  # not queued behind the busy one
    await asyncio.sleep(0.05)
    assert not threads.idle  # still busy
    release.set()
    await _until(lambda: bool(threads.idle))
    assert list(threads.idle) == [busy]
    # Beyond what is kept, a returned thread ends.
    threads.give_back(other)
    await _until(lambda: other._shutdown)  # type: ignore[attr-defined]
    assert list(threads.idle) == [busy]
    assert threads.lend() is busy
    busy.shutdown()


async def _until(condition: Any) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 3 s")
