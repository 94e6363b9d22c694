"""A real broadcast replayed with its room: ffmpeg publishes for a few
seconds, members chat and send hearts while it is live, a moderator deletes
one line; after publish-done the replay is made (``#EXT-X-ENDLIST``, its
duration within a segment of the broadcast's) and its timeline, read over
the API as a visitor, returns the chat sent during the stream at the
offsets it was sent at, the hearts, and never the deleted line; each item
falls within the video once placed on it (``start_offset_ms``).

Needs nginx, libnginx-mod-rtmp and ffmpeg (skipped without them, a failure
under CI=true); runs in the PostgreSQL pass (the live server and the test
share a real database)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.storage import storages
from rest_framework.test import APIClient

from live import services
from live.models import ChatMessage, LiveSession, Replay, Room
from live.state import reset_room_state_backend, room_state
from tests.factories import HostFactory, UserFactory
from tests.live.rtmp import SECRET, Ingest, running_ingest, stop
from tests.services import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = 8
SEGMENT_MS = 2_000  # the test publisher's keyframe interval, nginx's fragment


@pytest.fixture
def ingest(live_server: Any, settings: Any) -> Iterator[Ingest]:
    settings.SPROUT_LIVE_INGEST_SECRET = SECRET
    settings.SPROUT_LIVE_ABR = "off"
    settings.SPROUT_LIVE_CHAT_RATE = "100/10"
    with running_ingest(live_server, SPROUT_LIVE_ABR="off") as running:
        settings.SPROUT_LIVE_RECORD_DIR = str(running.record_dir)
        yield running


def during_the_stream(room: Room, viewer: Any) -> tuple[float, float]:
    """Chat and hearts as the room's websocket sends them, in one event loop
    (an asyncio Redis client belongs to the loop that made it); when each
    kept line was sent (epoch seconds)."""

    async def script() -> tuple[float, float]:
        async def say(text: str) -> float:
            sent = time.time()
            await services.message_send(room=room, user=viewer, text=text, nonce=None)
            return sent

        await asyncio.sleep(1.5)
        first = await say("first line")
        assert await room_state().add_hearts(room.pk, 3) == 3
        await asyncio.sleep(2)
        await say("a line the moderator deletes")
        second = await say("second line")
        return first, second

    reset_room_state_backend()
    try:
        return async_to_sync(script)()
    finally:
        reset_room_state_backend()


def test_the_replays_timeline_returns_the_chat_sent_during_the_stream_at_its_offsets(
    ingest: Ingest,
) -> None:
    host, viewer = HostFactory(), UserFactory()
    _, key = services.stream_key_rotate(host=host)
    room = services.room_create(host=host, title="Replayed with its chat")
    publisher = ingest.ffmpeg(key, seconds=SECONDS)
    try:

        def live() -> bool:
            room.refresh_from_db()
            return room.state == Room.State.LIVE

        wait_for(live, timeout=12, what="the room to go live")
        first, second = during_the_stream(room, viewer)
        deleted = ChatMessage.objects.get(text="a line the moderator deletes")
        services.message_delete(actor=host, message=deleted)
        assert publisher.wait(timeout=30) == 0, publisher.stderr.read() if publisher.stderr else ""
    finally:
        stop(publisher)

    session = LiveSession.objects.get(room=room)

    def made() -> Replay | None:
        replay = Replay.objects.get(session=session)
        return replay if replay.state in (Replay.State.READY, Replay.State.FAILED) else None

    replay = wait_for(made, timeout=60, what="the replay to be made")
    assert replay.state == Replay.State.READY, replay.error
    session.refresh_from_db()
    assert session.ended_at is not None

    # The VOD is closed and as long as the broadcast, within a segment.
    with storages["replays"].open(replay.renditions[0]["playlist"]) as playlist:
        assert b"#EXT-X-ENDLIST" in playlist.read()
    assert replay.duration_ms is not None
    assert abs(replay.duration_ms - SECONDS * 1000) <= SEGMENT_MS

    visitor = APIClient()
    detail = visitor.get(f"/api/v1/live/sessions/{session.pk}/")
    assert detail.status_code == 200 and detail.json()["replay"] is not None
    response = visitor.get(f"/api/v1/live/sessions/{session.pk}/timeline?page_size=100")
    assert response.status_code == 200, response.content
    items = response.json()["results"]
    chat = [(item["offset_ms"], item["text"]) for item in items if item["type"] == "chat"]
    assert [text for _, text in chat] == ["first line", "second line"]
    started = session.started_at.timestamp()
    for (offset, _), sent in zip(chat, (first, second), strict=True):
        # Stored when sent: the offset is the time since the session began.
        assert abs(offset - (sent - started) * 1000) < 500, (offset, sent - started)
        # ...and falls inside the video once placed on it.
        assert 0 <= offset - replay.start_offset_ms <= replay.duration_ms
    assert [i["total"] for i in items if i["type"] == "hearts"] == [3]
    assert all("deletes" not in str(item) for item in items)
