"""Chat and moderation rules of live rooms, at the service level (the
websocket tests in test_consumer.py cover the same rules on the wire)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import timezone

from community.errors import SelfAction
from live import chat, permissions, selectors, services
from live.errors import (
    AuthenticationRequired,
    Banned,
    Muted,
    PermissionDenied,
    RateLimited,
    SlowMode,
    ValidationFailed,
)
from live.hub import LAYER_MESSAGE
from live.models import ChatMessage, Room, RoomRestriction
from live.tickets import issue_ticket, redeem
from tests.factories import RoomFactory, UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    add_messages,
    live_loop_fixture,
    live_settings_fixture,
)

Kind = RoomRestriction.Kind


def _grant(user: Any, app_label: str, codename: str) -> Any:
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def room_moderator(live_room: Room) -> Any:
    user = UserFactory()
    live_room.moderators.add(user)
    return user


@pytest.fixture
def site_moderator(db: Any) -> Any:
    return _grant(UserFactory(), "live", "moderate_room")


# --- who moderates --------------------------------------------------------------


@pytest.mark.django_db
def test_room_moderators_are_the_host_its_moderators_and_site_moderators(
    live_room: Room, room_moderator: Any, site_moderator: Any, user: Any
) -> None:
    community_moderator = _grant(UserFactory(), "community", "moderate_note")
    superuser = UserFactory(is_superuser=True)

    for moderator in (
        live_room.host,
        room_moderator,
        site_moderator,
        community_moderator,
        superuser,
    ):
        assert permissions.is_room_moderator(moderator, live_room), moderator
    assert not permissions.is_room_moderator(user, live_room)
    assert not permissions.is_room_moderator(AnonymousUser(), live_room)
    other_room = RoomFactory(live=True)
    assert not permissions.is_room_moderator(room_moderator, other_room)
    assert permissions.is_room_moderator(site_moderator, other_room)


@pytest.mark.django_db
def test_members_and_visitors_cannot_moderate(live_room: Room, user: Any) -> None:
    target = UserFactory()
    message = add_messages(live_room, 1, user=target)[0]
    with pytest.raises(PermissionDenied):
        services.member_mute(actor=user, room=live_room, user=target)
    with pytest.raises(PermissionDenied):
        services.member_ban(actor=user, room=live_room, user=target)
    with pytest.raises(PermissionDenied):
        services.message_delete(actor=user, message=message)
    with pytest.raises(AuthenticationRequired):
        services.member_ban(actor=AnonymousUser(), room=live_room, user=target)
    with pytest.raises(PermissionDenied):
        services.member_unmute(actor=user, room=live_room, user=target)
    assert not RoomRestriction.objects.exists()
    message.refresh_from_db()
    assert message.deleted_at is None


@pytest.mark.django_db
def test_the_host_and_site_moderators_are_out_of_reach(
    live_room: Room, room_moderator: Any, site_moderator: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.member_ban(actor=room_moderator, room=live_room, user=live_room.host)
    with pytest.raises(PermissionDenied):
        services.member_mute(actor=live_room.host, room=live_room, user=site_moderator)
    with pytest.raises(SelfAction):
        services.member_mute(actor=room_moderator, room=live_room, user=room_moderator)
    # Room moderators do not restrict each other; the host does.
    peer = UserFactory()
    live_room.moderators.add(peer)
    with pytest.raises(PermissionDenied):
        services.member_mute(actor=room_moderator, room=live_room, user=peer)
    assert services.member_mute(actor=live_room.host, room=live_room, user=peer).kind == Kind.MUTE


# --- restrictions ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ban_is_kept_and_announced_on_commit(
    live_room: Room, room_moderator: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        restriction = services.member_ban(
            actor=room_moderator, room=live_room, user=user, reason="  spam links ", minutes=30
        )
    assert len(callbacks) == 2  # the moderation event, then closing their sockets
    assert restriction.created_by == room_moderator and restriction.reason == "spam links"
    assert restriction.expires_at is not None
    assert restriction.expires_at > timezone.now() + timedelta(minutes=29)
    assert selectors.is_banned(user, live_room)
    assert not selectors.is_banned(user, RoomFactory(live=True))


@pytest.mark.django_db
def test_restricting_again_replaces_the_restriction_in_force(live_room: Room, user: Any) -> None:
    first = services.member_mute(actor=live_room.host, room=live_room, user=user, minutes=5)
    second = services.member_mute(actor=live_room.host, room=live_room, user=user, reason="again")
    first.refresh_from_db()
    assert first.lifted_at is not None
    assert second.expires_at is None and second.lifted_at is None
    assert selectors.member_restriction_kinds(room_id=live_room.pk, user_id=user.pk) == {Kind.MUTE}


@pytest.mark.django_db
def test_an_expired_restriction_no_longer_applies(live_room: Room, user: Any) -> None:
    restriction = services.member_ban(actor=live_room.host, room=live_room, user=user, minutes=1)
    RoomRestriction.objects.filter(pk=restriction.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert not selectors.is_banned(user, live_room)
    # and a new ban is possible although the expired one was never lifted
    services.member_ban(actor=live_room.host, room=live_room, user=user)
    assert selectors.is_banned(user, live_room)


@pytest.mark.django_db
def test_unmute_and_unban_lift_restrictions(
    live_room: Room, site_moderator: Any, user: Any
) -> None:
    services.member_mute(actor=live_room.host, room=live_room, user=user)
    services.member_ban(actor=live_room.host, room=live_room, user=user)

    assert services.member_unmute(actor=site_moderator, room=live_room, user=user) is True
    assert selectors.member_restriction_kinds(room_id=live_room.pk, user_id=user.pk) == {Kind.BAN}
    assert services.member_unban(actor=site_moderator, room=live_room, user=user) is True
    assert services.member_unban(actor=site_moderator, room=live_room, user=user) is False
    assert selectors.member_restriction_kinds(room_id=live_room.pk, user_id=user.pk) == set()


@pytest.mark.django_db
def test_a_bad_duration_is_invalid(live_room: Room, user: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.member_mute(actor=live_room.host, room=live_room, user=user, minutes=0)


@pytest.mark.django_db
def test_deleted_messages_are_kept_but_leave_the_recent_list(
    live_room: Room, room_moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kept, gone = add_messages(live_room, 2)
    with django_capture_on_commit_callbacks() as callbacks:
        services.message_delete(actor=room_moderator, message=gone)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as again:
        services.message_delete(actor=live_room.host, message=gone)
    assert again == []  # deleting twice tells nobody twice

    gone.refresh_from_db()
    assert gone.deleted_by == room_moderator and gone.deleted_at is not None
    assert [e["id"] for e in selectors.room_recent_messages(live_room)] == [kept.pk]
    assert ChatMessage.objects.filter(room=live_room).count() == 2


@pytest.mark.django_db
def test_recent_messages_are_the_last_ones_oldest_first(live_room: Room) -> None:
    messages = add_messages(live_room, 5)
    recent = selectors.room_recent_messages(live_room, limit=3)
    assert [e["id"] for e in recent] == [m.pk for m in messages[2:]]
    assert recent[0]["nonce"] is None and recent[0]["text"] == "line 2"
    assert selectors.room_recent_messages(live_room, limit=0) == []


# --- text rules -----------------------------------------------------------------


def test_blocked_words_match_whole_words_in_any_case() -> None:
    words = ["ass", "free money", "c++"]
    assert chat.contains_blocked_word("You ASS", words)
    assert chat.contains_blocked_word("get Free Money now", words)
    assert chat.contains_blocked_word("I write c++ daily", words)
    assert not chat.contains_blocked_word("a classy assortment", words)
    assert not chat.contains_blocked_word("anything", [])
    assert not chat.contains_blocked_word("anything", ["", "  "])


def test_chat_text_is_cleaned_of_control_characters() -> None:
    assert chat.clean_text("  hi\x00 there\nfriend\t! \ud800 ") == "hi there friend !"
    assert chat.clean_text("\x07\x1b ") == ""


def test_the_chat_rate_setting_is_read_as_messages_per_seconds(settings: Any) -> None:
    settings.SPROUT_LIVE_CHAT_RATE = "5/10"
    assert chat.chat_rate() == (5, 10)


# --- sending (async) --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_send_chat_keeps_publishes_and_counts(live_loop: None) -> None:
    from channels.layers import get_channel_layer

    from live.hub import group_name

    live_room = await database_sync_to_async(RoomFactory)(live=True)
    user = await database_sync_to_async(UserFactory)()
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(group_name(live_room.pk), channel)

    event = await services.message_send(
        room=live_room, user=user, text=" hello\n world ", nonce="n"
    )

    assert event["text"] == "hello world" and event["nonce"] == "n"
    message = await asyncio.wait_for(layer.receive(channel), 3)
    assert message == {"type": LAYER_MESSAGE, "event": event}
    stored = await database_sync_to_async(ChatMessage.objects.get)(pk=event["id"])
    assert stored.text == "hello world" and stored.session_id is not None
    await layer.group_discard(group_name(live_room.pk), channel)


@pytest.mark.django_db(transaction=True)
async def test_send_chat_refuses_banned_muted_and_too_fast_members(
    live_loop: None, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_CHAT_RATE = "2/60"
    live_room = await database_sync_to_async(RoomFactory)(live=True)
    host = live_room.host
    muted, banned, chatty = await database_sync_to_async(UserFactory.create_batch)(3)
    await database_sync_to_async(services.member_mute)(actor=host, room=live_room, user=muted)
    await database_sync_to_async(services.member_ban)(actor=host, room=live_room, user=banned)

    with pytest.raises(Muted):
        await services.message_send(room=live_room, user=muted, text="hi", nonce=None)
    with pytest.raises(Banned):
        await services.message_send(room=live_room, user=banned, text="hi", nonce=None)
    await services.message_send(room=live_room, user=chatty, text="one", nonce=None)
    await services.message_send(room=live_room, user=chatty, text="two", nonce=None)
    with pytest.raises(RateLimited):
        await services.message_send(room=live_room, user=chatty, text="three", nonce=None)
    assert await database_sync_to_async(ChatMessage.objects.count)() == 2


@pytest.mark.django_db(transaction=True)
async def test_slow_mode_spares_room_and_site_moderators(live_loop: None) -> None:
    live_room = await database_sync_to_async(RoomFactory)(slow_mode_seconds=60, live=True)
    room_moderator, user = await database_sync_to_async(UserFactory.create_batch)(2)
    await database_sync_to_async(live_room.moderators.add)(room_moderator)
    site_moderator = await database_sync_to_async(_grant)(
        await database_sync_to_async(UserFactory)(), "live", "moderate_room"
    )

    for moderator in (room_moderator, site_moderator, live_room.host):
        await services.message_send(room=live_room, user=moderator, text="first", nonce=None)
        await services.message_send(room=live_room, user=moderator, text="second", nonce=None)
    await services.message_send(room=live_room, user=user, text="first", nonce=None)
    with pytest.raises(SlowMode):
        await services.message_send(room=live_room, user=user, text="second", nonce=None)


@pytest.mark.django_db(transaction=True)
async def test_a_blocked_word_does_not_use_up_the_slow_mode_wait(
    live_loop: None, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_BLOCKED_WORDS = ["scam"]
    live_room = await database_sync_to_async(RoomFactory)(slow_mode_seconds=60, live=True)
    user = await database_sync_to_async(UserFactory)()
    with pytest.raises(ValidationFailed):
        await services.message_send(room=live_room, user=user, text="total SCAM", nonce=None)
    await services.message_send(room=live_room, user=user, text="sorry, lovely stream", nonce=None)


# --- tickets -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_redeems_once_for_its_room_only(live_loop: None) -> None:
    live_room, other = await database_sync_to_async(
        lambda: (RoomFactory(live=True), RoomFactory(live=True))
    )()
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(issue_ticket)(user=user, room=live_room)
    elsewhere = await database_sync_to_async(issue_ticket)(user=user, room=live_room)

    assert await redeem(ticket, live_room.pk) == user.pk
    assert await redeem(ticket, live_room.pk) is None
    assert await redeem(elsewhere, other.pk) is None
    assert await redeem(elsewhere, live_room.pk) is None  # used up by the wrong room
    assert await redeem("", live_room.pk) is None
    assert await redeem("x" * 500, live_room.pk) is None


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_expires(live_loop: None, live_settings: Any) -> None:
    live_settings.SPROUT_LIVE_TICKET_SECONDS = 1
    live_room = await database_sync_to_async(RoomFactory)(live=True)
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(issue_ticket)(user=user, room=live_room)
    await asyncio.sleep(1.2)
    assert await redeem(ticket, live_room.pk) is None


@pytest.mark.django_db
def test_visitors_and_banned_members_get_no_ticket(live_room: Room, user: Any) -> None:
    with pytest.raises(AuthenticationRequired):
        issue_ticket(user=AnonymousUser(), room=live_room)
    services.member_ban(actor=live_room.host, room=live_room, user=user)
    with pytest.raises(Banned):
        issue_ticket(user=user, room=live_room)
