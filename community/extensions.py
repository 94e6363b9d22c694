"""The community's extension points: what the apps built on it add to its
pages, its API and its demo, without the community naming them
(``core.extensions``: declared here, registered from their ``ready()``).

- ``coin_balance`` (Hook): ``(user) -> int``, the coins ``GET /api/v1/me``
  shows (default 0; the wallet registers it).
- ``discover_strips`` (Slot): ``(request) -> DiscoverStrip | None``, a band
  above the discover grid (live's "Live now").
- ``profile_sections`` (Slot): ``(request, member) -> ProfileSection |
  None``, a band on a member's profile above their notes (live's replays).
- ``badge_providers`` (Slot): ``(members) -> {user id: [Badge]}``, badges
  beside names (kol's verified and tier badges).
- ``top_nav``, ``account_menu`` (Slots): ``MenuItem``, links in the header
  and entries of the account menu (Creators, Wallet, Creator studio, Go live).
- ``note_sections`` (Slot): ``(request, note) -> NoteSection | None``, a band
  under a note's photos (the shop's product cards).
- ``note_form_sections`` (Slot): ``(request, note or None) -> NoteSection |
  None``, a part of the compose (``None``) and edit pages' form (the shop's
  product picker). On the compose page the note does not exist yet: the
  page's script dispatches ``note:created`` on the form (``detail``:
  ``{note, waitUntil(promise)}``) and waits (a few seconds at most) for
  the promises before leaving the page.
- ``note_payload_extras`` (Slot): ``NotePayloadExtra``, a key a higher app
  adds to every note of the API (the shop's ``products``), loaded for a
  whole page of notes at once.
- ``demo_parts`` (Slot): ``DemoPart``, an app's part of ``manage.py seed_demo``.

Providers that read the database cost at most one query whatever the page
size (the pages' query budgets are asserted by tests).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandParser
from django.http import HttpRequest

from core.extensions import Hook, Slot

if TYPE_CHECKING:
    from community.badges import Badge
    from community.models import Note, User


# --- the API ---------------------------------------------------------------------------

coin_balance: Hook[Callable[[User], int]] = Hook(
    "community.coin_balance",
    default=lambda user: 0,
    doc="The member's coins, shown by GET /api/v1/me (the wallet registers it).",
)


# --- pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoverStrip:
    """One band above the discover grid: the template that draws it and what
    it needs. The template is included with ``strip`` (this object) in its
    context; ``stylesheets`` (paths under ``static/``) are linked in the
    page's head."""

    name: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    stylesheets: tuple[str, ...] = ()


discover_strips: Slot[Callable[[HttpRequest], DiscoverStrip | None]] = Slot(
    "community.discover_strips",
    doc="Bands above the discover grid; a provider returns None when it has nothing.",
)


def discover_strips_for(request: HttpRequest) -> list[DiscoverStrip]:
    """The strips that have something to show on this request's discover page."""
    return [strip for provider in discover_strips if (strip := provider(request)) is not None]


@dataclass(frozen=True)
class ProfileSection:
    """A band on a member's profile, above the notes of its first page: a
    template (with ``section``, this object, in its context), its
    stylesheets and its scripts (paths under ``static/``; scripts as
    modules)."""

    name: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    stylesheets: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()


profile_sections: Slot[Callable[[HttpRequest, User], ProfileSection | None]] = Slot(
    "community.profile_sections",
    doc="Bands on a member's profile above their notes (live's replays).",
)


def profile_sections_for(request: HttpRequest, member: User) -> list[ProfileSection]:
    """The sections that have something to show on ``member``'s profile."""
    return [s for provider in profile_sections if (s := provider(request, member)) is not None]


badge_providers: Slot[Callable[[Sequence[User]], dict[int, list[Badge]]]] = Slot(
    "community.badge_providers",
    doc="Badges beside member names (community.badges.attach calls each once per page).",
)


@dataclass(frozen=True)
class MenuItem:
    """A link a higher app adds to the site's navigation: its label, the URL
    name it reverses, an icon template, which current URL names light it up,
    and who sees it (everyone signed in, by default)."""

    label: str
    url_name: str
    icon: str = ""
    current: tuple[str, ...] = ()
    visible: Callable[[Any], bool] = field(default=lambda user: True)

    def is_current(self, url_name: str | None) -> bool:
        return url_name is not None and (url_name == self.url_name or url_name in self.current)


top_nav: Slot[MenuItem] = Slot(
    "community.top_nav", doc="Links after Discover and Following in the header."
)
account_menu: Slot[MenuItem] = Slot(
    "community.account_menu", doc="Entries of the account menu, after Drafts."
)


@dataclass(frozen=True)
class NoteSection:
    """A band on a note's page, under its photos: a template and its context."""

    name: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


note_sections: Slot[Callable[[HttpRequest, Note], NoteSection | None]] = Slot(
    "community.note_sections",
    doc="Bands under a note's photos (the shop's product cards).",
)


def note_sections_for(request: HttpRequest, note: Note) -> list[NoteSection]:
    """The sections that have something to show under this note."""
    return [s for provider in note_sections if (s := provider(request, note)) is not None]


note_form_sections: Slot[Callable[[HttpRequest, Note | None], NoteSection | None]] = Slot(
    "community.note_form_sections",
    doc="Parts of the compose (note None) and edit forms of a note (the shop's product picker).",
)


def note_form_sections_for(request: HttpRequest, note: Note | None) -> list[NoteSection]:
    return [s for provider in note_form_sections if (s := provider(request, note)) is not None]


@dataclass(frozen=True)
class NotePayloadExtra:
    """A key a higher app adds to the API's representation of a note
    (``community.serializers.NoteSerializer``): ``load(notes, request)`` is
    called once for a whole page of notes (one query, whatever its size) and
    answers ``{note id: value}``; a note it leaves out gets ``default()``."""

    key: str
    load: Callable[[Sequence[Note], Any], dict[int, Any]]
    default: Callable[[], Any] = field(default=lambda: None)


note_payload_extras: Slot[NotePayloadExtra] = Slot(
    "community.note_payload_extras",
    doc="Keys added to every note of the API, loaded once per page (the shop's products).",
)


def note_payload_extras_for(notes: Sequence[Note], request: Any) -> list[dict[int, Any]]:
    """Each extra's values for these notes, in slot order (empty when no
    app adds any, or there are no notes)."""
    extras = note_payload_extras.items()
    if not extras or not notes:
        return []
    return [extra.load(notes, request) for extra in extras]


# --- the demo ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPart:
    """An app's part of ``manage.py seed_demo``, run after the community's own
    data, in slot order. ``seed`` gets the command (messages to its stdout,
    progress to its stderr), the parsed options (``users``, ``notes``,
    ``seed``, ``dry_run``, ``verbosity`` and the part's own) and a random
    stream of its own; it must be idempotent and, with ``dry_run``, write
    nothing and say what it would create. ``add_arguments`` adds the part's
    own options (``--creators``)."""

    label: str
    seed: Callable[..., None]
    add_arguments: Callable[[CommandParser], None] | None = None

    def run(self, *, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None:
        self.seed(command=command, options=options, rng=rng)


demo_parts: Slot[DemoPart] = Slot(
    "community.demo_parts", doc="The later apps' parts of seed_demo, in order."
)
