"""Tests: the same code paths as production with faster hashing, media in a
throwaway directory and generous throttles (the throttle tests set their own)."""

import os
import tempfile
from typing import Any

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key-0123456789abcdefghijklmnop")
# The sandbox payment provider signs its callbacks with this (wallet.providers).
os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "dev-only-sandbox-secret")

from .base import *  # noqa: F403
from .base import CHANNEL_LAYERS, REST_FRAMEWORK, THROTTLE_RATES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sprout-media-")
SERVE_MEDIA = True
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(THROTTLE_RATES, "100000/min"),
}

# Tasks run eagerly unless a test starts a real worker (tests/celery_worker.py
# flips this for its duration); a per-run queue keeps runs from sharing tasks.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() == "true"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SPROUT_CELERY_QUEUE", "celery")

# Redis pub/sub ignores the database number: runs on one Redis (two checkouts,
# a benchmark) would hear each other's room events. The database's name keeps
# them apart; the variable carries it to the processes a run starts (a Celery
# worker, a server), which see the test database's name instead.
_db = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].removeprefix("test_")
os.environ.setdefault("SPROUT_TEST_CHANNEL_PREFIX", f"asgi.{_db or 'sqlite'}")
_layer: dict[str, Any] = dict(CHANNEL_LAYERS["default"])
if "CONFIG" in _layer:
    _layer["CONFIG"] = {**_layer["CONFIG"], "prefix": os.environ["SPROUT_TEST_CHANNEL_PREFIX"]}
    CHANNEL_LAYERS = {**CHANNEL_LAYERS, "default": _layer}
