"""Hearts over time: ``live.state`` counts each second's hearts beside the
running total (Redis: a hash in the same pipeline, with the room keys'
expiry; memory: a dict), and ending a session folds them into ``HeartsMark``
rows, running totals by offset from the session's start, only seconds within
the session, cleared with the other counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from live import services
from live.models import HeartsMark, LiveSession, Room
from live.services.rooms import hearts_marks_fold
from live.state import HEARTS_AT, LocalRoomState, RedisRoomState, RoomState, room_state
from tests.factories import LiveSessionFactory, RoomFactory
from tests.live import live_settings_fixture  # noqa: F401  (fixture)
from tests.services import redis_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_settings")]


class Clock:
    """``live.state``'s clock, moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import live.state

    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(live.state, "time", SimpleNamespace(time=clock.time))
    return clock


def backends() -> list[Any]:
    params: list[Any] = [pytest.param("local", id="memory")]
    params.append(pytest.param("redis", id="redis", marks=pytest.mark.redis))
    return params


@pytest.fixture(params=backends())
def state(request: pytest.FixtureRequest) -> Iterator[RoomState]:
    if request.param == "local":
        yield LocalRoomState()
        return
    backend = RedisRoomState(redis_url())
    yield backend
    backend._sync.close()


def add(state: RoomState, clock: Clock, *steps: tuple[float, int, int]) -> list[int]:
    """Hearts sent at ``(clock time, room id, count)``, in one event loop (an
    asyncio Redis client belongs to the loop that made it); the totals."""

    if isinstance(state, RedisRoomState):
        state = RedisRoomState(redis_url())  # a client for this loop, on the same keys

    async def send() -> list[int]:
        totals = []
        for moment, room_id, count in steps:
            clock.now = moment
            totals.append(await state.add_hearts(room_id, count))
        return totals

    return async_to_sync(send)()


# --- the buckets ----------------------------------------------------------------------


def test_hearts_are_counted_per_second_beside_the_total(state: RoomState, clock: Clock) -> None:
    now = clock.now
    totals = add(state, clock, (now, 7, 2), (now, 7, 3), (now + 1.5, 7, 4), (now + 1.5, 8, 1))
    assert totals == [2, 5, 9, 1]
    assert state.hearts_by_second_sync(7) == {1_800_000_000: 5, 1_800_000_001: 4}
    assert state.hearts_by_second_sync(8) == {1_800_000_001: 1}


def test_the_buckets_are_cleared_with_the_counters(state: RoomState, clock: Clock) -> None:
    add(state, clock, (clock.now, 7, 2))
    state.clear(7)
    assert state.hearts_by_second_sync(7) == {}
    add(state, clock, (clock.now, 7, 2))
    assert state.hearts_by_second_sync(7) != {}
    state.clear(7)  # what a session's start and end do
    assert state.hearts_by_second_sync(7) == {}


@pytest.mark.redis
def test_in_redis_the_buckets_expire_with_the_room_keys(clock: Clock) -> None:
    backend = RedisRoomState(redis_url())
    try:
        add(backend, clock, (clock.now, 7, 1))
        ttl = backend._sync.ttl(f"live:room:7:{HEARTS_AT}")
        assert 0 < ttl <= RedisRoomState.KEEP_SECONDS
    finally:
        backend.clear(7)
        backend._sync.close()


# --- the fold ----------------------------------------------------------------------------


def ended_session(*, started: float, seconds: int) -> LiveSession:
    session = LiveSessionFactory()
    begin = datetime.fromtimestamp(started, tz=UTC)
    LiveSession.objects.filter(pk=session.pk).update(
        started_at=begin, ended_at=begin + timedelta(seconds=seconds)
    )
    session.refresh_from_db()
    return session


def ended(session: LiveSession) -> datetime:
    assert session.ended_at is not None
    return session.ended_at


def marks(session: LiveSession) -> list[tuple[int, int]]:
    return list(
        HeartsMark.objects.filter(session=session)
        .order_by("offset_ms")
        .values_list("offset_ms", "total")
    )


def test_the_fold_makes_running_totals_by_offset_within_the_session() -> None:
    session = ended_session(started=1_000.25, seconds=10)
    by_second = {
        998: 50,  # before the session (another broadcast's)
        1_000: 2,  # began before the start, ends after it: offset 0
        1_003: 5,
        1_001: 1,
        1_010: 3,  # the last second (the session ends at 1010.25)
        1_011: 7,  # after the end
    }
    assert hearts_marks_fold(session, by_second, ended_at=ended(session)) == 4
    assert marks(session) == [(0, 2), (750, 3), (2_750, 8), (9_750, 11)]


def test_a_session_without_hearts_has_no_marks() -> None:
    session = ended_session(started=1_000, seconds=10)
    assert hearts_marks_fold(session, {}, ended_at=ended(session)) == 0
    assert marks(session) == []


def test_ending_a_broadcast_folds_its_hearts_into_marks(
    clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    room = RoomFactory(state=Room.State.SCHEDULED)
    session = services.session_start(room=room, client_addr="")
    # It went live ten seconds ago.
    started_at = session.started_at - timedelta(seconds=10)
    LiveSession.objects.filter(pk=session.pk).update(started_at=started_at)
    start = started_at.timestamp()
    add(room_state(), clock, (start + 2.2, room.pk, 3), (start + 5.9, room.pk, 4))
    with django_capture_on_commit_callbacks(execute=True):
        ended = services.session_end(room=room, reason="publish_done")
    assert ended is not None and ended.hearts == 7
    first = int(start + 2.2) * 1000 - int(start * 1000)
    second = int(start + 5.9) * 1000 - int(start * 1000)
    assert marks(ended) == [(first, 3), (second, 7)]
    # The marks are what the replay's timeline plays back.
    from live.selectors import session_timeline

    items = session_timeline(session=ended).items
    assert [(i["offset_ms"], i["type"], i["total"]) for i in items] == [
        (first, "hearts", 3),
        (second, "hearts", 7),
    ]
    assert room_state().hearts_by_second_sync(room.pk) == {}
