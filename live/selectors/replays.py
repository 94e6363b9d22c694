"""Replays: who may watch one, what a player needs, a broadcast's timeline
(the room's events, replayed in sync with the video) and the lists of
sessions and replays.

The timeline's items are the room's websocket events exactly as
``live.events`` built them live (``chat``, ``gift``, ``hearts``, and from
the apps above through ``live.extensions.timeline_sources`` the shop's
``product_pinned`` / ``product_unpinned``), each with ``offset_ms``: whole
milliseconds from the session's start. A player at video time ``t`` seconds
shows the items up to ``t * 1000 + replay.start_offset_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from django.core.files.storage import storages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from community.models import User
from core.pagination import decode_cursor, encode_cursor
from live import events
from live.chat import chat_event
from live.errors import NotFound, ReplayUnavailable, TimelineWindowInvalid
from live.extensions import TimelineEntry, TimelineKey, TimelineQuery, timeline_sources
from live.models import ChatMessage, HeartsMark, LiveSession, Replay, Room, RoomRestriction
from live.permissions import is_site_moderator
from live.selectors.gifts import gift_event
from wallet.models import GiftSend

#: The longest window one timeline request reads (a player asks for the next
#: window as it plays, and for the one it seeks to).
TIMELINE_MAX_WINDOW_MS = 10 * 60 * 1000
#: Offsets are stored in PositiveIntegerField: no window reaches past this.
TIMELINE_MAX_MS = 2**31 - 1

#: Replay states whose files exist or are being made: what the host and the
#: moderators may look at (deleted and expired replays have no files left).
_KEPT_STATES = (
    Replay.State.RECORDING,
    Replay.State.PROCESSING,
    Replay.State.READY,
    Replay.State.FAILED,
)


# --- who may watch --------------------------------------------------------------------


def _room_moderator_ids(room: Room) -> set[int]:
    """The room's moderators' ids, read once per room object."""
    ids: set[int] | None = getattr(room, "_replay_moderator_ids", None)
    if ids is None:
        ids = set(room.moderators.values_list("pk", flat=True))
        room._replay_moderator_ids = ids  # type: ignore[attr-defined]
    return ids


def replay_manages(user: Any, replay: Replay) -> bool:
    """True when ``user`` may see ``replay`` whatever members may (unpublished,
    hidden, not ready): the session's host, the room's moderators and the
    site's moderators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    room = replay.session.room
    if room.host_id == user.pk or is_site_moderator(user):
        return True
    return user.pk in _room_moderator_ids(room)


def _banned(user: Any, room: Room) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    now = timezone.now()
    return (
        RoomRestriction.objects.filter(
            room=room, user_id=user.pk, kind=RoomRestriction.Kind.BAN, lifted_at__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exists()
    )


def replay_visible_to(user: Any, replay: Replay | None) -> bool:
    """May ``user`` watch ``replay`` (and read its timeline): any visitor
    when it is watchable (ready, published, not hidden), except members
    banned from the room; its host, the room's moderators and the site's
    moderators also while it is unpublished, hidden or still being made.
    Nobody once it is deleted or expired."""
    if replay is None or replay.state not in _KEPT_STATES:
        return False
    if replay_manages(user, replay):
        return True
    return replay.watchable and not _banned(user, replay.session.room)


def replay_check_visible(user: Any, session: LiveSession) -> Replay:
    """The session's replay when ``user`` may watch it; ``replay_unavailable``
    (404, as if there were none: an unpublished replay's existence is not
    told) otherwise."""
    replay = session_replay(session)
    if replay is None or not replay_visible_to(user, replay):
        raise ReplayUnavailable()
    return replay


def replay_for_manager(user: Any, session: LiveSession) -> Replay:
    """The session's replay for one of its host's or moderators' actions
    (deleted and expired ones too: the action says ``replay_gone``); to
    anyone else who may watch it as well (the action then refuses them:
    ``permission_denied``); ``replay_unavailable`` for the others, as if
    there were none."""
    replay = session_replay(session)
    if replay is None or not (replay_manages(user, replay) or replay_visible_to(user, replay)):
        raise ReplayUnavailable()
    return replay


def session_replay(session: LiveSession) -> Replay | None:
    """The session's replay, or None (sessions before replays existed)."""
    try:
        return session.replay
    except Replay.DoesNotExist:
        return None


class ReplayBrief(TypedDict):
    hls_url: str
    duration_s: float
    poster_url: str | None
    preview_url: str | None


def _url(name: str) -> str | None:
    return storages["replays"].url(name) if name else None


def replay_brief(replay: Replay | None) -> ReplayBrief | None:
    """What a player needs: ``{"hls_url", "duration_s", "poster_url",
    "preview_url"}`` (URLs from the replays storage), or None until the
    replay is ready."""
    if replay is None or replay.state != Replay.State.READY or not replay.playlist:
        return None
    hls_url = _url(replay.playlist)
    assert hls_url is not None
    return {
        "hls_url": hls_url,
        "duration_s": round((replay.duration_ms or 0) / 1000, 3),
        "poster_url": _url(replay.poster),
        "preview_url": _url(replay.preview),
    }


@dataclass(frozen=True)
class ReplayNotice:
    """What the host and the moderators are told of a replay members cannot
    watch (the replay page's banner): its state, and why when hidden."""

    state: str
    published: bool
    hidden: bool
    hidden_reason: str


def replay_notice(user: Any, replay: Replay | None) -> ReplayNotice | None:
    """For those who manage it (:func:`replay_manages`), a replay that is not
    watchable by members; None for everyone else and for watchable ones."""
    if replay is None or replay.watchable or not replay_manages(user, replay):
        return None
    return ReplayNotice(
        state=replay.state,
        published=replay.published,
        hidden=replay.hidden_at is not None,
        hidden_reason=replay.hidden_reason,
    )


def session_replays_for(viewer: Any, sessions: list[LiveSession]) -> dict[int, ReplayBrief | None]:
    """``{session id: replay brief or None}`` for a page of sessions (their
    room and replay loaded), as :func:`replay_visible_to` and
    :func:`replay_brief` say, in at most two queries whatever the page's
    size (the viewer's moderated rooms and bans among them)."""
    ready: list[tuple[LiveSession, Replay]] = []
    for session in sessions:
        replay = session_replay(session)
        if replay is not None and replay_brief(replay) is not None:
            ready.append((session, replay))
    room_ids = {s.room_id for s, _ in ready}
    managed: set[int] = set()
    banned: set[int] = set()
    if room_ids and getattr(viewer, "is_authenticated", False) and viewer.is_active:
        if is_site_moderator(viewer):
            managed = set(room_ids)
        else:
            managed = set(
                Room.objects.filter(pk__in=room_ids)
                .filter(Q(host_id=viewer.pk) | Q(moderators__pk=viewer.pk))
                .values_list("pk", flat=True)
            )
            now = timezone.now()
            banned = set(
                RoomRestriction.objects.filter(
                    room_id__in=room_ids - managed,
                    user_id=viewer.pk,
                    kind=RoomRestriction.Kind.BAN,
                    lifted_at__isnull=True,
                )
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .values_list("room_id", flat=True)
            )
    briefs: dict[int, ReplayBrief | None] = dict.fromkeys(s.pk for s in sessions)
    for session, replay in ready:
        if session.room_id in managed or (replay.watchable and session.room_id not in banned):
            briefs[session.pk] = replay_brief(replay)
    return briefs


# --- sessions and replays ------------------------------------------------------------


def _sessions() -> QuerySet[LiveSession]:
    return LiveSession.objects.select_related("room__host", "replay")


def session_by_id(session_id: int) -> LiveSession:
    """A session with its room, host and replay (NotFound)."""
    session = _sessions().filter(pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return session


def room_sessions(room: Room) -> QuerySet[LiveSession]:
    """The room's broadcasts, newest first, with room, host and replay (one
    query for a page: page with ``core.pagination.keyset``, by id)."""
    return _sessions().filter(room=room).order_by("-pk")


def replays_recent(*, host: User | None = None, limit: int = 12) -> list[Replay]:
    """Replays members may watch (ready, published, not hidden), newest
    broadcast first, with session, room and host (one query); only
    ``host``'s when given."""
    replays = Replay.objects.filter(
        state=Replay.State.READY, published=True, hidden_at__isnull=True
    ).select_related("session__room__host")
    if host is not None:
        replays = replays.filter(session__room__host=host)
    return list(replays.order_by("-session__started_at", "-pk")[: max(limit, 0)])


# --- the timeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    """A page of a broadcast's timeline: ``items`` are events with
    ``offset_ms``; ``next_cursor`` continues the same window."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    from_ms: int
    to_ms: int
    duration_ms: int


def session_duration_ms(session: LiveSession) -> int:
    """How long the broadcast lasted (so far, while it runs), in ms."""
    end = session.ended_at or timezone.now()
    return max(0, (end - session.started_at) // timedelta(milliseconds=1))


def timeline_window(
    *, session: LiveSession, from_ms: int | None, to_ms: int | None
) -> tuple[int, int]:
    """The window ``[from_ms, to_ms)`` a request reads: ``from_ms`` defaults to
    0, ``to_ms`` to the end of the broadcast, at most
    ``TIMELINE_MAX_WINDOW_MS`` after ``from_ms``. Refused: ``to_ms`` before
    ``from_ms`` (``window_reversed``), a window longer than the most
    (``window_too_long``)."""
    start = 0 if from_ms is None else from_ms
    if to_ms is None:
        end = min(max(session_duration_ms(session), start), start + TIMELINE_MAX_WINDOW_MS)
    else:
        end = to_ms
    if end < start:
        raise TimelineWindowInvalid(
            "to_ms must not be before from_ms.",
            code="window_reversed",
            fields={"to_ms": ["Must be at least from_ms."]},
        )
    if end - start > TIMELINE_MAX_WINDOW_MS:
        raise TimelineWindowInvalid(
            f"A window is at most {TIMELINE_MAX_WINDOW_MS} ms.",
            code="window_too_long",
            fields={"to_ms": [f"At most from_ms + {TIMELINE_MAX_WINDOW_MS}."]},
        )
    return start, min(end, TIMELINE_MAX_MS)


# Each source reads its rows in time order, then id: within one millisecond
# that is the timeline's (id) order as long as ids grow with time, which
# rows stamped at insertion do.


def _chat_entries(query: TimelineQuery) -> list[TimelineEntry]:
    # Moderation holds in the replay: deleted messages never show, nor the
    # lines of members banned from the room now or of closed accounts.
    banned_now = RoomRestriction.objects.filter(
        room_id=OuterRef("room_id"), user_id=OuterRef("user_id"), kind=RoomRestriction.Kind.BAN
    ).filter(
        Q(lifted_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    )
    rows = (
        ChatMessage.objects.filter(
            session_id=query.session_id, deleted_at__isnull=True, user__is_active=True
        )
        .filter(query.window("created_at", "chat"))
        .exclude(Exists(banned_now))
        .select_related("user")
        .order_by("created_at", "pk")[: query.limit + 1]
    )
    return [
        TimelineEntry(TimelineKey(query.offset_of(m.created_at), "chat", m.pk), chat_event(m))
        for m in rows
    ]


def _gift_entries(query: TimelineQuery) -> list[TimelineEntry]:
    rows = (
        GiftSend.objects.filter(session_id=query.session_id)
        .filter(query.window("created_at", "gift"))
        .select_related("sender", "gift")
        .order_by("created_at", "pk")[: query.limit + 1]
    )
    return [
        TimelineEntry(
            TimelineKey(query.offset_of(send.created_at), "gift", send.pk),
            gift_event(send),
        )
        for send in rows
    ]


def _hearts_entries(query: TimelineQuery) -> list[TimelineEntry]:
    rows = (
        HeartsMark.objects.filter(session_id=query.session_id)
        .filter(query.offset_window("hearts"))
        .order_by("offset_ms", "pk")[: query.limit + 1]
    )
    return [
        TimelineEntry(TimelineKey(mark.offset_ms, "hearts", mark.pk), events.hearts(mark.total))
        for mark in rows
    ]


_LIVE_SOURCES = (_chat_entries, _gift_entries, _hearts_entries)
#: A cursor is the key of the last item served.
_TIMELINE_CURSOR: dict[str, type | tuple[type, ...]] = {"o": int, "k": str, "i": int}


def _cursor_key(cursor: str | None) -> TimelineKey | None:
    values = decode_cursor(cursor, _TIMELINE_CURSOR)
    if values is None:
        return None
    return TimelineKey(values["o"], values["k"], values["i"])


def session_timeline(
    *,
    session: LiveSession,
    from_ms: int | None = None,
    to_ms: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> TimelinePage:
    """A page of the broadcast's timeline: the room's events of the window
    ``[from_ms, to_ms)`` (:func:`timeline_window`) after ``cursor``, ordered by
    ``(offset_ms, kind, id)``, at most ``limit``; each is the event the room
    got, plus ``offset_ms``. A fixed number of queries whatever the page's
    size: one per source (chat, gifts, hearts, each app's)."""
    start, end = timeline_window(session=session, from_ms=from_ms, to_ms=to_ms)
    query = TimelineQuery(
        session_id=session.pk,
        started_at=session.started_at,
        from_ms=start,
        to_ms=end,
        after=_cursor_key(cursor),
        limit=max(limit, 1),
    )
    entries: list[TimelineEntry] = []
    for source in (*_LIVE_SOURCES, *timeline_sources):
        entries.extend(source(query))
    entries.sort(key=lambda entry: entry.key)
    chosen = entries[: query.limit]
    next_cursor = None
    if len(entries) > query.limit:
        last = chosen[-1].key
        next_cursor = encode_cursor({"o": last.offset_ms, "k": last.kind, "i": last.id})
    return TimelinePage(
        items=[{**entry.event, "offset_ms": entry.key.offset_ms} for entry in chosen],
        next_cursor=next_cursor,
        from_ms=start,
        to_ms=end,
        duration_ms=session_duration_ms(session),
    )
