"""A room's hub that saw Redis go away fills, once Redis answers again, the
chat its kept connections missed: the lines written meanwhile (in the
database, the room's recent buffer) that no event brought, each once.

The whole restart, with 200 viewers and a real ``redis-server``, is
``test_redis_restart``; this is the hub's step on its own (any channel
layer: the in-memory one on SQLite, Redis pub/sub on PostgreSQL), where the
restart test's timing may or may not need it.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from live import hub
from live.models import Room
from tests.factories import ChatMessageFactory, UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_hub_back_from_a_redis_outage_fills_the_chat_it_missed_once(
    connect: Connect, live_room: Room
) -> None:
    client, room_hub, say = await _room_with_a_line_seen(connect, live_room)

    # Lines written while Redis was going away reach no hub (their events
    # are lost); the hot state fails (the hub's totals tick), then answers
    # again. (Both steps at once: the real tick, on the in-memory state,
    # would call the outage over at its next run.)
    missed = [await database_sync_to_async(say)(f"meanwhile {n}") for n in range(2)]
    assert room_hub._redis_failed() is True
    assert room_hub._redis_failed() is False  # logged once per outage
    room_hub._redis_back()

    filled = [await client.wait_for("chat") for _ in missed]
    assert [e["id"] for e in filled] == [m.pk for m in missed]
    assert [e["text"] for e in filled] == ["meanwhile 0", "meanwhile 1"]
    # Nothing else comes: the line seen before is not sent again.
    later = await client.collect(0.5)
    assert [e for e in later if e["type"] == "chat"] == []
    assert room_hub.outage_since is None and room_hub.last_chat_id == missed[-1].pk


async def test_the_fill_covers_the_gap_when_newer_lines_came_through_first(
    connect: Connect, live_room: Room
) -> None:
    """Redis is back and the new subscription delivers a line said after the
    restart before the hub's fill has read the database: the gap's older
    lines still come, and the newer one is not sent twice (the fill runs from
    the last line delivered when Redis failed, not from the newest)."""
    client, room_hub, say = await _room_with_a_line_seen(connect, live_room)

    assert room_hub._redis_failed() is True
    stored = await database_sync_to_async(say)("stored while away")
    after = await database_sync_to_async(say)("after the restart")
    room_hub.deliver({**_event(after), "type": "chat"})  # through the new subscription
    assert (await client.wait_for("chat"))["id"] == after.pk
    room_hub._redis_back()

    assert (await client.wait_for("chat"))["id"] == stored.pk
    later = await client.collect(0.5)
    assert [e for e in later if e["type"] == "chat"] == []
    assert room_hub.delivered_in_gap is None and room_hub.last_chat_id == after.pk


async def _room_with_a_line_seen(connect: Connect, live_room: Room) -> tuple[Any, Any, Any]:
    """A viewer in the room, its hub, and ``say`` (a chat line written to the
    database by one author, announced to nobody), after one line the hub
    delivered before any outage."""
    author = await database_sync_to_async(UserFactory)()
    client = await connect(live_room.pk)
    await client.hello()
    room_hub = hub.hubs().hubs[live_room.pk]

    def say(text: str) -> Any:
        return ChatMessageFactory(room=live_room, user=author, text=text)

    seen = await database_sync_to_async(say)("before")
    room_hub.deliver({**_event(seen), "type": "chat"})
    assert (await client.wait_for("chat"))["id"] == seen.pk
    return client, room_hub, say


def _event(message: Any) -> dict[str, Any]:
    from live.chat import chat_event

    return dict(chat_event(message))
