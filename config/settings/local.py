"""Development: the embedded default of ``make run`` (SQLite, in-memory
channel layer, eager Celery unless REDIS_URL is set)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghij")
os.environ.setdefault("DJANGO_DEBUG", "true")
# Scripts drive the dev server hard (sign-up tests, acceptance runs).
os.environ.setdefault("SPROUT_THROTTLE_AUTH", "120/min")
# Creator tiers at demo scale: the demo community's creators have tens to a
# thousand followers, not the thousands to millions the real thresholds
# (config/settings/base.py) expect, so the local ones are scaled down for the
# demo pool to span every tier (kol.demo.DEMO_TIERS holds the same numbers).
# Production keeps the real thresholds.
os.environ.setdefault("SPROUT_KOL_TIER_MICRO", "25")
os.environ.setdefault("SPROUT_KOL_TIER_MID", "100")
os.environ.setdefault("SPROUT_KOL_TIER_MACRO", "400")
os.environ.setdefault("SPROUT_KOL_TIER_MEGA", "1200")
os.environ.setdefault("SPROUT_KOL_SCREENING_AUDIENCE_PRIOR", "100")
# Live video on make run: scripts/nginx-rtmp reads this secret from here and
# has nginx send it with its callbacks (a header); HLS is served by that
# nginx on :8089.
os.environ.setdefault("SPROUT_LIVE_INGEST_SECRET", "dev-only-ingest-secret")
os.environ.setdefault("SPROUT_LIVE_RTMP_URL", "rtmp://127.0.0.1:1935/ingest")
os.environ.setdefault("SPROUT_LIVE_HLS_BASE_URL", "http://127.0.0.1:8089/hls")
# The sandbox payment provider signs its callbacks with this (wallet.providers).
os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "dev-only-sandbox-secret")

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "0.0.0.0"]  # noqa: S104

# SQLite connections kept for a minute on the live room's websocket thread
# (base.py closes SQLite's after every use, CONN_MAX_AGE 0). The room's
# consumers make every database call on one shared thread (asgiref's
# thread-sensitive executor), and channels closes old connections around
# each call: opening SQLite (its PRAGMAs, Django's SQL functions) and closing
# it (a WAL checkpoint) twice per chat message made that thread the room's
# bottleneck, seconds behind at 40% of a core under 2,000 viewers
# (docs/performance.md, "make run's server"). HTTP requests still close theirs
# when they end (core.db.close_request_connections): under ASGI each runs on
# a thread of its own. Production keeps its pooled PostgreSQL connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    SPROUT_DB_CLOSE_AFTER_REQUEST = True
