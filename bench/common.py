"""What the PostgreSQL benchmarks share: a database of their own next to
``DATABASE_URL``'s, (re)created on demand, and Django set up on it."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse


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
