"""Wiring and data every live-room test may use:

- every event published to a room is checked against ``live.events``'
  schema (``room_events``; the test clients check every frame they
  receive, too);
- after each test the gift batcher's database threads finish, close their
  connections and exit (PostgreSQL will not drop a test database that a
  thread is still connected to).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live.services.gifts import gift_batchers_close
from tests.live import RoomEvents, room_events_fixture  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _room_events_checked(room_events: RoomEvents) -> RoomEvents:
    return room_events


@pytest.fixture(autouse=True)
def _gift_batcher_threads_closed() -> Iterator[None]:
    yield
    gift_batchers_close()
