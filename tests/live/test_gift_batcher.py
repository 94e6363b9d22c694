"""The live room's gift micro-batcher (``live.gift_batcher.GiftBatcher``): gift
frames from several websockets arriving together are sent as one batch, and
every sender still gets its own ``gift_ack`` or its own error frame;
insufficient funds, duplicate keys, rooms that stopped being live and a
database failure touch only the gifts they concern, and the books stay
exact. The PostgreSQL pass runs the batches on the batcher's own threads,
the SQLite pass on the thread-sensitive executor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from live import selectors as selectors_live
from live.errors import Banned
from live.gift_batcher import GiftBatcher
from live.models import Room, RoomRestriction
from live.services import gifts as live_gifts
from live.services.gifts import RoomGiftRequest, gift_batcher_get, room_gifts_send
from tests.factories import RoomFactory, RoomRestrictionFactory, UserFactory, fund, gift_catalog
from tests.factories.wallet import PRICES
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    LiveClient,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)
from wallet import selectors
from wallet.models import Account, GiftSend
from wallet.reconcile import reconcile

pytestmark = pytest.mark.django_db(transaction=True)

#: Long enough that every frame of a test lands in the first batch however
#: loaded the machine is; a full batch (``SPROUT_GIFT_BATCH_MAX``) leaves at once.
WINDOW = 0.5


@pytest.fixture(autouse=True)
def batching(live_settings: Any) -> Any:
    live_settings.SPROUT_GIFT_BATCH_WINDOW_SECONDS = WINDOW
    live_settings.SPROUT_GIFT_BATCH_MAX = 100
    gift_catalog()
    return live_settings


def gift_frame(key: str, gift: str = "coffee", quantity: int = 1) -> dict[str, Any]:
    return {"type": "gift", "gift": gift, "quantity": quantity, "idempotency_key": key}


def _members(coins: Sequence[int]) -> list[Any]:
    members = []
    for amount in coins:
        member = UserFactory()
        if amount:
            fund(member, amount)
        members.append(member)
    return members


async def members(*coins: int) -> list[Any]:
    """Members funded with these coins (0: none)."""
    return await database_sync_to_async(_members)(coins)


async def joined(connect: Connect, live_room: Room, user: Any) -> LiveClient:
    client = await connect(live_room.pk, cookie=await database_sync_to_async(session_cookie)(user))
    await client.hello()
    return client


async def answer(client: LiveClient, key: str, timeout: float = 10.0) -> dict[str, Any]:
    """The sender's answer to its frame: its ``gift_ack`` or ``error``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = await client.next_event(max(deadline - loop.time(), 0.001))
        if event["type"] in {"gift_ack", "error"} and event.get("idempotency_key") == key:
            return event


async def send_together(frames: list[tuple[LiveClient, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Send every frame (each on its own socket) at once; each one's answer."""
    for client, frame in frames:
        await client.send(frame)
    return list(
        await asyncio.gather(
            *(answer(client, frame["idempotency_key"]) for client, frame in frames)
        )
    )


async def balance(user: Any) -> int:
    return int(await database_sync_to_async(selectors.coin_balance)(user))


def _books() -> None:
    report = reconcile(fix_rollup=True)
    assert report.ok, report.summary()
    negative = Account.objects.filter(balance__lt=0).exclude(kind__in=Account.MAY_GO_NEGATIVE)
    assert not negative.exists()


async def books_are_exact() -> None:
    await database_sync_to_async(_books)()


async def sends() -> list[GiftSend]:
    return await database_sync_to_async(lambda: list(GiftSend.objects.order_by("pk")))()


def counting_batches() -> tuple[list[int], Any]:
    """A patch of the engine the batcher calls that records each call's size."""
    sizes: list[int] = []
    real = live_gifts.gifts_send

    def gifts_send(requests: Any) -> Any:
        sizes.append(len(requests))
        return real(requests)

    return sizes, mock.patch.object(live_gifts, "gifts_send", side_effect=gifts_send)


# --- one batch, one answer each -----------------------------------------------------------


async def test_gift_frames_arriving_together_are_one_batch_with_an_ack_each(
    connect: Connect, live_room: Room
) -> None:
    fans = await members(100, 100, 100, 100)
    clients = [await joined(connect, live_room, fan) for fan in fans]
    watcher = await joined(connect, live_room, (await members(0))[0])
    frames = [
        (client, gift_frame(f"k{n}", gift=gift))
        for n, (client, gift) in enumerate(
            zip(clients, ["coffee", "rose", "heart", "sprout"], strict=True)
        )
    ]

    sizes, counting = counting_batches()
    with counting:
        answers = await send_together(frames)

    assert sizes == [4]  # one call of the engine: one transaction
    batcher = gift_batcher_get()
    assert (batcher.batches, batcher.gifts, batcher.largest) == (1, 4, 4)
    sent = {s.sender_id: s for s in await sends()}
    for fan, (_, frame), ack in zip(fans, frames, answers, strict=True):
        price = PRICES[frame["gift"]]
        assert ack == {
            "type": "gift_ack",
            "idempotency_key": frame["idempotency_key"],
            "gift_id": sent[fan.pk].pk,
            "balance": 100 - price,
        }
        assert await balance(fan) == 100 - price
        assert sent[fan.pk].room_id == live_room.pk and sent[fan.pk].host_id == live_room.host_id
    seen = [e["id"] for e in await watcher.collect(0.5) if e["type"] == "gift"]
    assert sorted(seen) == sorted(s.pk for s in sent.values())  # the room hears each once
    await books_are_exact()


async def test_a_full_batch_leaves_without_waiting_for_the_window(
    connect: Connect, live_room: Room, batching: Any
) -> None:
    batching.SPROUT_GIFT_BATCH_WINDOW_SECONDS = 30.0
    batching.SPROUT_GIFT_BATCH_MAX = 3
    fans = await members(50, 50, 50)
    clients = [await joined(connect, live_room, fan) for fan in fans]

    answers = await send_together(
        [(client, gift_frame(f"full-{n}")) for n, client in enumerate(clients)]
    )  # answer() gives up after 10 s: the 30 s window was not waited for

    assert [a["type"] for a in answers] == ["gift_ack"] * 3
    assert gift_batcher_get().batches == 1


async def test_insufficient_funds_fails_only_those_gifts(connect: Connect, live_room: Room) -> None:
    rich, poor, broke = await members(100, 9, 0)
    # Three sockets of one member with coins for exactly two coffees, and
    # two members who cannot pay: all in one batch.
    twice = (await members(20))[0]
    sockets = [await joined(connect, live_room, twice) for _ in range(3)]
    frames = [
        (await joined(connect, live_room, rich), gift_frame("rich")),
        (await joined(connect, live_room, poor), gift_frame("poor")),
        (sockets[0], gift_frame("t0")),
        (await joined(connect, live_room, broke), gift_frame("broke")),
        (sockets[1], gift_frame("t1")),
        (sockets[2], gift_frame("t2")),
    ]

    sizes, counting = counting_batches()
    with counting:
        answers = await send_together(frames)

    assert sizes == [6]
    by_key = {a["idempotency_key"]: a for a in answers}
    assert by_key["rich"]["type"] == "gift_ack" and by_key["rich"]["balance"] == 90
    for key in ("poor", "broke"):
        assert by_key[key]["type"] == "error" and by_key[key]["code"] == "insufficient_funds"
        assert by_key[key]["message"]
    # In arrival order while the coins last: exactly two of the three.
    assert [by_key[k]["type"] for k in ("t0", "t1", "t2")] == ["gift_ack", "gift_ack", "error"]
    assert by_key["t2"]["code"] == "insufficient_funds"
    assert [by_key["t0"]["balance"], by_key["t1"]["balance"]] == [10, 0]
    assert [await balance(m) for m in (rich, poor, broke, twice)] == [90, 9, 0, 0]
    assert len(await sends()) == 3
    await books_are_exact()


async def test_duplicate_keys_in_one_batch_are_one_gift(connect: Connect, live_room: Room) -> None:
    fan, other = await members(100, 100)
    first, retry, conflicting = [await joined(connect, live_room, fan) for _ in range(3)]
    same_key_other_member = await joined(connect, live_room, other)
    watcher = await joined(connect, live_room, (await members(0))[0])

    sizes, counting = counting_batches()
    with counting:
        answers = await send_together(
            [
                (first, gift_frame("dup")),
                (retry, gift_frame("dup")),  # a retry racing its original
                (conflicting, gift_frame("dup", quantity=2)),  # the key reused for another gift
                (same_key_other_member, gift_frame("dup")),  # keys are per member
            ]
        )

    assert sizes == [4]
    original, replay, conflict, others = answers
    assert original["type"] == "gift_ack" and original["balance"] == 90
    assert replay == original  # the same answer, not a second gift
    assert conflict["type"] == "error" and conflict["code"] == "idempotency_conflict"
    assert conflict["idempotency_key"] == "dup"
    assert others["type"] == "gift_ack" and others["gift_id"] != original["gift_id"]
    assert await balance(fan) == 90 and await balance(other) == 90
    assert sorted(s.pk for s in await sends()) == sorted([original["gift_id"], others["gift_id"]])
    seen = [e["id"] for e in await watcher.collect(0.5) if e["type"] == "gift"]
    assert sorted(seen) == sorted([original["gift_id"], others["gift_id"]])
    await books_are_exact()


async def test_the_room_is_checked_for_each_gift_of_a_batch(
    connect: Connect, live_room: Room
) -> None:
    ended = await database_sync_to_async(RoomFactory)(live=True)
    (fan,) = await members(100)
    in_live = await joined(connect, live_room, fan)
    in_ended = await joined(connect, ended, fan)
    # The room ends after the viewer joined it: its gifts are refused.
    await database_sync_to_async(
        lambda: Room.objects.filter(pk=ended.pk).update(state=Room.State.ENDED)
    )()

    answers = await send_together([(in_live, gift_frame("live")), (in_ended, gift_frame("ended"))])

    assert answers[0]["type"] == "gift_ack" and answers[0]["balance"] == 90
    assert answers[1]["type"] == "error" and answers[1]["code"] == "room_not_live"
    assert gift_batcher_get().batches == 1
    (sent,) = await sends()
    assert sent.room_id == live_room.pk


async def test_a_batch_reaches_each_room_in_one_message_with_its_gifts_in_order(
    connect: Connect, live_room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One channel-layer message per batch and room (not one per gift), the
    room's ``gift`` events in it in batch order; every viewer sees each
    gift once."""
    from live import hub

    other = await database_sync_to_async(RoomFactory)(live=True)
    fans = await members(100, 100, 100, 100)
    here = [await joined(connect, live_room, fan) for fan in fans[:3]]
    there = await joined(connect, other, fans[3])
    watcher = await joined(connect, live_room, (await members(0))[0])
    messages: list[tuple[int, list[int]]] = []
    publish_many = hub.publish_many

    async def counted(room_id: int, events: Any) -> None:
        messages.append((room_id, [event["id"] for event in events]))
        await publish_many(room_id, events)

    monkeypatch.setattr(hub, "publish_many", counted)
    frames = [(client, gift_frame(f"h{n}")) for n, client in enumerate(here)]
    answers = await send_together([*frames, (there, gift_frame("t0"))])

    assert gift_batcher_get().batches == 1
    ids = [a["gift_id"] for a in answers]
    deadline = asyncio.get_running_loop().time() + 5
    while len(messages) < 2 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert sorted(messages) == sorted([(live_room.pk, ids[:3]), (other.pk, ids[3:])])
    seen = [e["id"] for e in await watcher.collect(0.5) if e["type"] == "gift"]
    assert seen == ids[:3]


def test_a_banned_sender_s_gift_is_refused_in_its_batch_and_the_others_go_through(
    live_room: Room,
) -> None:
    """The batch checks bans itself (an HTTP gift riding it makes no query
    of its own): one query for every sender, ``banned`` only for the banned."""
    fan, banned, muted = _members([100, 100, 100])
    RoomRestrictionFactory(room=live_room, user=banned, kind=RoomRestriction.Kind.BAN)
    RoomRestrictionFactory(room=live_room, user=muted, kind=RoomRestriction.Kind.MUTE)

    answers = room_gifts_send(
        [
            RoomGiftRequest(sender=member, room_id=live_room.pk, gift_slug="coffee", quantity=1,
                            idempotency_key=f"k{n}")
            for n, member in enumerate([fan, banned, muted])
        ]
    )  # fmt: skip

    assert isinstance(answers[1], Banned)
    assert not isinstance(answers[0], Exception) and not isinstance(answers[2], Exception)
    assert sorted(GiftSend.objects.values_list("sender_id", flat=True)) == [fan.pk, muted.pk]
    _books()


def test_only_bans_in_force_refuse_a_batchs_gifts(live_room: Room) -> None:
    """The batch's ban check (``room_bans_among``, SQL of its own) reads a
    ban as the room does: lifted or expired bans refuse nothing, a ban until
    tomorrow does."""
    now = timezone.now()
    lifted, expired, until_tomorrow, fan = _members([100, 100, 100, 100])
    RoomRestrictionFactory(room=live_room, user=lifted, kind=RoomRestriction.Kind.BAN,
                           lifted_at=now - timedelta(minutes=1))  # fmt: skip
    RoomRestrictionFactory(room=live_room, user=expired, kind=RoomRestriction.Kind.BAN,
                           expires_at=now - timedelta(seconds=1))  # fmt: skip
    RoomRestrictionFactory(room=live_room, user=until_tomorrow, kind=RoomRestriction.Kind.BAN,
                           expires_at=now + timedelta(days=1))  # fmt: skip
    elsewhere = RoomFactory(live=True)
    RoomRestrictionFactory(room=elsewhere, user=fan, kind=RoomRestriction.Kind.BAN)

    answers = room_gifts_send(
        [
            RoomGiftRequest(sender=member, room_id=live_room.pk, gift_slug="coffee", quantity=1,
                            idempotency_key=f"k{n}")
            for n, member in enumerate([lifted, expired, until_tomorrow, fan])
        ]
    )  # fmt: skip

    assert [type(a).__name__ for a in answers] == ["RoomGift", "RoomGift", "Banned", "RoomGift"]
    _books()


def test_a_batch_reads_its_rooms_state_session_and_host_in_one_query(
    live_room: Room,
) -> None:
    ended = RoomFactory(state=Room.State.ENDED)
    with CaptureQueriesContext(connection) as queries:
        rooms = selectors_live.rooms_to_gift([live_room.pk, ended.pk, 10**9, 2**64, 0])

    assert len(queries.captured_queries) == 1
    assert sorted(rooms) == sorted([live_room.pk, ended.pk])
    live = rooms[live_room.pk]
    assert live.state == Room.State.LIVE
    assert live.session_id == live_room.sessions.get(ended_at=None).pk
    # The host as the ORM gives it, typed on either database.
    assert live.host == live_room.host and live.host.date_joined == live_room.host.date_joined
    assert (rooms[ended.pk].state, rooms[ended.pk].session_id) == (Room.State.ENDED, None)


# --- failures -------------------------------------------------------------------------------


async def test_a_lost_connection_fails_its_batch_only_retryably_and_nothing_is_lost_or_doubled(
    connect: Connect, live_room: Room
) -> None:
    fans = await members(100, 100, 100)
    clients = [await joined(connect, live_room, fan) for fan in fans]
    frames = [(client, gift_frame(f"db-{n}")) for n, client in enumerate(clients)]
    real = live_gifts.gifts_send
    calls: list[int] = []

    def broken_once(requests: Any) -> Any:
        calls.append(len(requests))
        if len(calls) > 1:
            return real(requests)
        # Everything is written, then the connection dies before the commit.
        with transaction.atomic():
            real(requests)
            raise OperationalError("server closed the connection unexpectedly")

    with mock.patch.object(live_gifts, "gifts_send", side_effect=broken_once):
        failed = await send_together(frames)
        # Retryable: nothing was booked, and the same keys may be sent again.
        expected = ("error", "temporarily_unavailable")
        assert [(a["type"], a["code"]) for a in failed] == [expected] * 3
        assert [a["idempotency_key"] for a in failed] == ["db-0", "db-1", "db-2"]
        assert await sends() == []
        assert [await balance(fan) for fan in fans] == [100, 100, 100]

        # The batcher carries on; the clients retry with the same keys.
        acked = await send_together(frames)
        again = await send_together(frames)

    assert calls == [3, 3, 3]
    assert [a["type"] for a in acked] == ["gift_ack"] * 3
    assert again == acked  # replays: the same gifts
    assert sorted(s.pk for s in await sends()) == sorted(a["gift_id"] for a in acked)
    assert [await balance(fan) for fan in fans] == [90, 90, 90]
    assert gift_batcher_get().batches == 3
    await books_are_exact()


async def test_a_gift_sent_while_its_sender_left_still_counts(
    live_room: Room, live_loop: None
) -> None:
    (fan,) = await members(100)
    batcher = gift_batcher_get()
    request = RoomGiftRequest(
        sender=fan, room_id=live_room.pk, gift_slug="coffee", quantity=1, idempotency_key="gone"
    )
    waiting = asyncio.ensure_future(batcher.send(request))
    await asyncio.sleep(0)
    waiting.cancel()  # the socket closed while the gift waited for its batch

    while batcher.gifts == 0 or batcher._in_flight:
        await asyncio.sleep(0.05)

    retried = await batcher.send(request)
    assert retried.result.replayed and retried.event is None
    assert await balance(fan) == 90
    assert len(await sends()) == 1


# --- the batcher on its own ----------------------------------------------------------------


async def run_at_once(batcher: GiftBatcher, requests: list[RoomGiftRequest]) -> list[Any]:
    return list(await asyncio.gather(*(batcher.send(r) for r in requests), return_exceptions=True))


@pytest.mark.postgres
async def test_on_its_own_threads_batches_overlap_and_stay_exact(
    live_room: Room, live_loop: None
) -> None:
    fans = await members(*[30] * 20)
    batcher = GiftBatcher(room_gifts_send, window=0.05, max_size=8, threads=2, idle=0.5)
    requests = [
        RoomGiftRequest(
            sender=fan, room_id=live_room.pk, gift_slug="coffee", quantity=1, idempotency_key=f"{n}"
        )
        for fan in fans
        for n in range(4)  # the fourth coffee is one too many
    ]

    answers = await run_at_once(batcher, requests)

    assert batcher.gifts == 80 and batcher.largest <= 8 and batcher.batches >= 10
    codes = [getattr(a, "code", None) for a in answers]
    assert codes.count(None) == 60 and codes.count("insufficient_funds") == 20
    assert [await balance(fan) for fan in fans] == [0] * 20
    assert len(await sends()) == 60
    await books_are_exact()


def test_the_settings_shape_the_batcher(settings: Any) -> None:
    settings.SPROUT_GIFT_BATCH_WINDOW_SECONDS = 0.01
    settings.SPROUT_GIFT_BATCH_MAX = 7
    settings.SPROUT_GIFT_BATCH_THREADS = 3
    batcher = GiftBatcher.from_settings(room_gifts_send)
    assert (batcher.window, batcher.max_size, batcher.concurrency) == (0.01, 7, 3)

    del settings.SPROUT_GIFT_BATCH_THREADS
    expected = 1 if connection.vendor == "sqlite" else 2  # threads 0: one batch at a time
    assert GiftBatcher.from_settings(room_gifts_send).concurrency == expected
    with pytest.raises(ValueError):
        GiftBatcher(room_gifts_send, max_size=0)


# --- gifts over HTTP ride the same batches ---------------------------------------------------


def _tokens(users: Sequence[Any]) -> list[str]:
    from rest_framework.authtoken.models import Token

    return [Token.objects.get_or_create(user=user)[0].key for user in users]


@pytest.mark.postgres  # the batches' own database threads (SQLite has none)
async def test_http_gifts_under_an_asgi_server_ride_the_frames_batches(
    connect: Connect, live_room: Room, batching: Any
) -> None:
    """``POST /api/v1/live/rooms/{id}/gifts/`` served the ASGI way (the sync
    view on asgiref's thread, as uvicorn runs it) joins the process's gift
    batch: gifts sent over HTTP and a frame arriving together are one
    transaction, each caller gets its own answer, the room hears each once."""
    from asgiref.sync import ThreadSensitiveContext, sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    fans = await members(100, 100, 100)
    framer = (await members(100))[0]
    tokens = await database_sync_to_async(_tokens)(fans)
    watcher = await joined(connect, live_room, (await members(0))[0])
    socket = await joined(connect, live_room, framer)
    url = f"/api/v1/live/rooms/{live_room.pk}/gifts/"

    async def post(token: str, key: str) -> Any:
        # Each request's sync code on a thread of its own, as Django's
        # ASGIHandler runs it (the test client alone shares one thread).
        async with ThreadSensitiveContext():
            try:
                return await AsyncClient().post(
                    url,
                    {"gift": "rose", "quantity": 1, "idempotency_key": key},
                    content_type="application/json",
                    headers={"authorization": f"Token {token}"},
                )
            finally:  # that thread's connection (the test database is dropped at the end)
                await sync_to_async(connections.close_all)()

    # The batch leaves when all four are in, however slowly a loaded
    # machine brings the requests through their threads.
    batching.SPROUT_GIFT_BATCH_MAX = 4
    batching.SPROUT_GIFT_BATCH_WINDOW_SECONDS = 30.0
    sizes, counting = counting_batches()
    with counting:
        await socket.send(gift_frame("frame-1", gift="coffee"))
        responses = await asyncio.gather(
            *(post(token, f"http-{n}") for n, token in enumerate(tokens))
        )
        ack = await answer(socket, "frame-1")

    assert sizes == [4]  # three requests and a frame: one transaction
    sent = {s.sender_id: s for s in await sends()}
    for fan, response in zip(fans, responses, strict=True):
        assert response.status_code == 201, response.content
        body = response.json()
        assert body == {
            "gift_id": sent[fan.pk].pk,
            "coins": PRICES["rose"],
            "balance": 100 - PRICES["rose"],
            "replayed": False,
        }
    assert ack["type"] == "gift_ack"
    # A retry of a request with its key replays its answer, booking nothing.
    gift_batcher_get().window = 0.01
    again = await post(tokens[0], "http-0")
    assert again.status_code == 201
    assert again.json()["replayed"] is True
    assert again.json()["gift_id"] == sent[fans[0].pk].pk
    assert len(await sends()) == 4
    seen = [e["id"] for e in await watcher.collect(0.5) if e["type"] == "gift"]
    assert sorted(seen) == sorted(s.pk for s in sent.values())
    await books_are_exact()


async def test_http_gifts_ride_the_batches_only_where_that_cannot_deadlock(
    live_settings: Any,
) -> None:
    """The sync view's thread (asgiref's, under the server's loop) may wait
    on the loop's batcher only when the batches have threads of their own:
    without them (SQLite) a batch runs on the thread-sensitive executor,
    the very thread that would be waiting. Never inside a transaction (the
    batch commits elsewhere), never when switched off."""
    from asgiref.sync import sync_to_async

    from live.services.gifts import _serving_loop

    loop = asyncio.get_running_loop()
    live_settings.SPROUT_GIFT_BATCH_THREADS = 2
    assert await sync_to_async(_serving_loop)() is loop
    live_settings.SPROUT_GIFT_BATCH_THREADS = 0
    assert await sync_to_async(_serving_loop)() is None
    live_settings.SPROUT_GIFT_BATCH_THREADS = 2

    def in_a_transaction() -> Any:
        with transaction.atomic():
            return _serving_loop()

    assert await sync_to_async(in_a_transaction)() is None
    live_settings.SPROUT_GIFT_BATCH_HTTP = False
    assert await sync_to_async(_serving_loop)() is None


def test_without_a_server_loop_the_gift_is_sent_on_the_callers_thread() -> None:
    """WSGI, commands, the sync test client: no loop to batch on."""
    from live.services.gifts import _serving_loop

    assert _serving_loop() is None
