"""Tests: the same code paths as production with faster hashing, media in a
throwaway directory and generous throttles (the throttle tests set their own)."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key-0123456789abcdefghijklmnop")
# The sandbox payment provider signs its callbacks with this (wallet.providers).
os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "dev-only-sandbox-secret")

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, THROTTLE_RATES

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
