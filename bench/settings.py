"""Settings for benchmark servers: production behaviour (DEBUG off, no
toolbar, compressed static, a psycopg pool of 10 connections per process as
``config/settings/production.py`` has it) without TLS redirects, on the
database the bench script points at, with a hello-world view next to the
real URLs."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnop")

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
# The load generator is one client hammering from one address: throttling
# would measure the throttle, not the feed.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Production's pool: under ASGI each request runs on a thread of its own, and
# without it every request would open a PostgreSQL connection of its own.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 10}  # noqa: F405
