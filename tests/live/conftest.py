"""Wiring every live-room test needs: after each test the gift batcher's
database threads finish, close their connections and exit (PostgreSQL will
not drop a test database that a thread is still connected to)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live.services.gifts import close_gift_batchers


@pytest.fixture(autouse=True)
def _gift_batcher_threads_closed() -> Iterator[None]:
    yield
    close_gift_batchers()
