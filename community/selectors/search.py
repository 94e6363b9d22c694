"""Search over notes, topics and members.

On PostgreSQL notes are matched with full-text search: a weighted tsvector
(title A, body B, kept by a trigger, GIN-indexed; migration 0002) against
``websearch_to_tsquery`` with the ``simple`` configuration, which works for
any language without stemming surprises. Results are ranked by text relevance
blended with the note's hot score. On SQLite (the embedded default), and for
Chinese, Japanese or Korean queries on PostgreSQL (text without spaces between
words, which the parser cannot split), every term must appear in the title or
body as a substring, ranked by hot score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast

from community.models import Note, Topic, User
from community.selectors.notes import note_cards, note_visible, photo_prefetch
from community.text import topic_key
from core import pagination
from core.errors import ValidationFailed

# Chinese, Japanese and Korean are written without spaces between words, which
# the "simple" text-search parser needs; such queries match substrings instead.
UNSEGMENTED_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8


@dataclass
class SearchResults:
    query: str
    notes: pagination.Page
    topics: list[Topic]
    users: list[User]


def clean_query(raw: Any) -> str:
    """The query as searched: trimmed, whitespace collapsed, length-checked."""
    if not isinstance(raw, str):
        raise ValidationFailed(fields={"q": ["Type something to search for."]})
    query = " ".join(raw.split())
    if not query:
        raise ValidationFailed(fields={"q": ["Type something to search for."]})
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            fields={"q": [f"Keep searches within {MAX_QUERY_LENGTH} characters."]}
        )
    return query


def _terms(query: str) -> list[str]:
    words = [w.strip("#@") for w in re.split(r"\s+", query)]
    return [w for w in words if w][:MAX_TERMS]


def note_search(*, query: str, viewer: Any) -> QuerySet[Note]:
    """Published notes matching ``query``, best first, ready for cards. The
    queryset is annotated with ``search_rank`` (a float, higher is better)."""
    notes = note_visible(viewer)
    if connection.vendor == "postgresql" and not UNSEGMENTED_RE.search(query):
        tsquery = SearchQuery(query, config="simple", search_type="websearch")
        # Relevance first; among equally relevant notes the hotter one wins.
        notes = notes.filter(search_vector=tsquery).annotate(
            search_rank=SearchRank(F("search_vector"), tsquery) * Value(100.0)
            + F("hot_score") / Value(1000.0)
        )
    else:
        terms = _terms(query)
        if not terms:  # "#" or "@" alone: nothing to match, same annotations
            notes = notes.none()
        for term in terms:
            notes = notes.filter(Q(title__icontains=term) | Q(body__icontains=term))
        notes = notes.annotate(search_rank=Cast(F("hot_score"), FloatField()))
    return note_cards(notes, viewer)


def topic_search(*, query: str, limit: int = 10) -> list[Topic]:
    terms = _terms(query)
    if not terms:
        return []
    key = topic_key(terms[0])
    # A topic only drafts use would leak what their authors have not published.
    topics = Topic.objects.filter(Q(note_count__gt=0) | Q(follower_count__gt=0))
    exact = list(topics.filter(key=key))
    rest = (
        topics.filter(key__contains=key)
        .exclude(key=key)
        .order_by("-note_count", "key")[: limit - len(exact)]
    )
    return exact + list(rest)


def user_search(*, query: str, viewer: Any, limit: int = 10) -> list[User]:
    terms = _terms(query)
    if not terms:
        return []
    term = terms[0]
    users = User.objects.filter(is_active=True).filter(
        Q(username__icontains=term) | Q(display_name__icontains=term)
    )
    if getattr(viewer, "is_authenticated", False):
        users = users.exclude(blocked_by__blocker=viewer)
    exact = list(users.filter(username__iexact=term))
    rest = users.exclude(username__iexact=term).order_by("-follower_count", "username")
    return exact + list(rest[: limit - len(exact)])


def note_search_page(*, query: str, viewer: Any, cursor: str | None, size: int) -> pagination.Page:
    """One page of matching notes, keyset-paged by (rank, id)."""
    after = pagination.decode_cursor(cursor, {"r": (int, float), "i": int})
    notes = note_search(query=query, viewer=viewer)
    if after is not None:
        rank = float(after["r"])
        # search_rank is an annotation the type checker cannot see.
        notes = notes.filter(Q(search_rank__lt=rank) | Q(search_rank=rank, pk__lt=after["i"]))
    rows = list(notes.order_by(F("search_rank").desc(), "-pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        last = chosen[-1]
        rank = getattr(last, "search_rank")  # noqa: B009 (an annotation)
        next_cursor = pagination.encode_cursor({"r": float(rank), "i": last.pk})
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(chosen, photo_prefetch())
    return pagination.Page(items=chosen, next_cursor=next_cursor)


def search_results(
    *, raw_query: Any, viewer: Any, cursor: str | None = None, size: int = 20
) -> SearchResults:
    """Notes (paged), topics and members matching the query."""
    query = clean_query(raw_query)
    first_page = cursor in (None, "")
    return SearchResults(
        query=query,
        notes=note_search_page(query=query, viewer=viewer, cursor=cursor, size=size),
        topics=topic_search(query=query) if first_page else [],
        users=user_search(query=query, viewer=viewer) if first_page else [],
    )
