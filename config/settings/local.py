"""Development: the embedded default of ``make run`` (SQLite, in-memory
channel layer, eager Celery unless REDIS_URL is set)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghij")
os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "0.0.0.0"]  # noqa: S104
