"""Writes of the managed list of niches members pick from."""

from __future__ import annotations

from django.db.models import QuerySet

from kol.models import Niche


def niches_set_active(*, niches: QuerySet[Niche], active: bool) -> int:
    """Switch ``niches`` on or off (a niche has no derived state: one plain
    ``UPDATE``); returns how many changed."""
    return niches.exclude(is_active=active).update(is_active=active)
