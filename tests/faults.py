"""Real faults for tests (no mocks): PostgreSQL itself drops a connection,
the way a restart or a failover does; a Celery worker process is SIGKILLed
in the middle of a task, held there by a row lock the test takes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.celery_worker import READY_TIMEOUT
from tests.services import shared_database_url, wait_for


def _admin() -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


def terminate_backend(pid: int) -> None:
    """Kill one PostgreSQL backend, from a connection of its own."""
    with _admin() as admin:
        killed = admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
    assert killed == (True,)


@contextlib.contextmanager
def _backend_terminated_once(
    name: str, *, returns: str, trigger: str
) -> Iterator[Callable[[], int]]:
    """Install trigger ``name`` on the gift rows (``trigger``: the DDL with
    ``{name}`` for its own name and function) whose function makes
    PostgreSQL terminate the backend that fired it, the first time only (a
    sequence counts, and sequences ignore the rollback), then returns
    ``returns``. Yields how many rows reached it; drops it all afterwards."""
    with _admin() as admin:
        admin.execute(f"CREATE SEQUENCE {name}_once")
        admin.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                IF nextval('{name}_once') = 1 THEN
                    PERFORM pg_terminate_backend(pg_backend_pid());
                END IF;
                RETURN {returns};
            END $$ LANGUAGE plpgsql"""
        )
        admin.execute(trigger.format(name=name))

    def reached() -> int:
        with _admin() as admin:
            # {name} is one of the two literal names below, never input.
            row = admin.execute(f"SELECT last_value, is_called FROM {name}_once").fetchone()  # noqa: S608
        assert row is not None
        return int(row[0]) if row[1] else 0

    try:
        yield reached
    finally:
        with _admin() as admin:
            admin.execute(f"DROP TRIGGER IF EXISTS {name} ON wallet_giftsend")
            admin.execute(f"DROP FUNCTION IF EXISTS {name}()")
            admin.execute(f"DROP SEQUENCE IF EXISTS {name}_once")


def next_gift_loses_its_connection() -> contextlib.AbstractContextManager[Callable[[], int]]:
    """The next gift booked (whoever books it) loses its database connection
    mid-transaction, after the sender's debit: a trigger on the gift's row
    terminates that very backend, once. Yields a function that says how
    many gifts have reached the trigger."""
    return _backend_terminated_once(
        "sprout_fault",
        returns="NEW",
        trigger="CREATE TRIGGER {name} BEFORE INSERT ON wallet_giftsend"
        " FOR EACH ROW EXECUTE FUNCTION {name}()",
    )


def next_gift_commit_loses_its_connection() -> contextlib.AbstractContextManager[Callable[[], int]]:
    """The next transaction that books gifts (a whole batch of them) loses
    its database connection in the middle of its COMMIT: a deferred
    constraint trigger on the gift rows runs at commit time and terminates
    that very backend, once. Nothing of the batch is committed. Yields a
    function that says how many gift rows reached the commit-time trigger."""
    return _backend_terminated_once(
        "sprout_fault_commit",
        returns="NULL",
        trigger="CREATE CONSTRAINT TRIGGER {name} AFTER INSERT ON wallet_giftsend"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}()",
    )


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


# --- a task stopped mid-way, and its worker killed -------------------------------------


@contextlib.contextmanager
def row_locked(sql: str, params: list[Any]) -> Iterator[None]:
    """Hold the row lock ``sql`` (a ``SELECT ... FOR UPDATE``) takes, from a
    connection of its own, until the block ends: a task that needs the row
    waits there, mid-transaction, with its earlier writes not committed."""
    with _admin() as holder:
        holder.autocommit = False
        holder.execute(sql, params)
        try:
            yield
        finally:
            holder.rollback()


def backends_waiting_on_a_lock() -> int:
    """Backends of the test database waiting for a lock now."""
    with _admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    assert row is not None
    return int(row[0])


class CeleryWorker:
    """A Celery worker process of one test: its own queue and log, a solo
    pool or a prefork pool of one process (``pool``), killed with SIGKILL
    as the kernel's OOM killer or a lost machine would."""

    def __init__(
        self, *, queue: str, log_path: Path, env: dict[str, str], pool: str = "solo"
    ) -> None:
        self.log_path = log_path
        self.log = log_path.open("wb")
        pool_args = ["-P", "solo"] if pool == "solo" else ["-P", "prefork", "-c", "1"]
        name = f"{log_path.stem}-{queue}@%h"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", *pool_args,
             "-Q", queue, "-n", name, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "INFO"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
        )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the Celery worker did not start:\n{self.text()[-3000:]}")
            time.sleep(0.1)

    def pool_children(self) -> list[int]:
        """The prefork pool's processes (Linux)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


# The broker hands a task whose worker died back after this long (acks_late:
# config/settings/base.py), checked every second.
VISIBILITY_SECONDS = 3


@pytest.fixture
def killable_workers(tmp_path: Path) -> Iterator[Callable[[str], CeleryWorker]]:
    """``killable_workers(name)`` starts a worker on a queue of this test
    (tasks the test sends go there), with a short visibility timeout so that
    a task its killed worker held comes back within seconds; every worker
    still alive is stopped afterwards."""
    queue = f"sprout-kill-{uuid.uuid4().hex[:8]}"
    started: list[CeleryWorker] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SPROUT_CELERY_QUEUE": queue,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(queue=queue, log_path=tmp_path / f"{name}.log", env=env)
        started.append(worker)
        return worker

    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for worker in started:
            worker.stop()


def kill_mid_task(worker: CeleryWorker, *, lock_sql: str, params: list[Any],
                  send: Callable[[], Any]) -> float:  # fmt: skip
    """Send a task with the row of ``lock_sql`` locked, wait until the
    worker's transaction waits for it (its earlier writes done, not
    committed), SIGKILL the worker, then let the row go: the dead worker's
    backend finds its client gone and rolls back. Returns the seconds the
    task had run when the worker died."""
    with row_locked(lock_sql, params):
        sent = time.monotonic()
        send()
        wait_for(backends_waiting_on_a_lock, timeout=30, what="the task to reach the locked row")
        worker.kill()
        killed_after = time.monotonic() - sent
    return killed_after
