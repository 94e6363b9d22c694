"""Settings for the flash sale bench server (``bench/flash_sale.py``):
``bench.live_settings`` (production behaviour, Redis for the cache, the hot
state and the channel layer, persistent database connections, no throttles
so that one load generator is not measured against the throttle), plus the
bench's own cache prefix, so that a run never reads a snapshot or gate
another checkout left in the same Redis database."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnop")
# The sandbox provider charges (and succeeds at once) only with a secret.
os.environ.setdefault("SPROUT_WALLET_SANDBOX_SECRET", "bench-only-sandbox-secret")

from bench.live_settings import *  # noqa: F403
from bench.live_settings import CACHES

CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": "sprout-bench-flash"}}
# The orders' charges (shop.tasks.charge_order) go to the bench's own worker.
CELERY_TASK_DEFAULT_QUEUE = "sprout-bench-flash"
# ``bench/flash_sale.py --edge-concurrency`` tries another width; the default's otherwise.
if os.environ.get("BENCH_FLASH_EDGE_CONCURRENCY"):
    SPROUT_FLASH_EDGE_CONCURRENCY = int(os.environ["BENCH_FLASH_EDGE_CONCURRENCY"])
# ``bench/flash_sale.py --asgi-slots``: the edge's slots through Django's ASGI handler.
if os.environ.get("BENCH_FLASH_EDGE_ASGI_SLOTS"):
    SPROUT_FLASH_EDGE_SYNC_SLOTS = False
