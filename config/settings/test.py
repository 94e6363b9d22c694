"""Tests: the same code paths as production with faster hashing, media in a
throwaway directory and generous throttles (the throttle tests set their own)."""

import os
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key-0123456789abcdefghijklmnop")
# The sandbox payment provider signs its callbacks with this (wallet.providers).
os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "dev-only-sandbox-secret")


def _worker_redis_url(url: str, worker: str) -> str:
    """``url`` moved to the Redis database of pytest-xdist worker ``worker``
    (gw0 keeps the run's database, gwN takes the Nth after it)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base + int(worker.removeprefix("gw"))
    if number > 15:
        raise ImproperlyConfigured(
            f"REDIS_URL names database {base}: too high for {worker}, whose database "
            f"would be {number} (Redis has 0-15); name a lower one"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


# pytest-xdist workers (``make test`` runs each pass on two): pytest-django
# gives each its own test database (its name ends in _gw0, _gw1...), and this
# gives each its own Redis database, since tests empty the cache (FLUSHDB) and
# room ids repeat from one test database to the next. Rewritten in the
# environment itself, so that a process a test starts (a Celery worker, a
# server) inherits the worker's database and is not moved again.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("REDIS_URL") and not os.environ.get("SPROUT_TEST_REDIS_WORKER"):
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], _worker)
    os.environ["SPROUT_TEST_REDIS_WORKER"] = _worker

from .base import *  # noqa: E402, F403
from .base import CHANNEL_LAYERS, REST_FRAMEWORK, THROTTLE_RATES  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sprout-media-")
SERVE_MEDIA = True
# ABR's "auto" depends on the machine's cores: off, so that a session's
# renditions are the same everywhere; the tests of ABR turn it on.
SPROUT_LIVE_ABR = os.environ.get("SPROUT_LIVE_ABR", "off")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(THROTTLE_RATES, "100000/min"),
}

# Tasks run eagerly unless a test starts a real worker (tests/celery_worker.py
# flips this for its duration); a per-run queue keeps runs from sharing tasks.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() == "true"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SPROUT_CELERY_QUEUE", "celery")

# Redis pub/sub ignores the database number: runs on one Redis (two checkouts,
# a benchmark, two xdist workers) would hear each other's room events. The
# database's name and the worker keep them apart; the variable carries the
# prefix to the processes a run starts (a Celery worker, a server), which see
# the test database's name instead.
_db = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].removeprefix("test_")
os.environ.setdefault(
    "SPROUT_TEST_CHANNEL_PREFIX", f"asgi.{_db or 'sqlite'}" + (f".{_worker}" if _worker else "")
)
_layer: dict[str, Any] = dict(CHANNEL_LAYERS["default"])
if "CONFIG" in _layer:
    _layer["CONFIG"] = {**_layer["CONFIG"], "prefix": os.environ["SPROUT_TEST_CHANNEL_PREFIX"]}
    CHANNEL_LAYERS = {**CHANNEL_LAYERS, "default": _layer}
