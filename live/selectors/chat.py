"""Live rooms: reads of chat and its moderation (mutes, bans, messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import db
from live import events
from live.chat import chat_event
from live.errors import NotFound
from live.models import ChatMessage, Room, RoomRestriction

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
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT room_id, user_id FROM {RoomRestriction._meta.db_table} "  # noqa: S608
            "WHERE kind = %s AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > %s) "
            f"AND {rooms} AND {users}",
            [RoomRestriction.Kind.BAN.value, now, *room_params, *user_params],
        )
        bans = cursor.fetchall()
    return {(room_id, user_id) for room_id, user_id in bans} & pairs


def is_banned(user: Any, room: Room) -> bool:
    """True when a ban in force keeps ``user`` out of ``room``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return RoomRestriction.Kind.BAN in member_restriction_kinds(room_id=room.pk, user_id=user.pk)


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
