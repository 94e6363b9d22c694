"""A production worker's PostgreSQL connections stay bounded under load.

Under ASGI each request's sync code runs on a thread of its own, and
Django's connections are per thread: with kept connections
(``DATABASE_CONN_MAX_AGE=60``) every finished request's thread left one
behind, and a busy worker ran the server out of connections. Production
settings pool them per process (``DATABASE_POOL_MAX_SIZE``, 10 by default;
``config/settings/production.py``), whatever ``DATABASE_CONN_MAX_AGE`` says.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from live.models import Room
from tests.factories import FundedMemberFactory, gift_catalog
from tests.production.conftest import ROOT, SITE_NAME, Server, production_env, wait_until_up
from tests.production.web import request
from tests.services import free_port, shared_database_url, stop
from wallet.models import GiftSend
from wallet.reconcile import reconcile

pytestmark = pytest.mark.postgres

POOL = 4
CLIENTS = 24
ROUNDS = 3
GIFTS = 8


def _connections(application: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application]
        )
        return int(cursor.fetchone()[0])


@contextlib.contextmanager
def pooled_worker(
    tmp_path: Path, static_root: Path, media_root: str, application: str, **env: str
) -> Iterator[Server]:
    """One production uvicorn worker whose connections are named
    ``application`` in ``pg_stat_activity``."""
    port = free_port()
    server = Server(url=f"http://127.0.0.1:{port}", log=tmp_path / "uvicorn.log")
    environment = production_env(
        DJANGO_SETTINGS_MODULE="tests.production.settings",
        DATABASE_URL=f"{shared_database_url()}?application_name={application}",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_MEDIA_ROOT=media_root,
        **env,
    )
    with server.log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"],
            cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_up(server, process)
        yield server
    finally:
        stop(process)


def _together(count: int, work: Callable[[int], int]) -> list[int]:
    """``work(i)`` for each ``i`` on threads started at once; their answers."""
    answers = [0] * count

    def run(index: int) -> None:
        answers[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_requests_borrows_from_a_bounded_pool(
    tmp_path: Path, static_root: Path, settings: Any
) -> None:
    application = f"sprout-pool-{free_port()}"
    with pooled_worker(
        tmp_path,
        static_root,
        str(settings.MEDIA_ROOT),
        application,
        # What leaked before: kept connections. The pool overrides it.
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_POOL_MAX_SIZE=str(POOL),
    ) as server:
        most = 0
        for _ in range(ROUNDS):
            statuses: list[int] = []

            def burst(into: list[int] = statuses) -> None:
                # A page that reads the database: the discover feed.
                into.extend(
                    _together(CLIENTS, lambda _: server.get("/api/v1/feed/discover").status)
                )

            runner = threading.Thread(target=burst)
            runner.start()
            while runner.is_alive():
                most = max(most, _connections(application))
                runner.join(0.02)
            assert statuses == [200] * CLIENTS, server.log_tail()
        # Never more than the pool, during the bursts or after them (72
        # requests on as many threads: kept connections would be dozens).
        assert 1 <= most <= POOL, most
        assert _connections(application) <= POOL


@pytest.mark.django_db(transaction=True)
def test_http_gifts_waiting_for_their_batch_hold_no_connection(
    tmp_path: Path, static_root: Path, settings: Any, live_room: Room
) -> None:
    """An HTTP gift waits for the process's gift batch on its request's
    thread; the batch borrows a connection of its own. More gifts at once
    than the pool has connections all get their answer: a waiting request
    gives its connection back first (else they held the pool and the batch
    waited for ever)."""
    gift_catalog()
    senders = [FundedMemberFactory(coins=100) for _ in range(GIFTS)]
    tokens = [Token.objects.create(user=sender).key for sender in senders]
    with pooled_worker(
        tmp_path,
        static_root,
        str(settings.MEDIA_ROOT),
        f"sprout-pool-{free_port()}",
        DATABASE_POOL_MAX_SIZE="2",
        DATABASE_POOL_TIMEOUT_SECONDS="5",
    ) as server:

        def give(index: int) -> int:
            body = json.dumps(
                {"gift": "coffee", "quantity": 1, "idempotency_key": f"pool-{index}"}
            ).encode()
            return request(
                server.url,
                f"/api/v1/live/rooms/{live_room.pk}/gifts/",
                method="POST",
                body=body,
                headers={
                    "X-Forwarded-Proto": "https",
                    "Authorization": f"Token {tokens[index]}",
                    "Content-Type": "application/json",
                },
                server_name=SITE_NAME,
            ).status

        assert _together(GIFTS, give) == [201] * GIFTS, server.log_tail()
    assert GiftSend.objects.filter(room_id=live_room.pk).count() == GIFTS
    assert reconcile().ok
