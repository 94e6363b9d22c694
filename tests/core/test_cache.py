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
