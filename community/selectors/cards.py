"""The hot path of the feeds, in plain SQL.

Discover and following are the most requested pages of the site, and on these
machines building one ORM query costs more than running it (a few ms of
Python for the compile, the clones and the model instances). So the two feeds
read their ranking keys and their cards with hand-written SQL, portable
between PostgreSQL and SQLite (``IN`` lists, subqueries in ``FROM``), and
build the same model instances the ORM would (``Model.from_db``), with the
author cached as ``select_related`` would and the photos as
``prefetch_related`` would. Everything else keeps the ORM.

The SQL here must stay equivalent to ``selectors.note_visible`` (published,
not by a blocked author) and ``selectors.note_with_viewer_flags``; the feed tests
run on both databases and compare with the ORM path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.db import connection
from django.utils.dateparse import parse_datetime

from community.models import Collect, Like, Note, Photo, User

NOTE = Note._meta.db_table
USER = User._meta.db_table
PHOTO = Photo._meta.db_table
LIKE = Like._meta.db_table
COLLECT = Collect._meta.db_table
NOTE_TOPIC = Note.topics.through._meta.db_table
PUBLISHED = Note.Status.PUBLISHED.value

_NOTE_FIELDS = [
    "id", "author_id", "title", "status", "like_count", "collect_count", "comment_count",
    "hot_score", "created_at", "published_at",
]  # fmt: skip
_USER_FIELDS = ["id", "username", "display_name", "avatar"]
_PHOTO_FIELDS = ["id", "note_id", "position", "original", "width", "height", "color", "renditions"]


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _in(column: str, values: Sequence[Any], *, negate: bool = False) -> tuple[str, list[Any]]:
    """``column IN (values)`` (or ``NOT IN``) with its parameters. On
    PostgreSQL the list is one array parameter: psycopg caches the parsing of
    a statement only up to 50 parameters, and discover's, with a member's
    follows and blocks as lists, had a hundred (splitting it anew cost more
    than 1 ms a page); on SQLite an ``IN`` list."""
    if connection.vendor == "postgresql":
        return f"{column} {'<> ALL' if negate else '= ANY'}(%s)", [list(values)]
    return f"{column} {'NOT IN' if negate else 'IN'} ({placeholders(values)})", list(values)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


class CardKey(NamedTuple):
    """A note chosen for a page with what changes from one request to the
    next, read together with the ranking keys: its counts and the viewer's
    flags. The rest of its card (title, author, photos, the extras of the
    apps above) is the same for everyone and is cached
    (``community.card_cache``)."""

    id: int
    author_id: int
    like_count: int
    collect_count: int
    comment_count: int
    liked: bool
    collected: bool


# The columns of a CardKey after the id, for notes aliased ``alias``: the
# counts and, for a member, their flags (visitors have none).
def _dynamic_columns(alias: str, viewer_id: int | None) -> tuple[str, list[Any]]:
    counts = f"{alias}.author_id, {alias}.like_count, {alias}.collect_count, {alias}.comment_count"
    if viewer_id is None:
        return f"{counts}, 0, 0", []
    return (
        f"{counts},"  # noqa: S608 (table and column names are ours, values are params)
        f" EXISTS(SELECT 1 FROM {LIKE} l WHERE l.note_id = {alias}.id AND l.user_id = %s),"
        f" EXISTS(SELECT 1 FROM {COLLECT} c WHERE c.note_id = {alias}.id AND c.user_id = %s)",
        [viewer_id, viewer_id],
    )


def card_key(note: Note) -> CardKey:
    """The card key of a note loaded with the viewer's flags
    (``note_with_viewer_flags``)."""
    return CardKey(
        note.pk,
        note.author_id,
        note.like_count,
        note.collect_count,
        note.comment_count,
        bool(getattr(note, "viewer_liked", False)),
        bool(getattr(note, "viewer_collected", False)),
    )


def _card_key(pk: Any, dynamic: Sequence[Any]) -> CardKey:
    author, like, collect, comment, liked, collected = dynamic
    return CardKey(
        int(pk), int(author), int(like), int(collect), int(comment), bool(liked), bool(collected)
    )


def note_cards_by_ids(
    ids: Sequence[int], *, viewer_id: int | None, blocked: Sequence[int]
) -> list[Note]:
    """Published notes with these ids, in this order, ready for cards: author
    and photos loaded, ``viewer_liked`` / ``viewer_collected`` set. Notes that
    are no longer visible (hidden, deleted, blocked author) drop out."""
    if not ids:
        return []
    columns = (
        ", ".join(f"n.{f}" for f in _NOTE_FIELDS) + ", " + ", ".join(f"u.{f}" for f in _USER_FIELDS)
    )
    sql = (
        f"SELECT {columns},"  # noqa: S608 (table and column names are ours, values are params)
        f" EXISTS(SELECT 1 FROM {LIKE} l WHERE l.note_id = n.id AND l.user_id = %s),"
        f" EXISTS(SELECT 1 FROM {COLLECT} c WHERE c.note_id = n.id AND c.user_id = %s)"
        f" FROM {NOTE} n JOIN {USER} u ON u.id = n.author_id"
        f" WHERE n.id IN ({placeholders(ids)}) AND n.status = %s"
    )
    params: list[Any] = [viewer_id or 0, viewer_id or 0, *ids, PUBLISHED]
    if blocked:
        sql += f" AND n.author_id NOT IN ({placeholders(blocked)})"
        params += list(blocked)
    db = connection.alias
    notes: dict[int, Note] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(_NOTE_FIELDS)
    for row in rows:
        values = list(row[:width])
        values[8], values[9] = _aware(values[8]), _aware(values[9])
        note = Note.from_db(db, _NOTE_FIELDS, values)
        author = User.from_db(db, _USER_FIELDS, row[width : width + len(_USER_FIELDS)])
        note._state.fields_cache["author"] = author
        note.viewer_liked = bool(row[-2])  # type: ignore[attr-defined]
        note.viewer_collected = bool(row[-1])  # type: ignore[attr-defined]
        note._prefetched_objects_cache = {"photos": _cached_queryset([])}  # type: ignore[attr-defined]
        notes[note.pk] = note
    if notes:
        _attach_photos(notes)
    return [notes[pk] for pk in ids if pk in notes]


def _cached_queryset(items: list[Photo]) -> Any:
    # What prefetch_related leaves behind: a queryset whose results are known.
    queryset = Photo.objects.all()
    queryset._result_cache = items
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def _attach_photos(notes: dict[int, Note]) -> None:
    sql = (
        f"SELECT {', '.join(_PHOTO_FIELDS)} FROM {PHOTO}"  # noqa: S608
        f" WHERE note_id IN ({placeholders(list(notes))}) ORDER BY note_id, position, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(notes))
        rows = cursor.fetchall()
    db = connection.alias
    for row in rows:
        values = list(row)
        values[-1] = _json(values[-1]) or {}
        photo = Photo.from_db(db, _PHOTO_FIELDS, values)
        cached = notes[row[1]]._prefetched_objects_cache["photos"]  # type: ignore[attr-defined]
        cached._result_cache.append(photo)


def _topic_match(topics: Sequence[int]) -> tuple[str, list[Any]]:
    match, params = _in("nt.topic_id", topics)
    return (
        f"EXISTS (SELECT 1 FROM {NOTE_TOPIC} nt WHERE nt.note_id = n.id AND {match})",  # noqa: S608
        params,
    )


class DiscoverKey(NamedTuple):
    """A discover candidate: its card key, its ranking key (``hot_score`` plus
    the stream's ``boost``), and whether it is one of the viewer's own fresh
    notes (``own``: they lead the first page, ranked by ``published_at``)."""

    card: CardKey
    hot_score: float
    boost: float
    own: bool
    published_at: datetime | None


def note_discover_keys(
    *,
    viewer_id: int | None,
    followed_users: Sequence[int],
    followed_topics: Sequence[int],
    blocked: Sequence[int],
    boosts: tuple[float, float],
    after: tuple[float, int] | None,
    limit: int,
    own_since: datetime | None = None,
    own_limit: int = 0,
) -> list[DiscoverKey]:
    """Up to ``limit`` notes from each stream (followed creators, followed
    topics, everyone else), each read down its own ``hot_score`` index order
    below the cursor, and, with ``own_since``, the viewer's own notes
    published since then (up to ``own_limit``, newest first), merged: the
    own notes, then the best ``limit`` by boosted score (``limit +
    own_limit`` rows in all), in one query with each note's counts and the
    viewer's flags."""
    creator_boost, topic_boost = boosts
    # (boost, conditions, params)
    streams: list[tuple[float, list[str], list[Any]]] = []
    topic_sql, topic_params = _topic_match(followed_topics) if followed_topics else ("", [])
    followed, followed_params = _in("n.author_id", followed_users)
    not_followed, not_followed_params = _in("n.author_id", followed_users, negate=True)
    if followed_users:
        streams.append((creator_boost, [followed], followed_params))
    if followed_topics:
        conditions, params = [topic_sql], list(topic_params)
        if followed_users:
            conditions.append(not_followed)
            params += not_followed_params
        streams.append((topic_boost, conditions, params))
    rest_conditions: list[str] = []
    rest_params: list[Any] = []
    if followed_users:
        rest_conditions.append(not_followed)
        rest_params += not_followed_params
    if followed_topics:
        rest_conditions.append(f"NOT {topic_sql}")
        rest_params += list(topic_params)
    streams.append((0.0, rest_conditions, rest_params))

    parts: list[str] = []
    all_params: list[Any] = []
    for index, (boost, conditions, stream_params) in enumerate(streams):
        where = ["n.status = %s", *conditions]
        part_params: list[Any] = [PUBLISHED, *stream_params]
        if blocked:
            unblocked, unblocked_params = _in("n.author_id", blocked, negate=True)
            where.append(unblocked)
            part_params += unblocked_params
        if after is not None:
            key, last_id = after
            # The last bound is redundant but lets the database walk the
            # hot_score index instead of computing the sum for every row.
            where.append(
                "(n.hot_score + %s < %s OR (n.hot_score + %s = %s AND n.id < %s))"
                " AND n.hot_score <= %s"
            )
            part_params += [boost, key, boost, key, last_id, key - boost + 1e-6]
        part, params = _discover_part(
            index, boost, 0, where, part_params, "n.hot_score DESC, n.id DESC", limit
        )
        parts.append(part)
        all_params += params
    if own_since is not None and viewer_id is not None and own_limit > 0:
        when = connection.ops.adapt_datetimefield_value(own_since)
        part, params = _discover_part(
            len(parts), 0.0, 1,
            ["n.status = %s", "n.author_id = %s", "n.published_at >= %s"],
            [PUBLISHED, viewer_id, when],
            "n.published_at DESC, n.id DESC", own_limit,
        )  # fmt: skip
        parts.append(part)
        all_params += params
    # The streams merged and cut in the database: the viewer's flags are
    # looked up for the notes that can make the page, not for every stream's
    # candidates (own notes first; a ranked copy of one is dropped by the
    # caller, hence the second own_limit).
    dynamic, dynamic_params = _dynamic_columns("u", viewer_id)
    sql = (
        f"SELECT u.id, u.hot_score, u.boost, u.own, u.published_at, {dynamic}"  # noqa: S608
        f" FROM ({' UNION ALL '.join(parts)}) u"
        f" ORDER BY u.own DESC, u.hot_score + u.boost DESC, u.id DESC"
        f" LIMIT {int(limit + max(own_limit, 0))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*dynamic_params, *all_params])
        rows = cursor.fetchall()
    return [
        DiscoverKey(
            _card_key(row[0], row[5:11]),
            float(row[1]),
            float(row[2]),
            bool(row[3]),
            _aware(row[4]) if row[3] else None,
        )
        for row in rows
    ]


def _discover_part(
    index: int,
    boost: float,
    own: int,
    where: list[str],
    params: list[Any],
    order: str,
    limit: int,
) -> tuple[str, list[Any]]:
    sql = (
        f"SELECT * FROM (SELECT n.id, n.hot_score, %s AS boost, {int(own)} AS own,"  # noqa: S608
        f" n.published_at, n.author_id, n.like_count, n.collect_count, n.comment_count"
        f" FROM {NOTE} n WHERE {' AND '.join(where)} ORDER BY {order}"
        f" LIMIT {int(limit)}) s{index}"
    )
    return sql, [float(boost), *params]


def note_recent_keys(
    *,
    viewer_id: int | None = None,
    authors: Sequence[int] | None = None,
    topic_id: int | None = None,
    blocked: Sequence[int],
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[CardKey, datetime]]:
    """``(card key, published_at)`` of the newest published notes by
    ``authors`` (the following feed, a member's notes) or on ``topic_id``
    below the cursor."""
    where = ["n.status = %s"]
    params: list[Any] = [PUBLISHED]
    if authors is not None:
        by_authors, authors_params = _in("n.author_id", authors)
        where.append(by_authors)
        params += authors_params
    if topic_id is not None:
        where.append(_on_topic())
        params.append(topic_id)
    if after is not None:
        when = connection.ops.adapt_datetimefield_value(after[0])
        where.append("(n.published_at < %s OR (n.published_at = %s AND n.id < %s))")
        params += [when, when, after[1]]
    rows = _key_rows("published_at", where, params, blocked, viewer_id, limit)
    keys = []
    for row in rows:
        moment = _aware(row[1])
        if moment is not None:
            keys.append((_card_key(row[0], row[2:8]), moment))
    return keys


def _on_topic() -> str:
    return f"EXISTS (SELECT 1 FROM {NOTE_TOPIC} nt WHERE nt.note_id = n.id AND nt.topic_id = %s)"  # noqa: S608


def note_hot_keys(
    *,
    viewer_id: int | None,
    topic_id: int,
    blocked: Sequence[int],
    after: tuple[float, int] | None,
    limit: int,
) -> list[tuple[CardKey, float]]:
    """``(card key, hot_score)`` of the published notes on ``topic_id`` by hot
    score below the cursor, without personal boosts (a topic's page)."""
    where = [
        "n.status = %s",
        _on_topic(),
    ]
    params: list[Any] = [PUBLISHED, topic_id]
    if after is not None:
        key, last_id = after
        where.append("(n.hot_score < %s OR (n.hot_score = %s AND n.id < %s))")
        params += [key, key, last_id]
    rows = _key_rows("hot_score", where, params, blocked, viewer_id, limit)
    return [(_card_key(row[0], row[2:8]), float(row[1])) for row in rows]


def _key_rows(
    order: str,
    where: list[str],
    params: list[Any],
    blocked: Sequence[int],
    viewer_id: int | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """``(id, <order column>, <the card key's columns>)`` of the first
    ``limit`` notes matching ``where`` (and not by ``blocked`` authors), by
    ``order`` then id, newest or highest first."""
    if blocked:
        unblocked, unblocked_params = _in("n.author_id", blocked, negate=True)
        where, params = [*where, unblocked], [*params, *unblocked_params]
    dynamic, dynamic_params = _dynamic_columns("n", viewer_id)
    sql = (
        f"SELECT n.id, n.{order}, {dynamic} FROM {NOTE} n"  # noqa: S608
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY n.{order} DESC, n.id DESC LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*dynamic_params, *params])
        return list(cursor.fetchall())
