"""Daily stats of the creator pool, computed set-based.

``stats_compute_day(day=...)`` writes one :class:`~kol.models.CreatorDailyStat` row
per creator in the pool for a UTC calendar day with set-based SQL, portable
between SQLite and PostgreSQL: one ``SELECT ... GROUP BY`` aggregate into a
temporary table, one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` from it,
then one ``UPDATE`` copying the engagement rate onto the profiles and at most
one ``UPDATE`` per tier. Nine queries, whatever the number of creators; and
running it again for the same day replaces the rows: it is idempotent, so the
Celery beat schedule and ``manage.py recompute_stats`` can run it as often as
they like. ``docs/performance.md`` has its figures on 10,000 creators.

What each column means for a creator on ``day`` (``[00:00, 24:00)`` UTC):

``followers``
    Follows of the creator created before the end of the day. Exact for
    today; for a past day it counts the follows that still exist (an
    unfollow deletes the row, so follows removed since are not counted).
``new_followers``
    Follows of the creator created that day (same caveat for past days).
``notes_published``
    The creator's notes whose status is ``published`` and whose
    ``published_at`` falls on that day.
``likes_received``, ``collects_received``, ``comments_received``
    Likes, collects and comments created that day on any of the creator's
    notes (comments: visible ones only; replies count like comments).
``engagement_rate``
    A fraction (0.071 = 7.1%): the interactions (likes + collects + visible
    comments) received during the 30 days ending on that day, divided by
    ``max(followers, 1)`` and by ``max(notes published in those 30 days, 1)``.
``live_seconds``, ``gift_income``, ``sales``
    Zero, unless stat providers fill them (below). Money is in minor units.

Extension point: ``kol.extensions.stat_providers`` holds callables
``(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]``.
Each returns, for the creators it knows something about, the extra columns
``live_seconds``, ``gift_income`` and/or ``sales`` for that day (the live,
wallet and shop apps plug in here; ``kol`` never imports them). Values of
several providers for the same creator and column are added up. They are
joined into the same aggregate (as an inline ``VALUES`` table), so providers
cost one query for the creators' ids plus their own queries (counted in
``StatsResult.queries``), never one per creator: providers must be set-based
too. A provider may return only the creators with non-zero figures.

Tiers follow ``users.follower_count`` (the live, denormalised counter) with
the thresholds of ``settings.SPROUT_KOL_TIERS`` (``kol.selectors.tier_thresholds``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from community.models import Collect, Comment, Follow, Like, Note
from kol import extensions
from kol.models import CreatorDailyStat, CreatorProfile, Tier
from kol.selectors.creators import tier_thresholds

WINDOW_DAYS = 30
# Columns only providers can fill (other apps' data).
PROVIDED_COLUMNS = ("live_seconds", "gift_income", "sales")
# Every column stats_compute_day writes, in the order of its SELECT.
STAT_COLUMNS = (
    "creator_id",
    "date",
    "followers",
    "new_followers",
    "notes_published",
    "likes_received",
    "collects_received",
    "comments_received",
    "engagement_rate",
    *PROVIDED_COLUMNS,
    "computed_at",
)

StatRow = dict[str, Any]


@dataclass(frozen=True)
class StatsResult:
    """What one ``stats_compute_day`` did (or, with ``dry_run``, would do).

    ``rows`` holds the computed rows in a dry run only (a real run writes
    them straight from SQL without fetching them)."""

    day: date
    creators: int
    rows_written: int
    queries: int
    elapsed: float
    dry_run: bool = False
    tiers_changed: int = 0
    rows: list[StatRow] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """``2026-11-24: 312 creators, 312 rows, 9 queries, 0.21 s``; a dry
        run counts the rows it would write: ``312 rows would be written``."""
        rows = (
            f"{len(self.rows):,} rows would be written"
            if self.dry_run
            else f"{self.rows_written:,} rows"
        )
        return (
            f"{self.day.isoformat()}: {self.creators:,} creators, {rows}, "
            f"{self.queries} queries, {self.elapsed:.2f} s"
        )


# --- public functions -----------------------------------------------------------------


def stats_compute_day(*, day: date, dry_run: bool = False) -> StatsResult:
    """Compute every creator's stats for ``day`` (UTC) and upsert them, copy
    the latest engagement rate onto the profiles and refresh the tiers.

    A fixed number of queries whatever the size of the pool. With
    ``dry_run`` nothing is written: the rows are computed and returned in
    ``StatsResult.rows`` with the number of tiers that would change."""
    started = time.perf_counter()
    connection.ensure_connection()  # a new connection's set-up is not ours to count
    with _count_queries() as counter:
        extra = _provided_columns(day)
        prefix, select, params = _stats_select(day, extra)
        if dry_run:
            with connection.cursor() as cursor:
                cursor.execute(prefix + select, params)
                names = [col[0] for col in cursor.description]
                rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            tiers = _tier_changes(write=False)
            written, creators = 0, len(rows)
        else:
            rows = []
            with transaction.atomic():
                written = _upsert(prefix, select, params)
                creators = written  # exactly one row per creator in the pool
                _copy_engagement_rates(day)
                tiers = _tier_changes(write=True)
    return StatsResult(
        day=day,
        creators=creators,
        rows_written=written,
        queries=counter[0],
        elapsed=time.perf_counter() - started,
        dry_run=dry_run,
        tiers_changed=tiers,
        rows=rows,
    )


def stats_recompute(
    *,
    days: list[date],
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[StatsResult]:
    """``stats_compute_day`` for each day in order; ``progress(done, total)`` is
    called after each."""
    results = []
    for done, day in enumerate(days, start=1):
        results.append(stats_compute_day(day=day, dry_run=dry_run))
        if progress is not None:
            progress(done, len(days))
    return results


def tiers_refresh() -> int:
    """Derive every creator's tier from their followers, set-based (one
    ``UPDATE`` per tier at most). Returns how many tiers changed."""
    return _tier_changes(write=True)


# --- SQL ------------------------------------------------------------------------------


@contextmanager
def _count_queries() -> Iterator[list[int]]:
    counter = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _stats_select(day: date, extra: dict[int, dict[str, int]]) -> tuple[str, str, list[Any]]:
    """``(WITH prefix, SELECT, params)`` computing one row per creator: the
    columns of ``STAT_COLUMNS`` in order. Follows and notes are aggregated
    per followee / author; likes, collects and visible comments are read
    together (UNION ALL) and joined to their notes once; each is grouped
    over the 30-day window with the day's share as a conditional sum, and
    LEFT JOINed to the profiles."""
    ops = connection.ops
    q = ops.quote_name
    start = datetime.combine(day, dt_time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    window = end - timedelta(days=WINDOW_DAYS)
    at_start, at_end, at_window = (ops.adapt_datetimefield_value(v) for v in (start, end, window))

    def on_day(kind: int) -> str:
        return f"SUM(CASE WHEN e.kind = {kind} AND e.created_at >= %s THEN 1 ELSE 0 END)"

    def in_window(model: Any, kind: int, condition: str = "") -> str:
        return (
            f"SELECT note_id, created_at, {kind} AS kind FROM {_table(model)} "  # noqa: S608
            f"WHERE created_at >= %s AND created_at < %s{condition}"
        )

    provided = (
        ", ".join(f"COALESCE(x.{q(col)}, 0) AS {q(col)}" for col in PROVIDED_COLUMNS)
        if extra
        else ", ".join(f"0 AS {q(col)}" for col in PROVIDED_COLUMNS)
    )
    select = (
        f"SELECT p.id AS creator_id, %s AS {q('date')}, "  # noqa: S608 (names are ours, values params)
        "COALESCE(f.followers, 0) AS followers, "
        "COALESCE(f.new_followers, 0) AS new_followers, "
        "COALESCE(n.day_count, 0) AS notes_published, "
        "COALESCE(i.likes, 0) AS likes_received, "
        "COALESCE(i.collects, 0) AS collects_received, "
        "COALESCE(i.comments, 0) AS comments_received, "
        "CAST(COALESCE(i.window_count, 0) AS DOUBLE PRECISION) "
        "/ (CASE WHEN COALESCE(f.followers, 0) > 1 THEN f.followers ELSE 1 END) "
        "/ (CASE WHEN COALESCE(n.window_count, 0) > 1 THEN n.window_count ELSE 1 END) "
        "AS engagement_rate, "
        f"{provided}, %s AS computed_at "
        f"FROM {_table(CreatorProfile)} p "
        "LEFT JOIN ("
        "SELECT followee_id AS user_id, COUNT(*) AS followers, "
        "SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END) AS new_followers "
        f"FROM {_table(Follow)} WHERE created_at < %s GROUP BY followee_id"
        ") f ON f.user_id = p.user_id "
        "LEFT JOIN ("
        "SELECT author_id AS user_id, "
        "SUM(CASE WHEN published_at >= %s THEN 1 ELSE 0 END) AS day_count, "
        "COUNT(*) AS window_count "
        f"FROM {_table(Note)} WHERE status = %s AND published_at >= %s AND published_at < %s "
        "GROUP BY author_id"
        ") n ON n.user_id = p.user_id "
        "LEFT JOIN ("
        f"SELECT t.author_id AS user_id, {on_day(1)} AS likes, {on_day(2)} AS collects, "
        f"{on_day(3)} AS comments, COUNT(*) AS window_count "
        f"FROM ({in_window(Like, 1)} UNION ALL {in_window(Collect, 2)} "
        f"UNION ALL {in_window(Comment, 3, ' AND status = %s')}) e "
        f"JOIN {_table(Note)} t ON t.id = e.note_id "
        "GROUP BY t.author_id"
        ") i ON i.user_id = p.user_id "
        + ("LEFT JOIN extra x ON x.creator_id = p.id " if extra else "")
        + "ORDER BY p.id"
    )
    params: list[Any] = [
        ops.adapt_datefield_value(day),
        ops.adapt_datetimefield_value(timezone.now()),
        at_start, at_end,  # follows
        at_start, Note.Status.PUBLISHED.value, at_window, at_end,  # notes
        at_start, at_start, at_start,  # likes, collects, comments on the day
        at_window, at_end,  # likes
        at_window, at_end,  # collects
        at_window, at_end, Comment.Status.VISIBLE.value,  # comments
    ]  # fmt: skip
    prefix = ""
    if extra:
        # Integers only (checked by _provided_columns), so inlining them is
        # safe and keeps clear of the databases' limits on parameters.
        values = ", ".join(
            "(" + ", ".join(str(int(v)) for v in (cid, *(cols[c] for c in PROVIDED_COLUMNS))) + ")"
            for cid, cols in sorted(extra.items())
        )
        names = ", ".join(q(c) for c in ("creator_id", *PROVIDED_COLUMNS))
        prefix = f"WITH extra ({names}) AS (VALUES {values}) "
    return prefix, select, params


def _upsert(prefix: str, select: str, params: list[Any]) -> int:
    """Compute into a temporary table, then upsert from it. Two steps
    because PostgreSQL runs the SELECT of an ``INSERT ... SELECT`` on one
    core, while ``CREATE TABLE ... AS`` may use parallel workers (twice as
    fast on two cores here)."""
    q = connection.ops.quote_name
    scratch = q("kol_stats_day")
    columns = ", ".join(q(c) for c in STAT_COLUMNS)
    updates = ", ".join(
        f"{q(c)} = excluded.{q(c)}" for c in STAT_COLUMNS if c not in ("creator_id", "date")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} AS {prefix}{select}", params)
        cursor.execute(
            f"INSERT INTO {_table(CreatorDailyStat)} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM {scratch} "
            # The WHERE keeps SQLite from reading ON CONFLICT as a join
            # constraint (https://sqlite.org/lang_upsert.html, "parsing
            # ambiguity"); the order makes concurrent runs lock rows alike.
            f"WHERE 1 = 1 ORDER BY {q('creator_id')} "
            f"ON CONFLICT ({q('creator_id')}, {q('date')}) DO UPDATE SET {updates}"
        )
        written = max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE {scratch}")
    return written


def _copy_engagement_rates(day: date) -> int:
    """Profiles whose latest daily stat is ``day``'s take its engagement
    rate (only those whose rate changed are written)."""
    on_day = CreatorDailyStat.objects.filter(creator=OuterRef("pk"), date=day)
    later = CreatorDailyStat.objects.filter(creator=OuterRef("pk"), date__gt=day)
    rate = Subquery(on_day.values("engagement_rate")[:1])
    return (
        CreatorProfile.objects.filter(Exists(on_day))
        .exclude(Exists(later))
        .exclude(engagement_rate=rate)
        .update(engagement_rate=rate)
    )


def _tier_changes(*, write: bool) -> int:
    """Tiers that differ from what the followers say; fixed when ``write``.
    One statement per tier: the tier owns ``[its minimum, the next tier's)``,
    matching ``kol.selectors.tier_for`` (the highest tier reached wins)."""
    changed = 0
    upper: int | None = None
    for tier, minimum in [*tier_thresholds(), (Tier.NANO.value, 0)]:
        wrong = CreatorProfile.objects.filter(user__follower_count__gte=minimum)
        if upper is not None:
            wrong = wrong.filter(user__follower_count__lt=upper)
        wrong = wrong.exclude(tier=tier)
        changed += wrong.update(tier=tier) if write else wrong.count()
        upper = minimum
    return changed


# --- providers ------------------------------------------------------------------------


def _provided_columns(day: date) -> dict[int, dict[str, int]]:
    """The providers' extra columns per creator, added up; {} without
    providers (and then no query at all)."""
    providers = extensions.stat_providers.items()
    if not providers:
        return {}
    creator_ids = list(CreatorProfile.objects.order_by("id").values_list("id", flat=True))
    merged: dict[int, dict[str, int]] = {}
    for provider in providers:
        name = getattr(provider, "__qualname__", repr(provider))
        for creator_id, columns in (provider(day, creator_ids) or {}).items():
            row = merged.setdefault(int(creator_id), dict.fromkeys(PROVIDED_COLUMNS, 0))
            for column, value in columns.items():
                if column not in PROVIDED_COLUMNS:
                    raise ImproperlyConfigured(
                        f"Stat provider {name} returned {column!r}; providers fill only "
                        f"{', '.join(PROVIDED_COLUMNS)}."
                    )
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ImproperlyConfigured(
                        f"Stat provider {name} returned {value!r} for {column}: "
                        "an integer is expected."
                    )
                row[column] += value
    for creator_id, row in merged.items():
        if row["live_seconds"] < 0:
            raise ImproperlyConfigured(
                f"Stat providers gave creator {creator_id} negative live_seconds."
            )
    return merged
