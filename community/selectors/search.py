"""Search over notes, topics and members.

Notes are matched by whole words, stemmed ("breads" finds "bread"), on both
databases (migration 0004):

- PostgreSQL: a weighted tsvector (title A, body B, kept by a trigger,
  GIN-indexed) holding each word as written (``simple``) and stemmed
  (``english``), against ``websearch_to_tsquery`` in both configurations;
  ranked by text relevance blended with the note's hot score.
- SQLite (the embedded default): an FTS5 index with the Porter stemmer,
  every word of the query required, ranked by bm25 blended with the hot
  score.

Chinese, Japanese and Korean queries (text without spaces between words,
which neither parser can split), and SQLite builds without FTS5, match every
term as a substring of the title or body instead, ranked by hot score.

Members: every word must appear in the username or the display name; the
exact name comes first, then names that start with the query, then the most
followed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Lower

from community.models import Note, Topic, User
from community.selectors.cards import card_key
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
    unsegmented = bool(UNSEGMENTED_RE.search(query))
    if connection.vendor == "postgresql" and not unsegmented:
        tsquery = SearchQuery(query, config="simple", search_type="websearch") | SearchQuery(
            query, config="english", search_type="websearch"
        )
        # Relevance first; among equally relevant notes the hotter one wins.
        notes = notes.filter(search_vector=tsquery).annotate(
            search_rank=SearchRank(F("search_vector"), tsquery) * Value(100.0)
            + F("hot_score") / Value(1000.0)
        )
    elif connection.vendor == "sqlite" and not unsegmented and _sqlite_fts():
        match = _fts_match(query)
        if match is None:  # nothing searchable ("#", "-"): same annotations
            return note_cards(notes.none().annotate(search_rank=Value(0.0)), viewer)
        # bm25 is negative, more negative for a better match: negate it and
        # weigh the title as the PostgreSQL ranking does (A over B).
        rank = RawSQL(
            "(SELECT -bm25(community_note_fts, 4.0, 1.0) FROM community_note_fts"
            " WHERE community_note_fts MATCH %s AND community_note_fts.rowid = community_note.id)",
            (match,),
            output_field=FloatField(),
        )
        notes = notes.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM community_note_fts WHERE community_note_fts MATCH %s", (match,)
            )
        ).annotate(search_rank=rank * Value(100.0) + F("hot_score") / Value(1000.0))
    else:
        terms = _terms(query)
        if not terms:  # "#" or "@" alone: nothing to match, same annotations
            notes = notes.none()
        for term in terms:
            notes = notes.filter(Q(title__icontains=term) | Q(body__icontains=term))
        notes = notes.annotate(search_rank=Cast(F("hot_score"), FloatField()))
    return note_cards(notes, viewer)


_FTS_WORD_RE = re.compile(r"\w+", re.UNICODE)


@functools.cache
def _sqlite_fts() -> bool:
    """Whether this SQLite library has FTS5, so migration 0004 made the
    notes' index. Asked of a throwaway in-memory database: no query on the
    site's connection (page query counts stay what they are)."""
    import sqlite3

    probe = sqlite3.connect(":memory:")
    try:
        options = [row[0] for row in probe.execute("PRAGMA compile_options")]
    finally:
        probe.close()
    return any("FTS5" in option for option in options)


def _fts_match(query: str) -> str | None:
    """The query as an FTS5 expression: each word a quoted string (so no
    word is read as an operator), all required. ``-word`` excludes, as in
    the websearch syntax PostgreSQL reads."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for raw in query.split()[: MAX_TERMS * 2]:
        words = _FTS_WORD_RE.findall(raw)
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        (unwanted if raw.startswith("-") and len(raw) > 1 else wanted).append(phrase)
    if not wanted:
        return None
    expression = " AND ".join(wanted[:MAX_TERMS])
    for phrase in unwanted[:MAX_TERMS]:
        expression += f" NOT {phrase}"
    return expression


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
    """Members whose username or display name holds every word of the query:
    the exact name first ("Felix Romero" before Felix Haddad), then names
    that start with the query, then the most followed."""
    terms = _terms(query)
    if not terms:
        return []
    users = User.objects.filter(is_active=True)
    for term in terms:
        users = users.filter(Q(username__icontains=term) | Q(display_name__icontains=term))
    if getattr(viewer, "is_authenticated", False):
        users = users.exclude(blocked_by__blocker=viewer)
    whole = " ".join(terms).lower()
    closeness = Case(
        When(Q(username__iexact=whole) | Q(display_name__iexact=whole), then=Value(0)),
        When(Q(username__istartswith=whole) | Q(display_name__istartswith=whole), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        users.annotate(closeness=closeness).order_by(
            "closeness", "-follower_count", Lower("username")
        )[:limit]
    )


def note_search_page(
    *, query: str, viewer: Any, cursor: str | None, size: int, keys: bool = False
) -> pagination.Page:
    """One page of matching notes, keyset-paged by (rank, id); with ``keys``,
    as card keys (``CardKey``: the API renders them from the card cache)."""
    after = pagination.decode_cursor(cursor, {"r": (int, float), "i": int})
    notes = note_search(query=query, viewer=viewer)
    if after is not None:
        rank = float(after["r"])
        # search_rank is an annotation the type checker cannot see.
        notes = notes.filter(Q(search_rank__lt=rank) | Q(search_rank=rank, pk__lt=after["i"]))
    if keys:  # the cards come from the cache: no author, no photos
        notes = notes.select_related(None).prefetch_related(None)
    rows = list(notes.order_by(F("search_rank").desc(), "-pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        last = chosen[-1]
        rank = getattr(last, "search_rank")  # noqa: B009 (an annotation)
        next_cursor = pagination.encode_cursor({"r": float(rank), "i": last.pk})
    if keys:
        return pagination.Page(items=[card_key(note) for note in chosen], next_cursor=next_cursor)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(chosen, photo_prefetch())
    return pagination.Page(items=chosen, next_cursor=next_cursor)


def search_results(
    *, raw_query: Any, viewer: Any, cursor: str | None = None, size: int = 20, keys: bool = False
) -> SearchResults:
    """Notes (paged; with ``keys``, as card keys), topics and members
    matching the query."""
    query = clean_query(raw_query)
    first_page = cursor in (None, "")
    return SearchResults(
        query=query,
        notes=note_search_page(query=query, viewer=viewer, cursor=cursor, size=size, keys=keys),
        topics=topic_search(query=query) if first_page else [],
        users=user_search(query=query, viewer=viewer) if first_page else [],
    )
