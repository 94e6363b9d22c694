"""What the benchmarks share: a PostgreSQL database of their own next to
``DATABASE_URL``'s, (re)created on demand, and Django set up on it; and
:func:`record`, through which each script hands its goal figures to the
one table ``bench/report.py`` prints at the end of ``make bench``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# The JSON-lines file of one ``make bench`` run (the Makefile names it).
RESULTS_ENV = "SPROUT_BENCH_RESULTS"


def append_result(kind: str, **fields: Any) -> None:
    """One line of ``kind`` in the run's results file; nothing when no run
    is being recorded (a script started by hand prints its own tables)."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    line = {"kind": kind, "at": time.time(), "load": os.getloadavg(), **fields}
    # One short write in append mode: lines of one run never interleave.
    with open(path, "a", encoding="utf-8") as results:
        results.write(json.dumps(line) + "\n")


def record(
    figure: str, value: float, *, goal: str, met: bool, unit: str = "", detail: str = ""
) -> None:
    """A goal figure, where the script has just computed it: ``figure`` is
    its key in ``bench.report.GOALS``, ``value`` the number in ``unit``
    (``"%"`` and ``"x"`` take a ratio), ``goal`` the threshold as the
    script checks it, ``met`` the script's own verdict, ``detail`` the
    baseline beside it (a ratio is only read with what it divides)."""
    append_result(
        "figure",
        figure=figure,
        value=value,
        unit=unit,
        goal=goal,
        met=bool(met),
        detail=detail,
        script=Path(sys.argv[0]).name,
    )


def bench_database_url(suffix: str, script: str) -> str:
    """``DATABASE_URL`` with ``_<suffix>`` added to its database name; exits
    with a message naming ``script`` when it is not PostgreSQL."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{script} needs PostgreSQL: set DATABASE_URL=postgres://... (make bench does)")
    parsed = urlparse(base)
    name = (parsed.path.lstrip("/") or "sprout") + "_" + suffix
    return parsed._replace(path="/" + name).geturl()


def recreate_database(database_url: str) -> None:
    """Drop (closing its connections) and create the database of ``database_url``."""
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(
    database_url: str, *, settings: str = "bench.settings", redis_url: str | None = None
) -> None:
    """Django on ``database_url`` with ``settings``; Redis only when
    ``redis_url`` is given (otherwise eager Celery and in-memory layers)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
