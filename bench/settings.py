"""Settings for benchmark servers: production behaviour (DEBUG off, no
toolbar, compressed static) without TLS redirects, on the database the bench
script points at, with a hello-world view next to the real URLs."""

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
