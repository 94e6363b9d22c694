"""Live rooms: reads for the REST API and the pages.

Every list selector loads what its page shows (hosts joined, moderators
prefetched) so rendering never queries per row. Viewer counts and hearts
are hot state (:mod:`live.state`), read for a whole page at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import User
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor
from kol.selectors import can_see_money
from live import events, permissions, services
from live.errors import NotFound, PermissionDenied
from live.models import ChatMessage, LiveSession, Room, RoomRestriction
from live.state import room_state
from wallet import selectors as wallet_selectors
from wallet.models import GiftSend
from wallet.selectors import TopGifter

logger = logging.getLogger("sprout.live")

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class RoomCounts:
    """A room's hot figures right now (zero while it is not live)."""

    viewers: int = 0
    hearts: int = 0


NO_COUNTS = RoomCounts()


@dataclass
class RoomDetail:
    """One room as its detail shows it: the room (host joined), its figures,
    its moderators, the open session and whether the caller moderates it."""

    room: Room
    counts: RoomCounts
    moderators: list[User] = field(default_factory=list)
    session_id: int | None = None
    can_moderate: bool = False


# --- urls ----------------------------------------------------------------------


def hls_url(room: Room) -> str | None:
    """The public HLS playlist while the room is live (named by its public
    ``stream_name``, never by the key); None otherwise."""
    if room.state != Room.State.LIVE:
        return None
    return f"{str(settings.SPROUT_LIVE_HLS_BASE_URL).rstrip('/')}/{room.stream_name}.m3u8"


# --- hot figures ----------------------------------------------------------------


def live_counts(rooms: Iterable[Room]) -> dict[int, RoomCounts]:
    """Viewers and hearts of the live rooms among ``rooms``, in one read of
    the hot state (other rooms are absent: zero). An unreachable hot state
    shows zeros, logged, rather than failing the page."""
    live_ids = [room.pk for room in rooms if room.state == Room.State.LIVE]
    if not live_ids:
        return {}
    try:
        raw = room_state().live_counts_sync(live_ids)
    except Exception:
        logger.exception("live counters unreadable for rooms %s; showing zeros", live_ids)
        return {}
    return {
        room_id: RoomCounts(viewers=figures["viewers"], hearts=figures["hearts"])
        for room_id, figures in raw.items()
    }


# --- rooms -----------------------------------------------------------------------


def rooms(*, state: str | None = None) -> QuerySet[Room]:
    """Rooms with their hosts, optionally in one state."""
    queryset = Room.objects.select_related("host")
    if state is not None:
        queryset = queryset.filter(state=state)
    return queryset


def _room_cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    after = decode_cursor(cursor, {"r": int, "t": str, "i": int})
    if after is None:
        return None
    return after["r"], cursor_time(after["t"]), after["i"]


def room_page(*, state: str | None = None, cursor: str | None = None, size: int = 20) -> Page:
    """A page of rooms: live ones first, most recently started first, then
    the others, most recently created first (``state`` keeps one state).
    Keyset-paginated on ``(live first, time, id)``."""
    queryset = rooms(state=state).annotate(
        rank=Case(When(state=Room.State.LIVE, then=Value(0)), default=Value(1)),
        sort_time=Case(
            When(state=Room.State.LIVE, then=Coalesce(F("started_at"), F("created_at"))),
            default=F("created_at"),
            output_field=DateTimeField(),
        ),
    )
    after = _room_cursor(cursor)
    if after is not None:
        rank, when, last_id = after
        queryset = queryset.filter(
            Q(rank__gt=rank)
            | Q(rank=rank, sort_time__lt=when)
            | Q(rank=rank, sort_time=when, pk__lt=last_id)
        )
    rows = list(queryset.order_by("rank", "-sort_time", "-pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        last: Any = chosen[-1]
        next_cursor = encode_cursor(
            {"r": int(last.rank), "t": last.sort_time.isoformat(), "i": last.pk}
        )
    return Page(items=chosen, next_cursor=next_cursor)


def room_by_id(room_id: int) -> Room:
    """A room with its host (NotFound)."""
    room = Room.objects.select_related("host").filter(pk=room_id).first()
    if room is None:
        raise NotFound("No such room.")
    return room


def room_moderators(room: Room) -> list[User]:
    """The room's moderators (not counting the host), by username."""
    return list(room.moderators.order_by("username"))


def open_session_id(room: Room) -> int | None:
    """The id of the room's running broadcast, if any."""
    return (
        LiveSession.objects.filter(room=room, ended_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


def room_detail(*, room_id: int, viewer: Any) -> RoomDetail:
    """The room someone looks at: NotFound when it does not exist, Banned
    when a moderator banned this member from it (as the websocket does)."""
    room = services.room_for_viewer(room_id=room_id, user=viewer)
    moderators = room_moderators(room)
    authenticated = getattr(viewer, "is_authenticated", False)
    can_moderate = bool(
        authenticated
        and viewer.is_active
        and (
            viewer.pk == room.host_id
            or any(m.pk == viewer.pk for m in moderators)
            or permissions.is_site_moderator(viewer)
        )
    )
    return RoomDetail(
        room=room,
        counts=live_counts([room]).get(room.pk, NO_COUNTS),
        moderators=moderators,
        session_id=open_session_id(room) if room.state == Room.State.LIVE else None,
        can_moderate=can_moderate,
    )


# --- moderation -----------------------------------------------------------------


def active_restrictions(room: Room) -> QuerySet[RoomRestriction]:
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


# --- gifts -----------------------------------------------------------------------
# The wallet keeps every gift send with the ids of its room and session; these
# are the room's and the session's views of them.

#: How many gifters a room's leaderboard shows.
LEADERBOARD_SIZE = 10


def session_gift_tally(session_id: int) -> dict[str, int]:
    """What a live session brought in gifts: ``{gifts, coins, unique_payers}``."""
    return wallet_selectors.gift_tally(GiftSend.objects.filter(session_id=session_id))


def session_gift_earnings(session_id: int) -> int:
    """The coins a live session credited to its host's earnings (after the
    platform's share)."""
    return wallet_selectors.gift_earnings(GiftSend.objects.filter(session_id=session_id))


def session_top_gifters(session_id: int, limit: int = LEADERBOARD_SIZE) -> list[TopGifter]:
    """The top gifters of one live session (what the room's ``leaderboard``
    frame shows)."""
    return wallet_selectors.gift_top_senders(GiftSend.objects.filter(session_id=session_id), limit)


def room_gift_tally(room_id: int) -> dict[str, int]:
    """All the gifts a room ever received: ``{gifts, coins, unique_payers}``."""
    return wallet_selectors.gift_tally(GiftSend.objects.filter(room_id=room_id))


def room_top_gifters(room_id: int, limit: int = LEADERBOARD_SIZE) -> list[TopGifter]:
    """The room's top gifters of all time (by coins)."""
    return wallet_selectors.gift_top_senders(GiftSend.objects.filter(room_id=room_id), limit)


def room_leaderboard(room_id: int) -> dict[str, Any]:
    """``{session_id, top}``: the top gifters of the room's open session, or
    of its last one when it is not live (``session_id`` None: never live),
    as the room page shows them on load (``leaderboard`` events keep them
    current). NotFound for an unknown room."""
    if not 0 < room_id <= MAX_ID or not Room.objects.filter(pk=room_id).exists():
        raise NotFound("This room does not exist.")
    session_id = (
        LiveSession.objects.filter(room_id=room_id)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    top = [] if session_id is None else session_top_gifters(session_id)
    return {"session_id": session_id, "top": events.leaderboard_lines(top)}


def session_cash(session: LiveSession) -> dict[str, Any]:
    """The session report's gift takings (a section of
    ``live.extensions.session_report_sections``): ``cash {gifts, coins,
    unique_payers, earnings}``: gift items received, coins the senders paid,
    how many members paid, and the coins credited to the host's earnings
    (after the platform's share). Two queries."""
    return {
        "cash": {
            **session_gift_tally(session.pk),
            "earnings": session_gift_earnings(session.pk),
        }
    }


# --- reports ---------------------------------------------------------------------


def can_see_cash(user: Any, session: LiveSession) -> bool:
    """A report's *cash* is the host's money (``kol.selectors.can_see_money``:
    the host, their agency's managers, staff who see the whole pool)."""
    return can_see_money(user, creator_user_id=session.room.host_id)


def session_report_for(*, session_id: int, viewer: Any) -> dict[str, Any]:
    """A broadcast's traffic report (:func:`live.services.session_report`)
    for someone allowed to see it: NotFound for an unknown session,
    PermissionDenied for everyone but those who may see its cash
    (:func:`can_see_cash`) and the room's and the site's moderators, who get
    its traffic with ``cash: null`` unless they may see the money too."""
    session = LiveSession.objects.select_related("room__host").filter(pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    cash_visible = can_see_cash(viewer, session)
    if not (cash_visible or permissions.is_room_moderator(viewer, session.room)):
        raise PermissionDenied(
            "Only the host, their agency and the room's moderators see its reports."
        )
    report = services.session_report(session)
    if not cash_visible:
        report["cash"] = None
    return report
