"""``make stack``: the production topology on one machine (scripts/stack,
deploy/stack/, docs/deploy.md), started the way ``make stack`` starts it
and stopped the way ``make stack-stop`` stops it.

One run, on free ports, with a PostgreSQL database and a Redis server of its
own (a private ``redis-server``: the stack's Celery worker must not take the
test run's tasks), two web workers, no demo data (seeding takes minutes; a
room is made instead): ``/readyz`` is ready through the front; a room page
and every static file it names come through nginx (hashed names cached for
good); a room's websocket says hello through nginx; a 5 s broadcast
published to the stack's nginx-rtmp is recorded and made into a replay by
the stack's Celery worker, whose playlist and segments the front serves
from media; the ingest callbacks are
not reachable at the front, only on its private side, which like
``/metrics`` answers this machine's address only; both workers answer,
and with one of them killed the site still answers while it comes back;
after the stop, no process the stack started is left and its ports are free.

Needs nginx and ffmpeg (skipped without them, a failure under CI=true).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from websockets.sync.client import connect
from websockets.typing import Origin

from tests import services
from tests.production.conftest import production_env
from tests.production.web import Response, StaticWalk, request
from tests.services import free_port, nginx_binary

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "stack"
INSTALL = "apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp"
STARTED = re.compile(r"system\s*\| (\S+) started \(pid=(\d+)\)")
UVICORN = re.compile(r"(web\.\d+)\s*\| INFO:\s+Started server process \[(\d+)\]")
UPSTREAM = re.compile(r"upstream=(\S+)")
# A room of its own in the stack's database, made as the app makes one.
MAKE_ROOM = """
import django
django.setup()
from live import services
from tests.factories import HostFactory
host = HostFactory()
room = services.room_create(host=host, title="Stack check")
print(room.pk, services.stream_key_rotate(host=host)[1])
"""


def port_is_free(port: int) -> bool:
    """Free to listen on, as servers bind (connections of the stopped
    servers may linger in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_pair() -> int:
    """A port whose next one is free too: honcho numbers the web workers'
    ports from the first."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and port_is_free(port + 1):
            return port
    pytest.fail("no two consecutive free ports")


@dataclass
class Stack:
    dir: Path
    url: str
    internal_url: str
    web_ports: list[int]
    ports: list[int]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    pids: dict[str, int] = field(default_factory=dict)

    def get(self, path: str, **headers: str) -> Response:
        return request(self.url, path, headers=headers)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self) -> str:
        return self.output()[-5000:]

    def stop(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "stop"], env=self.env, capture_output=True, text=True, timeout=60
        )


def sessions_alive(session_ids: set[int]) -> list[str]:
    """Processes still running in these sessions (honcho starts each
    process of the Procfile in a session of its own; the stack's script,
    hence honcho and its log's tee, in the test's new one)."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session in session_ids and state != "Z":
            left.append(f"{entry.name} {cmdline[:120]}")
    return left


@pytest.fixture
def stack_database(django_db_setup: object) -> Iterator[str]:
    """A database of its own, named after the test database, dropped after."""
    base = services.shared_database_url()
    name = base.rsplit("/", 1)[1] + "_stack"
    server = base.rsplit("/", 1)[0] + "/postgres"

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    drop()
    yield base.rsplit("/", 1)[0] + "/" + name
    drop()


@pytest.fixture
def private_redis() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        services.unavailable("redis-server is needed: apt-get install -y redis-server")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        services.wait_for(
            lambda: services.reachable(f"redis://127.0.0.1:{port}", port),
            timeout=10,
            what="the private redis-server",
        )
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def stack(static_root: Path, stack_database: str, private_redis: str) -> Iterator[Stack]:
    if nginx_binary() is None:
        services.unavailable(f"nginx is needed: {INSTALL}")
    # Not under pytest's private temporary directory: as root, nginx-rtmp's
    # workers (nobody) write HLS under the stack's directory.
    directory = Path(tempfile.mkdtemp(prefix="sprout-stack-"))
    directory.chmod(0o755)
    front, internal, rtmp, hls = free_port(), free_port(), free_port(), free_port()
    web = free_port_pair()
    env = production_env(
        STACK_DIR=str(directory),
        STACK_PORT=str(front),
        STACK_WEB_PORT=str(web),
        STACK_INTERNAL_PORT=str(internal),
        SPROUT_RTMP_PORT=str(rtmp),
        SPROUT_HLS_PORT=str(hls),
        STACK_DATABASE_URL=stack_database,
        STACK_REDIS_URL=private_redis,
        WEB_WORKERS="2",
        STACK_SEED="0",
        STACK_CELERY_CONCURRENCY="1",
        # Collected once for the run by tests/production/conftest.py: the
        # stack sees it up to date and skips its own collectstatic.
        DJANGO_STATIC_ROOT=str(static_root),
    )
    # The stack makes and keeps its own secrets, and names its own hosts.
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "PG_URL"):
        env.pop(name, None)
    found = Stack(
        dir=directory,
        url=f"http://127.0.0.1:{front}",
        internal_url=f"http://127.0.0.1:{internal}",
        web_ports=[web, web + 1],
        ports=[front, internal, web, web + 1, rtmp, hls],
        env=env,
        log=directory / "test-output.log",
    )
    with found.log.open("wb") as sink:
        found.process = subprocess.Popen(
            [str(SCRIPT), "run"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            # As a terminal's Ctrl-C would not reach it: make stack-stop does.
            start_new_session=True,
        )
    try:
        yield found
    finally:
        if found.process.poll() is None:
            found.stop()
        try:
            found.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(found.process.pid, signal.SIGKILL)
            found.process.wait()
        # Whatever a failed run left behind, by the sessions honcho made.
        started = {int(pid) for _, pid in STARTED.findall(found.output())}
        for left in sessions_alive(started):
            os.kill(int(left.split()[0]), signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


def wait_for_line(stack: Stack, pattern: re.Pattern[str], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    assert stack.process is not None
    while not pattern.search(stack.output()):
        if stack.process.poll() is not None:
            pytest.fail(f"the stack stopped before {what}:\n{stack.tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:.0f} s:\n{stack.tail()}")
        time.sleep(0.2)


def ready(stack: Stack) -> bool:
    assert stack.process is not None
    if stack.process.poll() is not None:
        pytest.fail(f"the stack stopped:\n{stack.tail()}")
    try:
        return stack.get("/readyz").status == 200
    except OSError:
        return False


def from_elsewhere(base: str, path: str) -> Response:
    """A GET from the source address 127.0.0.2."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=20, source_address=("127.0.0.2", 0)
    )
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return Response(
            answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        )
    finally:
        connection.close()


def upstreams(stack: Stack) -> list[str]:
    """The web workers that answered, in order (what nginx served itself, as
    media, is logged as "-": nginx may write those lines after the client
    has its answer, so they are left out rather than counted late)."""
    found = UPSTREAM.findall((stack.dir / "logs" / "front.access.log").read_text())
    return [upstream for upstream in found if upstream != "-"]


def broadcast_and_replay(stack: Stack, *, room: str, key: str) -> dict[str, Any]:
    """Publish 5 s of test video with the room's host key to the stack's
    RTMP port, then wait for the session's replay (made by the stack's
    Celery worker) through the front's API; returns it."""
    if shutil.which("ffmpeg") is None:
        services.unavailable("ffmpeg is needed to publish: apt-get install -y ffmpeg")
    rtmp = stack.ports[4]
    publisher = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "lavfi", "-i", "sine",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60",
         "-c:a", "aac", "-t", "5", "-f", "flv", f"rtmp://127.0.0.1:{rtmp}/ingest/{key}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert publisher.returncode == 0, publisher.stderr[-2000:]

    def replay() -> dict[str, Any] | None:
        answer = stack.get(f"/api/v1/live/rooms/{room}/sessions/")
        if answer.status != 200:
            return None
        sessions = json.loads(answer.body)["results"]
        return sessions[0]["replay"] if sessions else None

    found = services.wait_for(replay, timeout=90, what="the replay, made by the stack's worker")
    assert isinstance(found, dict)
    return found


def test_make_stack_serves_the_site_through_nginx_and_stops_without_leftovers(
    stack: Stack,
) -> None:
    # Prepared (database migrated) once honcho starts the processes.
    wait_for_line(stack, STARTED, 50, "process started by honcho")
    maker = subprocess.run(
        [sys.executable, "-c", MAKE_ROOM],
        cwd=ROOT,
        env={
            **stack.env,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": stack.env["STACK_DATABASE_URL"],
            "REDIS_URL": stack.env["STACK_REDIS_URL"],
            "DJANGO_SECRET_KEY": "made-by-the-test-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert maker.returncode == 0, maker.stderr[-3000:]
    room, key = maker.stdout.strip().splitlines()[-1].split()
    services.wait_for(lambda: ready(stack), timeout=40, what="/readyz 200 through the front")

    # A page and every static file it names, through nginx.
    page = stack.get(f"/live/{room}/")
    assert page.status == 200, page.text[:500]
    assert "Strict-Transport-Security" not in page.headers  # the loopback switch
    walk = StaticWalk(fetch=stack.get)
    named = walk.page("the room page", page.text)
    assert named and walk.problems == []
    script = next(url for url in named if url.endswith(".js"))
    served = stack.get(script, **{"Accept-Encoding": "gzip"})
    assert served.header("Server") == "nginx"
    assert served.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert served.header("Content-Encoding") == "gzip"  # collectstatic's .gz copy

    # The room's websocket, upgraded by nginx, as the room page opens it.
    ws_url = stack.url.replace("http://", "ws://") + f"/ws/live/{room}/"
    # The client offers permessage-deflate, as browsers do; the workers
    # decline it (a frame compressed once per viewer: docs/performance.md).
    with connect(ws_url, origin=Origin(stack.url), open_timeout=20, compression="deflate") as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
    assert hello["type"] == "hello"

    # A broadcast through the stack's nginx-rtmp, recorded; the stack's
    # Celery worker makes its replay, which the front serves from media.
    replay = broadcast_and_replay(stack, room=room, key=key)
    playlist = stack.get(replay["hls_url"].removeprefix(stack.url))
    assert playlist.status == 200, playlist.text[:300]
    assert playlist.header("Content-Type") == "application/vnd.apple.mpegurl"
    assert playlist.text.rstrip().endswith("#EXT-X-ENDLIST")
    segment_name = next(line for line in playlist.text.splitlines() if line.endswith(".ts"))
    segment_path = replay["hls_url"].removeprefix(stack.url).rsplit("/", 1)[0]
    segment = stack.get(f"{segment_path}/{segment_name}")
    assert segment.status == 200 and segment.header("Content-Type") == "video/mp2t"
    assert segment.body[:1] == b"\x47"  # an MPEG-TS packet
    assert key not in replay["hls_url"]

    # nginx-rtmp's callbacks: never at the front; on its private side they
    # reach a worker (Django refuses a call without the ingest secret).
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"call=publish&name=key"
    at_front = request(stack.url, "/live/ingest/publish", method="POST", body=body, headers=form)
    assert at_front.status == 404 and at_front.header("Server") == "nginx"
    private = request(
        stack.internal_url, "/live/ingest/publish", method="POST", body=body, headers=form
    )
    assert private.status == 403, private.text
    assert private.body.strip() == b"forbidden"  # Django's answer (live/ingest.py), not nginx's

    # /metrics and the private side answer this machine only: a peer at
    # another address (127.0.0.2, still loopback to the kernel, not to
    # nginx's allow list) is refused by nginx itself.
    scraped = stack.get("/metrics")
    assert scraped.status == 200, scraped.text  # nginx passes it on as a local scrape
    assert b"sprout_http_requests_total" in scraped.body
    assert from_elsewhere(stack.url, "/metrics").status == 403
    assert from_elsewhere(stack.internal_url, "/live/ingest/publish").status == 403

    # Both workers answer (round robin, by the front's access log), and
    # with one killed the other takes every request while it restarts.
    before = len(upstreams(stack))
    for _ in range(6):
        assert stack.get("/healthz").status == 200
    answered = set(upstreams(stack)[before:])
    assert answered == {f"127.0.0.1:{port}" for port in stack.web_ports}, answered
    output = stack.output()
    stack.pids = {name: int(pid) for name, pid in STARTED.findall(output)}
    uvicorns = dict(UVICORN.findall(output))
    assert set(uvicorns) == {"web.1", "web.2"}, output[-3000:]
    os.kill(int(uvicorns["web.1"]), signal.SIGKILL)
    for _ in range(6):
        assert stack.get("/healthz").status == 200
    wait_for_line(
        stack,
        re.compile(
            r"web\.1\s*\| INFO:\s+Started server process \[(?!" + uvicorns["web.1"] + r"\])"
        ),
        30,
        "restart of the killed worker",
    )
    assert set(stack.pids) >= {"web.1", "web.2", "front.1", "worker.1", "beat.1"}, stack.pids

    # make stack-stop: everything goes, nothing is left, the ports are free.
    assert stack.process is not None
    stack.pids["stack"] = stack.process.pid
    stopped = stack.stop()
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    # honcho's exit status when SIGTERM stopped it (128 + 15).
    assert stack.process.wait(timeout=20) == 143, stack.tail()
    sessions = set(stack.pids.values())
    services.wait_for(
        lambda: not sessions_alive(sessions), timeout=10, what="the stack's processes to end"
    )
    assert [port for port in stack.ports if not port_is_free(port)] == []
    assert not (stack.dir / "run" / "stack.pid").exists()
