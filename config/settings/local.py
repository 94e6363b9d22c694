"""Development: the embedded default of ``make run`` (SQLite, in-memory
channel layer, eager Celery unless REDIS_URL is set)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghij")
os.environ.setdefault("DJANGO_DEBUG", "true")
# Scripts drive the dev server hard (sign-up tests, acceptance runs).
os.environ.setdefault("SPROUT_THROTTLE_AUTH", "120/min")

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "0.0.0.0"]  # noqa: S104
