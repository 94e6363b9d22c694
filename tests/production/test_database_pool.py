"""A production worker's PostgreSQL connections stay bounded under load.

Under ASGI each request's sync code runs on a thread of its own, and
Django's connections are per thread: with kept connections
(``DATABASE_CONN_MAX_AGE=60``) every finished request's thread left one
behind, and a busy worker ran the server out of connections. Production
settings pool them per process (``DATABASE_POOL_MAX_SIZE``, 10 by default;
``config/settings/production.py``), whatever ``DATABASE_CONN_MAX_AGE`` says.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.production.conftest import ROOT, Server, production_env, wait_until_up
from tests.services import free_port, shared_database_url

pytestmark = pytest.mark.postgres

POOL = 4
CLIENTS = 24
ROUNDS = 3


def _connections(application: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application]
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_requests_borrows_from_a_bounded_pool(
    tmp_path: Path, static_root: Path, settings: Any
) -> None:
    application = f"sprout-pool-{free_port()}"
    port = free_port()
    server = Server(url=f"http://127.0.0.1:{port}", log=tmp_path / "uvicorn.log")
    env = production_env(
        DJANGO_SETTINGS_MODULE="tests.production.settings",
        # Named, so that its connections can be counted apart from the rest.
        DATABASE_URL=f"{shared_database_url()}?application_name={application}",
        # What leaked before: kept connections. The pool overrides it.
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_POOL_MAX_SIZE=str(POOL),
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    with server.log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_up(server, process)
        statuses: list[int] = []
        most = 0
        lock = threading.Lock()

        def browse() -> None:
            # A page that reads the database: the discover feed.
            answer = server.get("/api/v1/feed/discover")
            with lock:
                statuses.append(answer.status)

        for _ in range(ROUNDS):
            threads = [threading.Thread(target=browse) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                most = max(most, _connections(application))
                threads[0].join(0.02)
            for thread in threads:
                thread.join()
        assert statuses == [200] * (CLIENTS * ROUNDS), server.log_tail()
        # Never more than the pool, during the bursts or after them (72
        # requests on as many threads: kept connections would be dozens).
        assert 1 <= most <= POOL, most
        assert _connections(application) <= POOL
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
