"""Badges beside member names ("Verified", "Micro creator"), contributed by
later apps without the community knowing them.

An app adds a provider to ``community.extensions.badge_providers`` in its
``AppConfig.ready()``; a view that shows members calls :func:`attach` once
for everyone on the page, which costs one query per provider whatever the
page size, and templates render ``user.badges`` (``{% badges user %}``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from community import extensions
from community.models import User


@dataclass(frozen=True)
class Badge:
    label: str
    kind: str  # a CSS modifier: "verified", "tier-micro", ...
    title: str = ""  # the tooltip / accessible description
    url: str = ""
    # A badge that also rings the member's avatar (live now: the ring says
    # "tap to watch" wherever the avatar shows).
    ring: bool = False


def attach(users: Iterable[User | None]) -> None:
    """Set ``badges`` on each member: one query per provider for all of them."""
    unique: dict[int, User] = {}
    for user in users:
        if user is not None and user.pk is not None:
            unique.setdefault(user.pk, user)
    if not unique:
        return
    collected: dict[int, list[Badge]] = {pk: [] for pk in unique}
    members = list(unique.values())
    for provider in extensions.badge_providers:
        for pk, found in provider(members).items():
            collected.setdefault(pk, []).extend(found)
    for user in users:
        if user is not None and user.pk in collected:
            user.badges = collected[user.pk]  # type: ignore[attr-defined]
