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
from live import chat
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
from tests.factories import UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    add_messages,
    live_loop_fixture,
    live_settings_fixture,
    make_room,
)

Kind = RoomRestriction.Kind


def _grant(user: Any, app_label: str, codename: str) -> Any:
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def room(db: Any) -> Room:
    return make_room()


@pytest.fixture
def room_moderator(room: Room) -> Any:
    user = UserFactory()
    room.moderators.add(user)
    return user


@pytest.fixture
def site_moderator(db: Any) -> Any:
    return _grant(UserFactory(), "live", "moderate_room")


@pytest.fixture
def member(db: Any) -> Any:
    return UserFactory()


# --- who moderates --------------------------------------------------------------


@pytest.mark.django_db
def test_room_moderators_are_the_host_its_moderators_and_site_moderators(
    room: Room, room_moderator: Any, site_moderator: Any, member: Any
) -> None:
    community_moderator = _grant(UserFactory(), "community", "moderate_note")
    superuser = UserFactory(is_superuser=True)

    for user in (room.host, room_moderator, site_moderator, community_moderator, superuser):
        assert chat.is_room_moderator(user, room), user
    assert not chat.is_room_moderator(member, room)
    assert not chat.is_room_moderator(AnonymousUser(), room)
    other_room = make_room()
    assert not chat.is_room_moderator(room_moderator, other_room)
    assert chat.is_room_moderator(site_moderator, other_room)


@pytest.mark.django_db
def test_members_and_visitors_cannot_moderate(room: Room, member: Any) -> None:
    target = UserFactory()
    message = add_messages(room, 1, user=target)[0]
    with pytest.raises(PermissionDenied):
        chat.mute(actor=member, room=room, user=target)
    with pytest.raises(PermissionDenied):
        chat.ban(actor=member, room=room, user=target)
    with pytest.raises(PermissionDenied):
        chat.delete_message(actor=member, message=message)
    with pytest.raises(AuthenticationRequired):
        chat.ban(actor=AnonymousUser(), room=room, user=target)
    with pytest.raises(PermissionDenied):
        chat.unmute(actor=member, room=room, user=target)
    assert not RoomRestriction.objects.exists()
    message.refresh_from_db()
    assert message.deleted_at is None


@pytest.mark.django_db
def test_the_host_and_site_moderators_are_out_of_reach(
    room: Room, room_moderator: Any, site_moderator: Any
) -> None:
    with pytest.raises(PermissionDenied):
        chat.ban(actor=room_moderator, room=room, user=room.host)
    with pytest.raises(PermissionDenied):
        chat.mute(actor=room.host, room=room, user=site_moderator)
    with pytest.raises(SelfAction):
        chat.mute(actor=room_moderator, room=room, user=room_moderator)
    # Room moderators do not restrict each other; the host does.
    peer = UserFactory()
    room.moderators.add(peer)
    with pytest.raises(PermissionDenied):
        chat.mute(actor=room_moderator, room=room, user=peer)
    assert chat.mute(actor=room.host, room=room, user=peer).kind == Kind.MUTE


# --- restrictions ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ban_is_kept_and_announced_on_commit(
    room: Room, room_moderator: Any, member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        restriction = chat.ban(
            actor=room_moderator, room=room, user=member, reason="  spam links ", minutes=30
        )
    assert len(callbacks) == 2  # the moderation event, then closing their sockets
    assert restriction.created_by == room_moderator and restriction.reason == "spam links"
    assert restriction.expires_at is not None
    assert restriction.expires_at > timezone.now() + timedelta(minutes=29)
    assert chat.is_banned(member, room)
    assert not chat.is_banned(member, make_room())


@pytest.mark.django_db
def test_restricting_again_replaces_the_restriction_in_force(room: Room, member: Any) -> None:
    first = chat.mute(actor=room.host, room=room, user=member, minutes=5)
    second = chat.mute(actor=room.host, room=room, user=member, reason="again")
    first.refresh_from_db()
    assert first.lifted_at is not None
    assert second.expires_at is None and second.lifted_at is None
    assert chat.active_restrictions(room_id=room.pk, user_id=member.pk) == {Kind.MUTE}


@pytest.mark.django_db
def test_an_expired_restriction_no_longer_applies(room: Room, member: Any) -> None:
    restriction = chat.ban(actor=room.host, room=room, user=member, minutes=1)
    RoomRestriction.objects.filter(pk=restriction.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert not chat.is_banned(member, room)
    # and a new ban is possible although the expired one was never lifted
    chat.ban(actor=room.host, room=room, user=member)
    assert chat.is_banned(member, room)


@pytest.mark.django_db
def test_unmute_and_unban_lift_restrictions(room: Room, site_moderator: Any, member: Any) -> None:
    chat.mute(actor=room.host, room=room, user=member)
    chat.ban(actor=room.host, room=room, user=member)

    assert chat.unmute(actor=site_moderator, room=room, user=member) is True
    assert chat.active_restrictions(room_id=room.pk, user_id=member.pk) == {Kind.BAN}
    assert chat.unban(actor=site_moderator, room=room, user=member) is True
    assert chat.unban(actor=site_moderator, room=room, user=member) is False
    assert chat.active_restrictions(room_id=room.pk, user_id=member.pk) == set()


@pytest.mark.django_db
def test_a_bad_duration_is_invalid(room: Room, member: Any) -> None:
    with pytest.raises(ValidationFailed):
        chat.mute(actor=room.host, room=room, user=member, minutes=0)


@pytest.mark.django_db
def test_deleted_messages_are_kept_but_leave_the_recent_list(
    room: Room, room_moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kept, gone = add_messages(room, 2)
    with django_capture_on_commit_callbacks() as callbacks:
        chat.delete_message(actor=room_moderator, message=gone)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as again:
        chat.delete_message(actor=room.host, message=gone)
    assert again == []  # deleting twice tells nobody twice

    gone.refresh_from_db()
    assert gone.deleted_by == room_moderator and gone.deleted_at is not None
    assert [e["id"] for e in chat.recent_messages(room)] == [kept.pk]
    assert ChatMessage.objects.filter(room=room).count() == 2


@pytest.mark.django_db
def test_recent_messages_are_the_last_ones_oldest_first(room: Room) -> None:
    messages = add_messages(room, 5)
    recent = chat.recent_messages(room, limit=3)
    assert [e["id"] for e in recent] == [m.pk for m in messages[2:]]
    assert recent[0]["nonce"] is None and recent[0]["text"] == "line 2"
    assert chat.recent_messages(room, limit=0) == []


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

    room = await database_sync_to_async(make_room)()
    member = await database_sync_to_async(UserFactory)()
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(group_name(room.pk), channel)

    event = await chat.send_chat(room=room, user=member, text=" hello\n world ", nonce="n")

    assert event["text"] == "hello world" and event["nonce"] == "n"
    message = await asyncio.wait_for(layer.receive(channel), 3)
    assert message == {"type": LAYER_MESSAGE, "event": event}
    stored = await database_sync_to_async(ChatMessage.objects.get)(pk=event["id"])
    assert stored.text == "hello world" and stored.session_id is not None
    await layer.group_discard(group_name(room.pk), channel)


@pytest.mark.django_db(transaction=True)
async def test_send_chat_refuses_banned_muted_and_too_fast_members(
    live_loop: None, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_CHAT_RATE = "2/60"
    room = await database_sync_to_async(make_room)()
    host = room.host
    muted, banned, chatty = await database_sync_to_async(UserFactory.create_batch)(3)
    await database_sync_to_async(chat.mute)(actor=host, room=room, user=muted)
    await database_sync_to_async(chat.ban)(actor=host, room=room, user=banned)

    with pytest.raises(Muted):
        await chat.send_chat(room=room, user=muted, text="hi", nonce=None)
    with pytest.raises(Banned):
        await chat.send_chat(room=room, user=banned, text="hi", nonce=None)
    await chat.send_chat(room=room, user=chatty, text="one", nonce=None)
    await chat.send_chat(room=room, user=chatty, text="two", nonce=None)
    with pytest.raises(RateLimited):
        await chat.send_chat(room=room, user=chatty, text="three", nonce=None)
    assert await database_sync_to_async(ChatMessage.objects.count)() == 2


@pytest.mark.django_db(transaction=True)
async def test_slow_mode_spares_room_and_site_moderators(live_loop: None) -> None:
    room = await database_sync_to_async(make_room)(slow_mode_seconds=60)
    room_moderator, member = await database_sync_to_async(UserFactory.create_batch)(2)
    await database_sync_to_async(room.moderators.add)(room_moderator)
    site_moderator = await database_sync_to_async(_grant)(
        await database_sync_to_async(UserFactory)(), "live", "moderate_room"
    )

    for user in (room_moderator, site_moderator, room.host):
        await chat.send_chat(room=room, user=user, text="first", nonce=None)
        await chat.send_chat(room=room, user=user, text="second", nonce=None)
    await chat.send_chat(room=room, user=member, text="first", nonce=None)
    with pytest.raises(SlowMode):
        await chat.send_chat(room=room, user=member, text="second", nonce=None)


@pytest.mark.django_db(transaction=True)
async def test_a_blocked_word_does_not_use_up_the_slow_mode_wait(
    live_loop: None, live_settings: Any
) -> None:
    live_settings.SPROUT_LIVE_BLOCKED_WORDS = ["scam"]
    room = await database_sync_to_async(make_room)(slow_mode_seconds=60)
    member = await database_sync_to_async(UserFactory)()
    with pytest.raises(ValidationFailed):
        await chat.send_chat(room=room, user=member, text="total SCAM", nonce=None)
    await chat.send_chat(room=room, user=member, text="sorry, lovely stream", nonce=None)


# --- tickets -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_redeems_once_for_its_room_only(live_loop: None) -> None:
    room, other = await database_sync_to_async(lambda: (make_room(), make_room()))()
    member = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(issue_ticket)(user=member, room=room)
    elsewhere = await database_sync_to_async(issue_ticket)(user=member, room=room)

    assert await redeem(ticket, room.pk) == member.pk
    assert await redeem(ticket, room.pk) is None
    assert await redeem(elsewhere, other.pk) is None
    assert await redeem(elsewhere, room.pk) is None  # used up by the wrong room
    assert await redeem("", room.pk) is None
    assert await redeem("x" * 500, room.pk) is None


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_expires(live_loop: None, live_settings: Any) -> None:
    live_settings.SPROUT_LIVE_TICKET_SECONDS = 1
    room = await database_sync_to_async(make_room)()
    member = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(issue_ticket)(user=member, room=room)
    await asyncio.sleep(1.2)
    assert await redeem(ticket, room.pk) is None


@pytest.mark.django_db
def test_visitors_and_banned_members_get_no_ticket(room: Room, member: Any) -> None:
    with pytest.raises(AuthenticationRequired):
        issue_ticket(user=AnonymousUser(), room=room)
    chat.ban(actor=room.host, room=room, user=member)
    with pytest.raises(Banned):
        issue_ticket(user=member, room=room)
