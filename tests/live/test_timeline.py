"""A broadcast's timeline (``live.selectors.session_timeline``): the room's
events as the room got them, with ``offset_ms`` from the session's start, in
``(offset_ms, kind, id)`` order, by window and cursor; deleted chat and the
chat of banned members never appear; the shop's pins come through its slot
(and without the shop the rest still works); a page costs the same queries
whatever its size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import InvalidCursor
from live import events
from live.chat import chat_event
from live.errors import TimelineWindowInvalid
from live.extensions import timeline_sources
from live.models import ChatMessage, LiveSession, RoomRestriction
from live.selectors import session_timeline
from live.selectors.replays import TIMELINE_MAX_WINDOW_MS
from tests.factories import (
    ChatMessageFactory,
    GiftSendFactory,
    HeartsMarkFactory,
    LiveSessionFactory,
    RoomFactory,
    RoomRestrictionFactory,
    UserFactory,
)
from wallet.models import GiftSend
from wallet.selectors import gift_payload

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------


def broadcast(minutes: int = 30) -> LiveSession:
    """An ended session of ``minutes``, started that long ago."""
    session = LiveSessionFactory()
    started = timezone.now() - timedelta(minutes=minutes)
    LiveSession.objects.filter(pk=session.pk).update(
        started_at=started, ended_at=started + timedelta(minutes=minutes)
    )
    session.refresh_from_db()
    return session


def chat_at(session: LiveSession, offset_ms: float, **fields: Any) -> ChatMessage:
    message = ChatMessageFactory(room=session.room, session=session, **fields)
    ChatMessage.objects.filter(pk=message.pk).update(
        created_at=session.started_at + timedelta(milliseconds=offset_ms)
    )
    message.refresh_from_db()
    return message


def gift_at(session: LiveSession, offset_ms: float) -> GiftSend:
    send = GiftSendFactory(host=session.room.host, room_id=session.room_id, session_id=session.pk)
    GiftSend.objects.filter(pk=send.pk).update(
        created_at=session.started_at + timedelta(milliseconds=offset_ms)
    )
    return GiftSend.objects.select_related("sender", "gift").get(pk=send.pk)


def kinds(items: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(item["offset_ms"], item["type"]) for item in items]


def walk(session: LiveSession, size: int, **window: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = session_timeline(session=session, cursor=cursor, limit=size, **window)
        assert len(page.items) <= size
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


# --- the items ------------------------------------------------------------------------


def test_items_are_the_rooms_events_with_their_offsets_in_order() -> None:
    session = broadcast()
    late = chat_at(session, 2_500.7)
    early = chat_at(session, 1_000)
    send = gift_at(session, 1_000.2)
    HeartsMarkFactory(session=session, offset_ms=1_000, total=4)
    HeartsMarkFactory(session=session, offset_ms=3_000, total=9)

    page = session_timeline(session=session)

    assert page.items == [
        {**chat_event(early), "offset_ms": 1_000},
        {
            **events.gift(
                gift_id=send.pk,
                user=send.sender,
                gift=gift_payload(send.gift),
                quantity=send.quantity,
                coins=send.coins,
                ts=send.created_at,
            ),
            "offset_ms": 1_000,
        },
        {"type": "hearts", "total": 4, "offset_ms": 1_000},
        {**chat_event(late), "offset_ms": 2_500},
        {"type": "hearts", "total": 9, "offset_ms": 3_000},
    ]
    for item in page.items:
        event = {key: value for key, value in item.items() if key != "offset_ms"}
        events.event_check(event)
    assert page.next_cursor is None
    assert (page.from_ms, page.to_ms, page.duration_ms) == (0, TIMELINE_MAX_WINDOW_MS, 1_800_000)


def test_chat_is_replayed_as_sent_with_its_text_and_no_nonce() -> None:
    session = broadcast()
    message = chat_at(session, 10, text="hello replay")
    (item,) = session_timeline(session=session).items
    assert item["text"] == "hello replay"
    assert item["nonce"] is None
    assert item["id"] == message.pk


def test_deleted_chat_never_appears() -> None:
    session = broadcast()
    kept = chat_at(session, 100)
    chat_at(session, 200, deleted_at=timezone.now(), deleted_by=session.room.host)
    assert [item["id"] for item in session_timeline(session=session).items] == [kept.pk]


def test_the_chat_of_members_banned_from_the_room_never_appears() -> None:
    session = broadcast()
    troll, guest = UserFactory(), UserFactory()
    chat_at(session, 100, user=troll)
    kept = chat_at(session, 200, user=guest)
    RoomRestrictionFactory(room=session.room, user=troll, kind=RoomRestriction.Kind.BAN)
    assert [item["id"] for item in session_timeline(session=session).items] == [kept.pk]


def test_a_lifted_ban_or_a_mute_hides_nothing() -> None:
    session = broadcast()
    muted, forgiven = UserFactory(), UserFactory()
    chat_at(session, 100, user=muted)
    chat_at(session, 200, user=forgiven)
    RoomRestrictionFactory(room=session.room, user=muted, kind=RoomRestriction.Kind.MUTE)
    RoomRestrictionFactory(
        room=session.room,
        user=forgiven,
        kind=RoomRestriction.Kind.BAN,
        lifted_at=timezone.now(),
    )
    assert len(session_timeline(session=session).items) == 2


def test_other_sessions_events_are_not_in_this_timeline() -> None:
    session = broadcast()
    other = LiveSessionFactory(room=session.room)
    ChatMessageFactory(room=session.room, session=other)
    HeartsMarkFactory(session=other, offset_ms=5)
    GiftSendFactory(room_id=session.room_id, session_id=other.pk)
    assert session_timeline(session=session).items == []


# --- windows -----------------------------------------------------------------------------


def test_a_window_holds_from_ms_up_to_but_not_including_to_ms() -> None:
    session = broadcast()
    for offset in (999.9, 1_000, 1_999.9, 2_000):
        chat_at(session, offset)
    page = session_timeline(session=session, from_ms=1_000, to_ms=2_000)
    assert kinds(page.items) == [(1_000, "chat"), (1_999, "chat")]
    assert (page.from_ms, page.to_ms) == (1_000, 2_000)


def test_without_to_ms_a_window_runs_to_the_end_or_the_longest_window() -> None:
    session = broadcast(minutes=60)
    page = session_timeline(session=session, from_ms=55 * 60_000)
    assert page.to_ms == 60 * 60_000
    page = session_timeline(session=session, from_ms=60_000)
    assert page.to_ms == 60_000 + TIMELINE_MAX_WINDOW_MS


def test_an_empty_window_is_allowed_and_empty() -> None:
    session = broadcast()
    chat_at(session, 1_000)
    assert session_timeline(session=session, from_ms=1_000, to_ms=1_000).items == []


@pytest.mark.parametrize(
    ("from_ms", "to_ms", "code"),
    [(2_000, 1_000, "window_reversed"), (0, TIMELINE_MAX_WINDOW_MS + 1, "window_too_long")],
)
def test_refused_windows_say_why(from_ms: int, to_ms: int, code: str) -> None:
    session = broadcast()
    with pytest.raises(TimelineWindowInvalid) as refused:
        session_timeline(session=session, from_ms=from_ms, to_ms=to_ms)
    assert refused.value.code == code
    assert "to_ms" in refused.value.fields


def test_a_running_broadcast_reads_up_to_now() -> None:
    room = RoomFactory(live=True)
    LiveSession.objects.filter(room=room).update(started_at=timezone.now() - timedelta(seconds=30))
    session = LiveSession.objects.get(room=room, ended_at__isnull=True)
    chat_at(session, 20_000)
    page = session_timeline(session=session)
    assert kinds(page.items) == [(20_000, "chat")]
    assert 30_000 <= page.to_ms < 40_000


# --- cursor -------------------------------------------------------------------------------


def test_the_cursor_walks_every_item_once_in_order_across_shared_offsets() -> None:
    session = broadcast()
    for offset in (0, 500, 500, 500, 1_500, 1_500):
        chat_at(session, offset)
    for offset in (500, 500, 1_500):
        gift_at(session, offset)
    for offset in (500, 1_500, 2_000):
        HeartsMarkFactory(session=session, offset_ms=offset)
    everything = session_timeline(session=session, limit=100).items
    assert len(everything) == 12
    for size in (1, 2, 3, 5):
        assert walk(session, size) == everything
    keys = [(item["offset_ms"], item["type"], item.get("id", 0)) for item in everything]
    assert keys == sorted(keys)


def test_the_cursor_keeps_to_its_window() -> None:
    session = broadcast()
    for offset in range(0, 10_000, 1_000):
        chat_at(session, offset)
    assert kinds(walk(session, 2, from_ms=3_000, to_ms=6_000)) == [
        (3_000, "chat"),
        (4_000, "chat"),
        (5_000, "chat"),
    ]


@pytest.mark.parametrize("cursor", ["junk!", "eyJvIjoxfQ", "eyJvIjoiYSIsImsiOiJjaGF0IiwiaSI6MX0"])
def test_a_cursor_that_is_not_ours_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        session_timeline(session=broadcast(), cursor=cursor)


# --- cost -----------------------------------------------------------------------------------


def test_a_page_costs_the_same_queries_whatever_its_size() -> None:
    session = broadcast()
    for offset in range(0, 40_000, 1_000):
        chat_at(session, offset, user=UserFactory())
        gift_at(session, offset + 1)
        HeartsMarkFactory(session=session, offset_ms=offset + 2)
    with CaptureQueriesContext(connection) as small:
        assert len(session_timeline(session=session, limit=2).items) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(session_timeline(session=session, limit=100).items) == 100
    assert len(large.captured_queries) == len(small.captured_queries)
    # chat, gifts, hearts, and the shop's pins (and their images) when installed.
    assert len(large.captured_queries) <= 3 + 3 * len(timeline_sources.items())


# --- the shop's pins --------------------------------------------------------------------------


@pytest.mark.apps("shop")
def test_pins_play_back_as_product_pinned_and_product_unpinned() -> None:
    from shop.models import RoomPin
    from shop.selectors.pins import pinned_product
    from tests.factories import ProductFactory, RoomPinFactory

    session = broadcast()
    earlier = RoomPinFactory(room=session.room, session=session, product=ProductFactory())
    RoomPin.objects.filter(pk=earlier.pk).update(
        pinned_at=session.started_at - timedelta(minutes=5),
        unpinned_at=session.started_at + timedelta(seconds=7),
    )
    later = RoomPinFactory(room=session.room, session=session, product=ProductFactory())
    RoomPin.objects.filter(pk=later.pk).update(pinned_at=session.started_at + timedelta(seconds=7))
    chat_at(session, 7_000)
    pins = {pin.pk: pin for pin in RoomPin.objects.select_related("product", "flash_sale")}

    items = session_timeline(session=session).items

    assert kinds(items) == [
        (0, "product_pinned"),
        (7_000, "chat"),
        (7_000, "product_pinned"),
        (7_000, "product_unpinned"),
    ]
    assert items[0] == {**events.product_pinned(pinned_product(pins[earlier.pk])), "offset_ms": 0}
    assert items[2]["product"]["id"] == later.product_id
    assert items[3] == {"type": "product_unpinned", "offset_ms": 7_000}
    assert walk(session, 1) == items


@pytest.mark.apps("shop")
def test_without_its_source_the_timeline_has_no_pins() -> None:
    from tests.factories import RoomPinFactory

    session = broadcast()
    RoomPinFactory(room=session.room, session=session)
    chat_at(session, 10)
    with timeline_sources.override():
        assert kinds(session_timeline(session=session).items) == [(10, "chat")]
