"""Gift throughput: gifts/s through the app's gift paths as a ratio to the raw
append-only SQL transaction of ``PERFORMANCE.md`` ("Gift ledger"), measured
in the same run on the same database, the books proven after every path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprout .venv/bin/python bench/gifts.py

What it does:
1. (Re)creates the database ``<name>_gifts`` next to DATABASE_URL's (``--reuse``
   keeps it), migrates it, and loads 1,000 senders, 20 hosts each with a live
   room (an open session) and the gift catalog; every sender buys 100,000
   coins through the sandbox payment provider (``wallet.services.recharge_create``,
   the real recharge path, so the books start reconciled).
2. Measures, one after the other, each for ``--seconds`` after a short
   warm-up, with ``--clients`` concurrent database connections (threads, each
   with its own connection, spread over ``--processes`` processes so that
   Python is not one core's worth of GIL), every gift a 10-coin gift from a
   random sender to a random host:

   - ``raw``: the transaction of PERFORMANCE.md in plain SQL over psycopg on
     the same tables: debit the sender's wallet with a conditional UPDATE
     (``balance >= price``), insert an entry and its three lines (sender,
     host, platform; the credits appended, not applied). The ledger's
     deferred "entry balances" trigger runs for it too;
   - ``service``: ``wallet.services.gift_send``, one gift per call and per
     transaction, with a fresh idempotency key per gift (the idempotency
     record, the debit, the entry, the ``GiftSend``, the stored answer: what
     every gift does);
   - ``batched``: ``wallet.services.gifts_send`` with ``--batch`` gifts per
     call (one transaction each) on ``--batch-clients`` connections: the
     engine the live room's micro-batcher feeds, at a fixed batch size;
   - ``room``: ``live.services.gifts.room_gift_send_unpublished``, one gift per call plus
     the live room check: the HTTP endpoint's service without the batches
     (what a WSGI server or a command gets);
   - ``endpoint``: ``live.services.gifts.room_gift_send``, what the HTTP
     view calls, from ``--endpoint-clients`` request threads that asgiref
     starts from one running event loop per process (``sync_to_async``, as
     an ASGI server runs a sync view): each gift rides that loop's
     ``GiftBatcher`` and its room hears it with its batch's. Issue 13's HTTP
     row measured like the other app paths, in process (its goal: >= 1,000
     gifts/s and >= 50% of raw).
   With ``--http``, also ``http``: ``--http-clients`` members with API
   tokens posting ``/api/v1/live/rooms/{id}/gifts/`` to the same uvicorn
   worker, each waiting for its 201 (the requests ride the worker's gift
   batches, as the frames do): the same gifts end to end, the request's
   HTTP, middleware, authentication and JSON included. ``--profile FILE``
   runs cProfile in the worker over that run and prints the time per
   request by package and function; ``--one-hop`` serves HTTP with
   ``core.asgi_http.OneHopASGIHandler`` (the middleware chain in one thread
   hop per request). ``--workers`` sets uvicorn's workers for both served
   paths (their CPU is the process tree's).
   With ``--websocket``, also ``websocket``: ``--ws-clients`` logged-in
   members sending the ``gift`` frame to uvicorn (one worker) on
   ``bench.gift_ws_settings`` (``bench.live_settings``, Redis at
   ``--redis-url``), each waiting for its ``gift_ack`` before the next,
   spread over the rooms: the frames go through the process's
   ``live.gift_batcher.GiftBatcher`` (its batch sizes are read back from the
   database afterwards).
3. After every path: rolls up, runs ``reconcile_ledger`` (must pass) and
   checks that every gift sent so far is in the books exactly once. Prints
   gifts/s for each path and the ratio to ``raw`` (goal: >= 1,000 gifts/s
   and >= 20% of raw through the app's gift engine, ``batched``, and through
   the websocket when measured), then issue 13's goals beside their figures
   (``ISSUE_13_GOALS``: ``endpoint`` and ``http`` >= 1,000 gifts/s and >= 50%
   of raw, ``websocket`` >= 100% of raw; printed, not the exit status).
   Exits 1 when a goal of the first kind is missed or the books are not
   exact.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_database_url, record, recreate_database  # noqa: E402
from bench.common import setup_django as _setup_django  # noqa: E402

SENDERS = 1_000
HOSTS = 20
COINS_PER_SENDER = 100_000
GIFT_SLUG = "coffee"
GIFT_COINS = 10
WARMUP_SECONDS = 1.0
WS_PORT = 8791
#: Issue 13's goals: (gifts/s at least, share of raw at least) per path. The
#: HTTP row of the issue is the endpoint's service on the batches, measured
#: in process like the other app paths (``endpoint``); ``http`` is the same
#: through uvicorn end to end.
ISSUE_13_GOALS = {"endpoint": (1_000, 0.5), "http": (1_000, 0.5), "websocket": (0, 1.0)}


def setup_django(database_url: str) -> None:
    # Eager Celery and the in-memory cache and channel layer: the gift path
    # itself publishes nothing (its callers do).
    os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "bench-only-sandbox-secret")
    _setup_django(database_url)


def load_data() -> None:
    """Members, hosts with live rooms, the catalog, and coins bought through
    the sandbox provider."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from community.models import User
    from live.models import LiveSession, Room
    from wallet import services
    from wallet.models import Account, Gift

    call_command("migrate", verbosity=0)
    password = make_password("bench-pass")
    users = User.objects.bulk_create(
        [
            User(
                username=f"{'host' if i < HOSTS else 'fan'}{i}",
                email=f"gifts{i}@example.com",
                password=password,
                display_name=f"Gift Bench {i}",
            )
            for i in range(HOSTS + SENDERS)
        ],
        batch_size=1000,
    )
    hosts, senders = users[:HOSTS], users[HOSTS:]
    now = timezone.now()
    rooms = Room.objects.bulk_create(
        [
            Room(host=host, title=f"Live {n}", state=Room.State.LIVE, started_at=now)
            for n, host in enumerate(hosts)
        ]
    )
    LiveSession.objects.bulk_create([LiveSession(room=room) for room in rooms])
    # The catalog comes with the migrations; the bench sends one 10-coin gift.
    Gift.objects.update_or_create(
        slug=GIFT_SLUG,
        defaults={"name": "Coffee", "coins": GIFT_COINS, "emoji": "☕", "is_active": True},
    )
    for sender in senders:
        services.recharge_create(user=sender, coins=COINS_PER_SENDER, idempotency_key="bench-fund")
    for host in hosts:
        services.account_get_or_create(Account.Kind.CREATOR_EARNINGS, user=host)
    services.account_get_or_create(Account.Kind.PLATFORM_COINS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- the senders ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """Ids the load needs, read once."""

    senders: list[tuple[int, int]]  # (user id, member_coins account id)
    hosts: list[tuple[int, int, int]]  # (user id, earnings account id, room id)
    platform_account: int


def read_cast() -> Cast:
    from live.models import Room
    from wallet.models import Account

    coins = dict(
        Account.objects.filter(kind=Account.Kind.MEMBER_COINS).values_list("user_id", "pk")
    )
    earnings = dict(
        Account.objects.filter(kind=Account.Kind.CREATOR_EARNINGS).values_list("user_id", "pk")
    )
    rooms = list(Room.objects.filter(state=Room.State.LIVE).values_list("host_id", "pk"))
    platform = Account.objects.get(kind=Account.Kind.PLATFORM_COINS, user=None, owner_key="")
    return Cast(
        senders=sorted(coins.items()),
        hosts=[(host, earnings[host], room) for host, room in sorted(rooms)],
        platform_account=platform.pk,
    )


#: One call of a sender: (gifts sent, gifts refused).
Send = Callable[[random.Random], tuple[int, int]]


def raw_sender(database_url: str, cast: Cast, share_bps: int) -> Send:
    """One connection's raw gift: PERFORMANCE.md's transaction in SQL."""
    import psycopg

    conn = psycopg.connect(database_url)
    platform_part = GIFT_COINS * share_bps // 10_000
    host_part = GIFT_COINS - platform_part

    def send(rng: random.Random) -> tuple[int, int]:
        _, account = rng.choice(cast.senders)
        _, earnings, _ = rng.choice(cast.hosts)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "UPDATE wallet_account SET balance = balance - %s WHERE id = %s AND balance >= %s",
                (GIFT_COINS, account, GIFT_COINS),
            )
            if cur.rowcount != 1:
                return 0, 1
            cur.execute(
                "INSERT INTO wallet_entry (kind, memo, reference, created_at) "
                "VALUES ('gift', 'bench raw gift', '{}', now()) RETURNING id"
            )
            row = cur.fetchone()
            assert row is not None
            cur.execute(
                "INSERT INTO wallet_line (entry_id, account_id, amount, rolled_up, created_at) "
                "VALUES (%s, %s, %s, true, now()), (%s, %s, %s, false, now()), "
                "(%s, %s, %s, false, now())",
                (row[0], account, -GIFT_COINS, row[0], earnings, host_part,
                 row[0], cast.platform_account, platform_part),
            )  # fmt: skip
        return 1, 0

    return send


def service_sender(cast: Cast, *, in_room: bool) -> Send:
    """One thread's gift through the app: ``wallet.services.gift_send`` (or
    ``live.services.gifts.room_gift_send_unpublished``) with a fresh
    idempotency key."""
    from community.models import User
    from live.services.gifts import room_gift_send_unpublished
    from wallet.services import gift_send

    users = {u.pk: u for u in User.objects.filter(pk__in=[s for s, _ in cast.senders])}
    hosts = {u.pk: u for u in User.objects.filter(pk__in=[h for h, _, _ in cast.hosts])}
    senders = [users[s] for s, _ in cast.senders]
    rooms = [(hosts[h], room) for h, _, room in cast.hosts]

    def send(rng: random.Random) -> tuple[int, int]:
        sender = rng.choice(senders)
        host, room = rng.choice(rooms)
        key = uuid.uuid4().hex
        if in_room:
            room_gift_send_unpublished(sender=sender, room_id=room, gift_slug=GIFT_SLUG,
                                       quantity=1, idempotency_key=key)  # fmt: skip
        else:
            gift_send(sender=sender, host=host, gift_slug=GIFT_SLUG, quantity=1,
                      idempotency_key=key, room_id=room, session_id=None)  # fmt: skip
        return 1, 0

    return send


_senders_lock = threading.Lock()
_senders_loaded: list[Any] = []


def _senders(cast: Cast) -> list[Any]:
    """The senders as ``User`` rows, read once per process (as a request
    finds its user already authenticated), shared by its threads."""
    from community.models import User

    with _senders_lock:
        if not _senders_loaded:
            users = {u.pk: u for u in User.objects.filter(pk__in=[s for s, _ in cast.senders])}
            _senders_loaded.extend(users[s] for s, _ in cast.senders)
    return _senders_loaded


def endpoint_sender(cast: Cast) -> Send:
    """One request thread's gift through the HTTP endpoint's service,
    ``live.services.gifts.room_gift_send``, as the view calls it: the thread
    is one of asgiref's under a running event loop (``_process`` starts the
    clients with ``sync_to_async``, as an ASGI server runs a sync view), so
    each gift rides that loop's ``GiftBatcher`` with the other threads'
    gifts, and its room hears it with its batch's (``hub.publish_many``)."""
    from live.services.gifts import room_gift_send

    senders = _senders(cast)
    rooms = [room for _, _, room in cast.hosts]

    def send(rng: random.Random) -> tuple[int, int]:
        room_gift_send(sender=rng.choice(senders), room_id=rng.choice(rooms), gift_slug=GIFT_SLUG,
                       quantity=1, idempotency_key=uuid.uuid4().hex)  # fmt: skip
        return 1, 0

    return send


def batched_sender(cast: Cast, per_call: int) -> Send:
    """One thread's batch through the engine: ``per_call`` gifts from random
    senders to random hosts in one ``wallet.services.gifts_send`` call."""
    from community.models import User
    from wallet.services import GiftRequest, gifts_send

    users = {u.pk: u for u in User.objects.filter(pk__in=[s for s, _ in cast.senders])}
    hosts = {u.pk: u for u in User.objects.filter(pk__in=[h for h, _, _ in cast.hosts])}
    senders = [users[s] for s, _ in cast.senders]
    rooms = [(hosts[h], room) for h, _, room in cast.hosts]

    def send(rng: random.Random) -> tuple[int, int]:
        requests = []
        for _ in range(per_call):
            host, room = rng.choice(rooms)
            requests.append(
                GiftRequest(sender=rng.choice(senders), host=host, gift_slug=GIFT_SLUG,
                            quantity=1, idempotency_key=uuid.uuid4().hex, room_id=room)
            )  # fmt: skip
        ok = sum(outcome.ok for outcome in gifts_send(requests))
        return ok, per_call - ok

    return send


# --- load generation -------------------------------------------------------------------


def _process(
    kind: str,
    database_url: str,
    threads: int,
    seed: int,
    ready: Any,
    go: Any,
    start_at: Any,
    seconds: float,
    results: Any,
    per_call: int,
) -> None:
    """One load process: ``threads`` clients, each with its own connection."""
    setup_django(database_url)
    from django.conf import settings
    from django.db import close_old_connections, connection

    from wallet.rules import platform_share_bps

    # As in production, Celery beat pushes the rooms' leaderboards, not the
    # gift path (the bench's eager Celery would have every batch do it).
    settings.CELERY_TASK_ALWAYS_EAGER = False

    cast = read_cast()
    share = platform_share_bps()
    connection.close()
    counts: list[tuple[int, int]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        close_old_connections()
        rng = random.Random(seed * 1000 + index)
        if kind == "raw":
            send = raw_sender(database_url, cast, share)
        elif kind == "batched":
            send = batched_sender(cast, per_call)
        elif kind == "endpoint":
            send = endpoint_sender(cast)
        else:
            send = service_sender(cast, in_room=kind == "room")
        ready.put(1)
        go.wait()
        begin = start_at.value
        deadline = begin + seconds
        while time.time() < begin:
            time.sleep(0.001)
        sent = failed = 0
        while time.time() < deadline:
            try:
                ok, refused = send(rng)
            except Exception as exc:  # a bench failure: counted and reported
                ok, refused = 0, 1
                if not errors:
                    errors.append(repr(exc))
            sent += ok
            failed += refused
        with lock:
            counts.append((sent, failed))
        connection.close()

    if kind == "endpoint":
        # An ASGI server's shape: an event loop (the gift batcher's) and the
        # requests' sync code on threads asgiref starts from it.
        workers = [threading.Thread(target=_serve, args=(client, threads))]
    else:
        workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    go.wait()
    cpu = time.process_time()
    for worker in workers:
        worker.join()
    cpu = time.process_time() - cpu  # this process's CPU over the window (all threads)
    results.put((sum(c[0] for c in counts), sum(c[1] for c in counts), errors[:1], cpu))


def _serve(client: Callable[[int], None], threads: int) -> None:
    """Run ``threads`` clients the way an ASGI server runs sync views: each
    on an executor thread through ``sync_to_async`` from one running event
    loop (so ``live.services.gifts.room_gift_send`` finds the loop and rides
    its gift batcher)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import sync_to_async

    async def serve() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(threads))
        await asyncio.gather(
            *(sync_to_async(client, thread_sensitive=False)(i) for i in range(threads))
        )

    asyncio.run(serve())


def measure(kind: str, database_url: str, *, clients: int, processes: int, seconds: float,
            per_call: int = 1) -> tuple[float, int, int, list[str], float]:  # fmt: skip
    """Gifts/s of ``kind`` with ``clients`` connections over ``processes``
    processes; also the gifts sent, those that failed, the first error and
    the load processes' CPU milliseconds per gift (Python's side of it)."""
    ctx = mp.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    start_at = ctx.Value("d", 0.0)
    per_process = [clients // processes + (i < clients % processes) for i in range(processes)]
    procs = [
        ctx.Process(
            target=_process,
            args=(kind, database_url, n, i, ready, go, start_at, seconds, results, per_call),
        )
        for i, n in enumerate(per_process)
        if n
    ]
    for proc in procs:
        proc.start()
    for _ in range(clients):
        ready.get(timeout=120)
    start_at.value = time.time() + 0.2
    go.set()
    totals = [results.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    sent = sum(t[0] for t in totals)
    failed = sum(t[1] for t in totals)
    cpu_ms = 1000 * sum(t[3] for t in totals) / max(sent, 1)
    return sent / seconds, sent, failed, [e for t in totals for e in t[2]], cpu_ms


# --- the websocket path (optional) --------------------------------------------------------


@contextlib.contextmanager
def bench_server(
    database_url: str, redis_url: str, *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn (one worker, as production runs each worker) serving
    ``config.asgi`` on ``bench.gift_ws_settings`` (``bench.live_settings``:
    Redis, no throttles; the gift batcher's settings from the environment
    when set), until the block ends."""
    import http.client

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.gift_ws_settings",
        **(extra_env or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(WS_PORT), "--workers", str(workers), "--http", "httptools",
         "--loop", "uvloop", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", WS_PORT, timeout=1)
                conn.request("GET", "/bench/hello")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("the bench server did not start")
            time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)


def measure_websocket(database_url: str, redis_url: str, *, clients: int, seconds: float,
                      workers: int = 1, profile: str = "") -> tuple[float, int, int]:  # fmt: skip
    """Gifts/s through the websocket ``gift`` frame: uvicorn (one worker, as
    production runs the websocket workers) on ``bench.live_settings`` with
    Redis, ``clients`` logged-in members each sending a frame and waiting for
    its ``gift_ack``, spread over the live rooms; the server's
    ``GiftBatcher`` batches them as production does (``bench.gift_ws_settings``:
    ``SPROUT_GIFT_BATCH_*`` from the environment when set, else the defaults).
    Returns (gifts/s, acked, errors)."""
    import asyncio
    import json

    from django.conf import settings
    from django.test import Client

    from community.models import User
    from live.models import Room

    room_ids = list(Room.objects.filter(state=Room.State.LIVE).values_list("pk", flat=True))
    cookies = []
    for member in User.objects.filter(username__startswith="fan").order_by("pk")[:clients]:
        client = Client()
        client.force_login(member)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    extra_env = {"BENCH_GIFT_PROFILE": str(Path(profile).resolve())} if profile else {}
    with bench_server(database_url, redis_url, workers=workers, extra_env=extra_env) as server:
        window: dict[str, float] = {}
        joined: list[int] = []
        go = asyncio.Event()

        def opening() -> None:
            # Every socket has its hello: the sending starts, and the figures
            # count from here, not from the sockets' connecting and hello.
            window["start"] = time.time()
            window["server"] = _tree_cpu_seconds(server.pid)
            window["client"] = time.process_time()
            if profile:
                server.send_signal(signal.SIGUSR1)
            go.set()

        async def sender(index: int, cookie: str) -> tuple[int, int]:
            from websockets.asyncio.client import connect

            url = f"ws://127.0.0.1:{WS_PORT}/ws/live/{room_ids[index % len(room_ids)]}/"
            acked = errors = 0
            async with connect(url, max_queue=None, open_timeout=120,
                               additional_headers={"Cookie": f"sessionid={cookie}"},
                               compression=None, ping_interval=None, proxy=None) as ws:  # fmt: skip
                while json.loads(await ws.recv()).get("type") != "hello":
                    pass
                joined.append(index)
                if len(joined) == len(cookies):
                    opening()
                await asyncio.wait_for(go.wait(), timeout=120)
                start = window["start"]
                while time.time() < start + seconds:
                    key = uuid.uuid4().hex
                    frame = {"type": "gift", "gift": GIFT_SLUG, "quantity": 1,
                             "idempotency_key": key}  # fmt: skip
                    await ws.send(json.dumps(frame))
                    while True:
                        event = json.loads(await ws.recv())
                        if event.get("idempotency_key") == key or event.get("type") == "error":
                            break
                    if event.get("type") == "gift_ack":
                        acked += 1
                    else:
                        errors += 1
            return acked, errors

        async def run_all() -> list[tuple[int, int]]:
            window["connect"] = time.time()
            return await asyncio.gather(*(sender(i, c) for i, c in enumerate(cookies)))

        totals = asyncio.run(run_all())
        client_cpu = time.process_time() - window["client"]
        server_cpu = _tree_cpu_seconds(server.pid) - window["server"]
        _profile_written(server, profile)
    acked = sum(t[0] for t in totals)
    if profile:
        _profile_report(profile, acked)
    print(
        f"  (websocket: {len(cookies)} sockets had their hello in "
        f"{window['start'] - window['connect']:.1f} s; while sending: server CPU "
        f"{1000 * server_cpu / max(acked, 1):.2f} "
        f"ms/gift, {server_cpu / seconds:.0%} of a core; clients "
        f"{1000 * client_cpu / max(acked, 1):.2f} ms/gift)"
    )
    return acked / seconds, acked, sum(t[1] for t in totals)


@contextlib.contextmanager
def _profiling(server: subprocess.Popen[bytes], profile: str) -> Iterator[None]:
    """With ``profile`` (a file), cProfile the server's worker over the block
    (``bench.gift_ws_settings``: SIGUSR1 starts, SIGUSR2 writes the file)."""
    if profile:
        server.send_signal(signal.SIGUSR1)
    yield
    _profile_written(server, profile)


def _profile_written(server: subprocess.Popen[bytes], profile: str) -> None:
    """With ``profile``, have the server's worker write its profile there
    (SIGUSR2) and wait for the file."""
    if profile:
        Path(profile).unlink(missing_ok=True)
        server.send_signal(signal.SIGUSR2)
        for _ in range(100):
            if Path(profile).exists():
                break
            time.sleep(0.1)


def measure_http(database_url: str, redis_url: str, *, clients: int, seconds: float,
                 workers: int = 1, profile: str = "") -> tuple[float, int, int]:  # fmt: skip
    """Gifts/s through ``POST /api/v1/live/rooms/{id}/gifts/``: the same
    uvicorn worker as the websocket path (``bench_server``), ``clients``
    members with API tokens, each on its own keep-alive connection, each
    sending a gift and waiting for its 201 before the next, spread over the
    live rooms. Under uvicorn the requests ride the process's gift batches
    (``live.services.gifts.room_gift_send``). Returns (gifts/s, sent, errors)."""
    import asyncio
    import json

    from rest_framework.authtoken.models import Token

    from community.models import User
    from live.models import Room

    room_ids = list(Room.objects.filter(state=Room.State.LIVE).values_list("pk", flat=True))
    members = User.objects.filter(username__startswith="fan").order_by("pk")[:clients]
    tokens = [Token.objects.get_or_create(user=member)[0].key for member in members]

    async def sender(index: int, token: str, start: float) -> tuple[int, int]:
        room = room_ids[index % len(room_ids)]
        reader, writer = await asyncio.open_connection("127.0.0.1", WS_PORT)
        sent = errors = 0
        await asyncio.sleep(max(0.0, start - time.time()))
        while time.time() < start + seconds:
            body = json.dumps(
                {"gift": GIFT_SLUG, "quantity": 1, "idempotency_key": uuid.uuid4().hex}
            ).encode()
            writer.write(
                f"POST /api/v1/live/rooms/{room}/gifts/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status_line.split()[1] == b"201":
                sent += 1
            else:
                errors += 1
        writer.close()
        return sent, errors

    async def run_all() -> list[tuple[int, int]]:
        start = time.time() + 1.0
        return await asyncio.gather(*(sender(i, t, start) for i, t in enumerate(tokens)))

    extra_env = {"BENCH_GIFT_PROFILE": str(Path(profile).resolve())} if profile else {}
    with bench_server(database_url, redis_url, workers=workers, extra_env=extra_env) as server:
        server_cpu = _tree_cpu_seconds(server.pid)
        with _profiling(server, profile):
            totals = asyncio.run(run_all())
        server_cpu = _tree_cpu_seconds(server.pid) - server_cpu
    sent = sum(t[0] for t in totals)
    if profile:
        _profile_report(profile, sent)
    print(
        f"  (http: server CPU {1000 * server_cpu / max(sent, 1):.2f} ms/gift, "
        f"{server_cpu / (seconds + 1):.0%} of a core)"
    )
    return sent / seconds, sent, sum(t[1] for t in totals)


def _profile_report(path: str, requests: int) -> None:
    """The worker's profile of the run (``--profile``): its own time per
    function (tottime; cProfile sees every thread, so cumulative times
    across threads mean little) in microseconds per request, the top
    functions and the total per package."""
    import pstats

    stats = pstats.Stats(path)
    rows = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())
    packages: dict[str, float] = {}
    for (filename, _, _), row in rows.items():
        parts = Path(filename).parts
        if "site-packages" in parts:
            package = parts[parts.index("site-packages") + 1]
        elif filename.startswith(str(ROOT)):
            package = "sprout:" + Path(filename).relative_to(ROOT).parts[0]
        elif filename == "~":
            package = "builtins (C)"
        else:
            package = "python stdlib"
        packages[package] = packages.get(package, 0.0) + row[2]
    per = 1e6 / max(requests, 1)
    print(f"  profile ({path}): {total * per:,.0f} us of profiled time per request, by package:")
    for package, seconds in sorted(packages.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {package:<34} {seconds * per:>8,.0f} us/request  {seconds / total:>4.0%}")
    print("  the top functions (own time):")
    top = sorted(rows.items(), key=lambda kv: -kv[1][2])[:25]
    for (filename, line, name), row in top:
        where = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"    {row[2] * per:>8,.0f} us/request  {row[1]:>8,} calls  {name}  ({where}:{line})")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn's workers)."""
    total = _cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += _cpu_seconds(int(stat.parent.name))
    return total


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the books ----------------------------------------------------------------------------


def books(*, raw_sent: int, app_sent: int, before: tuple[int, int]) -> list[str]:
    """Roll up, reconcile, and check that every gift this run sent is in the
    books exactly once: the problems found (none: the books are exact)."""
    from django.core.management import call_command
    from django.db.models import Sum

    from wallet import services
    from wallet.models import Account, GiftSend

    problems: list[str] = []
    services.balances_roll_up()
    try:
        call_command("reconcile_ledger")
    except (SystemExit, Exception) as exc:
        problems.append(f"reconcile_ledger failed: {exc}")
    raw_entries, sends = raw_and_app_gifts()
    if sends - before[1] != app_sent:
        problems.append(f"{app_sent:,} gifts sent through the app, {sends - before[1]:,} recorded")
    if raw_entries - before[0] != raw_sent:
        problems.append(f"{raw_sent:,} raw gifts sent, {raw_entries - before[0]:,} recorded")
    left = Account.objects.filter(kind=Account.Kind.MEMBER_COINS).aggregate(s=Sum("balance"))
    spent = SENDERS * COINS_PER_SENDER - int(left["s"] or 0)
    cost = (GiftSend.objects.aggregate(s=Sum("coins"))["s"] or 0) + raw_entries * GIFT_COINS
    if spent != cost:
        problems.append(f"senders spent {spent:,} coins, the gifts in the books cost {cost:,}")
    return problems


def raw_and_app_gifts() -> tuple[int, int]:
    """Raw gift entries and GiftSend rows in the database."""
    from wallet.models import Entry, GiftSend

    raw = Entry.objects.filter(kind=Entry.Kind.GIFT, memo="bench raw gift").count()
    return raw, GiftSend.objects.count()


def batch_sizes(after_send_id: int) -> tuple[int, int]:
    """(gifts, batches) among the ``GiftSend`` rows after ``after_send_id``:
    a batch writes all its sends with one timestamp."""
    from django.db.models import Count

    from wallet.models import GiftSend

    totals = GiftSend.objects.filter(pk__gt=after_send_id).aggregate(
        gifts=Count("pk"), batches=Count("created_at", distinct=True)
    )
    return int(totals["gifts"]), int(totals["batches"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--processes", type=int, default=2, help="processes the clients are spread over"
    )
    parser.add_argument("--batch", type=int, default=50, help="gifts per gifts_send call")
    parser.add_argument(
        "--batch-clients", type=int, default=4, help="connections sending batches at once"
    )
    parser.add_argument(
        "--endpoint-clients",
        type=int,
        default=64,
        help="request threads calling the HTTP endpoint's service on the batches at once",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the loaded bench database")
    parser.add_argument(
        "--websocket",
        action="store_true",
        help="also measure the websocket gift frame (uvicorn + Redis at --redis-url)",
    )
    parser.add_argument(
        "--ws-clients", type=int, default=200, help="websockets sending gifts at once"
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="also measure the HTTP gift endpoint under uvicorn (Redis at --redis-url)",
    )
    parser.add_argument(
        "--http-clients", type=int, default=64, help="HTTP connections sending gifts at once"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers for --websocket and --http"
    )
    parser.add_argument(
        "--profile",
        default="",
        help="cProfile the worker over the --http run into this file (the --websocket run's"
        " into FILE.websocket) and print its summary",
    )
    parser.add_argument(
        "--one-hop",
        action="store_true",
        help="serve HTTP with core.asgi_http.OneHopASGIHandler (SPROUT_ASGI_HTTP_ONE_HOP;"
        " the site's default)",
    )
    parser.add_argument(
        "--stock-handler",
        action="store_true",
        help="serve HTTP with Django's ASGIHandler as shipped (SPROUT_ASGI_HTTP_ONE_HOP off)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--only", default="", help="comma-separated paths to measure (raw is always measured)"
    )
    args = parser.parse_args()

    if args.one_hop or args.stock_handler:  # bench.gift_ws_settings, in the server
        os.environ["BENCH_ASGI_ONE_HOP"] = "0" if args.stock_handler else "1"
    database_url = bench_database_url("gifts", "bench/gifts.py")
    if not args.reuse:
        recreate_database(database_url)
    setup_django(database_url)
    if not args.reuse:
        t0 = time.time()
        load_data()
        print(
            f"loaded {SENDERS:,} senders with {COINS_PER_SENDER:,} coins each and {HOSTS} "
            f"hosts with live rooms in {time.time() - t0:.1f}s"
        )
    from django.db import connection

    before = raw_and_app_gifts()
    connection.close()  # the load processes open their own

    paths = [
        ("raw", "raw SQL transaction (PERFORMANCE.md)", args.clients, 1),
        ("service", "gift_send, 1 gift per transaction", args.clients, 1),
        ("batched", f"gifts_send, {args.batch} gifts per transaction", args.batch_clients,
         args.batch),
        ("room", "room_gift_send_unpublished (HTTP path), 1 per tx", args.clients, 1),
        ("endpoint", "room_gift_send (HTTP's service) on batches", args.endpoint_clients, 1),
    ]  # fmt: skip
    only = {p for p in args.only.split(",") if p}
    rows: list[tuple[str, str, float, int, int, str]] = []  # kind, label, rate, sent, failed, note
    raw_sent = app_sent = 0
    problems: list[str] = []
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for kind, label, clients, per_call in paths:
        if only and kind != "raw" and kind not in only:
            continue
        _, warm, _, _, _ = measure(kind, database_url, clients=clients, processes=args.processes,
                                   seconds=WARMUP_SECONDS, per_call=per_call)  # fmt: skip
        last_send = _last_send_id()
        connection.close()
        rate, sent, failed, errors, cpu_ms = measure(
            kind, database_url, clients=clients, processes=args.processes,
            seconds=args.seconds, per_call=per_call,
        )  # fmt: skip
        if kind == "raw":
            raw_sent += warm + sent
        else:
            app_sent += warm + sent
        if failed:
            problems.append(f"{kind}: {failed} gifts failed, the first: {errors[:1]}")
        note = f"{clients} conn, client CPU {cpu_ms:.2f} ms/gift"
        if kind == "endpoint":
            gifts_in_batches, batches = batch_sizes(last_send)
            per_batch = gifts_in_batches / max(batches, 1)
            note = (
                f"{clients} threads on 1 loop per process, {per_batch:.1f} gifts per batch, "
                f"CPU {cpu_ms:.2f} ms/gift"
            )
        rows.append((kind, label, rate, sent, failed, note))
        found = books(raw_sent=raw_sent, app_sent=app_sent, before=before)
        problems += [f"after {kind}: {p}" for p in found]
        print(
            f"  {label:<42} {rate:>8,.0f} gifts/s  ({note}; load "
            f"{os.getloadavg()[0]:.1f}); books {'NOT exact' if found else 'exact'}"
            + (f"  !! {failed} failed" if failed else "")
        )
        connection.close()

    served = []
    if args.websocket:
        served.append(("websocket", f"websocket gift frame, {args.ws_clients} sockets",
                       measure_websocket, args.ws_clients))  # fmt: skip
    if args.http:
        served.append(("http", f"HTTP gift endpoint, {args.http_clients} connections",
                       measure_http, args.http_clients))  # fmt: skip
    for kind, label, measure_served, served_clients in served:
        last_send = _last_send_id()
        connection.close()
        rate, sent, failed = measure_served(
            database_url, args.redis_url, clients=served_clients, seconds=args.seconds,
            workers=args.workers,
            profile=(args.profile + (".websocket" if kind == "websocket" else ""))
            if args.profile else "",
        )  # fmt: skip
        app_sent += sent
        gifts_in_batches, batches = batch_sizes(last_send)
        note = (
            f"uvicorn {args.workers} worker(s); {batches:,} batches, "
            f"{gifts_in_batches / max(batches, 1):.1f} "
            f"gifts per batch"
        )
        rows.append((kind, label, rate, sent, failed, note))
        found = books(raw_sent=raw_sent, app_sent=app_sent, before=before)
        problems += [f"after {kind}: {p}" for p in found]
        if failed:
            problems.append(f"{kind}: {failed} gifts were answered with an error")
        print(
            f"  {label:<42} {rate:>8,.0f} gifts/s  ({note}; load {os.getloadavg()[0]:.1f}); "
            f"books {'NOT exact' if found else 'exact'}"
            + (f"  !! {failed} failed" if failed else "")
        )
        connection.close()

    raw = rows[0][2]
    print(
        f"\n{args.processes} load process(es), {args.seconds:.0f}s each, {GIFT_COINS}-coin gifts "
        f"from {SENDERS:,} senders to {HOSTS} hosts:"
    )
    print(f"  {'path':<42} {'gifts/s':>8} {'vs raw':>7}  notes")
    for _, label, rate, _, _, note in rows:
        print(f"  {label:<42} {rate:>8,.0f} {rate / raw:>7.0%}  {note}")
    print(f"  (load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())})")

    missed = []
    for kind, label, rate, _, _, _ in rows:
        if kind in {"batched", "websocket", "http"}:
            ok = rate >= 1_000 and rate / raw >= 0.2
            print(
                f"goal (>= 1,000 gifts/s and >= 20% of raw) through {label}: "
                f"{rate:,.0f} gifts/s, {rate / raw:.0%} -> {'OK' if ok else 'MISSED'}"
            )
            if not ok:
                missed.append(kind)
    # Issue 13's goals, printed beside the figures (not an exit status: a
    # shared machine's load moves them, and make bench runs on).
    for kind, label, rate, _, _, _ in rows:
        if kind in ISSUE_13_GOALS:
            least, share = ISSUE_13_GOALS[kind]
            ok = rate >= least and rate / raw >= share
            print(
                f"issue 13 goal (>= {least:,} gifts/s and >= {share:.0%} of raw) through "
                f"{label}: {rate:,.0f} gifts/s, {rate / raw:.0%} -> {'OK' if ok else 'MISSED'}"
            )
    if problems:
        print("books: NOT exact:\n  " + "\n  ".join(problems))
    else:
        total = raw_sent + app_sent
        print(
            f"books: exact after every path ({total:,} gifts in this run, warm-ups included; "
            "reconcile passes)"
        )
    # Issue 13's goals, as shares of raw. Its HTTP row was the endpoint's
    # service measured in process (send_in_room, 338 gifts/s): ``endpoint``
    # is that figure now, riding the batches; the end-to-end ``http`` path
    # (through uvicorn and the request's whole stack) is recorded beside it.
    to_raw = {"endpoint": ("http", 0.5), "websocket": ("websocket", 1.0)}
    for kind, _, rate, _, _, _ in rows:
        if kind in to_raw:
            name, fraction = to_raw[kind]
            share, goal = rate / raw, f">= {fraction:.0%} of raw"
            vs, met = f"{rate:,.0f} vs {raw:,.0f} gifts/s", share >= fraction
            record(f"gifts.{name}.raw", share, unit="%", goal=goal, met=met, detail=vs)
        if kind == "endpoint":
            record("gifts.http.rate", rate, unit="gifts/s", goal=">= 1,000/s", met=rate >= 1_000)
        if kind == "http":
            record(
                "gifts.http_end_to_end.rate",
                rate,
                unit="gifts/s",
                goal="(through uvicorn: information)",
                met=True,
                detail=f"{rate / raw:.0%} of raw",
            )
    record("gifts.books", len(problems), unit="problems", goal="exact", met=not problems)
    if problems or missed:
        sys.exit(1)


def _last_send_id() -> int:
    from wallet.models import GiftSend

    return int(GiftSend.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)


if __name__ == "__main__":
    main()
