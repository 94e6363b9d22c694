"""The Redis cache backend (``core.cache.RedisCache``): Django's, keeping one
client per connection pool instead of building one per operation."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.redis


def test_one_client_serves_every_operation() -> None:
    from django.core.cache import caches

    from core.cache import RedisCache

    assert isinstance(caches["default"], RedisCache)
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    cache.set("core:cache:a", {"x": 1}, 30)
    assert cache.get("core:cache:a") == {"x": 1}
    cache.set_many({"core:cache:b": [2], "core:cache:c": "3"}, 30)
    assert cache.get_many(["core:cache:a", "core:cache:b", "core:cache:c", "nope"]) == {
        "core:cache:a": {"x": 1},
        "core:cache:b": [2],
        "core:cache:c": "3",
    }
    assert cache.incr("core:cache:n", 1) if cache.add("core:cache:n", 1, 30) else True
    cache.delete_many(["core:cache:a", "core:cache:b"])
    assert cache.get("core:cache:a") is None
    assert cache._cache.get_client(write=True) is client  # type: ignore[attr-defined]
    assert cache._cache.get_client() is client  # type: ignore[attr-defined]  # reads too


def test_the_shared_client_is_safe_across_threads() -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"core:cache:t{n}:{i}", i, 30)
                assert cache.get(f"core:cache:t{n}:{i}") == i
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_cache_objects_of_other_threads_and_requests_share_the_client() -> None:
    """Django builds a cache object per thread and, under ASGI, per request
    context; each used to build its own client and pool, so each request
    opened a new connection to Redis. They share the process's now."""
    import redis
    from django.conf import settings
    from django.core.cache import caches

    cache.set("core:cache:warm", 1, 30)  # this thread's client is connected
    main_client = caches["default"]._cache  # type: ignore[attr-defined]
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    before = server.info("stats")["total_connections_received"]
    seen: list[object] = []

    def request() -> None:
        # What a new thread (or a new ASGI request's context) gets.
        seen.append(caches["default"]._cache)  # type: ignore[attr-defined]
        cache.set("core:cache:other-thread", 2, 30)
        assert cache.get("core:cache:other-thread") == 2

    for _ in range(5):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    assert all(client is main_client for client in seen)
    # The warm connection served them all (the info call's own is the one).
    assert server.info("stats")["total_connections_received"] - before <= 1
