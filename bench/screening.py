"""Creator stats and screening over 10,000 creators and 200,000 notes on
PostgreSQL: ``recompute_stats`` for one day against a hand-written SQL
aggregate computing the same per-creator numbers in the same run, then the
screening ranking and ``manage.py screen_creators``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprout .venv/bin/python bench/screening.py

What it does:
1. (Re)creates the database ``<name>_screening`` next to DATABASE_URL's,
   migrates it and bulk-loads it with ``INSERT ... SELECT generate_series``
   (deterministic: ``setseed``): 30,000 members of whom 10,000 are creators
   (1–3 of the 15 niches each), followers long-tailed (20,000 for the biggest
   creator, ~20 for the smallest; ~0.7 M follows over 400 days, more of them
   recent), 200,000 notes over 60 days by creators (long-tailed: busy
   creators post hundreds, quiet ones a few; 3% drafts, 2% hidden), and
   likes, collects and comments per note drawn from a Pareto distribution
   (~1 M, 0.25 M and 0.17 M), mostly soon after publication; then the
   denormalised counters, ``VACUUM ANALYZE``, and 30 days of stats history
   (``kol.services.stats_recompute``) so that screening has something to read.
2. (a) ``kol.services.stats_compute_day(day=today)``, the code behind
   ``manage.py recompute_stats``: median time of 3 runs and its queries.
3. (b) Hand-written aggregates of the same numbers for the same day, each a
   single ``SELECT ... GROUP BY``, fetched: median of 3; checks that they
   agree with the rows stats_compute_day wrote; prints stats_compute_day / fastest
   aggregate (goal: <= 3).
4. (c) ``kol.selectors.creator_ranking(top=50)`` and ``manage.py
   screen_creators --top 50 --dry-run --format json``: median time of 3 and
   queries (or says clearly that screening is not importable yet).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_database_url, recreate_database, setup_django  # noqa: E402

CREATORS = 10_000
MEMBERS = 30_000  # creators included
NOTES = 200_000
NOTE_DAYS = 60
HISTORY_DAYS = 30
RUNS = 3
GOAL_RATIO = 3.0


# --- loading ----------------------------------------------------------------------------

# (label, SQL). %(password)s is the one parameter. Ids are 1..N in a fresh
# database: creators are members 1..10,000 (checked after the first step).
LOAD_STEPS: list[tuple[str, str]] = [
    (
        "members",
        f"""
        INSERT INTO community_user (password, last_login, is_superuser, first_name, last_name,
            is_staff, is_active, date_joined, username, email, display_name, bio, avatar,
            follower_count, following_count, note_count)
        SELECT %(password)s, NULL, false, '', '', false, true, now() - interval '400 days',
            CASE WHEN g <= {CREATORS} THEN 'creator' ELSE 'member' END || g,
            'bench' || g || '@example.com', 'Bench Member ' || g, '', '', 0, 0, 0
        FROM generate_series(1, {MEMBERS}) g ORDER BY g
        """,
    ),
    (
        "creators",
        f"""
        INSERT INTO kol_creatorprofile (user_id, tier, verified, bio, links, joined_at,
            engagement_rate, score, score_reasons, scored_at)
        SELECT id, 'nano', random() < 0.05, 'Slow mornings, good coffee.', '[]'::jsonb,
            now() - random() * interval '400 days', 0, NULL, '[]'::jsonb, NULL
        FROM community_user WHERE id <= {CREATORS} ORDER BY id
        """,
    ),
    (
        "niches",
        """
        INSERT INTO kol_creatorprofile_niches (creatorprofile_id, niche_id)
        SELECT p.id, n.id
        FROM kol_creatorprofile p
        CROSS JOIN LATERAL generate_series(0, p.id % 3) j
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM kol_niche) n
            ON n.idx = (p.user_id * 7 + j * 4) % 15
        """,
    ),
    (
        "boards",
        """
        INSERT INTO community_board (name, description, is_private, collect_count, created_at,
            owner_id)
        SELECT 'Saved', '', false, 0, now() - interval '400 days', id FROM community_user
        """,
    ),
    (
        "notes",
        f"""
        INSERT INTO community_note (title, body, body_html, status, hidden_reason, like_count,
            collect_count, comment_count, view_count, hot_score, created_at, updated_at,
            published_at, search_vector, author_id)
        SELECT 'Bench note ' || g || ': a slow breakfast', 'Oats, figs and green tea.',
            '<p>Oats, figs and green tea.</p>', s.status, '', 0, 0, 0, 0, 0, s.at, s.at,
            CASE WHEN s.status = 'draft' THEN NULL ELSE s.at END, NULL,
            1 + floor({CREATORS} * power(s.a, 2.5))::int
        FROM (
            SELECT g, random() AS a,
                CASE WHEN random() < 0.03 THEN 'draft'
                     WHEN random() < 0.02 THEN 'hidden' ELSE 'published' END AS status,
                now() - random() * interval '{NOTE_DAYS} days' AS at
            FROM generate_series(1, {NOTES}) g
        ) s
        """,
    ),
    (
        "follows",
        f"""
        INSERT INTO community_follow (created_at, followee_id, follower_id)
        SELECT now() - power(random(), 1.5) * interval '400 days', c, f
        FROM generate_series(1, {CREATORS}) c
        CROSS JOIN LATERAL generate_series(
            1, LEAST({MEMBERS} - 1000, floor(20000 / power(c, 0.75))::int + c % 7)) g
        CROSS JOIN LATERAL (SELECT 1 + ((c * 7919 + g * 104729) % {MEMBERS}) AS f) x
        WHERE f <> c
        """,
    ),
    (
        "engagement plan",
        """
        CREATE TEMP TABLE bench_engagement AS
        SELECT id, published_at, LEAST(2000, floor(power(1 - random(), -0.9))::int - 1) AS k
        FROM community_note WHERE status <> 'draft'
        """,
    ),
    (
        "likes",
        f"""
        INSERT INTO community_like (created_at, user_id, note_id)
        SELECT n.published_at + (now() - n.published_at) * power(random(), 3),
            1 + ((n.id * 7907 + g * 104729) % {MEMBERS}), n.id
        FROM bench_engagement n CROSS JOIN LATERAL generate_series(1, n.k) g
        """,
    ),
    (
        "collects",
        f"""
        INSERT INTO community_collect (created_at, board_id, user_id, note_id)
        SELECT n.published_at + (now() - n.published_at) * power(random(), 3), b.id,
            b.owner_id, n.id
        FROM bench_engagement n CROSS JOIN LATERAL generate_series(1, n.k / 4) g
        JOIN community_board b ON b.owner_id = 1 + ((n.id * 31 + g * 7919) % {MEMBERS})
        """,
    ),
    (
        "comments",
        f"""
        INSERT INTO community_comment (body, body_html, status, reply_count, created_at,
            author_id, parent_id, reply_to_id, note_id)
        SELECT 'Lovely!', '<p>Lovely!</p>',
            CASE WHEN random() < 0.03 THEN 'hidden' ELSE 'visible' END, 0,
            n.published_at + (now() - n.published_at) * power(random(), 3),
            1 + ((n.id * 13 + g * 104723) % {MEMBERS}), NULL, NULL, n.id
        FROM bench_engagement n CROSS JOIN LATERAL generate_series(1, n.k / 6) g
        """,
    ),
    (
        "counters",
        """
        UPDATE community_note n
        SET like_count = COALESCE(l.c, 0), collect_count = COALESCE(c.c, 0),
            comment_count = COALESCE(m.c, 0)
        FROM bench_engagement e
        LEFT JOIN (SELECT note_id, count(*) AS c FROM community_like GROUP BY note_id) l
            ON l.note_id = e.id
        LEFT JOIN (SELECT note_id, count(*) AS c FROM community_collect GROUP BY note_id) c
            ON c.note_id = e.id
        LEFT JOIN (SELECT note_id, count(*) AS c FROM community_comment
                   WHERE status = 'visible' GROUP BY note_id) m
            ON m.note_id = e.id
        WHERE n.id = e.id AND e.k > 0;
        UPDATE community_board b SET collect_count = x.c
        FROM (SELECT board_id, count(*) AS c FROM community_collect GROUP BY board_id) x
        WHERE x.board_id = b.id;
        UPDATE community_user u
        SET follower_count = COALESCE(a.c, 0), following_count = COALESCE(b.c, 0),
            note_count = COALESCE(d.c, 0)
        FROM community_user v
        LEFT JOIN (SELECT followee_id AS id, count(*) AS c FROM community_follow
                   GROUP BY followee_id) a ON a.id = v.id
        LEFT JOIN (SELECT follower_id AS id, count(*) AS c FROM community_follow
                   GROUP BY follower_id) b ON b.id = v.id
        LEFT JOIN (SELECT author_id AS id, count(*) AS c FROM community_note
                   WHERE status = 'published' GROUP BY author_id) d ON d.id = v.id
        WHERE u.id = v.id
        """,
    ),
]


BULK_TABLES = (
    "community_note", "community_follow", "community_like", "community_collect",
    "community_comment",
)  # fmt: skip


def drop_secondary_indexes(cursor: Any) -> list[str]:
    """Drop the unique constraints and indexes (not the primary keys) of the
    big tables and return the statements that put them back: building an
    index once over loaded rows is several times faster than maintaining it
    row by row (and rebuilding the unique ones checks the generated data)."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
        [list(BULK_TABLES)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(BULK_TABLES)],
    )
    indexes = cursor.fetchall()
    restore = []
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
        restore.append(definition)
    return restore


def load_data() -> None:
    """Bulk-load the data set with set-based SQL, then 30 days of stats."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from kol import selectors, services

    call_command("migrate", verbosity=0)
    password = make_password("bench-pass")
    with connection.cursor() as cursor:
        # The load only: no trigger (the deferred foreign-key checks, the
        # notes' search vector, left empty) and no JIT (it compiles each of
        # the 30 history days' aggregates anew). Measurements run with the
        # server's defaults.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET jit = off")
        cursor.execute("SELECT setseed(0.2026)")
        restore = drop_secondary_indexes(cursor)
        for label, sql in LOAD_STEPS:
            t0 = time.perf_counter()
            for statement in sql.split(";"):
                if statement.strip():
                    cursor.execute(statement, {"password": password} if "%(" in statement else None)
            print(f"  {label:<16} {time.perf_counter() - t0:6.1f} s")
            if label == "members":
                cursor.execute(
                    "SELECT min(id), max(id) FROM community_user WHERE username LIKE 'creator%%'"
                )
                assert cursor.fetchone() == (1, CREATORS), "creators must be members 1..N"
        t0 = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
        print(f"  {f'{len(restore)} indexes':<16} {time.perf_counter() - t0:6.1f} s")
        t0 = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  {'vacuum analyze':<16} {time.perf_counter() - t0:6.1f} s")
    today = selectors.stats_today()
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    t0 = time.perf_counter()
    results = services.stats_recompute(days=days)
    elapsed = time.perf_counter() - t0
    print(
        f"  {'stats history':<16} {elapsed:6.1f} s  ({HISTORY_DAYS} days, "
        f"{sum(r.rows_written for r in results):,} rows, {elapsed / len(days):.2f} s per day)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("RESET session_replication_role")
        cursor.execute("RESET jit")


def table_sizes() -> dict[str, int]:
    from django.db import connection

    tables = (
        "community_user", "kol_creatorprofile", "community_note", "community_follow",
        "community_like", "community_collect", "community_comment", "kol_creatordailystat",
    )  # fmt: skip
    sizes = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            sizes[table] = cursor.fetchone()[0]
    return sizes


# --- the hand-written aggregates --------------------------------------------------------

# Both compute, per creator and for the day [start, end), the same columns
# as kol.services.stats (followers, new followers, notes published, likes / collects /
# visible comments received, engagement rate over the 30 days ending that
# day), in a single SELECT ... GROUP BY, written the way one would by hand
# for PostgreSQL.
RAW_UNION = """
SELECT p.id,
    count(*) FILTER (WHERE e.kind = 'f') AS followers,
    count(*) FILTER (WHERE e.kind = 'f' AND e.at >= %(start)s) AS new_followers,
    count(*) FILTER (WHERE e.kind = 'n' AND e.at >= %(start)s) AS notes_published,
    count(*) FILTER (WHERE e.kind = 'l' AND e.at >= %(start)s) AS likes,
    count(*) FILTER (WHERE e.kind = 'c' AND e.at >= %(start)s) AS collects,
    count(*) FILTER (WHERE e.kind = 'm' AND e.at >= %(start)s) AS comments,
    count(*) FILTER (WHERE e.kind IN ('l', 'c', 'm'))::float8
        / GREATEST(count(*) FILTER (WHERE e.kind = 'f'), 1)
        / GREATEST(count(*) FILTER (WHERE e.kind = 'n'), 1) AS engagement_rate
FROM kol_creatorprofile p
LEFT JOIN (
    SELECT followee_id AS user_id, 'f' AS kind, created_at AS at
    FROM community_follow WHERE created_at < %(end)s
    UNION ALL
    SELECT author_id, 'n', published_at FROM community_note
    WHERE status = 'published' AND published_at >= %(window)s AND published_at < %(end)s
    UNION ALL
    SELECT t.author_id, 'l', e.created_at FROM community_like e
    JOIN community_note t ON t.id = e.note_id
    WHERE e.created_at >= %(window)s AND e.created_at < %(end)s
    UNION ALL
    SELECT t.author_id, 'c', e.created_at FROM community_collect e
    JOIN community_note t ON t.id = e.note_id
    WHERE e.created_at >= %(window)s AND e.created_at < %(end)s
    UNION ALL
    SELECT t.author_id, 'm', e.created_at FROM community_comment e
    JOIN community_note t ON t.id = e.note_id
    WHERE e.status = 'visible' AND e.created_at >= %(window)s AND e.created_at < %(end)s
) e ON e.user_id = p.user_id
GROUP BY p.id
"""

RAW_PER_TABLE = """
WITH f AS (
    SELECT followee_id AS user_id, count(*) AS followers,
        count(*) FILTER (WHERE created_at >= %(start)s) AS new_followers
    FROM community_follow WHERE created_at < %(end)s GROUP BY followee_id
), n AS (
    SELECT author_id AS user_id, count(*) AS in_window,
        count(*) FILTER (WHERE published_at >= %(start)s) AS on_day
    FROM community_note
    WHERE status = 'published' AND published_at >= %(window)s AND published_at < %(end)s
    GROUP BY author_id
), i AS (
    SELECT t.author_id AS user_id, count(*) AS in_window,
        count(*) FILTER (WHERE e.kind = 'l' AND e.at >= %(start)s) AS likes,
        count(*) FILTER (WHERE e.kind = 'c' AND e.at >= %(start)s) AS collects,
        count(*) FILTER (WHERE e.kind = 'm' AND e.at >= %(start)s) AS comments
    FROM (
        SELECT note_id, 'l' AS kind, created_at AS at FROM community_like
        WHERE created_at >= %(window)s AND created_at < %(end)s
        UNION ALL
        SELECT note_id, 'c', created_at FROM community_collect
        WHERE created_at >= %(window)s AND created_at < %(end)s
        UNION ALL
        SELECT note_id, 'm', created_at FROM community_comment
        WHERE status = 'visible' AND created_at >= %(window)s AND created_at < %(end)s
    ) e JOIN community_note t ON t.id = e.note_id
    GROUP BY t.author_id
)
SELECT p.id, COALESCE(f.followers, 0), COALESCE(f.new_followers, 0), COALESCE(n.on_day, 0),
    COALESCE(i.likes, 0), COALESCE(i.collects, 0), COALESCE(i.comments, 0),
    COALESCE(i.in_window, 0)::float8 / GREATEST(COALESCE(f.followers, 0), 1)
        / GREATEST(COALESCE(n.in_window, 0), 1)
FROM kol_creatorprofile p
LEFT JOIN f ON f.user_id = p.user_id
LEFT JOIN n ON n.user_id = p.user_id
LEFT JOIN i ON i.user_id = p.user_id
"""


def raw_aggregate(sql: str, day: Any) -> list[tuple[Any, ...]]:
    from django.db import connection

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    params = {
        "start": start,
        "end": start + timedelta(days=1),
        "window": start + timedelta(days=1) - timedelta(days=30),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def check_agreement(rows: list[tuple[Any, ...]], day: Any) -> int:
    """The raw aggregate's numbers equal what stats_compute_day stored."""
    from kol.models import CreatorDailyStat

    stored = {
        row[0]: row[1:]
        for row in CreatorDailyStat.objects.filter(date=day).values_list(
            "creator_id", "followers", "new_followers", "notes_published", "likes_received",
            "collects_received", "comments_received", "engagement_rate",
        )
    }  # fmt: skip
    assert len(stored) == len(rows) == CREATORS, (len(stored), len(rows))
    for creator_id, *values in rows:
        mine = stored[creator_id]
        assert tuple(values[:6]) == tuple(mine[:6]), (creator_id, values, mine)
        assert abs(values[6] - mine[6]) <= 1e-9 * max(1.0, abs(mine[6])), (creator_id, values)
    return len(rows)


# --- measuring ------------------------------------------------------------------------


def timed(
    calls: dict[str, Callable[[], Any]], runs: int = RUNS
) -> dict[str, tuple[float, int, Any]]:
    """For each call: median seconds over ``runs``, the queries of its last
    run, and its last result. The calls take turns (a, b, c, a, b, c, ...)
    so that a change in the machine's load hits them alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times: dict[str, list[float]] = {name: [] for name in calls}
    last: dict[str, tuple[int, Any]] = {}
    for _ in range(runs):
        for name, call in calls.items():
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                result = call()
                times[name].append(time.perf_counter() - t0)
            last[name] = (len(ctx.captured_queries), result)
    return {name: (statistics.median(times[name]), *last[name]) for name in calls}


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]  # type: ignore[index]
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}); "
        f"Python {platform.python_version()}; PostgreSQL {pg} (loopback)"
    )


def measure_screening() -> list[tuple[str, float, int, str]]:
    """(c): creator_ranking and the command, or a clear message."""
    try:
        from kol.selectors import creator_ranking
    except ImportError as exc:
        print(f"\n!! creator_ranking is not importable yet ({exc}): screening not measured.")
        return []
    from django.core.management import call_command

    def command() -> str:
        out = io.StringIO()
        call_command(
            "screen_creators", "--top", "50", "--dry-run", "--format", "json",
            stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
        return out.getvalue()

    rows: list[tuple[str, float, int, str]] = []
    try:
        seconds, queries, ranked = timed({"rank": lambda: creator_ranking(top=50)})["rank"]
    except Exception as exc:  # code still being written must not hide (a) and (b)
        print(f"\n!! kol.selectors.creator_ranking failed: {exc!r}")
        return rows
    top = ranked[0] if ranked else None
    note = f"{len(ranked)} ranked" + (f"; #1 scores {top.score:.1f}" if top else "")
    rows.append(("creator_ranking(top=50)", seconds, queries, note))
    try:
        seconds, queries, text = timed({"command": command})["command"]
    except Exception as exc:  # likewise
        print(f"\n!! manage.py screen_creators failed: {exc!r}")
        return rows
    listed = json.loads(text)
    rows.append(
        ("screen_creators --top 50 --dry-run --format json", seconds, queries,
         f"{len(listed)} in the JSON")
    )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="keep the loaded bench database")
    args = parser.parse_args()

    database_url = bench_database_url("screening", "bench/screening.py")
    if not args.reuse:
        recreate_database(database_url)
    setup_django(database_url)
    if not args.reuse:
        print(f"loading {CREATORS:,} creators and {NOTES:,} notes into {database_url}:")
        t0 = time.perf_counter()
        load_data()
        print(f"loaded in {time.perf_counter() - t0:.1f} s")

    from kol import selectors, services

    print(f"\nmachine: {machine()}")
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in table_sizes().items()))

    day = selectors.stats_today()
    raw_aggregate(RAW_PER_TABLE, day)  # warm the cache the same way for everyone
    measured = timed(
        {
            "compute": lambda: services.stats_compute_day(day=day),
            "dry": lambda: services.stats_compute_day(day=day, dry_run=True),
            "union": lambda: raw_aggregate(RAW_UNION, day),
            "table": lambda: raw_aggregate(RAW_PER_TABLE, day),
        }
    )
    compute_s, _, result = measured["compute"]
    dry_s, _, dry = measured["dry"]
    union_s, union_q, union_rows = measured["union"]
    table_s, table_q, table_rows = measured["table"]
    checked = check_agreement(union_rows, day)
    check_agreement(table_rows, day)
    fastest = min(union_s, table_s)
    ratio = compute_s / fastest

    rows = [
        ("stats_compute_day (recompute_stats, 1 day)", compute_s, result.queries,
         f"{result.rows_written:,} rows upserted"),
        ("stats_compute_day --dry-run (fetches rows)", dry_s, dry.queries,
         f"{len(dry.rows):,} rows"),
        ("raw SQL: UNION ALL + one GROUP BY", union_s, union_q, f"{len(union_rows):,} rows"),
        ("raw SQL: GROUP BY per table, joined", table_s, table_q, f"{len(table_rows):,} rows"),
    ]  # fmt: skip
    rows += measure_screening()

    print(f"\n{day.isoformat()}, median of {RUNS} runs:")
    print(f"  {'what':<50} {'time':>9} {'queries':>8}  notes")
    for label, seconds, queries, note in rows:
        print(f"  {label:<50} {seconds * 1000:>6.0f} ms {queries:>8}  {note}")
    print(f"\nthe raw aggregates agree with the stored rows for {checked:,} creators")
    print(
        f"goal: stats_compute_day within {GOAL_RATIO:.0f}x of the fastest raw aggregate -> "
        f"{ratio:.2f}x {'OK' if ratio <= GOAL_RATIO else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
