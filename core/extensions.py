"""Extension points: how a lower app is extended by the apps built on it.

Apps depend one way (``community`` <- ``wallet`` <- ``kol`` <- ``live`` <-
``shop``): a lower app never imports a higher one, not even by a dotted path
in a setting. Where it needs something only a higher app knows (a member's
coin balance on ``/me``, the agency's share of a payout, a band on the
discover page, an entry in the account menu, its part of ``seed_demo``), it
*declares* an extension point, in its own ``extensions.py``, with a typed
signature and a default; the higher app *registers* into it from its
``AppConfig.ready()``.

Two kinds:

- :class:`Hook`: one implementation, or the default. ``coin_balance =
  Hook[Callable[[User], int]]("community.coin_balance", default=lambda
  user: 0)``; the wallet registers ``coin_balance.register(coin_balance_of,
  app="wallet")``; the community calls ``coin_balance.get()(user)``.
- :class:`Slot`: any number of contributions, in order (the discover page's
  strips, the menu's entries, the demo's seeders).

Every registration names the app it comes from, and only contributions of
installed apps count (``django.apps.apps.is_installed``): an app switched off
(``shop`` out of ``INSTALLED_APPS``, or a test's override) contributes
nothing, even in a process where it registered earlier. Registering again
under the same key replaces (``ready()`` may run more than once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps

_points: dict[str, Hook[Any] | Slot[Any]] = {}


def _declare(point: Hook[Any] | Slot[Any]) -> None:
    if point.name in _points:
        raise ValueError(f"extension point {point.name!r} is declared twice")
    _points[point.name] = point


def points() -> dict[str, Hook[Any] | Slot[Any]]:
    """Every declared extension point by name (for docs and checks)."""
    return dict(_points)


def _installed(app: str) -> bool:
    return apps.is_installed(app)


@dataclass(frozen=True)
class _Entry[T]:
    app: str
    key: str
    value: T
    order: int


class Hook[T]:
    """One implementation of something a lower app needs, or its default."""

    def __init__(self, name: str, *, default: T, doc: str = "") -> None:
        self.name, self.default, self.doc = name, default, doc
        self._entries: list[_Entry[T]] = []
        self._overridden = False
        self._override: T = default
        _declare(self)

    @contextmanager
    def override(self, value: T) -> Iterator[None]:
        """Within the block, ``value`` is the implementation, whatever is
        registered (tests)."""
        saved = (self._overridden, self._override)
        self._overridden, self._override = True, value
        try:
            yield
        finally:
            self._overridden, self._override = saved

    def register(self, value: T, *, app: str) -> T:
        """``value`` implements this hook while ``app`` is installed."""
        self._entries = [e for e in self._entries if e.app != app]
        self._entries.append(_Entry(app, app, value, 0))
        return value

    def get(self) -> T:
        """The implementation of the last-registered installed app, else the
        default."""
        if self._overridden:
            return self._override
        for entry in reversed(self._entries):
            if _installed(entry.app):
                return entry.value
        return self.default

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"


class Slot[T]:
    """Contributions to something a lower app shows or runs, in order."""

    def __init__(self, name: str, *, doc: str = "") -> None:
        self.name, self.doc = name, doc
        self._entries: dict[str, _Entry[T]] = {}
        self._override: list[T] | None = None
        _declare(self)

    @contextmanager
    def override(self, *values: T) -> Iterator[None]:
        """Within the block, the slot holds exactly ``values`` (tests)."""
        saved = self._override
        self._override = list(values)
        try:
            yield
        finally:
            self._override = saved

    def add(self, value: T, *, app: str, key: str = "", order: int = 100) -> T:
        """Contribute ``value`` while ``app`` is installed. ``key`` (default:
        the app's name) identifies it: adding under the same key replaces.
        Lower ``order`` comes first; ties keep the order of registration."""
        entry_key = key or app
        self._entries.pop(entry_key, None)
        self._entries[entry_key] = _Entry(app, entry_key, value, order)
        return value

    def remove(self, key: str) -> None:
        """Take a contribution out (tests)."""
        self._entries.pop(key, None)

    def __iter__(self) -> Iterator[T]:
        if self._override is not None:
            return iter(list(self._override))
        entries = [e for e in self._entries.values() if _installed(e.app)]
        return iter([e.value for e in sorted(entries, key=lambda e: e.order)])

    def items(self) -> list[T]:
        """The installed contributions, in order."""
        return list(self)

    def __repr__(self) -> str:
        return f"<Slot {self.name}>"


def call_each[R](slot: Slot[Callable[..., R]], *args: Any, **kwargs: Any) -> list[R]:
    """Call every contribution of a slot of callables; their results, in order."""
    return [contribution(*args, **kwargs) for contribution in slot]
