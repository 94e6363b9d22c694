"""``core.db``'s batch statement helpers: rows and lists bound as arrays on
PostgreSQL and as ``VALUES``/``IN`` on SQLite read back exactly what went in
(NULLs, quotes, backslashes, braces and commas in text, booleans, the
largest ids), on whichever database the pass runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from core import db

pytestmark = pytest.mark.django_db

ROWS = [
    (1, "plain", True, None),
    (2**63 - 1, 'a "quoted", {braced} \\ back\\slashed', False, 7),
    (3, "", None, -5),
    (4, "NULL", True, 0),
    (5, "emoji 🌱 and ünïcode", False, 2**40),
]
COLUMNS = (("id", "bigint"), ("text", "varchar"), ("flag", "boolean"), ("amount", "bigint"))


def _select(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def test_rows_source_reads_back_every_value_in_order() -> None:
    source, params = db.rows_source("r", COLUMNS, ROWS)

    got = _select(f"SELECT r.id, r.text, r.flag, r.amount FROM {source}", params)  # noqa: S608

    # SQLite hands booleans back as 0 and 1.
    assert [(i, t, None if f is None else bool(f), a) for i, t, f, a in got] == ROWS


def test_rows_source_without_rows_is_an_empty_table() -> None:
    source, params = db.rows_source("r", COLUMNS, [])

    assert _select(f"SELECT r.id FROM {source}", params) == []  # noqa: S608


def test_in_values_matches_exactly_the_values() -> None:
    source, params = db.rows_source("r", COLUMNS, ROWS)
    among, among_params = db.in_values("r.id", [2, 4, 2**63 - 1, 99], "bigint")
    texts, text_params = db.in_values("r.text", ["NULL", 'a "quoted"'], "varchar")

    by_id = f"SELECT r.id FROM {source} WHERE {among} ORDER BY r.id"  # noqa: S608
    ids = _select(by_id, [*params, *among_params])
    named = _select(f"SELECT r.id FROM {source} WHERE {texts}", [*params, *text_params])  # noqa: S608

    assert ids == [(4,), (2**63 - 1,)]
    assert named == [(4,)]


def test_postgres_arrays_of_numbers_and_flags_go_as_one_string() -> None:
    # psycopg's list dumper quotes each element in Python; the batch's ids
    # go as the array's own text instead (``pg_array``).
    assert db.pg_array([1, None, -3], "bigint") == "{1,NULL,-3}"
    assert db.pg_array([True, False, None], "boolean") == "{t,f,NULL}"
    assert db.pg_array(["a", "b"], "varchar") == ["a", "b"]
    assert db.pg_array([], "bigint") == "{}"
