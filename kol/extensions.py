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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from core.extensions import Hook, Slot

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
