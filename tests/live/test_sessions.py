"""Rooms and broadcasts (live.services): who may host, going live, ending
(publish-done, the host, a moderator, a vanished publisher), the traffic
report folded from the hot counters, followers told once, and the live
performance that feeds screening."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from community.models import Follow, Notification, User
from kol import extensions as kol_extensions
from live import events, selectors, services
from live.errors import Banned, NotAHost, NotFound, PermissionDenied, ValidationFailed
from live.extensions import session_report_sections
from live.models import LiveSession, Room
from live.services import rooms
from live.state import reset_room_state_backend, room_state
from tests.factories import (
    BlockFactory,
    CreatorFactory,
    FollowFactory,
    HostFactory,
    LiveSessionFactory,
    RoomFactory,
    RoomRestrictionFactory,
    UserFactory,
)
from tests.live import RoomEvents, forget_hot_state

pytestmark = pytest.mark.django_db


def seed_counters(
    room_id: int,
    *,
    hearts: int = 0,
    viewers: tuple[int, ...] = (),
    uniques: int = 0,
    watch: float = 0,
    messages: int = 0,
    dropped: int = 0,
) -> None:
    """Drive the hot state the way the hub and consumers do (its async API).
    A Redis backend's asyncio client belongs to one event loop: this one gets
    a backend of its own, closed after; the in-process backend is kept (it
    *is* the state)."""

    async def seed() -> None:
        state = room_state()
        try:
            if hearts:
                await state.add_hearts(room_id, hearts)
            for number, count in enumerate(viewers):
                await state.report_viewers(room_id, f"process-{number}-{uuid.uuid4().hex}", count)
            for number in range(uniques):
                await state.add_unique_viewer(room_id, f"viewer-{number}")
            if watch:
                await state.add_watch_seconds(room_id, watch)
            for _ in range(messages):
                await state.count_message(room_id)
            for _ in range(dropped):
                await state.count_dropped(room_id)
        finally:
            client = getattr(state, "_redis", None)
            if client is not None:
                await client.aclose()

    if settings.REDIS_URL:
        reset_room_state_backend()
    asyncio.run(seed())
    if settings.REDIS_URL:
        reset_room_state_backend()


@pytest.fixture(autouse=True)
def _fresh_hot_state() -> Iterator[None]:
    forget_hot_state()
    yield
    forget_hot_state()


@pytest.fixture
def published(room_events: RoomEvents) -> RoomEvents:
    """Events sent to rooms (after commit: ``live.events``), in order."""
    return room_events


# --- rooms ------------------------------------------------------------------------


def test_a_host_creates_a_scheduled_room_with_a_public_stream_name(host: User) -> None:
    room = services.room_create(host=host, title="  Sunday pancakes  ")
    assert room.state == Room.State.SCHEDULED
    assert room.title == "Sunday pancakes"
    assert room.stream_name and room.stream_name.isalnum()


def test_a_member_who_may_not_host_cannot_create_a_room() -> None:
    with pytest.raises(NotAHost):
        services.room_create(host=UserFactory(), title="Mine")
    assert not Room.objects.exists()


@pytest.mark.parametrize("title", ["", "   ", "x" * 101, None])
def test_a_room_needs_a_title_of_1_to_100_characters(host: User, title: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.room_create(host=host, title=title)
    assert "title" in caught.value.fields


def test_a_title_of_100_characters_is_fine(host: User) -> None:
    assert services.room_create(host=host, title="x" * 100).title == "x" * 100


def test_room_for_viewer_refuses_missing_rooms_and_banned_members(room: Room) -> None:
    banned, other = UserFactory(), UserFactory()
    RoomRestrictionFactory(room=room, user=banned, kind="ban", created_by=room.host)
    with pytest.raises(Banned):
        selectors.room_for_viewer(room_id=room.pk, user=banned)
    assert selectors.room_for_viewer(room_id=room.pk, user=other) == room
    assert selectors.room_for_viewer(room_id=room.pk) == room
    with pytest.raises(NotFound):
        selectors.room_for_viewer(room_id=room.pk + 1000)


def test_an_expired_or_lifted_ban_no_longer_keeps_a_member_out(room: Room) -> None:
    expired, lifted = UserFactory(), UserFactory()
    RoomRestrictionFactory(
        room=room, user=expired, kind="ban", expires_at=timezone.now() - timedelta(minutes=1)
    )
    RoomRestrictionFactory(room=room, user=lifted, kind="ban", lifted_at=timezone.now())
    assert selectors.room_for_viewer(room_id=room.pk, user=expired) == room
    assert selectors.room_for_viewer(room_id=room.pk, user=lifted) == room


def test_the_host_chooses_room_moderators_and_others_may_not(room: Room) -> None:
    helper, stranger = UserFactory(), UserFactory()
    services.room_moderator_add(actor=room.host, room=room, user=helper)
    services.room_moderator_add(actor=room.host, room=room, user=helper)  # idempotent
    assert list(room.moderators.all()) == [helper]
    with pytest.raises(PermissionDenied):
        services.room_moderator_add(actor=stranger, room=room, user=stranger)
    with pytest.raises(PermissionDenied):
        services.room_moderator_remove(actor=helper, room=room, user=helper)
    with pytest.raises(ValidationFailed):
        services.room_moderator_add(actor=room.host, room=room, user=room.host)
    services.room_moderator_remove(actor=room.host, room=room, user=helper)
    assert not room.moderators.exists()


# --- going live -----------------------------------------------------------------------


def test_starting_a_session_brings_the_room_live_and_resets_its_counters(
    room: Room, published: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    seed_counters(room.pk, hearts=40, messages=3)  # left over from nothing: must not count
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_start(room=room, client_addr="10.0.0.7")
    room.refresh_from_db()
    assert room.state == Room.State.LIVE
    assert room.started_at is not None and room.last_seen_at is not None
    assert session.room == room and session.ended_at is None
    assert session.client_addr == "10.0.0.7"
    assert room_state().snapshot(room.pk)["hearts"] == 0
    assert published == [(room.pk, events.room_state("live"))]


def test_followers_hear_once_that_the_host_went_live(
    room: Room, published: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    fans = UserFactory.create_batch(3)
    for fan in fans:
        FollowFactory(follower=fan, followee=room.host)
    blocked_fan, bystander = UserFactory(), UserFactory()
    FollowFactory(follower=blocked_fan, followee=room.host)
    BlockFactory(blocker=blocked_fan, blocked=room.host)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_start(room=room, client_addr="")
    told = Notification.objects.filter(verb="went_live", actor=room.host)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(f.pk for f in fans)
    assert told.first().data == {  # type: ignore[union-attr]
        "room_id": room.pk,
        "url": selectors.room_url(room),
        "title": "Sunday pancakes",
    }
    assert not Notification.objects.filter(recipient=bystander).exists()
    # A redelivered task tells nobody twice.
    assert services.followers_notify_live(room_id=room.pk) == 0
    assert told.count() == 3


def test_a_live_or_ended_room_cannot_start_again(room: Room, published: list[Any]) -> None:
    services.session_start(room=room, client_addr="")
    with pytest.raises(PermissionDenied) as caught:
        services.session_start(room=room, client_addr="")
    assert caught.value.code == "already_live"
    services.session_end(room=room, reason="test")
    with pytest.raises(PermissionDenied) as caught:
        services.session_start(room=room, client_addr="")
    assert caught.value.code == "room_ended"
    assert LiveSession.objects.filter(room=room).count() == 1


def test_a_host_who_lost_the_right_cannot_go_live(room: Room) -> None:
    room.host.user_permissions.clear()
    with pytest.raises(NotAHost):
        services.session_start(room=Room.objects.get(pk=room.pk), client_addr="")
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_begin_broadcast_picks_the_hosts_latest_scheduled_room(
    host: User, published: list[Any]
) -> None:
    older = services.room_create(host=host, title="Older")
    newer = services.room_create(host=host, title="Newer")
    Room.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    other_hosts_room = services.room_create(host=HostFactory(), title="Not mine")
    session = services.broadcast_begin(host=host, client_addr="")
    assert session.room == newer
    other_hosts_room.refresh_from_db()
    assert other_hosts_room.state == Room.State.SCHEDULED
    with pytest.raises(PermissionDenied) as caught:
        services.broadcast_begin(host=host, client_addr="")
    assert caught.value.code == "already_live"


def test_begin_broadcast_without_a_scheduled_room_is_refused(host: User) -> None:
    with pytest.raises(PermissionDenied) as caught:
        services.broadcast_begin(host=host, client_addr="")
    assert caught.value.code == "no_scheduled_room"


# --- ending ---------------------------------------------------------------------------


def test_ending_a_session_writes_its_traffic_report(
    room: Room, published: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    early_fan, fan_one, fan_two = UserFactory(), UserFactory(), UserFactory()
    early = FollowFactory(follower=early_fan, followee=room.host)
    Follow.objects.filter(pk=early.pk).update(created_at=timezone.now() - timedelta(days=1))
    services.session_start(room=room, client_addr="")
    seed_counters(
        room.pk, hearts=120, viewers=(5, 3), uniques=11, watch=930.6, messages=7, dropped=2
    )
    FollowFactory(follower=fan_one, followee=room.host)
    FollowFactory(follower=fan_two, followee=room.host)
    FollowFactory(follower=fan_one, followee=UserFactory())  # someone else's follower
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_end(room=room, reason="publish_done")
    assert session is not None
    session.refresh_from_db()
    room.refresh_from_db()
    assert room.state == Room.State.ENDED and room.ended_at is not None
    assert session.ended_at == room.ended_at
    assert (
        session.peak_viewers,
        session.unique_viewers,
        session.watch_seconds,
        session.chat_messages,
        session.hearts,
        session.dropped_connections,
        session.new_followers,
    ) == (8, 11, 930, 7, 120, 2, 2)
    assert published[-1] == (room.pk, events.room_state("ended"))
    # The hot counters are cleared once the report is written.
    assert room_state().snapshot(room.pk)["hearts"] == 0


def test_ending_twice_is_harmless(room: Room, published: list[Any]) -> None:
    services.session_start(room=room, client_addr="")
    assert services.session_end(room=room, reason="publish_done") is not None
    assert services.session_end(room=room, reason="publish_done") is None
    assert services.broadcast_finish(host=room.host, reason="publish_done") == []
    assert LiveSession.objects.get(room=room).ended_at is not None


def test_the_host_room_moderators_and_site_moderators_may_end_a_room(
    host: User, published: list[Any]
) -> None:
    helper, staff, stranger = UserFactory(), UserFactory(), UserFactory()
    staff.user_permissions.add(
        Permission.objects.get(codename="moderate_room", content_type__app_label="live")
    )
    staff = User.objects.get(pk=staff.pk)
    # The community's moderators moderate rooms too (chat and sessions agree).
    community_moderator = UserFactory()
    community_moderator.user_permissions.add(
        Permission.objects.get(codename="moderate_note", content_type__app_label="community")
    )
    community_moderator = User.objects.get(pk=community_moderator.pk)
    for actor in (host, helper, staff, community_moderator):
        room = services.room_create(host=host, title="Again")
        room.moderators.add(helper)
        services.session_start(room=room, client_addr="")
        with pytest.raises(PermissionDenied):
            services.room_end(actor=stranger, room=room)
        session = services.room_end(actor=actor, room=room)
        assert session is not None and session.ended_at is not None
        room.refresh_from_db()
        assert room.state == Room.State.ENDED


def test_ending_a_scheduled_room_cancels_it(room: Room, published: list[Any]) -> None:
    assert services.room_end(actor=room.host, room=room) is None
    assert room.state == Room.State.ENDED
    assert not LiveSession.objects.exists()


def test_rooms_whose_publisher_vanished_are_ended(host: User, published: list[Any]) -> None:
    quiet = services.room_create(host=host, title="Quiet")
    services.session_start(room=quiet, client_addr="")
    Room.objects.filter(pk=quiet.pk).update(last_seen_at=timezone.now() - timedelta(minutes=10))
    fresh = services.room_create(host=HostFactory(), title="Fresh")
    services.session_start(room=fresh, client_addr="")
    scheduled = services.room_create(host=HostFactory(), title="Later")

    assert services.rooms_end_stale(older_than_seconds=120) == 1
    states = dict(Room.objects.values_list("pk", "state"))
    assert states == {quiet.pk: "ended", fresh.pk: "live", scheduled.pk: "scheduled"}
    assert LiveSession.objects.get(room=quiet).ended_at is not None
    assert services.rooms_end_stale(older_than_seconds=120) == 0


def test_a_room_seen_again_is_not_ended_as_stale(room: Room, published: list[Any]) -> None:
    services.session_start(room=room, client_addr="")
    cutoff = timezone.now() - timedelta(minutes=1)
    # Listed as stale, then an on_update arrived before it was locked.
    assert rooms._end_live(room.pk, reason="stale", stale_before=cutoff) is False
    assert services.broadcast_seen(host=room.host) == room


# --- reports ------------------------------------------------------------------------------


def test_the_session_report_has_traffic_and_an_empty_cash_part(
    room: Room, published: list[Any]
) -> None:
    services.session_start(room=room, client_addr="")
    seed_counters(room.pk, hearts=9, viewers=(4,), uniques=4, watch=400, messages=2)
    running = selectors.session_report(LiveSession.objects.get(room=room))
    assert running["running"] is True
    assert running["traffic"]["hearts"] == 9
    session = services.session_end(room=room, reason="test")
    assert session is not None
    report = selectors.session_report(session)
    assert report["running"] is False
    assert report["room_id"] == room.pk and report["title"] == "Sunday pancakes"
    assert report["traffic"] == {
        "peak_viewers": 4,
        "unique_viewers": 4,
        "watch_seconds": 400,
        "average_watch_seconds": 100,
        "chat_messages": 2,
        "hearts": 9,
        "dropped_connections": 0,
        "new_followers": 0,
    }
    # Live's own takings (other apps' sections, the shop's sales, add theirs).
    gifts = {key: report["cash"][key] for key in ("gifts", "coins", "earnings", "unique_payers")}
    assert gifts == {"gifts": 0, "coins": 0, "earnings": 0, "unique_payers": 0}


def shop_section(session: LiveSession) -> dict[str, Any]:
    return {"cash": {"sales": 250, "orders": 3}, "top_products": ["wok"]}


@pytest.fixture
def shop_section_added() -> Iterator[None]:
    # As an app above live would, from its AppConfig.ready().
    session_report_sections.add(shop_section, app="live", key="test-shop")
    yield
    session_report_sections.remove("test-shop")


def test_report_sections_are_merged_into_the_report(
    room: Room, published: list[Any], shop_section_added: None
) -> None:
    services.session_start(room=room, client_addr="")
    session = services.session_end(room=room, reason="test")
    assert session is not None
    report = selectors.session_report(session)
    # (Sections of installed apps, the shop's, add keys of their own.)
    assert {
        key: report["cash"][key] for key in ("gifts", "coins", "unique_payers", "earnings")
    } == {
        "gifts": 0,
        "coins": 0,
        "unique_payers": 0,
        "earnings": 0,
    }
    assert report["cash"]["sales"] == 250 and report["cash"]["orders"] == 3
    assert report["top_products"] == ["wok"]


def test_the_gift_takings_are_lives_own_report_section() -> None:
    assert selectors.session_cash in session_report_sections.items()


def _ended_session(host: User, **figures: int) -> None:
    room = RoomFactory(host=host, title="Past", state=Room.State.ENDED)
    LiveSessionFactory(room=room, ended_at=timezone.now(), **figures)


def test_live_performance_ranks_creators_by_their_recent_sessions() -> None:
    strong, middling, silent, never = (CreatorFactory() for _ in range(4))
    _ended_session(strong.user, peak_viewers=900, unique_viewers=2000, new_followers=40)
    _ended_session(strong.user, peak_viewers=700, unique_viewers=1000, new_followers=20)
    _ended_session(middling.user, peak_viewers=50, unique_viewers=80, new_followers=1)
    _ended_session(silent.user, peak_viewers=0, unique_viewers=0, new_followers=0)
    old = RoomFactory(host=never.user, title="Long ago", state=Room.State.ENDED)
    LiveSessionFactory(room=old, ended_at=timezone.now() - timedelta(days=365), peak_viewers=10_000)

    scores = selectors.live_performance([strong.pk, middling.pk, silent.pk, never.pk])
    assert scores == {strong.pk: 1.0, middling.pk: 0.5, silent.pk: 0.0}
    assert selectors.live_performance([]) == {}


def test_screening_uses_live_performance() -> None:
    assert kol_extensions.live_performance.get() is selectors.live_performance
