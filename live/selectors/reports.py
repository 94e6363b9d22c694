"""Live rooms: what a broadcast brought (its traffic report, the cash its
viewers may or may not see) and how hosts performed (for screening)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Sum
from django.utils import timezone

from community.models import Follow
from kol.models import CreatorProfile
from kol.selectors import can_see_money
from live import permissions
from live.errors import NotFound, PermissionDenied
from live.extensions import session_report_sections
from live.models import LiveSession, Replay, Room
from live.state import room_state

logger = logging.getLogger("sprout.live")

#: How far back ``live_performance`` looks.
PERFORMANCE_DAYS = 90
NEUTRAL = 0.5
TRAFFIC_FIELDS = (
    "peak_viewers",
    "unique_viewers",
    "watch_seconds",
    "chat_messages",
    "hearts",
    "dropped_connections",
)


def room_traffic_counters(room_id: int) -> dict[str, int]:
    """The room's hot traffic counters so far (zeros, logged, when the hot
    state is unreachable)."""
    try:
        return room_state().snapshot(room_id)
    except Exception:
        # The room must still end when the hot state is unreachable; its
        # report then lacks the counters (logged loudly).
        logger.exception("live counters of room %s are unreadable; ending without them", room_id)
        return dict.fromkeys(TRAFFIC_FIELDS, 0)


def can_see_cash(user: Any, session: LiveSession) -> bool:
    """A report's *cash* is the host's money (``kol.selectors.can_see_money``:
    the host, their agency's managers, staff who see the whole pool)."""
    return can_see_money(user, creator_user_id=session.room.host_id)


def session_report_for(*, session_id: int, viewer: Any) -> dict[str, Any]:
    """A broadcast's traffic report (:func:`session_report`)
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
    report = session_report(session)
    if not cash_visible:
        report["cash"] = None
    return report


def session_report(session: LiveSession) -> dict[str, Any]:
    """What a broadcast brought: traffic (peak and unique viewers, watch time,
    chat messages, hearts, new followers, dropped viewers), its replay's
    traffic apart (``replay``: :func:`session_replay_traffic`) and ``cash``, its
    takings: zero here, filled by the sections of
    ``live.extensions.session_report_sections`` (each ``(session) -> dict``
    merged into the report one level deep: live's gifts, the shop's sales).
    A running session reports its live counters so far."""
    running = session.ended_at is None
    if running:
        counters = room_traffic_counters(session.room_id)
        end = timezone.now()
        new_followers = Follow.objects.filter(
            followee_id=session.room.host_id, created_at__gte=session.started_at
        ).count()
    else:
        counters = {name: getattr(session, name) for name in TRAFFIC_FIELDS}
        end = session.ended_at or session.started_at
        new_followers = session.new_followers
    unique = counters["unique_viewers"]
    report: dict[str, Any] = {
        "session_id": session.pk,
        "room_id": session.room_id,
        "title": session.room.title,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "running": running,
        "duration_seconds": max(0, int((end - session.started_at).total_seconds())),
        "traffic": {
            **counters,
            "average_watch_seconds": counters["watch_seconds"] // unique if unique else 0,
            "new_followers": new_followers,
        },
        "cash": {"gifts": 0, "coins": 0, "earnings": 0},
        "replay": session_replay_traffic(session),
    }
    for section in session_report_sections:
        for key, value in dict(section(session) or {}).items():
            if isinstance(value, dict) and isinstance(report.get(key), dict):
                report[key] = {**report[key], **value}
            else:
                report[key] = value
    return report


def session_replay_traffic(session: LiveSession) -> dict[str, Any] | None:
    """What the broadcast's replay brought, apart from the live figures:
    ``{state, published, hidden, views, watch_seconds,
    average_watch_seconds}`` (views count a viewer once a day); None when no
    replay was kept. One query."""
    replay = Replay.objects.filter(session=session).first()
    if replay is None:
        return None
    return {
        "state": replay.state,
        "published": replay.published,
        "hidden": replay.hidden_at is not None,
        "views": replay.views,
        "watch_seconds": replay.watch_seconds,
        "average_watch_seconds": replay.watch_seconds // replay.views if replay.views else 0,
    }


@dataclass(frozen=True)
class RoomTotals:
    """What an ended room shows of its last broadcast: the public figures of
    its report (:func:`session_report`), never its cash."""

    session_id: int
    viewers: int
    peak_viewers: int
    hearts: int
    gifts: int
    chat_messages: int


def room_final_totals(room: Room) -> RoomTotals | None:
    """The ended room's last broadcast, in the figures its report gives
    (:func:`session_report`, so the room and the report never disagree);
    None for a room that is not ended or never went live."""
    if room.state != Room.State.ENDED:
        return None
    session = (
        LiveSession.objects.filter(room=room, ended_at__isnull=False)
        .select_related("room")
        .order_by("-ended_at", "-pk")
        .first()
    )
    if session is None:
        return None
    report = session_report(session)
    traffic = report["traffic"]
    return RoomTotals(
        session_id=session.pk,
        viewers=int(traffic["unique_viewers"]),
        peak_viewers=int(traffic["peak_viewers"]),
        hearts=int(traffic["hearts"]),
        gifts=int((report.get("cash") or {}).get("gifts") or 0),
        chat_messages=int(traffic["chat_messages"]),
    )


def _percentile_ranks(values: dict[int, float]) -> dict[int, float]:
    """0 for the lowest, 1 for the highest, ties share their middle rank, a
    lone value sits in the middle; a zero figure earns zero."""
    ordered = sorted(values.values())
    n = len(ordered)
    ranks = {}
    for key, value in values.items():
        if value <= 0:
            ranks[key] = 0.0
        elif n < 2:
            ranks[key] = NEUTRAL
        else:
            below = sum(1 for v in ordered if v < value)
            equal = sum(1 for v in ordered if v == value)
            ranks[key] = (below + (equal - 1) / 2) / (n - 1)
    return ranks


def live_performance(creator_ids: list[int]) -> dict[int, float]:
    """Past live performance for screening (``kol.extensions.live_performance``):
    ``{creator profile id: 0–1}`` from the sessions of the last
    :data:`PERFORMANCE_DAYS` days: the mean of the percentile ranks (within
    the creators asked about who have sessions) of their average peak
    viewers, average unique viewers and new followers per session. Creators
    without sessions are left out (screening then uses its neutral value).
    One query for the profiles, one for the sessions."""
    if not creator_ids:
        return {}
    creator_of = dict(
        CreatorProfile.objects.filter(pk__in=creator_ids).values_list("user_id", "pk")
    )
    since = timezone.now() - timedelta(days=PERFORMANCE_DAYS)
    rows = (
        LiveSession.objects.filter(
            room__host_id__in=list(creator_of), ended_at__isnull=False, ended_at__gte=since
        )
        .order_by()
        .values("room__host_id")
        .annotate(
            sessions=Count("id"),
            peak=Avg("peak_viewers"),
            unique=Avg("unique_viewers"),
            followers=Sum("new_followers"),
        )
    )
    peak, unique, followers = {}, {}, {}
    for row in rows:
        creator = creator_of[row["room__host_id"]]
        peak[creator] = float(row["peak"] or 0)
        unique[creator] = float(row["unique"] or 0)
        followers[creator] = float(row["followers"] or 0) / row["sessions"]
    ranked = [_percentile_ranks(figures) for figures in (peak, unique, followers)]
    return {creator: sum(r[creator] for r in ranked) / len(ranked) for creator in peak}


# --- replays beside the live ------------------------------------------------------------

#: How far back the creator studio's band of lives and replays looks.
STUDIO_TRAFFIC_DAYS = 30
STUDIO_TRAFFIC_SESSIONS = 10


@dataclass(frozen=True)
class LiveAndReplayTraffic:
    """A host's lives of the last ``days`` days and what their replays
    brought, side by side (the creator studio's band): totals, and the
    latest sessions with their replay (None: none kept)."""

    days: int
    sessions: int
    live_unique_viewers: int
    live_watch_seconds: int
    replay_views: int
    replay_watch_seconds: int
    latest: list[LiveSession]


def host_live_and_replay_traffic(
    host_id: int, *, days: int = STUDIO_TRAFFIC_DAYS
) -> LiveAndReplayTraffic:
    """Two queries: the totals, and the latest sessions with their replays."""
    since = timezone.now() - timedelta(days=days)
    ended = LiveSession.objects.filter(
        room__host_id=host_id, ended_at__isnull=False, started_at__gte=since
    )
    totals = ended.order_by().aggregate(
        sessions=Count("id"),
        unique=Sum("unique_viewers"),
        watch=Sum("watch_seconds"),
        replay_views=Sum("replay__views"),
        replay_watch=Sum("replay__watch_seconds"),
    )
    latest = list(
        ended.select_related("room", "replay").order_by("-started_at", "-pk")[
            :STUDIO_TRAFFIC_SESSIONS
        ]
    )
    return LiveAndReplayTraffic(
        days=days,
        sessions=int(totals["sessions"] or 0),
        live_unique_viewers=int(totals["unique"] or 0),
        live_watch_seconds=int(totals["watch"] or 0),
        replay_views=int(totals["replay_views"] or 0),
        replay_watch_seconds=int(totals["replay_watch"] or 0),
        latest=latest,
    )
