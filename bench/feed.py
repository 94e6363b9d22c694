"""Feed throughput: discover and following over 10,000 notes and 1,000 members
on PostgreSQL, as a ratio to a Django hello-world view served by the same
server in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprout .venv/bin/python bench/feed.py

What it does:
1. (Re)creates the database ``<name>_bench`` next to DATABASE_URL's, migrates it
   and bulk-loads 1,000 members, 10,000 published notes (one photo each, 1–3
   of 60 topics, engagement drawn from a long-tailed distribution, spread over
   30 days), 30 follows and 3 topic follows per member.
2. Counts SQL queries per page through the real view stack (token auth) at
   page sizes 5, 20, 50 and 100, with the note cards cached and with none
   (``community.card_cache``): the goal is <= 8 at any size.
3. Starts uvicorn (one worker, httptools, uvloop: how production runs the
   ASGI app) on the bench settings and drives it with keep-alive HTTP
   clients in separate processes for a fixed time per endpoint: the hello
   view; a page from memory (discover's first page, its bytes answered by an
   API view behind the same token authentication: the ceiling of any feed,
   what HTTP, the API and 26 KB of JSON cost before the feed's own work);
   then discover, following, a topic, a profile and search results as
   an authenticated member, walking the first 25 pages by cursor and
   starting over: on a server with the card cache as the site runs it
   (each walk done once before it is measured) and on a second server that
   builds every card of every page (``SPROUT_FEED_CARD_SECONDS=0``). The
   servers cache in Redis (``--redis-url``), as production does.
4. Prints requests/s and the ratio to hello (goal: >= 50%, cached).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_database_url, record, recreate_database, setup_django  # noqa: E402

USERS = 1_000
NOTES = 10_000
TOPICS = 60
FOLLOWS_PER_USER = 30
TOPIC_FOLLOWS_PER_USER = 3
PORT = 8765


def load_data(seed: int = 7) -> None:
    """Bulk-load the bench data set directly (services would take minutes for
    10,000 notes; the feed only reads)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from community import ranking
    from community.models import Follow, Like, Note, Photo, Topic, TopicFollow, User

    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    password = make_password("bench-pass")
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench{i}",
                email=f"bench{i}@example.com",
                password=password,
                display_name=f"Bench Member {i}",
            )
            for i in range(USERS)
        ],
        batch_size=1000,
    )
    Token.objects.bulk_create([Token(user=u, key=f"{u.pk:040d}") for u in users])
    topics = Topic.objects.bulk_create(
        [Topic(name=f"topic{i}", key=f"topic{i}") for i in range(TOPICS)]
    )
    now = timezone.now()
    notes = []
    for i in range(NOTES):
        published = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        likes = int(rng.paretovariate(1.2)) - 1
        collects = likes // 4
        comments = likes // 6
        notes.append(
            Note(
                author=users[min(int(rng.paretovariate(0.6)) - 1, USERS - 1)],
                title=f"Bench note {i}: a slow breakfast with friends",
                body="Oats, figs, honey and a pot of green tea. #topic1",
                body_html="<p>Oats, figs, honey and a pot of green tea.</p>",
                status=Note.Status.PUBLISHED,
                like_count=likes,
                collect_count=collects,
                comment_count=comments,
                published_at=published,
                hot_score=ranking.hot_score(
                    likes=likes, collects=collects, comments=comments, published_at=published
                ),
            )
        )
    notes = Note.objects.bulk_create(notes, batch_size=2000)
    renditions = {
        str(w): {"webp": f"photos/be/bench-{w}.webp", "jpeg": f"photos/be/bench-{w}.jpg"}
        for w in (1080, 540, 240)
    }
    Photo.objects.bulk_create(
        [
            Photo(
                owner_id=n.author_id,
                note=n,
                position=0,
                original="photos/be/bench.jpg",
                width=1080,
                height=1440,
                format="jpeg",
                color="#c8a27c",
                renditions=renditions,
            )
            for n in notes
        ],
        batch_size=2000,
    )
    through = Note.topics.through
    through.objects.bulk_create(
        [
            through(note_id=n.pk, topic_id=t.pk)
            for n in notes
            for t in rng.sample(topics, rng.randint(1, 3))
        ],
        batch_size=5000,
    )
    follows = []
    for u in users:
        # Members follow some popular creators and some anybody.
        targets = rng.sample(users[:50], 10) + rng.sample(users[50:], FOLLOWS_PER_USER - 9)
        targets = list(dict.fromkeys(t for t in targets if t.pk != u.pk))
        follows += [(u.pk, t.pk) for t in targets[:FOLLOWS_PER_USER]]
    Follow.objects.bulk_create(
        [Follow(follower_id=a, followee_id=b) for a, b in follows], batch_size=5000
    )
    TopicFollow.objects.bulk_create(
        [
            TopicFollow(user=u, topic=t)
            for u in users
            for t in rng.sample(topics, TOPIC_FOLLOWS_PER_USER)
        ],
        batch_size=5000,
    )
    Like.objects.bulk_create(
        [Like(user=users[0], note=n) for n in rng.sample(notes, 300)], batch_size=1000
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def query_counts(token: str) -> dict[str, dict[int, tuple[int, int]]]:
    """``{feed: {page size: (queries with the cards cached, queries with
    none cached)}}`` (the viewer graph cached in both)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community import card_cache
    from community.models import Note, User

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    out: dict[str, dict[int, tuple[int, int]]] = {}
    for name, path in (
        ("discover", "/api/v1/feed/discover"),
        ("following", "/api/v1/feed/following"),
    ):
        out[name] = {}
        for size in (5, 20, 50, 100):
            url = f"{path}?page_size={size}"
            client.get(url)
            card_cache.note_cards_forget(Note.objects.values_list("pk", flat=True))
            card_cache.authors_forget(User.objects.values_list("pk", flat=True))
            counted = []
            for _ in ("cold", "warm"):
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url)
                assert response.status_code == 200, response.content[:300]
                assert len(response.json()["results"]) == size, (name, size)
                counted.append(len(ctx.captured_queries))
            out[name][size] = (counted[1], counted[0])
    return out


# --- load generation -----------------------------------------------------------------


# How deep a client walks a feed before it starts again at the top: the
# pages members read (25 pages are 500 notes), not all 10,000 notes.
DEPTH = 25


def _client(
    path: str, token: str | None, walk: bool, seconds: float, start: float, results: mp.Queue
) -> None:  # type: ignore[type-arg]
    headers = {"Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    count = errors = depth = 0
    url = path
    while time.time() < start:
        time.sleep(0.001)
    deadline = start + seconds
    while time.time() < deadline:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            errors += 1
        count += 1
        if walk:
            nxt = json.loads(body).get("next")
            depth += 1
            if not nxt or depth >= DEPTH:
                url, depth = path, 0
            else:
                url = nxt[nxt.index("/api/") :]
    results.put((count, errors))


def measure(
    path: str,
    *,
    token: str | None = None,
    walk: bool = False,
    clients: int = 4,
    seconds: float = 8.0,
) -> float:
    results: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    start = time.time() + 0.5
    procs = [
        mp.Process(target=_client, args=(path, token, walk, seconds, start, results))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    totals = [results.get() for _ in procs]
    for p in procs:
        p.join()
    count = sum(t[0] for t in totals)
    errors = sum(t[1] for t in totals)
    if errors:
        print(f"  !! {errors} non-200 responses on {path}")
    return count / seconds


def start_server(
    database_url: str, redis_url: str, *, card_seconds: int | None = None
) -> subprocess.Popen[bytes]:
    """uvicorn on the bench settings with Redis as the cache, as production
    has it (the viewer graph and the note cards are read from it). The
    Redis database is emptied first: the bench database is loaded afresh
    with the same ids, and cards cached by an earlier run would be wrong."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    if card_seconds is not None:
        env["SPROUT_FEED_CARD_SECONDS"] = str(card_seconds)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            "1",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/bench/hello")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the bench server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded bench database")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/11",
        help="a Redis database the server caches in (emptied first)",
    )
    args = parser.parse_args()

    database_url = bench_database_url("bench", "bench/feed.py")
    if not args.reuse:
        recreate_database(database_url)
    setup_django(database_url)
    if not args.reuse:
        t0 = time.time()
        load_data()
        print(f"loaded {USERS:,} members and {NOTES:,} notes in {time.time() - t0:.1f}s")
    from django.db.models import Count

    from community.models import Topic, User

    member = User.objects.get(username="bench0")
    token = f"{member.pk:040d}"
    # The most prolific author's profile and the topic with the most notes.
    author = User.objects.annotate(n=Count("notes")).order_by("-n", "pk").first()
    topic = Topic.objects.annotate(n=Count("notes")).order_by("-n", "pk").first()
    assert author is not None and topic is not None

    counts = query_counts(token)
    # The ceiling: discover's first page (its own "next" taken out, so that
    # a walk stays on it), answered from memory by an API view behind the
    # same authentication (bench/urls.py).
    from django.test import Client

    page = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/feed/discover?page_size=20")
    page_file = Path(tempfile.mkdtemp(prefix="sprout-feed-bench-")) / "page.json"
    page_file.write_bytes(json.dumps({**page.json(), "next": None}).encode())
    os.environ["BENCH_PAGE_FILE"] = str(page_file)
    print("\nSQL queries per page (token auth), by page size, cards cached (none cached):")
    for name, by_size in counts.items():
        cells = "  ".join(f"{size}: {n} ({cold})" for size, (n, cold) in by_size.items())
        print(f"  {name:<10} {cells}")

    feeds = (
        ("discover, member, page 20", "/api/v1/feed/discover?page_size=20"),
        ("following, member, page 20", "/api/v1/feed/following?page_size=20"),
        ("topic (hot), member, page 20", f"/api/v1/topics/{topic.key}/notes?page_size=20"),
        ("profile, member, page 20", f"/api/v1/users/{author.username}/notes?page_size=20"),
        ("search, member, page 20", "/api/v1/search?q=breakfast&page_size=20"),
    )
    # Cached: the card cache as the site runs it, each walk done once before
    # it is measured (the cards of the pages members read are in the cache,
    # what members see of notes others saw in the last ten minutes). Built:
    # a second server with SPROUT_FEED_CARD_SECONDS=0, every card of every
    # page built as before the cache.
    rates: dict[str, dict[str, float]] = {}
    hello = ceiling = 0.0
    for mode, seconds_setting in (("cached", None), ("built", 0)):
        server = start_server(database_url, args.redis_url, card_seconds=seconds_setting)
        try:
            if mode == "cached":
                measure("/bench/hello", clients=args.clients, seconds=1.0)  # warm-up
                hello = measure("/bench/hello", clients=args.clients, seconds=args.seconds)
                ceiling = measure(
                    "/bench/page",
                    token=token,
                    walk=True,
                    clients=args.clients,
                    seconds=args.seconds,
                )
            for label, path in feeds:
                measure(path, token=token, walk=True, clients=args.clients, seconds=2.0)
                rates.setdefault(label, {})[mode] = measure(
                    path, token=token, walk=True, clients=args.clients, seconds=args.seconds
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    rows: list[tuple[str, float, float | None]] = [
        ("hello-world view", hello, None),
        ("a page from memory (API, token)", ceiling, None),
    ]
    rows += [(label, rates[label]["cached"], rates[label]["built"]) for label, _ in feeds]

    print(f"\nuvicorn, 1 worker, {args.clients} keep-alive clients, {args.seconds:.0f}s each")
    print(
        f"(walking the first {DEPTH} pages; cached: as the site runs, each walk done once"
        " before; built: SPROUT_FEED_CARD_SECONDS=0, every card built):"
    )
    head = f"{'cached':>10} {'vs hello':>9} {'built':>11} {'vs hello':>9}"
    print(f"  {'endpoint':<32} {head}")
    for label, rate, cold_rate in rows:
        cold_cells = f"{cold_rate:>11.0f} {cold_rate / hello:>8.0%}" if cold_rate else ""
        print(f"  {label:<32} {rate:>10.0f} {rate / hello:>8.0%} {cold_cells}")
    worst = max(max(max(pair) for pair in v.values()) for v in counts.values())
    flat = all(len(set(v.values())) == 1 for v in counts.values())
    ratio = min(rate for _, rate, _ in rows[2:]) / hello
    for label, rate, cold_rate in rows[2:]:  # "discover, member, page 20" -> feed.discover
        record(
            "feed." + label.split()[0].rstrip(","),
            rate / hello,
            unit="%",
            goal=">= 50% of hello-world req/s (cards cached)",
            met=rate / hello >= 0.5,
            detail=f"{rate:,.0f} vs {hello:,.0f} req/s; cards built {(cold_rate or 0):,.0f};"
            f" a page from memory {ceiling / hello:.0%}",
        )
    record(
        "feed.queries",
        worst,
        unit="queries",
        goal="<= 8 at every page size",
        met=worst <= 8 and flat,
        detail=f"same at every size: {'yes' if flat else 'no'}",
    )
    print(
        f"\ngoal: >= 50% of hello (cached) -> {ratio:.0%} {'OK' if ratio >= 0.5 else 'MISSED'}; "
        f"<= 8 queries at any page size -> {worst} {'OK' if worst <= 8 and flat else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
