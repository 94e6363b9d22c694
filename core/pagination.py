"""Keyset (cursor) pagination, for every list of every app.

Every list pages by a cursor that encodes the sort key of the last item
served, never by offset: page N costs what page 1 costs, and an item
inserted meanwhile does not shift the pages. Cursors are opaque base64 JSON,
checked on the way in (``invalid_cursor`` otherwise).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from core.errors import InvalidCursor


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


# --- cursor codec -----------------------------------------------------------

CURSOR_MAX_LENGTH = 200  # what a cursor may be; the schema says so too (core.api)


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, fields: dict[str, type | tuple[type, ...]]
) -> dict[str, Any] | None:
    """The cursor's values, checked against ``fields`` (name -> type). A cursor
    that does not decode or does not match raises InvalidCursor."""
    if cursor in (None, ""):
        return None
    assert cursor is not None
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise InvalidCursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(data, dict) or set(data) != set(fields):
        raise InvalidCursor()
    for name, kind in fields.items():
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise InvalidCursor()
        # JSON allows NaN, Infinity and integers of any size; the database
        # does not (SQLite overflows past 64 bits, float() past 1e308).
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise InvalidCursor()
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidCursor()
    return data


def page_size(raw: Any) -> int:
    """``?page_size=`` clamped to 1..SPROUT_MAX_PAGE_SIZE; junk gives the default."""
    try:
        size = int(raw)
    except (TypeError, ValueError, OverflowError):
        return int(settings.SPROUT_PAGE_SIZE)
    return max(1, min(size, int(settings.SPROUT_MAX_PAGE_SIZE)))


def cursor_time(value: str) -> datetime:
    """A time a cursor carries (``datetime.isoformat()`` of an aware time);
    InvalidCursor for anything else."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if when.tzinfo is None:  # we only ever issue aware times
        raise InvalidCursor()
    return when


# --- any list ordered by one integer key -----------------------------------------


def keyset(
    items: QuerySet[Any],
    *,
    cursor: str | None,
    size: int,
    key: str = "pk",
    descending: bool = True,
    finish: Callable[[list[Any]], Sequence[Any]] | None = None,
) -> Page:
    """Page any queryset by one unique integer expression ``key`` (a field or
    an annotation such as the id of the joining row)."""
    after = decode_cursor(cursor, {"p": int})
    if after is not None:
        lookup = f"{key}__lt" if descending else f"{key}__gt"
        items = items.filter(**{lookup: after["p"]})
    rows = list(items.order_by(f"-{key}" if descending else key)[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        last = chosen[-1]
        value = getattr(last, key if key != "pk" else "pk")
        next_cursor = encode_cursor({"p": int(value)})
    return Page(items=list(finish(chosen)) if finish else chosen, next_cursor=next_cursor)
