"""The live rooms' admin (live.admin): who opens what, the moderation
actions (end rooms, delete messages, mute and ban authors, lift
restrictions, revoke keys) going through the services, the room's
moderators inline, and changelists whose query count does not grow with
their rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import User
from live import selectors, services
from live.models import ChatMessage, LiveSession, Room, RoomRestriction, StreamKey
from live.state import room_state
from tests.admin_pages import AdminPages, offered_actions, page_messages
from tests.clients import logged_in
from tests.factories import (
    ChatMessageFactory,
    HostFactory,
    LiveSessionFactory,
    RoomFactory,
    UserFactory,
)
from tests.live import live_settings_fixture  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_settings")]

ADMIN = AdminPages("live")
changelist = ADMIN.changelist
change = ADMIN.change
run_action = ADMIN.run_action
changelist_queries = ADMIN.changelist_queries

MODERATOR_MODELS = ("room", "livesession", "chatmessage", "roomrestriction")
MODELS = (*MODERATOR_MODELS, "streamkey")


# --- helpers --------------------------------------------------------------------------


def some_of_everything(count: int = 1) -> None:
    for _ in range(count):
        host = HostFactory()
        room = RoomFactory(host=host, live=True)
        room.moderators.add(UserFactory())
        session = LiveSession.objects.get(room=room)
        author = UserFactory()
        ChatMessageFactory(room=room, session=session, user=author, text="hello there")
        deleted = ChatMessageFactory(room=room, user=author, text="rude")
        services.message_delete(actor=host, message=deleted)
        services.member_mute(actor=host, room=room, user=author, minutes=5)
        services.member_ban(actor=host, room=room, user=UserFactory())
        services.stream_key_rotate(host=host)
        services.stream_key_rotate(host=host)
        ended = RoomFactory(host=host, state=Room.State.SCHEDULED)
        LiveSessionFactory(room=ended, peak_viewers=3)


# --- access -------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODERATOR_MODELS)
def test_moderators_open_every_live_changelist(moderator_client: Client, model: str) -> None:
    some_of_everything()
    assert moderator_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_superusers_open_every_live_changelist(superuser_client: Client, model: str) -> None:
    some_of_everything()
    assert superuser_client.get(changelist(model)).status_code == 200


def test_moderators_do_not_see_stream_keys(moderator_client: Client) -> None:
    assert moderator_client.get(changelist("streamkey")).status_code == 403


def test_moderators_open_the_change_pages_read_only_except_the_room(
    moderator_client: Client,
) -> None:
    some_of_everything()
    room = Room.objects.filter(state=Room.State.LIVE).get()
    page = moderator_client.get(change("room", room))
    assert page.status_code == 200
    assert room.stream_name in page.content.decode()
    assert "title" in page.context["adminform"].form.fields
    assert "state" not in page.context["adminform"].form.fields  # states move by services
    for model, obj in (
        ("livesession", LiveSession.objects.first()),
        ("chatmessage", ChatMessage.objects.first()),
        ("roomrestriction", RoomRestriction.objects.first()),
    ):
        page = moderator_client.get(change(model, obj))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]


def test_nothing_live_is_added_or_deleted_by_hand(superuser_client: Client) -> None:
    for model in ("room", "livesession", "chatmessage", "roomrestriction", "streamkey"):
        assert superuser_client.get(reverse(f"admin:live_{model}_add")).status_code == 403


def test_plain_members_are_sent_to_the_admin_login() -> None:
    response = logged_in(UserFactory()).get(changelist("room"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- rooms ------------------------------------------------------------------------------


def test_the_room_list_shows_viewers_now(moderator_client: Client) -> None:
    room = RoomFactory(title="Dumplings night", live=True)

    async def watch() -> None:
        await room_state().report_viewers(room.pk, "process-a", 31)

    async_to_sync(watch)()

    page = moderator_client.get(changelist("room"))

    listed = list(page.context["cl"].result_list)
    assert [r.pk for r in listed] == [room.pk]
    assert listed[0].live_counts.viewers == 31
    assert ">31<" in page.content.decode()


def test_end_rooms_ends_live_rooms_through_the_service(
    moderator_client: Client, moderator: User
) -> None:
    live = RoomFactory(host=HostFactory(), live=True)
    scheduled = RoomFactory(state=Room.State.SCHEDULED, host=HostFactory())
    ended = RoomFactory(state=Room.State.ENDED)

    response = run_action(moderator_client, "room", "end_rooms", [live, scheduled, ended])

    assert "2 rooms ended." in page_messages(response)
    for room in (live, scheduled, ended):
        room.refresh_from_db()
        assert room.state == Room.State.ENDED
    assert LiveSession.objects.get(room=live).ended_at is not None
    logged = LogEntry.objects.filter(user=moderator, change_message="Ended the room")
    assert sorted(int(e.object_id or 0) for e in logged) == sorted([live.pk, scheduled.pk])


def test_staff_without_the_moderation_right_cannot_end_rooms() -> None:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="live", codename="view_room")
    )
    client = logged_in(staff)
    room = RoomFactory(live=True)

    page = client.get(changelist("room"))

    assert page.status_code == 200
    assert "end_rooms" not in offered_actions(page)
    run_action(client, "room", "end_rooms", [room])
    room.refresh_from_db()
    assert room.state == Room.State.LIVE


def inline_form(room: Room, rows: list[User]) -> dict[str, Any]:
    prefix = "Room_moderators-"
    data: dict[str, Any] = {
        "title": room.title,
        "slow_mode_seconds": "5",
        "blocked_words": "[]",
        f"{prefix}TOTAL_FORMS": str(len(rows)),
        f"{prefix}INITIAL_FORMS": "0",
        f"{prefix}MIN_NUM_FORMS": "0",
        f"{prefix}MAX_NUM_FORMS": "1000",
    }
    for n, user in enumerate(rows):
        data[f"{prefix}{n}-user"] = str(user.pk)
        data[f"{prefix}{n}-room"] = str(room.pk)
    return data


def test_moderators_choose_a_rooms_moderators_inline(moderator_client: Client) -> None:
    room = RoomFactory(live=True)
    helper = UserFactory()

    response = moderator_client.post(change("room", room), inline_form(room, [helper]))

    assert response.status_code == 302, response.context and response.context["errors"]
    room.refresh_from_db()
    assert list(room.moderators.all()) == [helper]
    assert room.slow_mode_seconds == 5


def test_the_host_is_not_added_as_their_rooms_moderator(moderator_client: Client) -> None:
    room = RoomFactory(live=True)

    response = moderator_client.post(change("room", room), inline_form(room, [room.host]))

    assert response.status_code == 200
    assert "The host already moderates the room." in response.content.decode()
    assert not room.moderators.exists()


# --- chat --------------------------------------------------------------------------------


def test_delete_messages_hides_them_through_the_chat_service(
    moderator_client: Client, moderator: User
) -> None:
    room = RoomFactory(live=True)
    author = UserFactory()
    first, second = (ChatMessageFactory(room=room, user=author, text=text) for text in ("a", "b"))
    kept = ChatMessageFactory(room=room, user=author, text="fine")

    response = run_action(moderator_client, "chatmessage", "delete_messages", [first, second])

    assert "2 messages deleted." in page_messages(response)
    for message in (first, second):
        message.refresh_from_db()
        assert message.deleted_at is not None
        assert message.deleted_by == moderator
    kept.refresh_from_db()
    assert kept.deleted_at is None
    assert ChatMessage.objects.count() == 3  # kept for the record


def test_the_deleted_filter_and_search(moderator_client: Client) -> None:
    room = RoomFactory(live=True)
    spammer = UserFactory(username="spammer")
    shown = ChatMessageFactory(room=room, user=spammer, text="buy followers")
    hidden = ChatMessageFactory(room=room, user=UserFactory(), text="hello")
    services.message_delete(actor=room.host, message=hidden)

    def listed(query: str) -> list[int]:
        page = moderator_client.get(changelist("chatmessage") + query)
        return [m.pk for m in page.context["cl"].result_list]

    assert listed("?deleted=yes") == [hidden.pk]
    assert listed("?deleted=no") == [shown.pk]
    assert listed("?q=spammer") == [shown.pk]
    assert listed("?q=followers") == [shown.pk]


def test_ban_authors_bans_each_author_once_in_their_messages_room(
    moderator_client: Client,
) -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    troll = UserFactory()
    lines = [ChatMessageFactory(room=room, user=troll, text=f"spam {n}") for n in range(3)]
    elsewhere = ChatMessageFactory(room=other, user=troll, text="spam again")
    by_host = ChatMessageFactory(room=room, user=room.host, text="welcome")

    response = run_action(
        moderator_client, "chatmessage", "ban_authors", [*lines, elsewhere, by_host]
    )

    messages = page_messages(response)
    assert "2 authors banned in their messages' rooms." in messages
    assert any("host cannot be muted or banned" in m for m in messages)
    bans = RoomRestriction.objects.filter(user=troll, kind=RoomRestriction.Kind.BAN)
    assert sorted(b.room_id for b in bans) == sorted([room.pk, other.pk])
    assert all(b.reason.startswith("From the admin") for b in bans)
    assert not RoomRestriction.objects.filter(user=room.host).exists()


def test_mute_authors_mutes_them(moderator_client: Client) -> None:
    room = RoomFactory(live=True)
    loud = UserFactory()
    line = ChatMessageFactory(room=room, user=loud, text="CAPS")

    run_action(moderator_client, "chatmessage", "mute_authors", [line])

    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=loud.pk) == {"mute"}


def test_staff_without_the_moderation_right_cannot_delete_or_ban() -> None:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="live", codename="view_chatmessage")
    )
    client = logged_in(staff)
    message = ChatMessageFactory(room=RoomFactory(live=True), user=UserFactory(), text="x")

    page = client.get(changelist("chatmessage"))

    assert page.status_code == 200
    assert offered_actions(page) == []
    run_action(client, "chatmessage", "delete_messages", [message])
    message.refresh_from_db()
    assert message.deleted_at is None


# --- restrictions -----------------------------------------------------------------------


def test_lift_restrictions_lifts_those_in_force(moderator_client: Client) -> None:
    room = RoomFactory(live=True)
    muted, banned = UserFactory(), UserFactory()
    mute = services.member_mute(actor=room.host, room=room, user=muted)
    ban = services.member_ban(actor=room.host, room=room, user=banned)
    elsewhere = RoomFactory(live=True)
    old = services.member_mute(actor=elsewhere.host, room=elsewhere, user=banned)
    services.member_unmute(actor=elsewhere.host, room=elsewhere, user=banned)

    response = run_action(
        moderator_client, "roomrestriction", "lift_restrictions", [mute, ban, old]
    )

    assert "2 restrictions lifted." in page_messages(response)
    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=muted.pk) == set()
    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=banned.pk) == set()


def test_the_status_filter_tells_in_force_lifted_and_expired(moderator_client: Client) -> None:
    room = RoomFactory(live=True)
    in_force = services.member_mute(actor=room.host, room=room, user=UserFactory())
    lifted_user = UserFactory()
    lifted = services.member_ban(actor=room.host, room=room, user=lifted_user)
    services.member_unban(actor=room.host, room=room, user=lifted_user)
    expired = services.member_mute(actor=room.host, room=room, user=UserFactory(), minutes=1)
    RoomRestriction.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    def listed(status: str) -> list[int]:
        page = moderator_client.get(changelist("roomrestriction") + f"?status={status}")
        return [r.pk for r in page.context["cl"].result_list]

    assert listed("in_force") == [in_force.pk]
    assert listed("lifted") == [lifted.pk]
    assert listed("expired") == [expired.pk]


# --- stream keys ------------------------------------------------------------------------


def test_revoke_keys_refuses_them_at_once(superuser_client: Client) -> None:
    host = HostFactory()
    key, plaintext = services.stream_key_rotate(host=host)
    assert selectors.stream_key_host(plaintext) == host

    response = run_action(superuser_client, "streamkey", "revoke_keys", [key])

    assert "1 key revoked." in page_messages(response)
    assert selectors.stream_key_host(plaintext) is None
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_key_list_shows_hints_never_hashes(superuser_client: Client) -> None:
    host = HostFactory()
    key, plaintext = services.stream_key_rotate(host=host)

    page = superuser_client.get(changelist("streamkey")).content.decode()
    detail = superuser_client.get(change("streamkey", key)).content.decode()

    assert f"{key.hint}…" in page
    for text in (page, detail):
        assert key.key_hash not in text
        assert plaintext not in text


def test_the_key_list_filters_active_and_revoked_keys(superuser_client: Client) -> None:
    host = HostFactory()
    old, _ = services.stream_key_rotate(host=host)
    current, _ = services.stream_key_rotate(host=host)  # revokes the first

    def listed(query: str) -> list[int]:
        page = superuser_client.get(changelist("streamkey") + query)
        return [k.pk for k in page.context["cl"].result_list]

    assert listed("?status=active") == [current.pk]
    assert listed("?status=revoked") == [old.pk]
    assert sorted(listed("")) == sorted([old.pk, current.pk])


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(superuser_client: Client, model: str) -> None:
    some_of_everything(5)
    few = changelist_queries(superuser_client, model)
    some_of_everything(20)
    assert changelist_queries(superuser_client, model) == few


@pytest.mark.parametrize("model", MODERATOR_MODELS)
def test_moderator_changelist_queries_do_not_grow(moderator_client: Client, model: str) -> None:
    some_of_everything(5)
    few = changelist_queries(moderator_client, model)
    some_of_everything(20)
    assert changelist_queries(moderator_client, model) == few


def test_stream_keys_never_are_deletable(superuser_client: Client) -> None:
    host = HostFactory()
    key, _ = services.stream_key_rotate(host=host)
    page = superuser_client.get(changelist("streamkey"))
    assert "delete_selected" not in offered_actions(page)
    assert StreamKey.objects.filter(pk=key.pk).exists()
