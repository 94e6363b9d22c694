"""The live app's extension points (``core.extensions``): what the apps
above it (the shop) add to live rooms.

- ``session_report_sections`` (Slot): ``(session) -> dict``, merged into a
  broadcast's report (``live.selectors.session_report``) one level deep: a
  dict merges into the report's dict of the same name (a ``cash`` section
  adds its figures to the report's ``cash``), anything else is set. Live's
  own gift takings are one (``live.selectors.session_cash``, registered in
  ``LiveConfig.ready``); the shop adds its sales and commission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from core.extensions import Slot

if TYPE_CHECKING:
    from live.models import LiveSession

ReportSection = Callable[["LiveSession"], dict[str, Any]]

session_report_sections: Slot[ReportSection] = Slot(
    "live.session_report_sections",
    doc="Sections of a live session's report from other apps (its cash, sales).",
)

TickEvents = Callable[[int], Awaitable[list[Mapping[str, Any]]]]

room_tick_events: Slot[TickEvents] = Slot(
    "live.room_tick_events",
    doc="Events other apps add to a live room's tick (the pinned flash sale's units left).",
)
