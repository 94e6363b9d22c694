"""The live app's extension points (``core.extensions``): what the apps
above it (the shop) add to live rooms.

- ``session_report_sections`` (Slot): ``(session) -> dict``, merged into a
  broadcast's report (``live.selectors.session_report``) one level deep: a
  dict merges into the report's dict of the same name (a ``cash`` section
  adds its figures to the report's ``cash``), anything else is set. Live's
  own gift takings are one (``live.selectors.session_cash``, registered in
  ``LiveConfig.ready``); the shop adds its sales and commission.
- ``room_payload_extras`` (Slot): ``RoomPayloadExtra``, a key added to the
  API's representation of a room (the shop's ``pinned_product``), loaded
  once for a whole page of rooms.
- ``room_join_events`` (Slot): ``(room) -> [event]``, events a connection
  gets right after its ``hello`` (the room's state the apps above keep: the
  pinned product). Called in a database thread, once the connection has
  joined the room's fan-out (nothing sent afterwards is missed).
- ``room_panels`` (Slot): ``(request, detail) -> RoomPanel | None``, a part
  of the room page (over the video, or under the room's title), with its
  script and stylesheet; the room's script hands every frame it receives to
  the page as a ``live:event`` DOM event on the room's root element.
- ``replay_panels`` (Slot): ``(request, session) -> RoomPanel | None``, a
  part of a broadcast's replay page, as ``room_panels`` is of the room page
  (the shop's pinned-product card): the replay's script hands every event
  of the timeline it plays back (``product_pinned``, ``product_unpinned``,
  chat, gifts, hearts) to the page as a ``live:event`` DOM event on the
  page's root, in time with the video (a seek replays the pin of that
  moment, or ``product_unpinned``).
- ``room_tick_events`` (Slot): ``async (room_id) -> [event]``, events other
  apps add to a live room's tick (the pinned flash sale's units left).
- ``session_started`` (Slot): ``(session) -> None``, called inside
  ``live.services.session_start``'s transaction once the broadcast's
  ``LiveSession`` exists: what the apps above attach to it (the shop's pin
  made before the room went live). Events they send go after commit.
- ``session_report_templates`` (Slot): template names drawn in each
  session report on the host's pages (``live/go_live.html``), after live's
  own figures, with ``report`` (the merged report) in their context: how
  the figures a section added are shown (the shop's orders and sales).
- ``timeline_sources`` (Slot): ``(TimelineQuery) -> [TimelineEntry]``, the
  room events a higher app recorded during a broadcast, for its replay's
  timeline (``live.selectors.replays.session_timeline``): the shop's
  ``product_pinned`` / ``product_unpinned`` from its pins. Each source
  answers at most ``query.limit + 1`` entries of the window after the
  cursor, in a fixed number of queries (``TimelineQuery.window`` builds the
  filter), each entry the event exactly as the room got it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from django.db.models import Q

from core.extensions import Slot

if TYPE_CHECKING:
    from django.http import HttpRequest

    from live.models import LiveSession, Room
    from live.selectors import RoomDetail

ReportSection = Callable[["LiveSession"], dict[str, Any]]

session_report_sections: Slot[ReportSection] = Slot(
    "live.session_report_sections",
    doc="Sections of a live session's report from other apps (its cash, sales).",
)


@dataclass(frozen=True)
class RoomPayloadExtra:
    """A key a higher app adds to the API's representation of a room:
    ``load(rooms, request)`` is called once for a page of rooms and answers
    ``{room id: value}``; a room it leaves out gets ``default()``."""

    key: str
    load: Callable[[Sequence[Room], Any], dict[int, Any]]
    default: Callable[[], Any] = field(default=lambda: None)


room_payload_extras: Slot[RoomPayloadExtra] = Slot(
    "live.room_payload_extras",
    doc="Keys added to every room of the API, loaded once per page (the pinned product).",
)

JoinEvents = Callable[["Room"], list[dict[str, Any]]]

room_join_events: Slot[JoinEvents] = Slot(
    "live.room_join_events",
    doc="Events a connection gets after hello (the pinned product), checked by the schema.",
)


def room_join_events_for(room: Room) -> list[dict[str, Any]]:
    return [event for provider in room_join_events for event in provider(room)]


@dataclass(frozen=True)
class RoomPanel:
    """A part of the room page from a higher app: ``template`` is included
    with ``panel`` (this object) in its context, ``over the video`` (``stage``:
    at the bottom of the player, above the chat on a phone) or under the
    room's title (``info``); ``scripts`` and ``stylesheets`` are paths under
    ``static/`` the page loads (scripts as modules)."""

    name: str
    template: str
    where: Literal["stage", "info"] = "stage"
    context: dict[str, Any] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()
    stylesheets: tuple[str, ...] = ()


room_panels: Slot[Callable[[HttpRequest, RoomDetail], RoomPanel | None]] = Slot(
    "live.room_panels",
    doc="Parts of the room page from other apps (the pinned product's card, the pin control).",
)


def room_panels_for(request: HttpRequest, detail: RoomDetail) -> list[RoomPanel]:
    return [p for provider in room_panels if (p := provider(request, detail)) is not None]


replay_panels: Slot[Callable[[HttpRequest, LiveSession], RoomPanel | None]] = Slot(
    "live.replay_panels",
    doc="Parts of a replay's page from other apps (the pinned product's card, played back).",
)


def replay_panels_for(request: HttpRequest, session: LiveSession) -> list[RoomPanel]:
    return [p for provider in replay_panels if (p := provider(request, session)) is not None]


TickEvents = Callable[[int], Awaitable[list[Mapping[str, Any]]]]

room_tick_events: Slot[TickEvents] = Slot(
    "live.room_tick_events",
    doc="Events other apps add to a live room's tick (the pinned flash sale's units left).",
)

session_started: Slot[Callable[[LiveSession], None]] = Slot(
    "live.session_started",
    doc="Called when a broadcast starts, in its transaction (the shop attaches the room's pin).",
)

session_report_templates: Slot[str] = Slot(
    "live.session_report_templates",
    doc="Templates drawn in each session report on the host's pages (with `report`).",
)


# --- a replay's timeline -------------------------------------------------------------


class TimelineKey(NamedTuple):
    """Where an entry sits on a replay's timeline: its order, and the cursor."""

    offset_ms: int
    kind: str
    id: int


class TimelineEntry(NamedTuple):
    """One room event of a broadcast: its key and the event as the room got
    it (``live.events``)."""

    key: TimelineKey
    event: Mapping[str, Any]


def _ms(value: int) -> timedelta:
    return timedelta(milliseconds=value)


@dataclass(frozen=True)
class TimelineQuery:
    """A page of a broadcast's timeline: the events whose offset (whole
    milliseconds from ``started_at``, 0 for anything earlier) is in
    ``[from_ms, to_ms)`` and whose key comes after ``after``, at most
    ``limit`` (a source answers up to ``limit + 1``: the extra one says that
    a next page exists)."""

    session_id: int
    started_at: datetime
    from_ms: int
    to_ms: int
    after: TimelineKey | None
    limit: int

    def offset_of(self, moment: datetime) -> int:
        """The timeline offset of a moment of the broadcast."""
        return max(0, (moment - self.started_at) // timedelta(milliseconds=1))

    def _at_least(self, field_name: str, offset_ms: int) -> Q:
        # offset >= n: every moment from started_at + n ms (all of them for 0,
        # earlier moments count as offset 0).
        if offset_ms <= 0:
            return Q()
        return Q(**{f"{field_name}__gte": self.started_at + _ms(offset_ms)})

    def _below(self, field_name: str, offset_ms: int) -> Q:
        if offset_ms <= 0:
            return Q(pk__in=[])
        return Q(**{f"{field_name}__lt": self.started_at + _ms(offset_ms)})

    def window(self, field_name: str, kind: str, *, id_field: str = "pk") -> Q:
        """The filter of rows of ``kind`` whose moment ``field_name`` is in
        this page: inside the window, and after the cursor in the timeline's
        order ``(offset_ms, kind, id)``."""
        inside = self._at_least(field_name, self.from_ms) & self._below(field_name, self.to_ms)
        after = self.after
        if after is None:
            return inside
        later = self._at_least(field_name, after.offset_ms + 1)
        if kind > after.kind:
            later |= self._at_least(field_name, after.offset_ms)
        elif kind == after.kind:
            later |= (
                self._at_least(field_name, after.offset_ms)
                & self._below(field_name, after.offset_ms + 1)
                & Q(**{f"{id_field}__gt": after.id})
            )
        return inside & later

    def offset_window(self, kind: str, *, field_name: str = "offset_ms") -> Q:
        """:meth:`window` for rows that store their offset in milliseconds."""
        inside = Q(**{f"{field_name}__gte": self.from_ms, f"{field_name}__lt": self.to_ms})
        after = self.after
        if after is None:
            return inside
        later = Q(**{f"{field_name}__gt": after.offset_ms})
        if kind > after.kind:
            later |= Q(**{field_name: after.offset_ms})
        elif kind == after.kind:
            later |= Q(**{field_name: after.offset_ms, "pk__gt": after.id})
        return inside & later


TimelineSource = Callable[[TimelineQuery], list[TimelineEntry]]

timeline_sources: Slot[TimelineSource] = Slot(
    "live.timeline_sources",
    doc="Room events other apps recorded during a broadcast, for its replay (the shop's pins).",
)
