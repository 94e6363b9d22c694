"""The live room's websocket through the real ASGI stack: handshake refusals,
hello, chat, hearts, viewers, gifts, moderation and the laggard rule."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from live import events, hub, services
from live.models import ChatMessage, Room
from live.state import room_state
from live.tickets import issue_ticket
from tests.factories import RoomFactory, UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    ORIGIN,
    Connect,
    LiveClient,
    ServerProcess,
    add_messages,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    other_process_fixture,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member(db: Any) -> Any:
    return UserFactory(username="pancakefan")


@pytest.fixture
def member_cookie(member: Any) -> str:
    return session_cookie(member)


@pytest.fixture
def host_cookie(live_room: Room) -> str:
    return session_cookie(live_room.host)


async def _chat(client: LiveClient, text: str, nonce: str | None = None) -> None:
    frame: dict[str, Any] = {"type": "chat", "text": text}
    if nonce is not None:
        frame["nonce"] = nonce
    await client.send(frame)


# --- handshake ----------------------------------------------------------------


async def test_a_foreign_origin_is_refused_at_the_handshake(
    connect: Connect, live_room: Room
) -> None:
    client = await connect(live_room.pk, origin=b"https://evil.example.com")
    assert not client.accepted


async def test_an_unknown_room_answers_not_found_then_closes_4004(connect: Connect) -> None:
    for room_id in (999_999, 10**30):
        client = await connect(room_id)
        error = await client.next_event()
        assert error["type"] == "error" and error["code"] == "not_found"
        assert await client.expect_close() == 4004


async def test_hello_describes_the_room_and_the_last_50_messages(
    connect: Connect, live_room: Room, member: Any, member_cookie: str
) -> None:
    messages = await database_sync_to_async(add_messages)(live_room, 55)
    hidden = messages[-1]
    await database_sync_to_async(ChatMessage.objects.filter(pk=hidden.pk).update)(
        deleted_at=hidden.created_at
    )

    client = await connect(live_room.pk, cookie=member_cookie)
    hello = await client.hello()

    assert hello["room"] == {
        "id": live_room.pk,
        "title": "Sunday pancakes",
        "state": "live",
        "host": events.user_brief(live_room.host),
    }
    assert hello["you"]["id"] == member.pk and hello["you"]["username"] == "pancakefan"
    assert hello["you"]["moderator"] is False
    assert hello["viewers"] in (0, 1)  # counted on the hub's next tick
    assert hello["hearts"] == 0
    recent = hello["recent"]
    assert len(recent) == 50
    assert [e["id"] for e in recent] == [m.pk for m in messages[4:54]]  # oldest first
    assert all(e["type"] == "chat" for e in recent)
    assert hidden.pk not in {e["id"] for e in recent}


async def test_anonymous_viewers_watch_but_cannot_send(connect: Connect, live_room: Room) -> None:
    client = await connect(live_room.pk)
    hello = await client.hello()
    assert hello["you"] is None

    await _chat(client, "hello", nonce="n1")
    error = await client.wait_for("error")
    assert error["code"] == "unauthenticated" and error["nonce"] == "n1"
    await client.send({"type": "heart", "count": 3})
    assert (await client.wait_for("error"))["code"] == "unauthenticated"
    await client.send({"type": "gift", "gift": "rose", "quantity": 1, "idempotency_key": "k1"})
    error = await client.wait_for("error")
    assert error["code"] == "unauthenticated" and error["idempotency_key"] == "k1"
    await client.send({"type": "ping"})
    assert (await client.wait_for("pong"))["type"] == "pong"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0


# --- tickets ------------------------------------------------------------------


async def test_a_ticket_authenticates_once_only(
    connect: Connect, live_room: Room, member: Any
) -> None:
    ticket = await database_sync_to_async(issue_ticket)(user=member, room=live_room)

    first = await connect(live_room.pk, ticket=ticket)
    assert (await first.hello())["you"]["id"] == member.pk

    again = await connect(live_room.pk, ticket=ticket)
    error = await again.next_event()
    assert error["type"] == "error" and error["code"] == "unauthenticated"
    assert await again.expect_close() == 4001


async def test_a_ticket_for_another_room_or_made_up_is_refused(
    connect: Connect, live_room: Room, member: Any
) -> None:
    other = await database_sync_to_async(RoomFactory)(live=True)
    ticket = await database_sync_to_async(issue_ticket)(user=member, room=other)

    for value in (ticket, "made-up"):
        client = await connect(live_room.pk, ticket=value)
        assert (await client.next_event())["code"] == "unauthenticated"
        assert await client.expect_close() == 4001


# --- chat ---------------------------------------------------------------------


async def test_chat_round_trip_echoes_the_nonce_and_keeps_the_message(
    connect: Connect, live_room: Room, member: Any, member_cookie: str
) -> None:
    sender = await connect(live_room.pk, cookie=member_cookie)
    watcher = await connect(live_room.pk)
    await sender.hello()
    await watcher.hello()

    await _chat(sender, "  Those pancakes look amazing!  ", nonce="abc-123")

    mine = await sender.wait_for("chat")
    theirs = await watcher.wait_for("chat")
    assert mine["nonce"] == "abc-123"
    assert mine["text"] == theirs["text"] == "Those pancakes look amazing!"
    assert mine["user"]["id"] == theirs["user"]["id"] == member.pk
    assert mine["id"] == theirs["id"]
    stored = await database_sync_to_async(ChatMessage.objects.select_related("session").get)()
    assert stored.pk == mine["id"] and stored.user_id == member.pk
    assert stored.session is not None and stored.session.room_id == live_room.pk
    assert await room_state().messages(live_room.pk) == 1


async def test_chat_in_a_room_that_is_not_live_is_refused(
    connect: Connect, member_cookie: str, live_room: Room
) -> None:
    await database_sync_to_async(Room.objects.filter(pk=live_room.pk).update)(
        state=Room.State.ENDED
    )
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()
    await _chat(client, "anyone here?", nonce="x")
    error = await client.wait_for("error")
    assert error["code"] == "room_not_live" and error["nonce"] == "x"


async def test_a_too_long_message_is_refused(
    connect: Connect, live_room: Room, member_cookie: str, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_CHAT_MAX_LENGTH = 20
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()
    await _chat(client, "x" * 21, nonce="long")
    error = await client.wait_for("error")
    assert error["code"] == "too_long" and error["nonce"] == "long"
    assert "20" in error["message"]
    await _chat(client, "x" * 20)
    assert (await client.wait_for("chat"))["text"] == "x" * 20


async def test_an_empty_message_is_invalid(
    connect: Connect, live_room: Room, member_cookie: str
) -> None:
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()
    await _chat(client, "   \n ")
    assert (await client.wait_for("error"))["code"] == "invalid"


async def test_the_rate_limit_refuses_a_flood(
    connect: Connect, live_room: Room, member_cookie: str, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_CHAT_RATE = "2/60"
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()
    for n in range(3):
        await _chat(client, f"message {n}", nonce=f"n{n}")
    error = await client.wait_for("error")
    assert error["code"] == "rate_limited" and error["nonce"] == "n2"


async def test_slow_mode_applies_to_members_but_not_to_the_host(
    connect: Connect, live_room: Room, member_cookie: str, host_cookie: str
) -> None:
    await database_sync_to_async(Room.objects.filter(pk=live_room.pk).update)(slow_mode_seconds=30)
    member = await connect(live_room.pk, cookie=member_cookie)
    host = await connect(live_room.pk, cookie=host_cookie)
    await member.hello()
    assert (await host.hello())["you"]["moderator"] is True

    await _chat(member, "first")
    await member.wait_for("chat", where=lambda e: e["text"] == "first")
    await _chat(member, "second", nonce="s2")
    error = await member.wait_for("error")
    assert error["code"] == "slow_mode" and error["nonce"] == "s2"

    await _chat(host, "one")
    await _chat(host, "two")
    await host.wait_for("chat", where=lambda e: e["text"] == "two")


async def test_a_blocked_word_is_refused_as_invalid(
    connect: Connect, live_room: Room, member_cookie: str, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_BLOCKED_WORDS = ["spam"]
    await database_sync_to_async(Room.objects.filter(pk=live_room.pk).update)(
        blocked_words=["Fork"]
    )
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()

    for text in ("buy SPAM now", "a fork in the road"):
        await _chat(client, text, nonce="b")
        error = await client.wait_for("error")
        assert error["code"] == "invalid"
        assert error["message"] == "Your message contains a word that is not allowed here."
    await _chat(client, "spammy forks are fine")
    assert (await client.wait_for("chat"))["text"] == "spammy forks are fine"


# --- moderation ---------------------------------------------------------------


async def test_a_muted_member_gets_muted_errors(
    connect: Connect, live_room: Room, member: Any, member_cookie: str
) -> None:
    client = await connect(live_room.pk, cookie=member_cookie)
    watcher = await connect(live_room.pk)
    await client.hello()
    await watcher.hello()

    await database_sync_to_async(services.member_mute)(
        actor=live_room.host, room=live_room, user=member
    )

    event = await watcher.wait_for("moderation")
    assert event["action"] == "muted" and event["target"]["id"] == member.pk
    await _chat(client, "let me speak", nonce="m")
    error = await client.wait_for("error")
    assert error["code"] == "muted" and error["nonce"] == "m"


async def test_a_ban_closes_the_live_connection_and_refuses_the_next(
    connect: Connect, live_room: Room, member: Any, member_cookie: str
) -> None:
    banned = await connect(live_room.pk, cookie=member_cookie)
    watcher = await connect(live_room.pk)
    await banned.hello()
    await watcher.hello()

    await database_sync_to_async(services.member_ban)(
        actor=live_room.host, room=live_room, user=member
    )

    assert await banned.expect_close() == 4003
    event = await watcher.wait_for("moderation")
    assert event["action"] == "banned" and event["target"]["id"] == member.pk

    again = await connect(live_room.pk, cookie=member_cookie)
    error = await again.next_event()
    assert error["type"] == "error" and error["code"] == "banned"
    assert await again.expect_close() == 4003


async def test_deleting_a_message_tells_the_room(
    connect: Connect, live_room: Room, member_cookie: str
) -> None:
    sender = await connect(live_room.pk, cookie=member_cookie)
    watcher = await connect(live_room.pk)
    await sender.hello()
    await watcher.hello()
    await _chat(sender, "oops")
    said = await watcher.wait_for("chat")

    message = await database_sync_to_async(ChatMessage.objects.get)(pk=said["id"])
    await database_sync_to_async(services.message_delete)(actor=live_room.host, message=message)

    event = await watcher.wait_for("moderation")
    assert event == {"type": "moderation", "action": "message_deleted", "target": said["id"]}
    late = await connect(live_room.pk)
    assert (await late.hello())["recent"] == []


# --- hearts, viewers, gifts, ping ---------------------------------------------


async def test_hearts_are_aggregated_into_running_totals(
    connect: Connect, live_room: Room, member_cookie: str, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_HEARTS_SECONDS = 0.3
    tapper = await connect(live_room.pk, cookie=member_cookie)
    watcher = await connect(live_room.pk)
    await tapper.hello()
    await watcher.hello()
    await watcher.wait_for("hearts", where=lambda e: e["total"] == 0)

    for count in range(1, 11):
        await tapper.send({"type": "heart", "count": count})

    await watcher.wait_for("hearts", where=lambda e: e["total"] == 55)
    await tapper.collect(0.4)
    totals = [event["total"] for event in _events_of(tapper, "hearts")]
    assert totals[-1] == 55
    assert len([t for t in totals if t > 0]) < 10, "totals on a tick, not one frame per tap"
    assert await room_state().hearts(live_room.pk) == 55


def _events_of(client: LiveClient, kind: str) -> list[dict[str, Any]]:
    """Every event of ``kind`` the client received so far, batches unpacked."""
    found = []
    for text in client.raw:
        frame = json.loads(text)
        for event in frame["events"] if frame["type"] == "batch" else [frame]:
            if event["type"] == kind:
                found.append(event)
    return found


async def test_bad_heart_counts_are_invalid(
    connect: Connect, live_room: Room, member_cookie: str
) -> None:
    client = await connect(live_room.pk, cookie=member_cookie)
    await client.hello()
    for count in (0, 51, "5", 2.5, True, None):
        await client.send({"type": "heart", "count": count})
        assert (await client.wait_for("error"))["code"] == "invalid"
    assert await room_state().hearts(live_room.pk) == 0


async def test_the_viewer_count_is_sent_on_a_tick(
    connect: Connect, live_room: Room, member_cookie: str
) -> None:
    first = await connect(live_room.pk)
    await first.hello()
    await first.wait_for("viewers", where=lambda e: e["count"] == 1)
    second = await connect(live_room.pk, cookie=member_cookie)
    await second.hello()
    await first.wait_for("viewers", where=lambda e: e["count"] == 2)
    await second.close()
    await first.wait_for("viewers", where=lambda e: e["count"] == 1)


async def test_ping_answers_pong(connect: Connect, live_room: Room) -> None:
    client = await connect(live_room.pk)
    await client.hello()
    await client.send({"type": "ping"})
    assert await client.wait_for("pong") == {"type": "pong"}


# --- laggards -----------------------------------------------------------------


async def test_a_viewer_who_cannot_keep_up_is_dropped_and_counted(
    connect: Connect, live_room: Room, member: Any, member_cookie: str, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_SEND_QUEUE = 2
    slow = await connect(live_room.pk, cookie=member_cookie)
    fine = await connect(live_room.pk)
    await slow.hello()
    await fine.hello()

    room_hub = hub.hubs().hubs[live_room.pk]
    (connection,) = [c for c in room_hub.connections if c.user_id == member.pk]
    stuck = asyncio.Event()

    async def never_finishes(message: dict[str, Any]) -> None:
        await stuck.wait()

    connection.send = never_finishes
    for n in range(50):  # one frame per tick until the queue of 2 overflows
        await hub.publish(live_room.pk, events.moderation("message_deleted", n))
        await asyncio.sleep(0.05)
        if connection.dropped:
            break

    assert await slow.expect_close() == hub.CLOSE_TOO_SLOW
    assert room_hub.dropped == 1
    assert await room_state().dropped(live_room.pk) == 1
    await hub.publish(live_room.pk, events.room_state("ended"))
    assert (await fine.wait_for("room_state", where=lambda e: e["state"] == "ended"))["state"]


# --- across processes (Redis) -------------------------------------------------


@pytest.mark.redis
@pytest.mark.postgres
async def test_chat_and_bans_reach_viewers_served_by_another_process(
    connect: Connect, live_room: Room, member: Any, member_cookie: str, other_process: ServerProcess
) -> None:
    import websockets
    from websockets.typing import Origin

    viewer_cookie = await database_sync_to_async(session_cookie)(
        await database_sync_to_async(UserFactory)()
    )
    url = f"{other_process}/ws/live/{live_room.pk}/"
    origin = Origin(other_process.http)
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={member_cookie}"}
    async with (
        websockets.connect(url, origin=origin, additional_headers=headers) as elsewhere,
        websockets.connect(url, origin=origin) as watcher,
    ):
        for socket_ in (elsewhere, watcher):
            assert json.loads(await asyncio.wait_for(socket_.recv(), 5))["type"] == "hello"
        here = await connect(live_room.pk, cookie=viewer_cookie)
        await here.hello()

        await here.send({"type": "chat", "text": "hello from process one", "nonce": "p1"})

        async def next_chat() -> dict[str, Any]:
            while True:
                frame = json.loads(await watcher.recv())
                for event in frame["events"] if frame["type"] == "batch" else [frame]:
                    if event["type"] == "chat":
                        return event

        event = await asyncio.wait_for(next_chat(), 5)
        assert event["text"] == "hello from process one" and event["nonce"] == "p1"

        await database_sync_to_async(services.member_ban)(
            actor=live_room.host, room=live_room, user=member
        )

        async def closed_code() -> int | None:
            try:
                while True:
                    await elsewhere.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

        assert await asyncio.wait_for(closed_code(), 5) == 4003


@pytest.mark.redis
@pytest.mark.postgres
async def test_clients_closing_mid_reply_leave_no_phantom_viewers(
    live_room: Room, other_process: ServerProcess
) -> None:
    """The probe's repro against uvicorn: ping, then drop the socket at once,
    twenty times. The server answers into a closed socket each time; every
    connection must still leave the room (its viewer count back to zero,
    with nobody connected) and the log must hold no traceback."""
    import websockets

    url = f"{other_process}/ws/live/{live_room.pk}/"
    state = room_state()
    for _ in range(20):
        ws = await websockets.connect(url, ping_interval=None)
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        await ws.send(json.dumps({"type": "ping"}))
        ws.transport.abort()  # gone before the pong: no closing handshake
        await ws.wait_closed()

    async def viewers_gone() -> None:
        while await state.viewers(live_room.pk) != 0:
            await asyncio.sleep(0.2)

    # Phantoms are re-reported every second and never leave.
    await asyncio.wait_for(viewers_gone(), 10)
    await asyncio.sleep(1.5)
    assert await state.viewers(live_room.pk) == 0
    output = other_process.output()
    assert "Traceback" not in output, output[-3000:]
