"""A live room served by several real processes, for the tests that check
what one room looks like across them and what happens when one dies:

- :func:`start_workers`: uvicorn processes serving ``config.asgi`` with
  production settings (``tests.cluster_settings``) on the test
  database and the test run's Redis, each in a process group of its own
  (:meth:`Worker.kill` is a real ``SIGKILL``; nothing is left behind);
- :class:`Nginx`: a private nginx on a free port with an upstream of the
  workers, configured as ``deploy/nginx/site.conf.template`` proxies the
  site's websockets (its own prefix, pid, logs and temp paths);
- :class:`RoomViewer`: a websocket client that does what the room's page
  (``static/js/live-room.js``) does: reconnects after a drop with backoff
  and jitter, and on every ``hello`` resumes: merges the recent chat (one
  entry per message id), sends again the gifts not yet acknowledged (same
  idempotency key, so they count once), keeps the counts the server sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from live.events import event_check
from tests.production.conftest import production_env
from tests.services import free_port, nginx_binary, shared_database_url, unavailable

ROOT = Path(__file__).resolve().parents[2]
# What the workers answer to: the workers directly (127.0.0.1) and through nginx.
SITE_HOSTS = "localhost,127.0.0.1"
START_SECONDS = 30.0
# Close codes after which the page stops reconnecting (live.consumers).
FINAL_CLOSE_CODES = {4003, 4004}


# --- worker processes -------------------------------------------------------------


class _Listening:
    """What a server on a loopback port of this test answers at."""

    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.address}"

    def ws_url(self, room_id: int) -> str:
        return f"ws://{self.address}/ws/live/{room_id}/"


@dataclass
class Worker(_Listening):
    """One ASGI worker process (uvicorn, as README.md's production runs it)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """``SIGKILL`` to the whole process group: no shutdown code runs,
        as when the kernel's OOM killer or a crashed host takes it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, grace: float = 3.0) -> None:
        """A clean stop (``SIGTERM``), then ``SIGKILL`` for what is left
        after ``grace`` seconds (uvicorn waits for open connections)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        # Whatever the group still holds (nothing, normally) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def worker_env() -> dict[str, str]:
    """Production's environment for a worker of this test run: the test
    database (no connection kept between requests: the test flushes it),
    the run's Redis and channel prefix, and this process's secret key, so
    that the sessions the test logs in are valid in the workers."""
    return production_env(
        DJANGO_SETTINGS_MODULE="tests.cluster_settings",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS=SITE_HOSTS,
        DATABASE_URL=shared_database_url(),
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=settings.REDIS_URL,
        SPROUT_TEST_CHANNEL_PREFIX=os.environ["SPROUT_TEST_CHANNEL_PREFIX"],
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        # The proxy's X-Forwarded-For names the client (live.handshake).
        SPROUT_NUM_PROXIES="1",
        # Plain HTTP on loopback, as nginx talks to the workers.
        DJANGO_SECURE_SSL_REDIRECT="false",
    )


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def start_workers(count: int, directory: Path) -> list[Worker]:
    """``count`` workers, started together (each imports Django at once)
    and returned when every one listens; on a failure the started ones are
    stopped and the test fails with the log of the one that did not start."""
    env = worker_env()
    workers: list[Worker] = []
    try:
        for index in range(count):
            name = chr(ord("a") + index)
            port = free_port()
            log = directory / f"worker-{name}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "config.asgi:application",
                     "--host", "127.0.0.1", "--port", str(port),
                     "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
                     "--lifespan", "off", "--no-access-log",
                     "--ws-per-message-deflate", "false"],
                    cwd=ROOT,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    # Its own group: kill() and stop() reach whatever it started.
                    start_new_session=True,
                )  # fmt: skip
            workers.append(Worker(name, port, process, log))
        deadline = time.monotonic() + START_SECONDS
        for worker in workers:
            while not _listening(worker.port):
                if not worker.alive() or time.monotonic() > deadline:
                    pytest.fail(f"worker {worker.name} did not start:\n{worker.output()[-3000:]}")
                time.sleep(0.1)
    except BaseException:
        for worker in workers:
            worker.stop()
        raise
    return workers


@contextlib.contextmanager
def running_workers(count: int, directory: Path) -> Iterator[list[Worker]]:
    workers = start_workers(count, directory)
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


# --- nginx --------------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;

    # The ASGI workers. A worker that refuses a connection is skipped for
    # fail_timeout; the request (a websocket handshake too) goes to the next.
    upstream sprout_app {{
{servers}
    }}

    map $http_upgrade $sprout_connection {{
        default upgrade;
        "" "";
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost;

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $sprout_connection;
        proxy_redirect off;
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout;

        location / {{
            proxy_pass http://sprout_app;
        }}

        location /ws/ {{
            proxy_pass http://sprout_app;
            # The tests' own trace: which worker took this websocket.
            add_header X-Sprout-Upstream $upstream_addr always;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
"""


@dataclass
class Nginx(_Listening):
    """A private nginx in front of ``upstreams`` (``host:port`` each)."""

    prefix: Path
    port: int
    process: subprocess.Popen[bytes]

    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def nginx_config(prefix: Path, port: int, upstreams: Sequence[str]) -> str:
    servers = "\n".join(
        f"        server {address} max_fails=1 fail_timeout=10s;" for address in upstreams
    )
    return NGINX_CONF.format(prefix=prefix, port=port, servers=servers)


def start_nginx(prefix: Path, upstreams: Sequence[str]) -> Nginx:
    binary = nginx_binary()
    if binary is None:
        unavailable("nginx is not installed: apt-get install -y --no-install-recommends nginx")
        raise AssertionError("unreachable")
    for part in ("logs", "temp"):
        (prefix / part).mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, port, upstreams))
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Nginx(prefix, port, process)
    deadline = time.monotonic() + START_SECONDS
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"nginx did not start:\n{server.error_log()[-3000:]}")
        time.sleep(0.05)
    return server


# --- hot state across processes -----------------------------------------------------


def viewer_reports(room_id: int) -> dict[int, int]:
    """``{worker pid: viewers}`` as each process last reported them to Redis
    (``live.state.RedisRoomState.report_viewers``: fields are
    ``host:pid:nonce``), fresh or not."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    try:
        entries = client.hgetall(f"live:room:{room_id}:viewers")
    finally:
        client.close()
    reports: dict[int, int] = {}
    for process, value in entries.items():
        pid = int(str(process).split(":")[1])
        reports[pid] = int(str(value).partition(":")[0])
    return reports


def room_subscribers(room_id: int) -> int:
    """How many subscriptions Redis holds on the room's channel-layer group
    (``RedisPubSubChannelLayer``: one pub/sub channel per group): one per
    process serving the room (``live.hub``), however many viewers it has."""
    import redis

    from live.hub import group_name

    # The test run's prefix (config.settings.test), which the workers use too.
    prefix = os.environ["SPROUT_TEST_CHANNEL_PREFIX"]
    channel = f"{prefix}__group__{group_name(room_id)}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return int(dict(client.pubsub_numsub(channel)).get(channel.encode(), 0))
    finally:
        client.close()


# --- the page's websocket, in Python ------------------------------------------------


@dataclass
class RoomViewer:
    """One viewer's websocket that behaves as the room's page: connects
    (session cookie and the page's Origin, or a fresh ticket per connection
    from ``ticket``), unpacks ``batch`` frames, checks every event against
    ``live.events``' schema, reconnects with backoff and jitter after a drop
    (never after a ban or a vanished room), and on each ``hello`` merges the
    recent chat and resends unacknowledged gifts."""

    name: str
    url: Callable[[], str] | str
    cookie: str | None = None
    origin: str | None = None
    ticket: Callable[[], str] | None = None
    # The page's backoff (live-room.js ``backoff``): 1 s doubling up to 30 s.
    backoff_base: float = 1.0
    backoff_max: float = 30.0

    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    chat_events: int = 0  # chat events received, a repeat included
    gifts: dict[int, dict[str, Any]] = field(default_factory=dict)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    viewers: int | None = None
    # Every viewer count this viewer was told, with when (monotonic seconds).
    viewer_counts: list[tuple[float, int]] = field(default_factory=list)
    hearts: int | None = None
    state: str | None = None
    pinned: int | None = None
    hellos: list[float] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    final_close: int | None = None
    # The worker behind nginx that serves the current connection
    # (``X-Sprout-Upstream``, set by the test's nginx); None without nginx.
    upstream: str | None = None

    def __post_init__(self) -> None:
        self._socket: Any = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._stopped = False

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopped = True
        socket_ = self._socket
        if socket_ is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket_.close(), 3)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def _run(self) -> None:
        import websockets
        from websockets.asyncio.client import connect

        attempt = 0
        while not self._stopped:
            url = self.url() if callable(self.url) else self.url
            if self.ticket is not None:
                url += f"?ticket={self.ticket()}"
            headers = (
                {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookie}"} if self.cookie else None
            )
            try:
                async with connect(
                    url,
                    origin=self.origin,  # type: ignore[arg-type]
                    additional_headers=headers,
                    open_timeout=5,
                    close_timeout=1,
                    ping_interval=None,
                    proxy=None,
                ) as socket_:
                    self._socket = socket_
                    # nginx lists every worker it tried: the last one took it.
                    response = socket_.response
                    tried = response.headers.get("X-Sprout-Upstream") if response else None
                    self.upstream = tried.split(",")[-1].strip() if tried else None
                    async for text in socket_:
                        if self._frame(str(text)):
                            attempt = 0
                code = socket_.close_code
            except (
                OSError,
                TimeoutError,
                websockets.InvalidHandshake,
                websockets.ConnectionClosed,
            ) as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
            finally:
                self._socket = None
                self._connected.clear()
            self.closes.append(code)
            if code in FINAL_CLOSE_CODES:
                self.final_close = code
                return
            if self._stopped:
                return
            # The page's backoff (live-room.js): base * 2^attempt, 60-100% of it.
            delay = min(self.backoff_max, self.backoff_base * 2**attempt)
            attempt += 1
            await asyncio.sleep(delay * (0.6 + random.random() * 0.4))

    def _frame(self, text: str) -> bool:
        """Take one frame; True when it was a ``hello``."""
        frame = json.loads(text)
        received = frame["events"] if frame.get("type") == "batch" else [frame]
        hello = False
        for event in received:
            event_check(event)
            self.events.append(event)
            kind = event["type"]
            if kind == "hello":
                hello = True
                self.hellos.append(time.monotonic())
                self.viewers, self.hearts = event["viewers"], event["hearts"]
                self.viewer_counts.append((time.monotonic(), event["viewers"]))
                self.state = event["room"]["state"]
                for chat in event["recent"]:
                    self.chats.setdefault(chat["id"], chat)
                self._connected.set()
                for frame_ in self.pending.values():  # the page's gifts.resend()
                    asyncio.get_running_loop().create_task(self._send_now(frame_))
            elif kind == "chat":
                self.chat_events += 1
                self.chats.setdefault(event["id"], event)
            elif kind == "viewers":
                self.viewers = event["count"]
                self.viewer_counts.append((time.monotonic(), event["count"]))
            elif kind == "hearts":
                self.hearts = event["total"]
            elif kind == "room_state":
                self.state = event["state"]
            elif kind == "gift":
                self.gifts.setdefault(event["id"], event)
            elif kind == "gift_ack":
                self.acks[event["idempotency_key"]] = event
                self.pending.pop(event["idempotency_key"], None)
            elif kind == "product_pinned":
                self.pinned = event["product"]["id"]
            elif kind == "product_unpinned":
                self.pinned = None
            elif kind == "error":
                self.errors.append(event)
        return hello

    # --- sending ----------------------------------------------------------------

    async def _send_now(self, frame: dict[str, Any]) -> None:
        socket_ = self._socket
        if socket_ is not None:
            with contextlib.suppress(Exception):  # dropped meanwhile: resent on hello
                await socket_.send(json.dumps(frame))

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.wait_connected()
        await self._socket.send(json.dumps(frame))

    async def chat(self, text: str, nonce: str) -> None:
        await self.send({"type": "chat", "text": text, "nonce": nonce})

    async def gift(self, key: str, gift: str = "heart", quantity: int = 1) -> None:
        """Send a gift; until its ``gift_ack`` it is sent again on every
        ``hello`` (with the same key: it counts once)."""
        frame = {"type": "gift", "gift": gift, "quantity": quantity, "idempotency_key": key}
        self.pending[key] = frame
        await self.send(frame)


async def eventually(
    predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "the condition"
) -> float:
    """Wait (in the event loop) until ``predicate()`` is truthy; the seconds
    it took. Fails the test after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started
