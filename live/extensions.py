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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

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
