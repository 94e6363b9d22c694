"""Reads of the live directory (``/live/``) and of who is live now, for the
badges beside names (the live ring on avatars everywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from community.badges import Badge
from community.models import User
from live.models import LiveSession, Room
from live.selectors.rooms import NO_COUNTS, room_counts, room_list

LIVE_NOW_MAX = 60
UPCOMING_MAX = 12
RECENT_MAX = 20


@dataclass
class LiveDirectory:
    """``/live/``: rooms live now (most watched first, with their viewers),
    rooms scheduled by their hosts (newest first) and recent broadcasts."""

    live: list[tuple[Room, int]] = field(default_factory=list)
    upcoming: list[Room] = field(default_factory=list)
    recent: list[LiveSession] = field(default_factory=list)

    @property
    def hosts(self) -> list[User]:
        return [
            *(room.host for room, _ in self.live),
            *(room.host for room in self.upcoming),
            *(session.room.host for session in self.recent),
        ]


def live_directory() -> LiveDirectory:
    """Three queries and one read of the rooms' hot counters, whatever the
    number of rooms."""
    live = list(room_list(state=Room.State.LIVE).order_by("-started_at", "-pk")[:LIVE_NOW_MAX])
    counts = room_counts(live)
    watched = sorted(
        ((room, counts.get(room.pk, NO_COUNTS).viewers) for room in live),
        key=lambda pair: (-pair[1], -pair[0].pk),
    )
    upcoming = list(
        room_list(state=Room.State.SCHEDULED).order_by("-created_at", "-pk")[:UPCOMING_MAX]
    )
    recent = list(
        LiveSession.objects.filter(ended_at__isnull=False)
        .select_related("room", "room__host")
        .order_by("-ended_at", "-pk")[:RECENT_MAX]
    )
    return LiveDirectory(live=watched, upcoming=upcoming, recent=recent)


def live_badges(users: Sequence[Any]) -> dict[int, list[Badge]]:
    """A "Live" badge, which also rings the avatar, for the members among
    ``users`` hosting a live room now, linking to it: one query a page."""
    rows = (
        Room.objects.filter(host__in=[u.pk for u in users], state=Room.State.LIVE)
        .order_by("host_id", "-started_at")
        .values_list("host_id", "pk")
    )
    badges: dict[int, list[Badge]] = {}
    for host_id, room_id in rows:
        badges.setdefault(
            host_id,
            [
                Badge(
                    label="Live",
                    kind="live",
                    title="Live now: tap to watch",
                    url=reverse("live_room", args=[room_id]),
                    ring=True,
                )
            ],
        )
    return badges
