"""A real broadcast: ffmpeg publishes with a host's stream key into nginx-rtmp
(started by scripts/nginx-rtmp on free ports), whose callbacks reach Django
(pytest-django's live server) with the secret in a header, never in a URL or
a log; the HLS playlist appears under the room's public name and nothing
under the HLS directory holds the key; the room goes live, then ends when
ffmpeg stops; a revoked key makes ffmpeg fail at once.

Needs nginx, libnginx-mod-rtmp and ffmpeg (skipped without them, a failure
under CI=true); runs in the PostgreSQL pass (the live server and the test
share a real database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from live import services
from live.models import LiveSession, Room
from tests import services as test_services
from tests.factories import HostFactory
from tests.services import free_port, nginx_binary, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "nginx-rtmp"
MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
SECRET = "rtmp-test-secret"
INSTALL = "apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp ffmpeg"


def require_tools() -> None:
    missing = [
        what
        for what, there in (
            ("nginx", nginx_binary() is not None),
            ("the nginx RTMP module", os.path.exists(MODULE)),
            ("ffmpeg", shutil.which("ffmpeg") is not None),
        )
        if not there
    ]
    if missing:
        test_services.unavailable(
            f"nginx with the RTMP module is not installed ({', '.join(missing)} missing): {INSTALL}"
        )


@dataclass
class Ingest:
    rtmp_port: int
    hls_port: int
    hls_dir: Path
    run_dir: Path

    def ffmpeg(self, key: str, *, seconds: int) -> subprocess.Popen[bytes]:
        """TOOLCHAIN.md's test publisher: 2-second keyframes, H.264 + AAC."""
        return subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
             "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine",
             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
             "-profile:v", "main", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
             "-c:a", "aac", "-t", str(seconds),
             "-f", "flv", f"rtmp://127.0.0.1:{self.rtmp_port}/ingest/{key}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def fetch(self, path: str) -> tuple[int, dict[str, str], bytes]:
        url = f"http://127.0.0.1:{self.hls_port}/hls/{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()


@pytest.fixture
def ingest(live_server: Any, settings: Any) -> Iterator[Ingest]:
    require_tools()
    settings.SPROUT_LIVE_INGEST_SECRET = SECRET
    run_dir = Path(tempfile.mkdtemp(prefix="sprout-nginx-"))
    rtmp_port, hls_port = free_port(), free_port()
    env = {
        **os.environ,
        "SPROUT_NGINX_DIR": str(run_dir),
        "SPROUT_RTMP_PORT": str(rtmp_port),
        "SPROUT_HLS_PORT": str(hls_port),
        "SPROUT_LIVE_CALLBACK_URL": f"http://127.0.0.1:{live_server.url.rsplit(':', 1)[1]}",
        "SPROUT_LIVE_INGEST_SECRET": SECRET,
        "SPROUT_NGINX_UPDATE_SECONDS": "2",
    }
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=30
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield Ingest(rtmp_port, hls_port, run_dir / "hls", run_dir)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=30)
        shutil.rmtree(run_dir, ignore_errors=True)


def files_holding(directory: Path, secret: str) -> list[str]:
    """Files under ``directory`` whose name or content holds ``secret``."""
    found = []
    for path in directory.rglob("*"):
        if path.is_file() and (secret in path.name or secret.encode() in path.read_bytes()):
            found.append(str(path))
    return found


def test_a_real_publish_goes_live_under_the_public_name_and_ends(ingest: Ingest) -> None:
    host = HostFactory()
    _, key = services.stream_key_rotate(host=host)
    room = services.room_create(host=host, title="Real video")
    playlist = ingest.hls_dir / f"{room.stream_name}.m3u8"

    publisher = ingest.ffmpeg(key, seconds=8)
    try:
        wait_for(playlist.exists, timeout=12, what=f"the playlist {playlist.name}")
        room.refresh_from_db()
        assert room.state == Room.State.LIVE

        status, headers, body = ingest.fetch(playlist.name)
        assert status == 200 and body.startswith(b"#EXTM3U")
        assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert headers["Cache-Control"] == "no-cache"
        assert headers["Access-Control-Allow-Origin"] == "*"
        segment = next(line for line in body.decode().splitlines() if line.endswith(".ts"))
        assert segment.startswith(room.stream_name)
        status, headers, _ = ingest.fetch(segment)
        assert status == 200 and headers["Content-Type"] == "video/mp2t"
        assert files_holding(ingest.hls_dir, key) == []
        assert publisher.wait(timeout=20) == 0, publisher.stderr.read() if publisher.stderr else ""
    finally:
        if publisher.poll() is None:
            publisher.kill()
            publisher.wait()

    def ended() -> bool:
        room.refresh_from_db()
        return room.state == Room.State.ENDED

    wait_for(ended, timeout=10, what="publish-done to end the room")
    session = LiveSession.objects.get(room=room)
    assert session.ended_at is not None
    assert room.started_at is not None and room.last_seen_at is not None
    assert room.last_seen_at > room.started_at  # on_update callbacks arrived meanwhile
    assert files_holding(ingest.hls_dir, key) == []
    assert not any(ingest.hls_dir.glob(f"*{key}*"))
    # nginx logs at "warn": its info-level publish lines would hold the key.
    assert files_holding(ingest.run_dir / "logs", key) == []
    # The callbacks went through nginx's loopback relay, which adds the secret
    # as a header: its access log shows them, and holds no secret.
    access_log = ingest.run_dir / "logs" / "access.log"

    def relayed_all() -> bool:
        # nginx writes a line once the answer has gone back to nginx-rtmp,
        # which can be after Django ended the room.
        text = access_log.read_text()
        return all(
            f'"POST /live/ingest/{name} HTTP' in text
            for name in ("publish", "update", "publish-done")
        )

    wait_for(relayed_all, timeout=10, what="the relayed callbacks in nginx's access log")
    assert files_holding(ingest.run_dir / "logs", SECRET) == []
    assert "secret=" not in (ingest.run_dir / "nginx.conf").read_text()


def test_a_revoked_key_makes_ffmpeg_fail_at_once(ingest: Ingest) -> None:
    host = HostFactory()
    _, old_key = services.stream_key_rotate(host=host)
    services.stream_key_rotate(host=host)
    room = services.room_create(host=host, title="Never live")

    began = time.monotonic()
    publisher = ingest.ffmpeg(old_key, seconds=8)
    try:
        code = publisher.wait(timeout=15)
    finally:
        if publisher.poll() is None:
            publisher.kill()
            publisher.wait()
    assert code != 0
    assert time.monotonic() - began < 5
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED
    assert not LiveSession.objects.exists()
    assert not any(ingest.hls_dir.iterdir())
