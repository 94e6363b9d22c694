"""Gifts in a live room over the websocket, through the real ASGI stack: the
sender's ``gift_ack``, everyone's ``gift`` event, refusals as ``error``
frames carrying the idempotency key, retries, and the ``leaderboard`` frames
(pushed by the Celery task, by a real worker in the PostgreSQL pass)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from kol import extensions as kol_extensions
from kol.selectors import gift_income
from live import hub, tasks
from live.models import Room
from live.services import gifts as live_gifts
from tests.factories import RoomFactory, UserFactory, fund, gift_catalog
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    LiveClient,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)
from wallet import selectors
from wallet.models import GiftSend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalog(live_settings: Any) -> Any:
    return gift_catalog()


@pytest.fixture
def sender(db: Any) -> Any:
    member = UserFactory(username="mei", display_name="Mei")
    fund(member, 100)
    return member


@pytest.fixture
def viewer(db: Any) -> Any:
    return UserFactory(username="watcher")


async def joined(connect: Connect, live_room: Room, user: Any = None) -> LiveClient:
    cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
    client = await connect(live_room.pk, cookie=cookie)
    await client.hello()
    return client


def gift_frame(key: str, gift: str = "sprout", quantity: int = 1) -> dict[str, Any]:
    return {"type": "gift", "gift": gift, "quantity": quantity, "idempotency_key": key}


async def test_a_gift_acks_the_sender_alone_and_everyone_sees_it(
    connect: Connect, live_room: Room, sender: Any, viewer: Any
) -> None:
    mine = await joined(connect, live_room, sender)
    theirs = await joined(connect, live_room, viewer)
    anonymous = await joined(connect, live_room)

    await mine.send(gift_frame("g-1", quantity=1))

    ack = await mine.wait_for("gift_ack")
    sent = await database_sync_to_async(GiftSend.objects.get)()
    assert ack == {"type": "gift_ack", "idempotency_key": "g-1", "gift_id": sent.pk, "balance": 48}
    expected = {
        "type": "gift",
        "id": sent.pk,
        "user": {"id": sender.pk, "username": "mei", "display_name": "Mei"},
        "gift": {
            "slug": "sprout",
            "name": "Sprout",
            "coins": 52,
            "animation_tier": 2,
            "emoji": "🎁",
            "image": "",
        },
        "quantity": 1,
        "coins": 52,
    }
    for client in (mine, theirs, anonymous):
        event = await client.wait_for("gift")
        assert {k: v for k, v in event.items() if k != "ts"} == expected
        assert event["ts"].endswith("Z")
    others = await theirs.collect(0.3) + await anonymous.collect(0.1)
    assert "gift_ack" not in {e["type"] for e in others}
    assert sent.room_id == live_room.pk and sent.host_id == live_room.host_id


async def test_insufficient_funds_is_an_error_frame_with_the_key(
    connect: Connect, live_room: Room, viewer: Any
) -> None:
    poor = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(fund)(poor, 51)
    mine = await joined(connect, live_room, poor)
    theirs = await joined(connect, live_room, viewer)

    await mine.send(gift_frame("g-poor"))

    error = await mine.wait_for("error")
    assert error["code"] == "insufficient_funds" and error["idempotency_key"] == "g-poor"
    assert error["message"]
    assert "gift" not in {e["type"] for e in await theirs.collect(0.3)}
    assert await database_sync_to_async(GiftSend.objects.count)() == 0
    assert await database_sync_to_async(selectors.coin_balance)(poor) == 51


async def test_a_room_that_is_not_live_answers_room_not_live(connect: Connect, sender: Any) -> None:
    later = await database_sync_to_async(RoomFactory)(state=Room.State.SCHEDULED)
    mine = await joined(connect, later, sender)

    await mine.send(gift_frame("g-early"))

    error = await mine.wait_for("error")
    assert error["code"] == "room_not_live" and error["idempotency_key"] == "g-early"
    assert await database_sync_to_async(selectors.coin_balance)(sender) == 100


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (gift_frame("g-x", gift="no-such-gift"), "unknown_gift"),
        (gift_frame("g-x", quantity=100), "invalid"),
        (gift_frame("bad key"), "invalid"),
    ],
)
async def test_bad_gifts_are_error_frames_with_the_key(
    connect: Connect, live_room: Room, sender: Any, frame: dict[str, Any], code: str
) -> None:
    mine = await joined(connect, live_room, sender)
    await mine.send(frame)
    error = await mine.wait_for("error")
    assert error["code"] == code and error["idempotency_key"] == frame["idempotency_key"]


async def test_a_retry_with_the_same_key_gets_the_same_gift_and_no_second_debit(
    connect: Connect, live_room: Room, sender: Any, viewer: Any
) -> None:
    mine = await joined(connect, live_room, sender)
    theirs = await joined(connect, live_room, viewer)

    await mine.send(gift_frame("g-retry", gift="coffee"))
    first = await mine.wait_for("gift_ack")
    await mine.send(gift_frame("g-retry", gift="coffee"))
    second = await mine.wait_for("gift_ack")

    assert (
        first
        == second
        == {
            "type": "gift_ack",
            "idempotency_key": "g-retry",
            "gift_id": first["gift_id"],
            "balance": 90,
        }
    )
    seen = [e for e in await theirs.collect(0.5) if e["type"] == "gift"]
    assert [e["id"] for e in seen] == [first["gift_id"]]  # the room hears of it once
    assert await database_sync_to_async(GiftSend.objects.count)() == 1
    assert await database_sync_to_async(selectors.coin_balance)(sender) == 90

    await mine.send(gift_frame("g-retry", gift="coffee", quantity=2))
    conflict = await mine.wait_for("error")
    assert conflict["code"] == "idempotency_conflict"
    assert conflict["idempotency_key"] == "g-retry"


async def test_anonymous_viewers_cannot_send_gifts(connect: Connect, live_room: Room) -> None:
    anonymous = await joined(connect, live_room)
    await anonymous.send(gift_frame("g-anon"))
    error = await anonymous.wait_for("error")
    assert error["code"] == "unauthenticated" and error["idempotency_key"] == "g-anon"


# --- leaderboards -------------------------------------------------------------------------


def _send(user: Any, live_room: Room, gift: str, key: str, quantity: int = 1) -> None:
    live_gifts.room_gift_send_unpublished(
        sender=user, room_id=live_room.pk, gift_slug=gift, quantity=quantity, idempotency_key=key
    )


def _fans(*names: str) -> list[Any]:
    fans = [UserFactory(username=name, display_name="") for name in names]
    for fan in fans:
        fund(fan, 1_000)
    return fans


def _board(*rows: tuple[Any, int]) -> dict[str, Any]:
    return {
        "type": "leaderboard",
        "top": [
            {"user": {"id": u.pk, "username": u.username, "display_name": u.username}, "coins": c}
            for u, c in rows
        ],
    }


async def test_the_leaderboard_task_pushes_the_top_gifters_when_they_change(
    connect: Connect, live_room: Room, viewer: Any
) -> None:
    await database_sync_to_async(RoomFactory)(live=True)  # live, no gifts: no frame
    ann, bo, cy = await database_sync_to_async(_fans)("ann", "bo", "cy")
    await database_sync_to_async(_send)(ann, live_room, "coffee", "a1")
    await database_sync_to_async(_send)(bo, live_room, "sprout", "b1")
    theirs = await joined(connect, live_room, viewer)

    pushed = await database_sync_to_async(live_gifts.leaderboards_push)()

    assert pushed == 1  # the room without gifts gets nothing
    assert await theirs.wait_for("leaderboard") == _board((bo, 52), (ann, 10))

    assert await database_sync_to_async(live_gifts.leaderboards_push)() == 0  # unchanged
    await database_sync_to_async(_send)(cy, live_room, "rose", "c1")  # new gift, same top order...
    assert await database_sync_to_async(live_gifts.leaderboards_push)() == 1  # ...a new row
    assert await theirs.wait_for("leaderboard") == _board((bo, 52), (ann, 10), (cy, 1))
    await database_sync_to_async(_send)(ann, live_room, "rocket", "a2")
    assert await database_sync_to_async(live_gifts.leaderboards_push)() == 1
    assert await theirs.wait_for("leaderboard") == _board((ann, 209), (bo, 52), (cy, 1))


async def test_without_workers_a_gift_pushes_its_rooms_leaderboard(
    connect: Connect, live_room: Room, sender: Any, viewer: Any
) -> None:
    mine = await joined(connect, live_room, sender)
    theirs = await joined(connect, live_room, viewer)

    await mine.send(gift_frame("g-top", gift="coffee", quantity=3))

    board = await theirs.wait_for("leaderboard")
    assert board["top"] == [
        {"user": {"id": sender.pk, "username": "mei", "display_name": "Mei"}, "coins": 30}
    ]


@pytest.mark.celery_worker
async def test_a_real_worker_pushes_the_leaderboard_to_the_room(
    celery_worker: Any, connect: Connect, live_room: Room, viewer: Any
) -> None:
    (ann,) = await database_sync_to_async(_fans)("ann")
    await database_sync_to_async(_send)(ann, live_room, "castle", "a1")
    theirs = await joined(connect, live_room, viewer)

    await sync_to_async(tasks.push_live_leaderboards.delay)()

    board = await theirs.wait_for("leaderboard", timeout=20)
    assert board == _board((ann, 520))


async def test_a_gift_whose_broadcast_fails_is_still_acked(
    connect: Connect, live_room: Room, sender: Any
) -> None:
    mine = await joined(connect, live_room, sender)

    with mock.patch.object(hub, "publish", side_effect=ConnectionError("redis down")):
        await mine.send(gift_frame("g-quiet", gift="coffee"))
        ack = await mine.wait_for("gift_ack")

    assert ack["balance"] == 90  # committed: the sender must know, a retry only replays
    assert await database_sync_to_async(GiftSend.objects.count)() == 1


def test_a_leaderboard_that_failed_to_go_out_is_pushed_on_the_next_tick(live_room: Room) -> None:
    (ann,) = _fans("ann")
    _send(ann, live_room, "coffee", "a1")

    with mock.patch.object(hub, "publish_sync", side_effect=ConnectionError("down")):
        assert live_gifts.leaderboards_push() == 0
    with mock.patch.object(hub, "publish_sync") as published:
        assert live_gifts.leaderboards_push() == 1
        assert live_gifts.leaderboards_push() == 0
    published.assert_called_once_with(live_room.pk, _board((ann, 10)))


def test_gifts_are_wired_into_the_settings() -> None:
    from config.celery import app
    from config.settings import base

    entry: dict[str, Any] = base.CELERY_BEAT_SCHEDULE["push-live-leaderboards"]
    assert entry["task"] == tasks.push_live_leaderboards.name == "live.tasks.push_live_leaderboards"
    assert 5 <= entry["schedule"] <= 10
    app.loader.import_default_modules()  # what a worker does: autodiscovery finds it
    assert entry["task"] in app.tasks
    assert gift_income in kol_extensions.stat_providers.items()
    assert base.SPROUT_WALLET_PLATFORM_SHARE_BPS == 3_000


def test_beat_moves_a_stored_leaderboard_entry_to_the_tasks_new_name() -> None:
    """The task was ``live.gifts.push_live_leaderboards``; a database that
    ran beat before stores that name. django-celery-beat's scheduler updates
    its entries from the settings by name when beat starts
    (``DatabaseScheduler.update_from_dict``, an ``update_or_create`` per
    entry): no migration."""
    from config.celery import app
    from config.settings import base

    every_five = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="push-live-leaderboards",
        task="live.gifts.push_live_leaderboards",
        interval=every_five,
        last_run_at=timezone.now(),
    )

    # What beat does with each entry of the settings when it starts.
    name = "push-live-leaderboards"
    DatabaseScheduler.Entry.from_entry(name, app=app, **base.CELERY_BEAT_SCHEDULE[name])

    stored = PeriodicTask.objects.get(name="push-live-leaderboards")
    assert stored.task == "live.tasks.push_live_leaderboards" and stored.enabled
