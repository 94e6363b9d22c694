"""A real broadcast with ABR on at tiny renditions: ffmpeg publishes with a
host's key; nginx-rtmp's exec_push ffmpeg transcodes the public stream into
``abr``, whose master playlist lists the source and each rendition, each
media playlist has segments of the rendition's size, served over HTTP; the
room's ``hls_url`` is that master playlist. When the publisher stops, every
rendition's recording reaches Django (a ReplaySource each, in the record
directory) and the replay is made; the key is in no file name or content
under the HLS, record and log directories, nor in any process's command line
but the publisher's. The replay is a VOD of each rendition that ends
(#EXT-X-ENDLIST) and lasts as long as the broadcast within a segment, in
storage paths holding neither the key nor the stream name, and its timeline
gives back the chat sent during the stream at its offsets.

Needs nginx, libnginx-mod-rtmp, ffmpeg and ffprobe (skipped without them, a
failure under CI=true); runs in the PostgreSQL pass (the live server and the
test share a real database)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.storage import storages
from django.utils import timezone

from live import replay_files, selectors, services
from live.models import LiveSession, Replay, ReplaySource, Room
from tests.factories import HostFactory, UserFactory
from tests.live.rtmp import SECRET, Ingest, files_holding, running_ingest, stop
from tests.services import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TINY = "180p=320x180@300,90p=160x90@100"
SIZES = {"src": (640, 360), "180p": (320, 180), "90p": (160, 90)}
PUBLISHED_SECONDS = 7
SEGMENT_SECONDS = 2


@pytest.fixture
def ingest(live_server: Any, settings: Any) -> Iterator[Ingest]:
    settings.SPROUT_LIVE_INGEST_SECRET = SECRET
    # Django (the live server: this process) and the rendered config agree.
    settings.SPROUT_LIVE_ABR, settings.SPROUT_LIVE_ABR_RENDITIONS = "on", TINY
    with running_ingest(live_server, SPROUT_LIVE_ABR="on", SPROUT_LIVE_ABR_RENDITIONS=TINY) as ing:
        settings.SPROUT_LIVE_RECORD_DIR = str(ing.record_dir)
        yield ing


def media_playlists(master: str) -> list[str]:
    return [line for line in master.splitlines() if line and not line.startswith("#")]


def segments(playlist: Path) -> list[Path]:
    if not playlist.exists():
        return []
    lines = playlist.read_text().splitlines()
    return [playlist.parent / line for line in lines if line.endswith(".ts")]


def frame_size(path: Path) -> tuple[int, int]:
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=20, check=True,
    )  # fmt: skip
    stream = json.loads(probed.stdout)["streams"][0]
    return stream["width"], stream["height"]


def command_lines_holding(secret: str, *, besides: int) -> list[str]:
    """Command lines of this machine's processes holding ``secret``, but
    the process ``besides`` (the publisher, whose URL holds the key)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == besides:
            continue
        try:
            line = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if secret.encode() in line:
            found.append(line.replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_abr_writes_a_master_playlist_of_every_rendition_and_records_each(
    ingest: Ingest, live_server: Any
) -> None:
    host = HostFactory()
    _, key = services.stream_key_rotate(host=host)
    room = services.room_create(host=host, title="Three sizes")
    abr_dir = ingest.hls_dir / "abr"
    master = abr_dir / f"{room.stream_name}.m3u8"
    media = {name: abr_dir / f"{room.stream_name}_{name}" / "index.m3u8" for name in SIZES}

    member = UserFactory()
    publisher = ingest.ffmpeg(key, seconds=PUBLISHED_SECONDS)
    try:
        wait_for(
            lambda: master.exists() and all(segments(p) for p in media.values()),
            timeout=15,
            what="the master playlist and a segment of every rendition",
        )
        room.refresh_from_db()
        session = LiveSession.objects.get(room=room)
        # Chat during the broadcast, kept for the replay's timeline with its
        # offset on the session's clock.
        # (One event loop for both: an asyncio Redis client is its loop's.)
        said = {}

        async def send_chat() -> None:
            for text in ("first line", "second line"):
                said[text] = timezone.now()
                await services.message_send(room=room, user=member, text=text, nonce=None)
                await asyncio.sleep(1.5)

        async_to_sync(send_chat)()
        assert session.renditions == ["src", "180p", "90p"]
        hls_url = selectors.room_hls_url(room)
        assert hls_url is not None and hls_url.endswith(f"/abr/{room.stream_name}.m3u8")

        status, headers, body = ingest.fetch(f"abr/{master.name}")
        assert status == 200 and headers["Content-Type"] == "application/vnd.apple.mpegurl"
        listed = body.decode()
        assert media_playlists(listed) == [f"{room.stream_name}_{n}/index.m3u8" for n in SIZES]
        assert "BANDWIDTH=364000,RESOLUTION=320x180" in listed
        assert "BANDWIDTH=164000,RESOLUTION=160x90" in listed
        for name, playlist in media.items():
            segment = segments(playlist)[0]
            assert frame_size(segment) == SIZES[name], name
            path = segment.relative_to(ingest.hls_dir).as_posix()
            status, headers, _ = ingest.fetch(path)
            assert status == 200 and headers["Content-Type"] == "video/mp2t"
        assert command_lines_holding(key, besides=publisher.pid) == []
        assert publisher.wait(timeout=20) == 0, publisher.stderr.read() if publisher.stderr else ""
    finally:
        stop(publisher)

    def recorded() -> bool:
        return ReplaySource.objects.filter(replay__session=session).count() == len(SIZES)

    # Generous: under a loaded CI machine the exec_push ffmpeg may still be
    # encoding behind real time when the source stops.
    try:
        wait_for(recorded, timeout=45, what="a recording of every rendition")
    except pytest.fail.Exception:
        arrived = ReplaySource.objects.filter(replay__session=session)
        log = Path(ingest.paths["abr_log"])
        pytest.fail(
            f"recordings arrived: {sorted(a.rendition for a in arrived)}; "
            f"in the record dir: {sorted(p.name for p in ingest.record_dir.iterdir())}; "
            f"nginx: {(ingest.run_dir / 'logs' / 'error.log').read_text()[-1500:]}; "
            f"callbacks: {(ingest.run_dir / 'logs' / 'access.log').read_text()[-1500:]}; "
            f"ffmpeg: {log.read_text()[-1500:] if log.exists() else '(no log)'}"
        )
    sources = ReplaySource.objects.filter(replay__session=session)
    assert sorted(s.rendition for s in sources) == sorted(SIZES)
    for source in sources:
        flv = Path(source.path)
        assert flv.parent == ingest.record_dir
        assert flv.name.startswith(f"{room.stream_name}_{source.rendition}-")
        assert key not in source.path
    room.refresh_from_db()
    assert room.state == Room.State.ENDED

    # With every recording there and the session ended, the replay is made
    # (eager Celery: in the live server's thread) from all three.
    def made() -> Replay | None:
        replay = Replay.objects.get(session=session)
        return replay if replay.state in (Replay.State.READY, Replay.State.FAILED) else None

    replay = wait_for(made, timeout=60, what="the replay to be made")
    assert replay.state == Replay.State.READY, replay.error
    assert [r["name"] for r in replay.renditions] == ["src", "180p", "90p"]
    assert key not in replay.playlist and room.stream_name not in replay.playlist

    for directory in (ingest.hls_dir, ingest.record_dir, ingest.run_dir / "logs"):
        assert files_holding(directory, key) == [], directory

    # Every rendition's replay is a VOD that ends (#EXT-X-ENDLIST) and lasts
    # as long as the broadcast, within a segment (2 s).
    storage = storages["replays"]
    assert replay.duration_ms is not None
    assert abs(replay.duration_ms / 1000 - PUBLISHED_SECONDS) <= SEGMENT_SECONDS
    for rendition in replay.renditions:
        with storage.open(rendition["playlist"]) as opened:
            text = opened.read().decode()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
        lasts = sum(
            float(line.split(":", 1)[1].split(",", 1)[0])
            for line in text.splitlines()
            if line.startswith("#EXTINF:")
        )
        assert abs(lasts - PUBLISHED_SECONDS) <= SEGMENT_SECONDS, rendition["name"]
    # The key is in no replay path (nor the public stream name).
    stored = replay_files.stored_under(storage, replay_files.replay_prefix(replay))
    assert stored and not [name for name in stored if key in name or room.stream_name in name]

    # The timeline gives back the chat at its moments (offsets from the
    # session's start, within a second of when it was said).
    server = live_server.url.removeprefix("http://")
    url = f"http://{server}/api/v1/live/sessions/{session.pk}/timeline"
    with urllib.request.urlopen(url, timeout=10) as answer:
        page = json.loads(answer.read())
    chat = [item for item in page["results"] if item["type"] == "chat"]
    assert [item["text"] for item in chat] == list(said)
    for item in chat:
        expected_ms = (said[item["text"]] - session.started_at).total_seconds() * 1000
        assert abs(item["offset_ms"] - expected_ms) <= 1000, item
    log = Path(ingest.paths["abr_log"])
    assert files_holding(log.parent, key) == []
