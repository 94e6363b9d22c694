"""Helpers shared by the live-room tests: a websocket client over channels'
communicator that reads frames without ever timing the application out, and
the fixtures that give every test a clean hub, hot state and channel layer.

Modules import the fixtures they use (``from tests.live import
connect_fixture``: pytest registers it as ``connect``)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections

from live import consumers, hub
from live.events import event_check
from live.models import ChatMessage, Room
from live.state import reset_room_state_backend
from tests.clients import logged_in
from tests.factories import ChatMessageFactory, UserFactory
from tests.services import free_port, shared_database_url

ORIGIN = b"http://127.0.0.1:8000"
HOST = b"127.0.0.1:8000"  # the site the pages (and so the ORIGIN) come from
TIMEOUT = 3.0
# Broadcast frames the hub sends to everyone; anything else is a reply.
BROADCAST_TYPES = {"hearts", "viewers", "chat", "moderation", "room_state", "batch"}


class Closed(AssertionError):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"the server closed the connection (code {code})")
        self.code = code


class LiveClient:
    """One websocket to ``/ws/live/{room_id}/`` through the real ASGI stack
    (origin check, cookies, sessions, auth, routing)."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.accepted = False
        self.refused_code: int | None = None
        self.close_code: int | None = None
        self.raw: list[str] = []  # every text frame received, as sent
        self._events: deque[dict[str, Any]] = deque()

    @classmethod
    async def open(
        cls,
        room_id: int,
        *,
        cookie: str | None = None,
        ticket: str | None = None,
        origin: bytes | None = ORIGIN,
        address: str = "203.0.113.10",
        host: bytes = HOST,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> LiveClient:
        from config.asgi import application  # after the test settings are in place

        async def from_address(scope: Any, receive: Any, send: Any) -> None:
            # What a real server puts in the scope: the peer's address.
            await application({**scope, "client": (address, 50_000)}, receive, send)

        headers = [(b"host", host), *headers]
        if origin is not None:
            headers.append((b"origin", origin))
        if cookie is not None:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        path = f"/ws/live/{room_id}/" + (f"?ticket={ticket}" if ticket is not None else "")
        client = cls(WebsocketCommunicator(from_address, path, headers=headers))
        accepted, code = await client.communicator.connect(timeout=TIMEOUT)
        client.accepted = bool(accepted)
        client.refused_code = None if accepted else code
        return client

    # --- sending ---------------------------------------------------------------

    async def send(self, frame: Any) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "text": json.dumps(frame)})

    async def send_text(self, text: str) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "bytes": data})

    # --- receiving -------------------------------------------------------------

    async def _output(self, timeout: float) -> dict[str, Any]:
        # asgiref's receive_output cancels the application on a timeout; this
        # waits on the queue alone, so a quiet moment never kills the consumer.
        future = self.communicator.future
        queue = self.communicator.output_queue
        if future.done() and queue.empty():
            future.result()
            raise AssertionError("the consumer exited")
        return await asyncio.wait_for(queue.get(), timeout)

    async def next_event(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next event (``batch`` frames unpacked); Closed on a close."""
        while not self._events:
            if self.close_code is not None:
                raise Closed(self.close_code)
            message = await self._output(timeout)
            if message["type"] == "websocket.close":
                self.close_code = message.get("code", 1000)
                raise Closed(self.close_code)
            assert message["type"] == "websocket.send", message
            text = message["text"]
            self.raw.append(text)
            frame = json.loads(text)
            received = frame["events"] if frame.get("type") == "batch" else [frame]
            for event in received:
                event_check(event)  # whatever reaches a client is in the schema
            self._events.extend(received)
        return self._events.popleft()

    async def wait_for(
        self,
        kind: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = TIMEOUT,
    ) -> dict[str, Any]:
        """Skip events until one of type ``kind`` (matching ``where``) arrives."""
        seen: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                event = await self.next_event(max(left, 0.001))
            except TimeoutError:
                raise AssertionError(f"no {kind!r} event within {timeout}s; got {seen}") from None
            if event.get("type") == kind and (where is None or where(event)):
                return event
            seen.append(event)

    async def expect_close(self, timeout: float = TIMEOUT) -> int | None:
        """Read until the server closes; the close code."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                await self.next_event(max(left, 0.001))
            except Closed as closed:
                return closed.code
            except TimeoutError:
                raise AssertionError(f"the server did not close within {timeout}s") from None

    async def collect(self, seconds: float) -> list[dict[str, Any]]:
        """Every event that arrives in the next ``seconds``."""
        got: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                got.append(await self.next_event(left))
            except TimeoutError:
                break
        return got

    async def hello(self) -> dict[str, Any]:
        event = await self.next_event()
        assert event["type"] == "hello", event
        return event

    async def close(self) -> None:
        if not self.communicator.future.done():
            await self.communicator.disconnect(timeout=TIMEOUT)


Connect = Callable[..., Awaitable[LiveClient]]


# --- data -----------------------------------------------------------------------


def add_messages(room: Room, count: int, *, user: Any = None) -> list[ChatMessage]:
    """Chat lines ``line 0`` to ``line {count - 1}`` in the room, oldest first,
    by ``user`` (one new member by default)."""
    author = user or UserFactory()
    return [ChatMessageFactory(room=room, user=author, text=f"line {n}") for n in range(count)]


def session_cookie(user: Any) -> str:
    """A logged-in session for ``user`` (the browser's session cookie value)."""
    client = logged_in(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# --- fixtures -------------------------------------------------------------------

RoomEvents = list[tuple[int, dict[str, Any]]]


@pytest.fixture(name="room_events")
def room_events_fixture(monkeypatch: pytest.MonkeyPatch) -> RoomEvents:
    """``[(room id, event)]``: every event published to a room during the
    test, in order, each checked against ``live.events``' schema on its way
    (the transport, ``live.hub.publish``, ``publish_many`` and ``publish_sync``, is wrapped:
    whatever reaches it is checked, and still sent)."""
    sent: RoomEvents = []
    send_async, send_many, send_sync = hub.publish, hub.publish_many, hub.publish_sync

    def checked(room_id: int, event: Any) -> None:
        if str(event.get("type", "")).startswith("_"):
            return  # the hub's own control messages (a ban's disconnect)
        event_check(event)
        sent.append((room_id, dict(event)))

    async def publish(room_id: int, event: Any) -> None:
        checked(room_id, event)
        await send_async(room_id, event)

    def publish_sync(room_id: int, event: Any) -> None:
        checked(room_id, event)
        send_sync(room_id, event)

    async def publish_many(room_id: int, events: Any) -> None:
        for event in events:
            checked(room_id, event)
        await send_many(room_id, events)

    monkeypatch.setattr(hub, "publish", publish)
    monkeypatch.setattr(hub, "publish_many", publish_many)
    monkeypatch.setattr(hub, "publish_sync", publish_sync)
    return sent


def forget_hot_state() -> None:
    """A fresh hot-state backend and no per-room state left, in this process
    or in Redis, from another test or run (room ids repeat from one test
    database to the next)."""
    reset_room_state_backend()
    consumers._room_states.clear()
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match="live:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture(name="live_settings")
def live_settings_fixture(settings: Any) -> Iterator[Any]:
    """Fast ticks and a clean slate of hot state for every test."""
    settings.SPROUT_LIVE_TICK_SECONDS = 0.02
    settings.SPROUT_LIVE_HEARTS_SECONDS = 0.1
    settings.SPROUT_LIVE_VIEWERS_SECONDS = 0.1
    settings.SPROUT_LIVE_CHAT_RATE = "100/10"
    settings.SPROUT_LIVE_BLOCKED_WORDS = []
    forget_hot_state()
    yield settings
    forget_hot_state()


@pytest.fixture(name="live_loop")
async def live_loop_fixture(live_settings: Any) -> AsyncIterator[None]:
    """For tests that run the room's async code: stops every hub, empties
    the channel layer and the hot state, and closes the database thread's
    connection afterwards."""
    yield
    registry = hub.hubs()
    for room_hub in list(registry.hubs.values()):
        await room_hub.stop()
    registry.hubs.clear()
    hub._registries.clear()
    layer = get_channel_layer()
    if layer is not None:
        await layer.flush()
    reset_room_state_backend()
    # The consumers' database thread keeps its connection; PostgreSQL would
    # not drop the test database with it open.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(name="connect")
async def connect_fixture(live_loop: None) -> AsyncIterator[Connect]:
    """``await connect(room_id, cookie=..., ticket=..., origin=...)`` opens a
    client; every client is closed after the test."""
    opened: list[LiveClient] = []

    async def _open(room_id: int, **options: Any) -> LiveClient:
        client = await LiveClient.open(room_id, **options)
        opened.append(client)
        return client

    yield _open
    for client in opened:
        await client.close()


# --- a second server process ------------------------------------------------------


def _wait_for_port(server: subprocess.Popen[bytes], port: int, log: Any) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read().decode(errors="replace")
                pytest.fail(f"the second server did not start: {output[-2000:]}")
            time.sleep(0.1)


class ServerProcess(str):
    """The base ws:// URL of a server process, which can show its log."""

    log: Any

    @property
    def http(self) -> str:
        return self.replace("ws://", "http://", 1)

    def output(self) -> str:
        self.log.seek(0)
        return str(self.log.read().decode(errors="replace"))


@pytest.fixture(name="other_process")
def other_process_fixture(live_settings: Any) -> Iterator[ServerProcess]:
    """A second server process (uvicorn, as production runs the websockets)
    on the test database and the same Redis: the base ws:// URL (its
    ``http`` twin is ``.http``)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for_port(server, port, log)
            url = ServerProcess(f"ws://127.0.0.1:{port}")
            url.log = log
            yield url
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
