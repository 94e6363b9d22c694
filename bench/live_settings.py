"""Settings for the live fan-out bench servers (``bench/live_fanout.py``).

Production behaviour (``bench.settings``: DEBUG off, no toolbar, warnings-only
logging, every host allowed) on the PostgreSQL database the bench created,
with Redis for everything hot, exactly as ``config.settings.production``
wires it: the cache, ``live.state`` and ``RedisPubSubChannelLayer``. Only two
things differ from production:

- the channel layer's prefix (``sprout-bench.<bench database>``): Redis
  pub/sub channels are not scoped by database number, so without it a test
  run (or another checkout's bench) elsewhere on the machine that publishes
  to ``live.room.1`` would land in the bench room;
- a psycopg pool of 10 connections per process, as production sets it
  (``config/settings/production.py``: kept per-thread connections piled up
  under ASGI, one per finished request's thread).

The chat rate limit stays the production default (``SPROUT_LIVE_CHAT_RATE``
"5/10"): the bench spreads its 20 messages/s over enough senders to stay
inside it rather than lifting it.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnop")

from bench.settings import *  # noqa: F403
from bench.settings import DATABASES

REDIS_URL = os.environ["REDIS_URL"]  # the bench always runs through Redis

CACHES = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "sprout-bench",
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"sprout-bench.{DATABASES['default']['NAME']}"},
    }
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 10}
# ``bench/live_fanout.py --tick`` tries another tick; production's by default.
if os.environ.get("BENCH_LIVE_TICK"):
    SPROUT_LIVE_TICK_SECONDS = float(os.environ["BENCH_LIVE_TICK"])
