"""Live rooms: reads of rooms for the REST API and the pages.

Every list selector loads what its page shows (hosts joined, moderators
prefetched) so rendering never queries per row. Viewer counts and hearts
are hot state (:mod:`live.state`), read for a whole page at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Case,
    DateTimeField,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch
from django.utils import timezone

from community.models import User
from community.selectors.graph import viewer_graph
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor
from live import abr, permissions
from live.errors import Banned, NotFound
from live.models import LiveSession, Room, RoomRestriction
from live.selectors.chat import member_restriction
from live.selectors.reports import RoomTotals, room_final_totals
from live.state import room_state

logger = logging.getLogger("sprout.live")


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
    #: Whether the viewer follows the host (False for visitors and the host).
    follows_host: bool = False
    #: An ended room's last broadcast, in its report's figures.
    final: RoomTotals | None = None


# --- urls ----------------------------------------------------------------------


def room_url(room: Room) -> str:
    """The room page, for notifications and the ingest log."""
    try:
        return room.get_absolute_url()
    except NoReverseMatch:  # the pages are not mounted (an API-only deployment)
        return f"/live/{room.pk}/"


def room_playlist_url(room: Room, *, renditions: list[str]) -> str:
    """Where a broadcast of the room with these ``renditions`` is played
    from (named by the public ``stream_name``, never by the key): with ABR
    (renditions), the master playlist nginx-rtmp's ``hls_variant`` writes
    in its ``abr`` folder; without, the source's own playlist."""
    base = str(settings.SPROUT_LIVE_HLS_BASE_URL).rstrip("/")
    if renditions:
        return f"{base}/{abr.APPLICATION}/{room.stream_name}.m3u8"
    return f"{base}/{room.stream_name}.m3u8"


#: The annotation :func:`room_list` gives each room: its running session's
#: renditions (None when no session runs).
LIVE_RENDITIONS = "live_renditions"
_UNLOADED = object()


def _open_session_renditions() -> Subquery:
    return Subquery(
        LiveSession.objects.filter(room=OuterRef("pk"), ended_at__isnull=True).values("renditions")[
            :1
        ],
        output_field=JSONField(),
    )


def room_hls_url(room: Room) -> str | None:
    """The public HLS playlist while the room is live, as its running
    session was started (ABR's master playlist when it has renditions:
    ``LiveSession.renditions``); None otherwise. Rooms from
    :func:`room_list` carry the renditions; any other costs one query."""
    if room.state != Room.State.LIVE:
        return None
    renditions: Any = getattr(room, LIVE_RENDITIONS, _UNLOADED)
    if renditions is _UNLOADED:
        renditions = (
            LiveSession.objects.filter(room=room, ended_at__isnull=True)
            .values_list("renditions", flat=True)
            .first()
        )
    return room_playlist_url(room, renditions=list(renditions or []))


def room_upcoming_playlist_url(room: Room) -> str:
    """Where the room will play from: its live playlist while live,
    otherwise where a broadcast starting now would be (ABR as configured
    now: ``live.abr``), so a page can start playing the moment the room
    goes live without asking again."""
    live = room_hls_url(room)
    if live is not None:
        return live
    try:
        renditions = abr.live_rendition_names()
    except ImproperlyConfigured:
        logger.exception("SPROUT_LIVE_ABR settings are wrong: the page assumes no ABR")
        renditions = []
    return room_playlist_url(room, renditions=renditions)


# --- hot figures ----------------------------------------------------------------


def room_counts(rooms: Iterable[Room]) -> dict[int, RoomCounts]:
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


def room_list(*, state: str | None = None) -> QuerySet[Room]:
    """Rooms with their hosts, optionally in one state, each with its
    running session's renditions (for :func:`room_hls_url`)."""
    queryset = Room.objects.select_related("host").annotate(
        **{LIVE_RENDITIONS: _open_session_renditions()}
    )
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
    queryset = room_list(state=state).annotate(
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


def room_for_viewer(*, room_id: int, user: User | AnonymousUser | None = None) -> Room:
    """The room someone wants to watch, with its host: NotFound when it does
    not exist, Banned when a moderator banned this member from it."""
    room = Room.objects.select_related("host").filter(pk=room_id).first()
    if room is None:
        raise NotFound("No such room.")
    if user is not None and member_restriction(room=room, user=user, kind=RoomRestriction.Kind.BAN):
        raise Banned()
    return room


def room_moderators(room: Room) -> list[User]:
    """The room's moderators (not counting the host), by username."""
    return list(room.moderators.order_by("username"))


def room_open_session_id(room: Room) -> int | None:
    """The id of the room's running broadcast, if any."""
    return (
        LiveSession.objects.filter(room=room, ended_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


def room_detail(*, room_id: int, viewer: Any, for_page: bool = False) -> RoomDetail:
    """The room someone looks at: NotFound when it does not exist, Banned
    when a moderator banned this member from it (as the websocket does);
    with ``for_page``, what the room page shows besides: whether the viewer
    follows the host, and an ended room's final figures
    (:func:`live.selectors.reports.room_final_totals`)."""
    room = room_for_viewer(room_id=room_id, user=viewer)
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
        counts=room_counts([room]).get(room.pk, NO_COUNTS),
        moderators=moderators,
        session_id=room_open_session_id(room) if room.state == Room.State.LIVE else None,
        can_moderate=can_moderate,
        follows_host=bool(
            for_page and authenticated and room.host_id in viewer_graph(viewer).followed_users
        ),
        final=room_final_totals(room) if for_page else None,
    )


def rooms_stale(*, older_than_seconds: int) -> QuerySet[Room]:
    """Live rooms whose publisher was last heard of before the cutoff."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return Room.objects.filter(state=Room.State.LIVE).filter(
        Q(last_seen_at__lt=cutoff)
        | Q(last_seen_at__isnull=True, started_at__lt=cutoff)
        | Q(last_seen_at__isnull=True, started_at__isnull=True)
    )
