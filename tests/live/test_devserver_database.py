"""``make run``'s room keeps its SQLite connection between database hops.

The live room's websocket consumers make every database call through
``channels.db.database_sync_to_async``, on the one thread they share
(asgiref's thread-sensitive executor), and channels closes "old" connections
before and after each call. With SQLite's ``CONN_MAX_AGE`` at 0 (base.py)
that opened a connection (PRAGMAs, Django's SQL functions) and closed it
(WAL checkpoint) twice per chat message: under 1,000-2,000 viewers that
thread became the room's bottleneck and the dev server fell seconds behind
at 40% of a core (docs/performance.md, "make run's server"). These tests run
the real settings module in a child process (pytest runs on the test
settings) and check that consecutive hops of a consumer reuse one
connection, while a test or production settings module is left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Two hops as a consumer makes them (channels closes old connections around
# each one); prints the SQLite connection object's id after each, and the
# setting.
PROBE = """
import asyncio, json
import django
django.setup()
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

def hop():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return id(connection.connection)

async def main():
    first = await database_sync_to_async(hop)()
    second = await database_sync_to_async(hop)()
    return first, second

first, second = asyncio.run(main())

# An HTTP request's end, on its own thread as under ASGI.
from django.core.signals import request_finished
import threading
after_request = []
def request():
    hop()
    request_finished.send(sender=None)
    after_request.append(connection.connection is None)
thread = threading.Thread(target=request)
thread.start()
thread.join()
print(json.dumps({
    "same": first == second,
    "closed_after_request": after_request[0],
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "engine": settings.DATABASES["default"]["ENGINE"],
}))
"""


def _probe(settings_module: str, tmp_path: Path) -> dict[str, object]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_make_run_keeps_the_sqlite_connection_across_consumer_hops(tmp_path: Path) -> None:
    result = _probe("config.settings.local", tmp_path)
    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["same"], result  # no connect + close (and checkpoint) per hop
    conn_max_age = result["conn_max_age"]
    assert isinstance(conn_max_age, int) and conn_max_age > 0
    assert result["closed_after_request"]


def test_base_settings_on_sqlite_are_unchanged(tmp_path: Path) -> None:
    """Only ``make run``'s settings keep the connection; the base (which the
    test settings build on) still closes SQLite's after each use."""
    result = _probe("config.settings.base", tmp_path)
    assert result["conn_max_age"] == 0
    assert not result["same"]
    assert result["closed_after_request"]
