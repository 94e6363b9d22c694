"""Django's Redis cache, without a new client object per operation; and the
one way stale cache entries are dropped around a write
(:func:`forget_after_change`).

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a
``redis.Redis`` for every cache call; its constructor fills a table of
several hundred response callbacks, which costs more Python than the round
trip it wraps (about 0.15 ms quiet, 0.5 ms on a loaded 2-core machine, paid
by every throttle check, session read, viewer graph and card lookup of every
request). A ``redis.Redis`` is safe to share between threads (each command
takes a connection from the pool), so one is kept per pool.

And one cache client (with its pools) per process, not per cache object:
Django keeps its cache objects per thread and, under ASGI, per request
context, so every HTTP request built a new client (whose constructor asks
``importlib.metadata`` for redis-py's version: a scan of ``sys.path`` and a
parse of the package's metadata) and a new pool, which opened a new TCP
connection to Redis for the request's first cache call
(``total_connections_received`` in ``redis-cli info stats`` grew by one per
request). Together about 1.5 ms of every API request through uvicorn on
these machines. The cache objects of the process built from the same
settings now share one client; redis-py's pool is thread-safe and starts
afresh in a forked child.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.db import transaction
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The private helpers below are Django's own (the stubs leave them out).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


# The process's clients, by the settings they were built from.
_CLIENTS: dict[str, RedisCacheClient] = {}
_CLIENTS_LOCK = threading.Lock()


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with
    :class:`RedisCacheClient` (the same options and behaviour), one client
    per process and settings."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key: str) -> None:
        """Nothing to check: Redis takes any key. Django's check warns about
        keys memcached would refuse, a Python loop over every character of
        every key (32 keys a feed page, 0.1 ms); the local-memory cache of
        development and the SQLite tests still makes it."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # Django's private attributes (the stubs leave them out).
        servers, options = self._servers, self._options  # type: ignore[attr-defined]
        key = repr((servers, sorted(options.items())))
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = self._class(servers, **options)
        return client


def forget_after_change(keys: Sequence[str]) -> None:
    """Drop cached entries a write is making stale: now, and again once the
    write commits (a read between the two could have cached the old value
    again: the database still showed it). Outside a transaction both happen
    at once."""
    if not keys:
        return
    doomed = list(keys)
    cache.delete_many(doomed)
    transaction.on_commit(lambda: cache.delete_many(doomed))
