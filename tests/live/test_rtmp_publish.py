"""A real broadcast: ffmpeg publishes with a host's stream key into nginx-rtmp
(started by scripts/nginx-rtmp on free ports), whose callbacks reach Django
(pytest-django's live server) with the secret in a header, never in a URL or
a log; the HLS playlist appears under the room's public name and nothing
under the HLS directory holds the key; the room goes live, then ends when
ffmpeg stops, and its recording (ABR off: the source alone, recorded by
``show``) reaches Django; a revoked key makes ffmpeg fail at once.

Needs nginx, libnginx-mod-rtmp and ffmpeg (skipped without them, a failure
under CI=true); runs in the PostgreSQL pass (the live server and the test
share a real database)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from live import services
from live.models import LiveSession, ReplaySource, Room
from tests.factories import HostFactory
from tests.live.rtmp import SECRET, Ingest, files_holding, running_ingest
from tests.services import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ingest(live_server: Any, settings: Any) -> Iterator[Ingest]:
    settings.SPROUT_LIVE_INGEST_SECRET = SECRET
    # Django (the live server: this process) and the rendered config agree.
    settings.SPROUT_LIVE_ABR = "off"
    with running_ingest(live_server, SPROUT_LIVE_ABR="off") as running:
        settings.SPROUT_LIVE_RECORD_DIR = str(running.record_dir)
        yield running


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
    assert session.renditions == []
    source = wait_for(
        lambda: ReplaySource.objects.filter(replay__session=session).first(),
        timeout=10,
        what="the recording to reach Django",
    )
    assert source.rendition == "src"
    assert Path(source.path).parent == ingest.record_dir
    assert Path(source.path).name.startswith(f"{room.stream_name}-")
    assert ReplaySource.objects.filter(replay__session=session).count() == 1
    assert files_holding(ingest.record_dir, key) == []
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
