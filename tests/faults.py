"""Real database faults for tests: PostgreSQL itself drops a connection,
the way a restart or a failover does (no mocks)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from django.db import connection


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
def next_gift_loses_its_connection() -> Iterator[Callable[[], int]]:
    """The next gift booked (whoever books it) loses its database connection
    mid-transaction, after the sender's debit: a trigger on the gift's row
    makes PostgreSQL terminate that very backend, once (a sequence counts,
    and sequences ignore the rollback). Yields a function that says how many
    gifts have reached the trigger."""
    with _admin() as admin:
        admin.execute("CREATE SEQUENCE sprout_fault_once")
        admin.execute(
            """CREATE FUNCTION sprout_fault() RETURNS trigger AS $$
            BEGIN
                IF nextval('sprout_fault_once') = 1 THEN
                    PERFORM pg_terminate_backend(pg_backend_pid());
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql"""
        )
        admin.execute(
            "CREATE TRIGGER sprout_fault BEFORE INSERT ON wallet_giftsend"
            " FOR EACH ROW EXECUTE FUNCTION sprout_fault()"
        )

    def attempts() -> int:
        """How many gifts reached the trigger so far."""
        with _admin() as admin:
            row = admin.execute("SELECT last_value, is_called FROM sprout_fault_once").fetchone()
        assert row is not None
        return int(row[0]) if row[1] else 0

    try:
        yield attempts
    finally:
        with _admin() as admin:
            admin.execute("DROP TRIGGER IF EXISTS sprout_fault ON wallet_giftsend")
            admin.execute("DROP FUNCTION IF EXISTS sprout_fault()")
            admin.execute("DROP SEQUENCE IF EXISTS sprout_fault_once")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])
