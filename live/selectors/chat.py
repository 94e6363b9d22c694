"""Live rooms: reads of chat and its moderation (mutes, bans, messages)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from community.models import User
from core import db
from live import events
from live.chat import chat_event
from live.errors import NotFound
from live.models import ChatMessage, Room, RoomRestriction
from live.permissions import SITE_MODERATOR_PERMISSIONS

# --- moderation -----------------------------------------------------------------


def room_restrictions(room: Room) -> QuerySet[RoomRestriction]:
    """The mutes and bans in force in a room (not lifted, not expired),
    newest first, with the members involved."""
    now = timezone.now()
    return (
        RoomRestriction.objects.filter(room=room, lifted_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("user", "created_by")
        .order_by("-created_at", "-pk")
    )


def message_by_id(message_id: int) -> ChatMessage:
    """A chat message with its room (NotFound)."""
    message = ChatMessage.objects.select_related("room").filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def _in_force(queryset: QuerySet[RoomRestriction]) -> QuerySet[RoomRestriction]:
    now = timezone.now()
    return queryset.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


# _in_force's rule for a ban, in SQL (the statements of room_bans_among and
# member_standing), with its parameters from _ban_in_force_params();
# tests/live/test_gift_batcher.py and tests/live/test_permissions.py hold
# the two spellings together.
_BAN_IN_FORCE = "kind = %s AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > %s)"


def _ban_in_force_params() -> list[Any]:
    return [
        RoomRestriction.Kind.BAN.value,
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]


def member_restriction(*, room: Room, user: Any, kind: str) -> RoomRestriction | None:
    """The member's current mute or ban in the room (not lifted, not expired)."""
    if not getattr(user, "is_authenticated", False):
        return None
    now = timezone.now()
    return (
        RoomRestriction.objects.filter(room=room, user_id=user.pk, kind=kind, lifted_at=None)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )


def member_restriction_kinds(*, room_id: int, user_id: int) -> set[str]:
    """The kinds (``mute``, ``ban``) of restriction in force on a member in a room."""
    return set(
        _in_force(RoomRestriction.objects.filter(room_id=room_id, user_id=user_id)).values_list(
            "kind", flat=True
        )
    )


def room_bans_among(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The ``(room id, user id)`` pairs of ``pairs`` with a ban in force, in
    one query (a batch of gifts checks all its senders at once). In SQL of
    its own (``core.db``): the ORM took a millisecond of CPU per batch to
    build it, a tenth of the batch's own work. "In force" is
    :func:`_in_force`'s rule, written in SQL (not lifted, not expired);
    ``tests/live/test_gift_batcher.py`` holds the two together."""
    if not pairs:
        return set()
    rooms, room_params = db.in_values("room_id", sorted({r for r, _ in pairs}), "bigint")
    users, user_params = db.in_values("user_id", sorted({u for _, u in pairs}), "bigint")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT room_id, user_id FROM {RoomRestriction._meta.db_table} "  # noqa: S608
            f"WHERE {_BAN_IN_FORCE} AND {rooms} AND {users}",
            [*_ban_in_force_params(), *room_params, *user_params],
        )
        bans = cursor.fetchall()
    return {(room_id, user_id) for room_id, user_id in bans} & pairs


def is_banned(user: Any, room: Room) -> bool:
    """True when a ban in force keeps ``user`` out of ``room``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return RoomRestriction.Kind.BAN in member_restriction_kinds(room_id=room.pk, user_id=user.pk)


class Standing(NamedTuple):
    """A member's standing in a room: kept out by a ban in force; may moderate it."""

    banned: bool
    moderator: bool


@functools.cache
def _standing_sql() -> str:
    """The statement of :func:`member_standing`, named from the models' tables."""
    restriction = RoomRestriction._meta.db_table
    moderators = Room.moderators.through._meta.db_table
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
    own = User.user_permissions.through._meta.db_table
    membership = User.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    wanted = " OR ".join(
        ["(ct.app_label = %s AND p.codename = %s)"] * len(SITE_MODERATOR_PERMISSIONS)
    )
    return (
        "SELECT "  # noqa: S608 (table names from the models, values as parameters)
        f"EXISTS (SELECT 1 FROM {restriction} WHERE room_id = %s AND user_id = %s "
        f"AND {_BAN_IN_FORCE}), "
        f"EXISTS (SELECT 1 FROM {moderators} WHERE room_id = %s AND user_id = %s), "
        f"EXISTS (SELECT 1 FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id "
        f"WHERE ({wanted}) AND ("
        f"p.id IN (SELECT permission_id FROM {own} WHERE user_id = %s) "
        f"OR p.id IN (SELECT gp.permission_id FROM {group_permissions} gp "
        f"JOIN {membership} m ON m.group_id = gp.group_id WHERE m.user_id = %s)))"
    )


def member_standing(user: User, room: Room) -> Standing:
    """:func:`is_banned` and :func:`live.permissions.is_room_moderator` for a
    member, in one statement instead of four queries (the ban, the user's
    and their groups' permissions, the room's moderators): what admitting a
    member to the room's websocket asks, a crowd of them at once when a
    worker's viewers reconnect. In SQL of its own: the ORM took longer to
    compile it with three ``Exists`` than the four queries took to run.
    "In force" is :func:`_in_force`'s rule, the permissions are
    ModelBackend's (the only authentication backend configured; superusers
    have them all); ``tests/live/test_permissions.py`` holds it equal to the
    two it stands for, on both databases."""
    wanted = [value for pair in SITE_MODERATOR_PERMISSIONS for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            _standing_sql(),
            [room.pk, user.pk, *_ban_in_force_params(), room.pk, user.pk, *wanted,
             user.pk, user.pk],
        )  # fmt: skip
        banned, room_moderator, permitted = cursor.fetchone()
    moderator = user.is_active and (
        room.host_id == user.pk or user.is_superuser or bool(room_moderator) or bool(permitted)
    )
    return Standing(banned=bool(banned), moderator=moderator)


def room_recent_messages(room: Room, limit: int | None = None) -> list[events.ChatEvent]:
    """The room's last ``limit`` (default ``SPROUT_LIVE_RECENT_MESSAGES``)
    chat events that were not deleted, oldest first."""
    limit = settings.SPROUT_LIVE_RECENT_MESSAGES if limit is None else limit
    if limit <= 0:
        return []
    rows = list(
        ChatMessage.objects.filter(room=room, deleted_at__isnull=True)
        .select_related("user")
        .order_by("-id")[:limit]
    )
    return [chat_event(message) for message in reversed(rows)]


def room_chat_since(room_id: int, *, after_id: int, since: datetime) -> list[events.ChatEvent]:
    """The room's chat events (not deleted) newer than message ``after_id``
    and written at ``since`` or later, oldest first, at most
    ``SPROUT_LIVE_RECENT_MESSAGES``: what a room's hub may have missed while
    its subscription was down (``live.hub.RoomHub`` fills the gap with them;
    clients dedupe by id)."""
    rows = list(
        ChatMessage.objects.filter(
            room_id=room_id, id__gt=after_id, created_at__gte=since, deleted_at__isnull=True
        )
        .select_related("user")
        .order_by("id")[: settings.SPROUT_LIVE_RECENT_MESSAGES]
    )
    return [chat_event(message) for message in rows]
