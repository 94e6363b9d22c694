"""Redis restarts under a live room of 200 viewers, and the room carries on.

Real parts only: a private ``redis-server`` on a free port (no persistence,
as a cache-like deployment runs it: a restart loses everything in it), one
real ASGI worker (uvicorn, ``config.asgi``, production settings, its channel
layer, cache, Celery broker and hot room state all on that Redis, derived
from ``REDIS_URL`` as in production) on the PostgreSQL test database, and
200 ``websockets`` clients in this process that behave as the room's page
does: on a lost socket they reconnect with exponential backoff and full
jitter, and they show a chat line once (by its id) whether it came live or in
a ``hello``'s ``recent`` list.

The scenario: everyone connected and chatting; then Redis is SIGKILLed with
gifts in flight, a chat line is attempted and some viewers' sockets drop
(their networks flap) while it is down; then Redis starts again on the same
port, empty. What must hold:

- the room works again within seconds: a chat line said after the restart
  reaches every one of the 200 viewers (kept sockets through the hub's
  resubscription, reconnected ones through ``hello``), and one more said at
  the end reaches them all live;
- a chat line accepted while Redis was away (or in the moment the hub was
  resubscribing) reaches everyone too: the room's recent buffer is the
  database's chat messages (``live.selectors.room_recent_messages``), which
  a Redis restart does not touch, so the reconnect ``hello`` fills it in and
  the hub fills the gap of its kept sockets from there as well;
- no gift is lost or counted twice: gifts sent before, during and after the
  outage, each retried with its idempotency key after an error or a lost
  socket until acknowledged, are each in the ledger and the room's tally
  once, and ``reconcile_ledger`` passes.

What was measured is printed (``-s``) and recorded in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from live.models import Room
from live.selectors import room_gift_tally
from tests.factories import ChatMessageFactory, RoomFactory, UserFactory, fund, gift_catalog
from tests.live import session_cookie
from tests.production.conftest import production_env
from tests.services import free_port, shared_database_url, unavailable
from wallet import selectors as wallet_selectors
from wallet.models import GiftSend, IdempotencyRecord
from wallet.reconcile import reconcile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VIEWERS = 200
SENDERS = 3
FUNDS = 1_000
# The page's reconnect schedule (static/js/live-room.js): full jitter over an
# exponential backoff, capped.
BACKOFF_BASE = 0.25
BACKOFF_CAP = 3.0
OUTAGE_SECONDS = 2.0
ARRIVAL_SECONDS = 0.01  # between two viewers' first connects
# Every wait below is bounded by one of these.
CONNECT_SECONDS = 45.0
RECOVER_SECONDS = 25.0
REPLY_SECONDS = 4.0


# --- the private Redis and the worker --------------------------------------------


class PrivateRedis:
    """A ``redis-server`` of this test alone, on a free port, in a temporary
    directory, without persistence: a restart starts it empty."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("needs the redis-server binary (apt-get install redis-server)")
        self.binary = str(binary)
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        pytest.fail("the private redis-server did not start")
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Worker:
    url: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def worker(private_redis: PrivateRedis, tmp_path: Path) -> Iterator[Worker]:
    """One ASGI worker as production runs it (uvicorn, production settings),
    on the test database and the private Redis."""
    port = free_port()
    log = tmp_path / "uvicorn.log"
    env = production_env(
        DATABASE_URL=shared_database_url(),
        # Production's persistent connections (the worker stops before the
        # test database is flushed).
        DATABASE_CONN_MAX_AGE="60",
        REDIS_URL=private_redis.url,
        # The session cookies this test makes must be valid there.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while b"Uvicorn running" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Worker(url=f"ws://127.0.0.1:{port}", log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- clients that behave as the room's page does ---------------------------------


@dataclass(eq=False)
class Client:
    """One socket to the room, reconnected as the page does it, showing each
    chat line once by id whether it came live or in ``hello``'s ``recent``."""

    url: str
    cookie: str | None = None
    shown: dict[int, str] = field(default_factory=dict)  # chat id -> text, once each
    repeats: int = 0  # lines that came again (a hello and the live feed overlap)
    connects: int = 0
    failed_attempts: int = 0
    ws: Any = None
    up: asyncio.Event = field(default_factory=asyncio.Event)
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    flap: asyncio.Event = field(default_factory=asyncio.Event)
    reconnected_at: list[float] = field(default_factory=list)
    last_error: str = ""
    resends: int = 0

    def _show(self, event: dict[str, Any]) -> None:
        if event["id"] in self.shown:
            self.repeats += 1
        else:
            self.shown[event["id"]] = event["text"]

    def _take(self, text: str) -> None:
        frame = json.loads(text)
        for event in frame["events"] if frame.get("type") == "batch" else [frame]:
            kind = event.get("type")
            if kind == "chat":
                self._show(event)
            if kind in {"gift_ack", "error"} or (kind == "chat" and event.get("nonce")):
                self.replies.put_nowait(event)

    async def run(self, stop: asyncio.Event, arrive_after: float = 0.0) -> None:
        await asyncio.sleep(arrive_after)
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookie}"} if self.cookie else {}
        attempt = 0
        while not stop.is_set():
            try:
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=10,
                    ping_interval=None, close_timeout=1, max_queue=None,
                ) as ws:  # fmt: skip
                    hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    assert hello["type"] == "hello", hello
                    for event in hello["recent"]:
                        self._show(event)
                    self.ws, attempt = ws, 0
                    self.connects += 1
                    self.reconnected_at.append(time.monotonic())
                    self.up.set()
                    reader = asyncio.ensure_future(self._read(ws))
                    flapped = asyncio.ensure_future(self.flap.wait())
                    stopped = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({reader, flapped, stopped}, return_when="FIRST_COMPLETED")
                    for task in (reader, flapped, stopped):
                        task.cancel()
                    self.flap.clear()
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                self.failed_attempts += 1
                self.last_error = repr(exc)[:80]
            self.ws = None
            self.up.clear()
            if stop.is_set():
                return
            # Exponential backoff with full jitter, as the page reconnects:
            # 200 viewers must not come back in one wave.
            delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _read(self, ws: Any) -> None:
        with contextlib.suppress(websockets.WebSocketException):
            async for text in ws:
                self._take(text)

    async def ask(
        self, frame: dict[str, Any], match: str, deadline: float, *, idempotent: bool = True
    ) -> dict[str, Any]:
        """Send ``frame`` until it is accepted (an ack, or its own chat line
        back, matched by its key or nonce), as the page does: after an error
        frame, and for a gift (``idempotent``: the same key) also after a lost
        socket or silence, wait a jittered moment and send it again. A chat
        line is not sent again on silence (it may have been kept and its
        echo be late): its echo is awaited until ``deadline``."""
        loop = asyncio.get_running_loop()
        pause = 0.2
        while loop.time() < deadline:
            try:
                await asyncio.wait_for(self.up.wait(), max(deadline - loop.time(), 0.01))
                await self.ws.send(json.dumps(frame))
                wait = REPLY_SECONDS if idempotent else deadline - loop.time()
                answer = await self._answer(match, min(wait, deadline - loop.time()))
            except (TimeoutError, websockets.WebSocketException, AttributeError):
                answer = None
            if answer is not None and answer["type"] != "error":
                return answer
            self.resends += 1
            await asyncio.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 2.0)
        raise AssertionError(f"{frame} was never accepted")

    async def _answer(self, match: str, timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            event = await asyncio.wait_for(self.replies.get(), max(end - loop.time(), 0.01))
            if match in (event.get("idempotency_key"), event.get("nonce")):
                return event


# --- the scenario -------------------------------------------------------------------


@dataclass
class Figures:
    flapped_back_median: float = 0.0
    flapped_back_max: float = 0.0
    room_works_again: float = 0.0
    everyone_has_it: float = 0.0
    reconnects: int = 0
    failed_attempts: int = 0
    repeats: int = 0
    during_chat: str = ""
    gifts: int = 0
    gift_retries: int = 0
    connect_all: float = 0.0
    stored_line_everywhere: float = 0.0
    notes: list[str] = field(default_factory=list)


async def until(predicate: Any, timeout: float, what: str, detail: Any = None) -> float:
    """Seconds until ``predicate()`` holds, polling; fails after ``timeout``
    (saying ``detail()``)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not predicate():
        if loop.time() - started > timeout:
            extra = f" ({detail()})" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        await asyncio.sleep(0.05)
    return loop.time() - started


def stored_while_away(room: Room) -> int:
    author = UserFactory()
    message = ChatMessageFactory(room=room, user=author, text="stored as Redis died")
    connections.close_all()  # this thread's connection: the test database is dropped later
    return int(message.pk)


async def scenario(
    url: str, room: Room, chatter_cookie: str, sender_cookies: list[str], private: PrivateRedis
) -> tuple[Figures, list[Client], list[str]]:
    figures = Figures()
    stop = asyncio.Event()
    room_url = f"{url}/ws/live/{room.pk}/"
    viewers = [Client(room_url) for _ in range(VIEWERS)]
    chatter = Client(room_url, cookie=chatter_cookie)
    senders = [Client(room_url, cookie=cookie) for cookie in sender_cookies]
    everyone = [*viewers, chatter, *senders]
    # Viewers arrive over a couple of seconds, as a room fills.
    runs = [
        asyncio.ensure_future(client.run(stop, arrive_after=n * ARRIVAL_SECONDS))
        for n, client in enumerate(everyone)
    ]
    loop = asyncio.get_running_loop()
    try:
        figures.connect_all = await until(
            lambda: all(c.up.is_set() for c in everyone),
            CONNECT_SECONDS,
            f"{len(everyone)} clients to connect",
            lambda: (
                f"{sum(c.up.is_set() for c in everyone)} connected, "
                f"{sum(c.failed_attempts for c in everyone)} failed attempts: "
                f"{Counter(c.last_error for c in everyone).most_common(3)}"
            ),
        )
        deadline = loop.time() + 60

        async def say(label: str) -> int:
            """Say a line as the page does: sent again after an error frame
            only (a line whose echo is late may have been kept); its id once
            the chatter shows it (live, filled by the hub, or in a hello)."""
            text = f"{label} {uuid.uuid4().hex[:6]}"
            nonce = uuid.uuid4().hex[:12]
            frame = json.dumps({"type": "chat", "text": text, "nonce": nonce})
            for _ in range(20):
                await until(chatter.up.is_set, RECOVER_SECONDS, "the chatter's socket")
                with contextlib.suppress(websockets.WebSocketException, AttributeError):
                    await chatter.ws.send(frame)
                refused = False
                end = loop.time() + RECOVER_SECONDS
                while loop.time() < end and not refused:
                    shown = [cid for cid, said in chatter.shown.items() if said == text]
                    if shown:
                        return shown[0]
                    with contextlib.suppress(TimeoutError):
                        refused = (await chatter._answer(nonce, 0.1))["type"] == "error"
                await asyncio.sleep(random.uniform(0.1, 0.5))
            raise AssertionError(f"{text!r} was never accepted")

        def everyone_shows(message_id: int) -> bool:
            return all(message_id in c.shown for c in viewers)

        before = await say("before the restart")
        await until(lambda: everyone_shows(before), 10, "the first line everywhere")

        # Gift senders send one gift after another (a new key each), retried
        # with the same key until acknowledged, across the whole outage.
        keys: list[str] = []
        sending = asyncio.Event()
        sending.set()

        async def send_gifts(sender: Client, n: int) -> None:
            while sending.is_set():
                key = f"s{n}-{len(keys)}-{uuid.uuid4().hex[:6]}"
                keys.append(key)
                frame = {"type": "gift", "gift": "rose", "quantity": 1, "idempotency_key": key}
                await sender.ask(frame, key, deadline)
                await asyncio.sleep(0.15)

        gifting = [asyncio.ensure_future(send_gifts(s, n)) for n, s in enumerate(senders)]
        await asyncio.sleep(0.5)

        # --- Redis goes away ---------------------------------------------------
        connects_before = sum(c.connects for c in viewers)
        private.kill()
        down_at = loop.time()
        # A chat line while Redis is away: refused (try again) or accepted.
        nonce = "during-" + uuid.uuid4().hex[:8]
        with contextlib.suppress(TimeoutError, websockets.WebSocketException, AttributeError):
            await chatter.ws.send(json.dumps({"type": "chat", "text": "meanwhile", "nonce": nonce}))
            answer = await chatter._answer(nonce, REPLY_SECONDS)
            figures.during_chat = answer.get("code") or "accepted"
        figures.notes.append(f"chat while Redis was away: {figures.during_chat or 'no answer'}")
        # A line another worker stored just as Redis died (its broadcast
        # lost with it): in the database, announced to nobody. Kept sockets
        # get it from their hub's fill, reconnected ones from their hello.
        stored = await sync_to_async(stored_while_away)(room)
        # A fifth of the viewers lose their sockets (their networks flap) and
        # reconnect while Redis is away: the server must refuse or take them,
        # never hang them.
        flapped = viewers[: VIEWERS // 5]
        flapped_at = loop.time()
        for viewer in flapped:
            viewer.flap.set()
        await asyncio.sleep(max(OUTAGE_SECONDS - (loop.time() - down_at), 0))

        # --- Redis comes back, empty ---------------------------------------------
        private.start()
        up_at = loop.time()
        after = await say("after the restart")
        figures.room_works_again = loop.time() - up_at
        await until(lambda: everyone_shows(after), RECOVER_SECONDS, "the line after, everywhere")
        figures.everyone_has_it = loop.time() - up_at
        # Accepted while Redis was away (it is in the database): everyone shows it.
        during = [cid for cid, text in chatter.shown.items() if text == "meanwhile"]
        if during:
            await until(lambda: everyone_shows(during[0]), 5, "the line said meanwhile")
        await until(lambda: everyone_shows(stored), 5, "the line stored while Redis was away")
        figures.stored_line_everywhere = loop.time() - up_at

        sending.clear()
        await asyncio.gather(*gifting)
        # Everyone connected now hears a new line live.
        await until(lambda: all(c.up.is_set() for c in everyone), RECOVER_SECONDS, "everyone")
        final = await say("and on we go")
        await until(lambda: everyone_shows(final), 10, "the last line everywhere")

        # How long the flapped viewers took to be back (Redis still away).
        back = [min(t for t in c.reconnected_at if t > flapped_at) - flapped_at for c in flapped]
        figures.flapped_back_median = sorted(back)[len(back) // 2]
        figures.flapped_back_max = max(back)
        figures.reconnects = sum(c.connects for c in viewers) - connects_before
        figures.failed_attempts = sum(c.failed_attempts for c in viewers)
        figures.repeats = sum(c.repeats for c in viewers)
        figures.gifts = len(keys)
        figures.gift_retries = sum(s.resends for s in senders)
        return figures, everyone, keys
    finally:
        stop.set()
        await asyncio.wait(runs, timeout=10)


def test_redis_restart_under_200_viewers_loses_no_chat_and_no_gift(
    worker: Worker, private_redis: PrivateRedis
) -> None:
    gift_catalog()
    room = RoomFactory(live=True)
    chatter = UserFactory(username="chatter")
    senders = [UserFactory(username=f"giver{n}") for n in range(SENDERS)]
    for sender in senders:
        fund(sender, FUNDS)
    cookies = [session_cookie(sender) for sender in senders]

    try:
        figures, _, keys = asyncio.run(
            scenario(worker.url, room, session_cookie(chatter), cookies, private_redis)
        )
    except AssertionError as failed:
        raise AssertionError(f"{failed}\nworker log:\n{worker.text()[-4000:]}") from None

    # No gift lost, none counted twice: one GiftSend per key, in the ledger
    # and in the room's tally.
    assert GiftSend.objects.count() == len(keys) == len(set(keys))
    recorded = IdempotencyRecord.objects.filter(scope="gift").values_list("key", flat=True)
    assert sorted(recorded) == sorted(keys)
    for sender in senders:
        sent = GiftSend.objects.filter(sender=sender).count()
        assert wallet_selectors.coin_balance(sender) == FUNDS - sent
    tally = room_gift_tally(room.pk)
    assert (tally["gifts"], tally["coins"]) == (len(keys), len(keys))
    assert reconcile().ok
    call_command("reconcile_ledger")
    log = worker.text()
    # Redis being away is expected, not a crash: no consumer failed, and the
    # only tracebacks are channels-redis' own (its receive task, once a second).
    assert "Exception in ASGI application" not in log
    assert "ERROR sprout" not in log
    print(
        f"\nredis restart, {VIEWERS} viewers: {figures}\n"
        f"worker log: {log.count('Traceback')} tracebacks, {len(log.splitlines())} lines"
    )
