"""The room's shared hello (``live.hub.RoomHub.room_hello``): a crowd joining
together costs one read of the room, and every joiner's hello is complete
for it: nothing delivered to the room between its read and the join is
missing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from live import consumers, hub, services
from live import metrics as m
from live.models import ChatMessage, Room
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)
from tests.metrics import recorded

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_loop")]

ROOM_ID = 515_151


def _line(message_id: int, nonce: str | None = None) -> dict[str, Any]:
    return {
        "type": "chat",
        "id": message_id,
        "user": {"id": 1, "username": "maya", "display_name": "Maya"},
        "text": f"line {message_id}",
        "ts": "2026-12-07T22:00:00Z",
        "nonce": nonce,
    }


class Database:
    """What the database would answer, counting the reads; ``gate`` holds
    a read until it is set."""

    def __init__(self, *ids: int, limit: int = 3) -> None:
        self.ids = list(ids)
        self.limit = limit
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.fail: BaseException | None = None

    async def read(self) -> hub.RoomHello:
        self.reads += 1
        ids = list(self.ids)  # the database as the read began
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return hub.RoomHello(
            room={"id": ROOM_ID, "title": "t", "state": "live", "host": {}},
            recent=tuple(_line(i) for i in ids[-self.limit :]),
            snapshot=(),
            final_hearts=None,
            limit=self.limit,
        )


def _joiner(room_hub: hub.RoomHub, key: str) -> hub.Connection:
    async def send(message: dict[str, Any]) -> None:
        pass

    async def close(code: int) -> None:
        pass

    connection = hub.Connection(send=send, close=close, user_id=None, viewer_key=key)
    room_hub.add(connection)
    return connection


def _recent(hello: hub.RoomHello) -> list[int]:
    return [int(line["id"]) for line in hello.recent]


async def _joining(room_hub: hub.RoomHub, room: Database, key: str) -> asyncio.Task[hub.RoomHello]:
    """A joiner asking for its hello, left waiting (``room.gate`` holds reads)."""
    task = asyncio.create_task(room_hub.room_hello(_joiner(room_hub, key), room.read))
    await asyncio.sleep(0.01)
    return task


async def test_joiners_share_one_read_until_an_event_changes_what_hello_shows() -> None:
    room, room_hub = Database(1, 2), hub.RoomHub(ROOM_ID)
    first = await room_hub.room_hello(_joiner(room_hub, "a"), room.read)
    second = await room_hub.room_hello(_joiner(room_hub, "b"), room.read)
    assert room.reads == 1 and second is first

    # Events a hello does not show leave it shared.
    for event in ({"type": "gift", "id": 9}, {"type": "hearts", "total": 3}):
        room_hub.deliver(event)
    await room_hub.room_hello(_joiner(room_hub, "c"), room.read)
    assert room.reads == 1

    # Anything else (here the room's state) makes the next joiner read again.
    room_hub.deliver({"type": "room_state", "state": "ended"})
    await room_hub.room_hello(_joiner(room_hub, "d"), room.read)
    assert room.reads == 2


async def test_a_chat_line_joins_the_shared_hello_as_the_database_would_give_it() -> None:
    room, room_hub = Database(1, 2, 3, limit=3), hub.RoomHub(ROOM_ID)
    await room_hub.room_hello(_joiner(room_hub, "a"), room.read)

    room.ids.append(4)
    room_hub.deliver(_line(4, nonce="the-senders"))
    room_hub.deliver(_line(4, nonce="the-senders"))  # delivered twice (a resync): once
    hello = await room_hub.room_hello(_joiner(room_hub, "b"), room.read)

    assert room.reads == 1
    assert _recent(hello) == [2, 3, 4]  # the oldest went: the room keeps `limit`
    assert hello.recent[-1]["nonce"] is None  # the sender's nonce is theirs alone
    # A line the read already had (committed before it, delivered after) stays once.
    room_hub.deliver(_line(3))
    assert _recent(await room_hub.room_hello(_joiner(room_hub, "c"), room.read)) == [2, 3, 4]


async def test_a_read_under_way_serves_those_who_joined_before_a_change_only() -> None:
    room, room_hub = Database(1), hub.RoomHub(ROOM_ID)
    room.gate = asyncio.Event()
    early, also_early = await _joining(room_hub, room, "a"), await _joining(room_hub, room, "b")
    assert room.reads == 1  # the second joiner waits for the first's read

    # A line said now may be missing from that read (it began before), and a
    # joiner from now on would not get it as a frame either: it reads anew.
    room.ids.append(2)
    room_hub.deliver(_line(2))
    late = await _joining(room_hub, room, "c")
    assert room.reads == 2
    room.gate.set()
    early_hello, also_early_hello, late_hello = await asyncio.gather(early, also_early, late)
    assert _recent(early_hello) == _recent(also_early_hello) == [1]  # line 2 comes as a frame
    assert _recent(late_hello) == [1, 2]


async def test_a_joiner_that_leaves_mid_read_does_not_cancel_it_for_the_others() -> None:
    room, room_hub = Database(1), hub.RoomHub(ROOM_ID)
    room.gate = asyncio.Event()
    leaving, staying = await _joining(room_hub, room, "a"), await _joining(room_hub, room, "b")
    leaving.cancel()
    room.gate.set()
    assert _recent(await staying) == [1]
    assert room.reads == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_failed_read_fails_its_joiners_and_is_not_kept() -> None:
    room, room_hub = Database(1), hub.RoomHub(ROOM_ID)
    room.fail = ConnectionError("the database went away")
    with pytest.raises(ConnectionError):
        await room_hub.room_hello(_joiner(room_hub, "a"), room.read)
    room.fail = None
    assert _recent(await room_hub.room_hello(_joiner(room_hub, "b"), room.read)) == [1]
    assert room.reads == 2


async def test_a_shared_hello_is_trusted_for_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What changes without an event (a renamed host) reaches newcomers
    within HELLO_SHARED_SECONDS."""
    room, room_hub = Database(1), hub.RoomHub(ROOM_ID)
    await room_hub.room_hello(_joiner(room_hub, "a"), room.read)
    monkeypatch.setattr(hub, "HELLO_SHARED_SECONDS", 0.0)
    await room_hub.room_hello(_joiner(room_hub, "b"), room.read)
    assert room.reads == 2


# --- through the real websocket -------------------------------------------------


async def test_a_crowd_reads_the_room_once_and_each_hello_has_what_was_said_before_it(
    connect: Connect, live_room: Room
) -> None:
    joins, reads = recorded(m.JOINS), recorded(m.HELLO_READS)
    host = await connect(
        live_room.pk, cookie=await database_sync_to_async(session_cookie)(live_room.host)
    )
    await host.hello()
    viewers = [await connect(live_room.pk) for _ in range(5)]
    for viewer in viewers:
        assert (await viewer.hello())["recent"] == []
    room_hub = hub.hubs().hubs[live_room.pk]
    assert room_hub.hello_reads == 1  # six joins, one read
    assert (recorded(m.JOINS) - joins, recorded(m.HELLO_READS) - reads) == (6, 1)

    await host.send({"type": "chat", "text": "welcome, all", "nonce": "n1"})
    said = await viewers[0].wait_for("chat")
    late = await connect(live_room.pk)
    recent = (await late.hello())["recent"]
    assert [(line["id"], line["text"], line["nonce"]) for line in recent] == [
        (said["id"], "welcome, all", None)
    ]
    assert room_hub.hello_reads == 1  # the line joined the shared hello

    # A deletion is not a line: the next joiner reads the room again.
    message = await database_sync_to_async(ChatMessage.objects.get)(pk=said["id"])
    await database_sync_to_async(services.message_delete)(actor=live_room.host, message=message)
    await viewers[0].wait_for("moderation")
    later = await connect(live_room.pk)
    assert (await later.hello())["recent"] == []
    assert room_hub.hello_reads == 2


async def test_a_room_just_read_admits_anonymous_viewers_without_reading_it_again(
    connect: Connect, live_room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    real = consumers._load_room

    def counted(room_id: int) -> Room | None:
        loads.append(room_id)
        return real(room_id)

    monkeypatch.setattr(consumers, "_load_room", counted)
    first = await connect(live_room.pk)
    await first.hello()  # no hub yet: admission reads the room
    for _ in range(3):
        await (await connect(live_room.pk)).hello()
    assert loads == [live_room.pk]

    # A member is still admitted in a thread hop (bans, moderator rights),
    # with the room as the hub read it.
    cookie = await database_sync_to_async(session_cookie)(live_room.host)
    host = await connect(live_room.pk, cookie=cookie)
    assert (await host.hello())["you"]["moderator"] is True
    assert loads == [live_room.pk]

    # Once the hub's read is older than HELLO_SHARED_SECONDS, the room is read again.
    monkeypatch.setattr(hub, "HELLO_SHARED_SECONDS", 0.0)
    await (await connect(live_room.pk)).hello()
    assert loads == [live_room.pk, live_room.pk]
