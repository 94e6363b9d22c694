"""The creator pool's extension points (``core.extensions``): what the apps
above it (live, shop) add to its stats and screening.

- ``stat_providers`` (Slot): ``(day, creator ids) -> {creator id: {column:
  int}}``, columns of the daily stats the pool cannot compute itself
  (``kol.services.PROVIDED_COLUMNS``: gift income, live seconds, sales). One
  query per provider whatever the pool's size. The pool's own gift income
  (from the wallet, below it) is one.
- ``live_performance`` (Hook): ``(user ids) -> {user id: score 0..1}``, past
  live performance for screening. Default: none (every creator gets the
  neutral score). The live app registers it.
- ``studio_note_columns`` (Slot): ``(notes) -> [StudioColumn]``, columns
  added to the creator studio's table of notes (the shop's orders, sales,
  commission and conversion per note). One query per provider whatever the
  number of notes.
- ``go_live`` (Hook): the URL name of the page where a host goes live,
  linked from the creator studio (the live app registers ``"go_live"``).
  Default: None (no live rooms installed, the studio links nowhere).
- ``studio_sections`` (Slot): ``(request, creator user) -> StudioSection |
  None``, bands of the creator studio after its performance charts (the
  shop's sales per day and per live session). A provider returns None when
  it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from core.extensions import Hook, Slot

if TYPE_CHECKING:
    from community.models import Note, User

StatProvider = Callable[[date, list[int]], dict[int, dict[str, int]]]
LivePerformance = Callable[[list[int]], Mapping[int, float]]

stat_providers: Slot[StatProvider] = Slot(
    "kol.stat_providers", doc="Columns of the creators' daily stats from other apps."
)

live_performance: Hook[LivePerformance | None] = Hook(
    "kol.live_performance",
    default=None,
    doc="Past live performance for screening (the live app registers it).",
)

go_live: Hook[str | None] = Hook(
    "kol.go_live",
    default=None,
    doc="The URL name of the go-live page the studio links hosts to (the live app registers it).",
)


# --- the creator studio --------------------------------------------------------------


@dataclass(frozen=True)
class StudioColumn:
    """A column of the studio's table of notes: its header (``label``, with
    ``hint`` as its longer description), and each note's cell as text by
    note id (``empty`` for notes without one)."""

    key: str
    label: str
    cells: Mapping[int, str]
    hint: str = ""
    empty: str = "–"

    def cell(self, note_id: int) -> str:
        return self.cells.get(note_id, self.empty)


studio_note_columns: Slot[Callable[[Sequence[Note]], list[StudioColumn]]] = Slot(
    "kol.studio_note_columns",
    doc="Columns of the creator studio's table of notes from other apps (the shop's sales).",
)


@dataclass(frozen=True)
class StudioSection:
    """A band of the creator studio: a template and its context; the
    template gets ``section`` (this object). ``stylesheets`` (paths under
    ``static/``) are linked in the page's head."""

    name: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    stylesheets: tuple[str, ...] = ()


studio_sections: Slot[Callable[[HttpRequest, User], StudioSection | None]] = Slot(
    "kol.studio_sections",
    doc="Bands of the creator studio from other apps; a provider returns None when it has nothing.",
)


def studio_sections_for(request: HttpRequest, user: User) -> list[StudioSection]:
    """The sections that have something to show in ``user``'s studio."""
    return [s for provider in studio_sections if (s := provider(request, user)) is not None]


def studio_note_columns_for(notes: Sequence[Note]) -> list[StudioColumn]:
    """Every provider's columns for the studio's notes (none without notes)."""
    if not notes:
        return []
    return [column for provider in studio_note_columns for column in provider(notes)]
