"""Chat in live rooms and its moderation: writes.

Sending a message (:func:`message_send`) is async: it is called by the room's
websocket consumer for every chat frame, and its hot checks (rate limit, slow
mode) live in :mod:`live.state`; the database work runs in one thread hop
before and one after them. Moderation (mute, ban, delete) is sync: it is
called from HTTP views and the admin, and tells the room on commit through
:mod:`live.events`. The text rules (cleaning, the keyword filter, the rate)
are :mod:`live.chat`; reads are :mod:`live.selectors.chat`.

Who moderates a room: its host, its room moderators (``Room.moderators``) and
site moderators (``live.moderate_room``, or community moderators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from community.errors import SelfAction
from community.models import User
from live import events
from live.chat import (
    BLOCKED_WORD_MESSAGE,
    CLOSE_BANNED,
    MAX_REASON_LENGTH,
    chat_event,
    chat_rate,
    clean_text,
    contains_blocked_word,
)
from live.errors import (
    Banned,
    Muted,
    NotFound,
    PermissionDenied,
    RateLimited,
    RoomNotLive,
    SlowMode,
    TooLong,
    ValidationFailed,
)
from live.models import ChatMessage, LiveSession, Room, RoomRestriction
from live.permissions import check_can_moderate, is_room_moderator, is_site_moderator
from live.selectors.chat import member_restriction_kinds
from live.state import room_state


def _check_target(*, actor: User, room: Room, user: User) -> None:
    if user.pk == actor.pk:
        raise SelfAction()
    if user.pk == room.host_id:
        raise PermissionDenied("The host cannot be muted or banned in their own room.")
    if is_site_moderator(user):
        raise PermissionDenied("Site moderators cannot be muted or banned.")
    actor_outranks = actor.pk == room.host_id or is_site_moderator(actor)
    if not actor_outranks and room.moderators.filter(pk=user.pk).exists():
        raise PermissionDenied("Only the host can mute or ban a room moderator.")


def _restrict(
    *,
    actor: Any,
    room: Room,
    user: User,
    kind: str,
    reason: str,
    minutes: int | None,
) -> RoomRestriction:
    actor = check_can_moderate(actor=actor, room=room)
    _check_target(actor=actor, room=room, user=user)
    if minutes is not None and minutes <= 0:
        raise ValidationFailed(
            "The duration must be a positive number of minutes.", fields={"minutes": "positive"}
        )
    now = timezone.now()
    expires_at = now + timedelta(minutes=minutes) if minutes is not None else None
    try:
        with transaction.atomic():
            # A new restriction replaces the one in force (or an expired one
            # never lifted, which would still hold the unique constraint).
            RoomRestriction.objects.filter(
                room=room, user=user, kind=kind, lifted_at__isnull=True
            ).update(lifted_at=now)
            restriction = RoomRestriction.objects.create(
                room=room,
                user=user,
                kind=kind,
                reason=reason.strip()[:MAX_REASON_LENGTH],
                created_by=actor,
                expires_at=expires_at,
            )
    except IntegrityError:
        # A concurrent moderator restricted the same member a moment earlier.
        existing = RoomRestriction.objects.filter(
            room=room, user=user, kind=kind, lifted_at__isnull=True
        ).first()
        if existing is None:
            raise
        return existing
    action: events.ModerationAction = "banned" if kind == RoomRestriction.Kind.BAN else "muted"
    event = events.moderation(action, events.user_brief(user))
    room_id, user_id = room.pk, user.pk
    events.room_event_send_on_commit(room_id, event)
    if kind == RoomRestriction.Kind.BAN:
        events.room_member_disconnect_on_commit(room_id, user_id, CLOSE_BANNED)
    return restriction


def member_mute(
    *, actor: Any, room: Room, user: User, reason: str = "", minutes: int | None = None
) -> RoomRestriction:
    """Stop ``user`` chatting in ``room`` (they may still watch), for
    ``minutes`` or until unmuted. Tells the room (``moderation`` ``muted``)."""
    return _restrict(
        actor=actor,
        room=room,
        user=user,
        kind=RoomRestriction.Kind.MUTE,
        reason=reason,
        minutes=minutes,
    )


def member_ban(
    *, actor: Any, room: Room, user: User, reason: str = "", minutes: int | None = None
) -> RoomRestriction:
    """Keep ``user`` out of ``room``, for ``minutes`` or until unbanned: their
    open connections to the room are closed (code 4003) in every process and
    new ones are refused. Tells the room (``moderation`` ``banned``)."""
    return _restrict(
        actor=actor,
        room=room,
        user=user,
        kind=RoomRestriction.Kind.BAN,
        reason=reason,
        minutes=minutes,
    )


def _lift(*, actor: Any, room: Room, user: User, kind: str) -> bool:
    check_can_moderate(actor=actor, room=room)
    lifted = RoomRestriction.objects.filter(
        room=room, user=user, kind=kind, lifted_at__isnull=True
    ).update(lifted_at=timezone.now())
    return lifted > 0


def member_unmute(*, actor: Any, room: Room, user: User) -> bool:
    """Lift a mute; False when there was none."""
    return _lift(actor=actor, room=room, user=user, kind=RoomRestriction.Kind.MUTE)


def member_unban(*, actor: Any, room: Room, user: User) -> bool:
    """Lift a ban; False when there was none."""
    return _lift(actor=actor, room=room, user=user, kind=RoomRestriction.Kind.BAN)


def message_delete(*, actor: Any, message: ChatMessage) -> ChatMessage:
    """Hide a chat message (kept, marked deleted, for the record) and tell the
    room (``moderation`` ``message_deleted`` with the message id). Deleting a
    deleted message changes nothing."""
    actor = check_can_moderate(actor=actor, room=message.room)
    if message.deleted_at is not None:
        return message
    message.deleted_at = timezone.now()
    message.deleted_by = actor
    message.save(update_fields=["deleted_at", "deleted_by"])
    events.room_event_send_on_commit(
        message.room_id, events.moderation("message_deleted", message.pk)
    )
    return message


@dataclass(frozen=True)
class _ChatContext:
    state: str
    slow_mode_seconds: int
    blocked_words: tuple[str, ...]
    session_id: int | None
    restrictions: frozenset[str]
    moderator: bool


def _chat_context(room_id: int, user: User) -> _ChatContext:
    """Everything the checks need from the database, read fresh (a room ends,
    a mute starts while the sender is connected)."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise NotFound("This room does not exist.")
    session_id = (
        LiveSession.objects.filter(room_id=room_id, ended_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    room_words = room.blocked_words if isinstance(room.blocked_words, list) else []
    return _ChatContext(
        state=room.state,
        slow_mode_seconds=room.slow_mode_seconds,
        blocked_words=tuple(str(word) for word in room_words),
        session_id=session_id,
        restrictions=frozenset(member_restriction_kinds(room_id=room_id, user_id=user.pk)),
        moderator=is_room_moderator(user, room),
    )


def _store_message(room_id: int, session_id: int | None, user: User, text: str) -> ChatMessage:
    message = ChatMessage.objects.create(
        room_id=room_id, session_id=session_id, user=user, text=text
    )
    message.user = user
    return message


async def message_send(*, room: Room, user: User, text: str, nonce: str | None) -> events.ChatEvent:
    """Post ``text`` to ``room``'s chat as ``user`` and tell the room.

    Checks, in order: the room is live (RoomNotLive), the member is not banned
    (Banned) or muted (Muted), the text is 1..``SPROUT_LIVE_CHAT_MAX_LENGTH``
    characters once cleaned (ValidationFailed / TooLong), the member's rate
    ``SPROUT_LIVE_CHAT_RATE`` (RateLimited), the keyword filter
    (``SPROUT_LIVE_BLOCKED_WORDS`` and the room's own list: ValidationFailed),
    slow mode (SlowMode; room moderators are exempt). The message is kept
    (with the open session) and its ``chat`` event, carrying the sender's
    ``nonce``, is published to everyone in the room and returned.
    """
    context = await database_sync_to_async(_chat_context)(room.pk, user)
    if context.state != Room.State.LIVE:
        raise RoomNotLive()
    if RoomRestriction.Kind.BAN in context.restrictions:
        raise Banned()
    if RoomRestriction.Kind.MUTE in context.restrictions:
        raise Muted()
    cleaned = clean_text(text)
    if not cleaned:
        raise ValidationFailed("Write something before sending.", fields={"text": "required"})
    max_length = int(settings.SPROUT_LIVE_CHAT_MAX_LENGTH)
    if len(cleaned) > max_length:
        raise TooLong(f"Chat messages are at most {max_length} characters.")
    state = room_state()
    limit, window = chat_rate()
    if await state.hit_rate_limit(f"chat:{user.pk}", limit, window):
        raise RateLimited()
    words = (*settings.SPROUT_LIVE_BLOCKED_WORDS, *context.blocked_words)
    if contains_blocked_word(cleaned, words):
        raise ValidationFailed(BLOCKED_WORD_MESSAGE, fields={"text": "blocked_word"})
    if not context.moderator and not await state.claim_slow_mode(
        room.pk, user.pk, context.slow_mode_seconds
    ):
        raise SlowMode(f"Slow mode is on: one message every {context.slow_mode_seconds} seconds.")
    message = await database_sync_to_async(_store_message)(
        room.pk, context.session_id, user, cleaned
    )
    event = chat_event(message, nonce=nonce)
    await state.count_message(room.pk)
    await events.room_event_send(room.pk, event)  # stored: committed, autocommit
    return event
