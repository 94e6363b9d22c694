"""Extension points of the community's pages, for the apps built on top of it.

The community app never imports the apps that depend on it (STYLE.md:
``community`` <- ``wallet`` <- ``kol`` <- ``live``); they register here, from
their ``AppConfig.ready()``, what they add to its pages.

Discover strips: bands shown above the discover grid (the live app's "Live
now"). A provider is ``(request) -> DiscoverStrip | None``: it returns None
when it has nothing to show, and costs at most one query, whatever the
amount of data (the discover page's query budget is asserted by tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class DiscoverStrip:
    """One band: the template that draws it and what it needs. The template
    is included with ``strip`` (this object) in its context; ``stylesheets``
    (paths under ``static/``) are linked in the page's head."""

    name: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    stylesheets: tuple[str, ...] = ()


type StripProvider = Callable[[HttpRequest], DiscoverStrip | None]

_discover_strips: dict[str, StripProvider] = {}


def register_discover_strip(name: str, provider: StripProvider) -> None:
    """Add (or replace: ``ready()`` may run twice) the strip called ``name``.
    Strips show in the order they were first registered."""
    _discover_strips[name] = provider


def unregister_discover_strip(name: str) -> None:
    """Remove a strip (tests, or an app switched off)."""
    _discover_strips.pop(name, None)


def discover_strips(request: HttpRequest) -> list[DiscoverStrip]:
    """The strips that have something to show on this request's discover page."""
    strips = []
    for provider in _discover_strips.values():
        strip = provider(request)
        if strip is not None:
            strips.append(strip)
    return strips
