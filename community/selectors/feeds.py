"""The notes' feeds, paged by cursor (:mod:`core.pagination`).

*Discover* ranks by ``hot_score`` (community.ranking) plus a per-viewer boost
for followed creators and topics. Boosted keys cannot be indexed, so the feed
reads up to three index-ordered streams (followed creators, followed topics,
everything else), each already sorted by its own constant boost, and merges
them: exact keyset semantics over the boosted key, each stream a range scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from community import ranking
from community.models import Note, Topic, User
from community.selectors.cards import (
    CardKey,
    note_cards_by_ids,
    note_discover_keys,
    note_hot_keys,
    note_recent_keys,
)
from community.selectors.graph import viewer_graph
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor

NoteTopic = Note.topics.through


# --- discover -----------------------------------------------------------------


# A member's own notes of the last day open their discover feed, so a new
# member sees the note they just posted first, not around position 35 under
# notes with a head start in likes.
OWN_FRESH_SECONDS = 24 * 3600
OWN_FRESH_MAX = 2


def feed_discover_keys(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """The ranked, personalised discover feed as card keys (``CardKey``: the
    API renders them from the card cache; :func:`feed_discover` loads the
    notes). No note appears twice across pages (scores never decrease; see
    community.ranking). A member's own notes of the last day lead the first
    page (and are left out of the ranking on every page). One query."""
    after = decode_cursor(cursor, {"k": (int, float), "i": int})
    graph = viewer_graph(viewer)
    rows = note_discover_keys(
        viewer_id=graph.user_id,
        followed_users=sorted(graph.followed_users),
        followed_topics=sorted(graph.followed_topics),
        blocked=sorted(graph.unseen),
        boosts=(ranking.boost_creator(), ranking.boost_topic()),
        after=(float(after["k"]), after["i"]) if after is not None else None,
        limit=size + 1 + OWN_FRESH_MAX,
        own_since=timezone.now() - timedelta(seconds=OWN_FRESH_SECONDS),
        own_limit=OWN_FRESH_MAX,
    )
    own_rows = sorted(
        (row for row in rows if row.own),
        key=lambda row: (row.published_at, row.card.id),
        reverse=True,
    )
    own = {row.card.id for row in own_rows}
    leading = [row.card for row in own_rows][: max(0, size - 1)] if after is None else []
    candidates = sorted(
        (
            (row.hot_score + row.boost, row.card.id, row.card)
            for row in rows
            if not row.own and row.card.id not in own
        ),
        reverse=True,
    )
    ranked = size - len(leading)
    chosen = candidates[:ranked]
    next_cursor = None
    if len(candidates) > ranked and chosen:
        key, last_id, _ = chosen[-1]
        next_cursor = encode_cursor({"k": key, "i": last_id})
    return Page(items=[*leading, *(card for _, _, card in chosen)], next_cursor=next_cursor)


def notes_for_keys(page: Page, viewer: Any) -> Page:
    """The same page with its notes loaded for cards (author, photos, the
    viewer's flags; visibility checked again: a note hidden between the two
    reads drops out): what the site's pages render."""
    graph = viewer_graph(viewer)
    items = note_cards_by_ids(
        [key.id for key in page.items], viewer_id=graph.user_id, blocked=sorted(graph.unseen)
    )
    return Page(items=items, next_cursor=page.next_cursor)


def feed_discover(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """:func:`feed_discover_keys` with the notes loaded."""
    return notes_for_keys(feed_discover_keys(viewer=viewer, cursor=cursor, size=size), viewer)


# --- newest-first feeds -----------------------------------------------------------


def _recent_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    after = decode_cursor(cursor, {"t": str, "i": int})
    if after is None:
        return None
    return cursor_time(after["t"]), after["i"]


def feed_following_keys(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """Notes of the creators the viewer follows, newest first, as card keys."""
    after = _recent_cursor(cursor)
    graph = viewer_graph(viewer)
    if not graph.followed_users:
        return Page(items=[], next_cursor=None)
    rows = note_recent_keys(
        viewer_id=graph.user_id,
        authors=sorted(graph.followed_users),
        blocked=sorted(graph.unseen),
        after=after,
        limit=size + 1,
    )
    return _recent_page(rows, size)


def _recent_page(rows: list[tuple[CardKey, datetime]], size: int) -> Page:
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        key, published_at = chosen[-1]
        next_cursor = encode_cursor({"t": published_at.isoformat(), "i": key.id})
    return Page(items=[key for key, _ in chosen], next_cursor=next_cursor)


def feed_following(*, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """:func:`feed_following_keys` with the notes loaded."""
    return notes_for_keys(feed_following_keys(viewer=viewer, cursor=cursor, size=size), viewer)


def feed_topic_keys(
    *, topic: Topic, viewer: Any, cursor: str | None = None, size: int = 20, order: str = "hot"
) -> Page:
    """A topic's notes as card keys, by hot score (``hot``) or newest first."""
    graph = viewer_graph(viewer)
    blocked = sorted(graph.unseen)
    if order == "new":
        rows = note_recent_keys(
            viewer_id=graph.user_id,
            topic_id=topic.pk,
            blocked=blocked,
            after=_recent_cursor(cursor),
            limit=size + 1,
        )
        return _recent_page(rows, size)
    after = decode_cursor(cursor, {"k": (int, float), "i": int})
    hot = note_hot_keys(
        viewer_id=graph.user_id,
        topic_id=topic.pk,
        blocked=blocked,
        after=(float(after["k"]), after["i"]) if after is not None else None,
        limit=size + 1,
    )
    chosen = hot[:size]
    next_cursor = None
    if len(hot) > size and chosen:
        key, score = chosen[-1]
        next_cursor = encode_cursor({"k": score, "i": key.id})
    return Page(items=[key for key, _ in chosen], next_cursor=next_cursor)


def feed_author_keys(
    *, author: User, viewer: Any, cursor: str | None = None, size: int = 20
) -> Page:
    """A member's published notes, newest first, as card keys (none when the
    viewer and the author block each other)."""
    graph = viewer_graph(viewer)
    blocked = sorted(graph.unseen)
    if author.pk in graph.unseen:
        return Page(items=[], next_cursor=None)
    rows = note_recent_keys(
        viewer_id=graph.user_id,
        authors=[author.pk],
        blocked=blocked,
        after=_recent_cursor(cursor),
        limit=size + 1,
    )
    return _recent_page(rows, size)


def feed_topic(
    *, topic: Topic, viewer: Any, cursor: str | None = None, size: int = 20, order: str = "hot"
) -> Page:
    """:func:`feed_topic_keys` with the notes loaded."""
    return notes_for_keys(
        feed_topic_keys(topic=topic, viewer=viewer, cursor=cursor, size=size, order=order), viewer
    )


def feed_author(*, author: User, viewer: Any, cursor: str | None = None, size: int = 20) -> Page:
    """:func:`feed_author_keys` with the notes loaded."""
    return notes_for_keys(
        feed_author_keys(author=author, viewer=viewer, cursor=cursor, size=size), viewer
    )
