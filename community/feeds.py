"""Feeds and keyset (cursor) pagination.

Every list in Sprout pages by a cursor that encodes the sort key of the last
item served, never by offset: page N costs what page 1 costs and a note
inserted meanwhile does not shift the pages.

*Discover* ranks by ``hot_score`` (community.ranking) plus a per-viewer boost
for followed creators and topics. Boosted keys cannot be indexed, so the feed
reads up to three index-ordered streams (followed creators, followed topics,
everything else), each already sorted by its own constant boost, and merges
them: exact keyset semantics over the boosted key, each stream a range scan.
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
from django.db.models import (
    Q,
    QuerySet,
    prefetch_related_objects,
)

from community import cards, ranking
from community.errors import InvalidCursor
from community.models import Note, Topic, User
from community.selectors import photos_prefetch, viewer_graph, visible_notes, with_viewer_flags

NoteTopic = Note.topics.through


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


# --- cursor codec -----------------------------------------------------------


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
    if len(cursor) > 200:
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


def _finish(notes: list[Note], viewer: Any) -> list[Note]:
    prefetch_related_objects(notes, photos_prefetch())
    return notes


def _cards(notes: QuerySet[Note], viewer: Any) -> QuerySet[Note]:
    return with_viewer_flags(notes.select_related("author"), viewer)


# --- discover -----------------------------------------------------------------


def discover(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """The ranked, personalised discover feed. No note appears twice across
    pages (scores never decrease; see community.ranking)."""
    after = decode_cursor(cursor, {"k": (int, float), "i": int})
    graph = viewer_graph(viewer)
    blocked = sorted(graph.blocked)
    # Phase 1: the ranking keys of up to size+1 notes per stream.
    rows = cards.discover_keys(
        followed_users=sorted(graph.followed_users),
        followed_topics=sorted(graph.followed_topics),
        blocked=blocked,
        boosts=(ranking.boost_creator(), ranking.boost_topic()),
        after=(float(after["k"]), after["i"]) if after is not None else None,
        limit=size + 1,
    )
    candidates = sorted(((score + boost, pk) for pk, score, boost in rows), reverse=True)
    chosen = candidates[:size]
    next_cursor = None
    if len(candidates) > size and chosen:
        key, last_id = chosen[-1]
        next_cursor = encode_cursor({"k": key, "i": last_id})
    # Phase 2: the cards of just the chosen notes (visibility checked again:
    # a note hidden between the two reads drops out).
    items = cards.load_cards([pk for _, pk in chosen], viewer_id=graph.user_id, blocked=blocked)
    return Page(items=items, next_cursor=next_cursor)


# --- newest-first feeds -----------------------------------------------------------


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


def _recent_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    after = decode_cursor(cursor, {"t": str, "i": int})
    if after is None:
        return None
    return cursor_time(after["t"]), after["i"]


def recent(notes: QuerySet[Note], *, viewer: Any, cursor: str | None, size: int) -> Page:
    """Published notes newest first, by ``(published_at, id)``."""
    after = _recent_cursor(cursor)
    notes = _cards(notes, viewer)
    if after is not None:
        when, last_id = after
        notes = notes.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=last_id))
    rows = list(notes.order_by("-published_at", "-pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    last_published = chosen[-1].published_at if chosen else None
    if len(rows) > size and last_published is not None:
        next_cursor = encode_cursor({"t": last_published.isoformat(), "i": chosen[-1].pk})
    return Page(items=_finish(chosen, viewer), next_cursor=next_cursor)


def following(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """Notes of the creators the viewer follows, newest first."""
    after = _recent_cursor(cursor)
    graph = viewer_graph(viewer)
    if not graph.followed_users:
        return Page(items=[], next_cursor=None)
    blocked = sorted(graph.blocked)
    rows = cards.recent_keys(
        authors=sorted(graph.followed_users), blocked=blocked, after=after, limit=size + 1
    )
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        pk, published_at = chosen[-1]
        next_cursor = encode_cursor({"t": published_at.isoformat(), "i": pk})
    items = cards.load_cards([pk for pk, _ in chosen], viewer_id=graph.user_id, blocked=blocked)
    return Page(items=items, next_cursor=next_cursor)


def hot(notes: QuerySet[Note], *, viewer: Any, cursor: str | None, size: int) -> Page:
    """Published notes by hot score, without personal boosts (topic pages)."""
    after = decode_cursor(cursor, {"k": (int, float), "i": int})
    notes = _cards(notes, viewer)
    if after is not None:
        key = float(after["k"])
        notes = notes.filter(Q(hot_score__lt=key) | Q(hot_score=key, pk__lt=after["i"]))
    rows = list(notes.order_by("-hot_score", "-pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        next_cursor = encode_cursor({"k": chosen[-1].hot_score, "i": chosen[-1].pk})
    return Page(items=_finish(chosen, viewer), next_cursor=next_cursor)


def topic_feed(
    *, topic: Topic, viewer: Any, cursor: str | None = None, size: int = 20, order: str = "hot"
) -> Page:
    notes = visible_notes(viewer).filter(topics=topic)
    if order == "new":
        return recent(notes, viewer=viewer, cursor=cursor, size=size)
    return hot(notes, viewer=viewer, cursor=cursor, size=size)


def author_feed(*, author: User, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    return recent(
        visible_notes(viewer).filter(author=author), viewer=viewer, cursor=cursor, size=size
    )


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
