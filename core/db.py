"""Database connections and HTTP requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, connections


def close_request_connections(**kwargs: object) -> None:
    """Close the finished request's database connections, whatever
    ``CONN_MAX_AGE`` says (connected to ``request_finished`` where
    ``SPROUT_DB_CLOSE_AFTER_REQUEST`` is on).

    ``make run`` (``config/settings/local.py``) keeps SQLite connections so
    that the live room's websocket consumers, which make every database call
    on one shared thread, do not open and close SQLite around each call. Its
    HTTP requests must not keep theirs: under ASGI every request runs on a
    thread of its own, and a kept connection stays open behind it until the
    garbage collector finds it (63 SQLite handles after 1,000 requests).
    Websockets send no request signals, so their thread keeps its connection.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


# --- batch statements ----------------------------------------------------------------
#
# The set-based statements of the hot paths (the gift engine, the gift
# batch's room checks) take their rows as parameters. On PostgreSQL each
# column goes as one array (``unnest(%s::bigint[], ...)``, ``= ANY(%s)``), so
# the statement's text is the same whatever the batch's size; on SQLite as
# multi-row ``VALUES`` and ``IN (...)``.

_NUMBERS = frozenset({"bigint", "integer", "smallint"})


def postgres() -> bool:
    """Whether the default database is PostgreSQL (the batch statements'
    arrays and row locks) rather than SQLite."""
    return connection.vendor == "postgresql"


def pg_array(values: Iterable[Any], sql_type: str) -> Any:
    """``values`` as the parameter of ``%s::<sql_type>[]``. Numbers and
    booleans go as the array's own text (``'{1,2,NULL}'``), one string for
    psycopg to quote: its list dumper checks and quotes every element in
    Python, twice as slow for the hundreds of ids of a gift batch (95
    against 47 us for 180; ``docs/performance.md``, "Gift ledger"). Anything else goes as a list,
    each element quoted by psycopg."""
    if sql_type in _NUMBERS:
        return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
    if sql_type == "boolean":
        return "{" + ",".join("NULL" if v is None else ("t" if v else "f") for v in values) + "}"
    return list(values)


def in_values(column: str, values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
    """The condition ``column`` is one of ``values`` and its parameters:
    ``column = ANY(%s::bigint[])`` on PostgreSQL, ``column IN (%s, ...)``
    on SQLite."""
    if postgres():
        return f"{column} = ANY(%s::{sql_type}[])", [pg_array(values, sql_type)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def rows_source(
    alias: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """``rows`` as a table for a ``FROM`` clause, ``alias(name, ...)`` with
    ``columns`` as ``(name, SQL type)``, and its parameters: one array per
    column through ``unnest`` on PostgreSQL, multi-row ``VALUES`` on
    SQLite. A ``jsonb`` column takes JSON text: PostgreSQL parses it,
    SQLite keeps the text (as its JSON columns do)."""
    names = [name for name, _ in columns]
    if postgres():
        arrays = ", ".join(f"%s::{sql_type}[]" for _, sql_type in columns)
        params = [
            pg_array((row[i] for row in rows), sql_type) for i, (_, sql_type) in enumerate(columns)
        ]
        return f"unnest({arrays}) AS {alias}({', '.join(names)})", params
    if not rows:
        nulls = ", ".join(f"NULL AS {name}" for name in names)
        return f"(SELECT {nulls} WHERE 0) AS {alias}", []
    renamed = ", ".join(f"column{i} AS {name}" for i, name in enumerate(names, 1))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    values = ", ".join([one] * len(rows))
    return (
        f"(SELECT {renamed} FROM (VALUES {values})) AS {alias}",  # noqa: S608
        [value for row in rows for value in row],
    )
