"""The room hub on its own (``live.hub``), with stand-in connections: what
must hold whatever the sockets and the hot state do."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from live import hub
from live.state import room_state
from tests.live import live_loop_fixture, live_settings_fixture  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_loop")]

ROOM_ID = 424_242


class Viewer:
    """A stand-in for a consumer: records frames, or never finishes a send."""

    def __init__(self, key: str, *, stuck: bool = False, queue_size: int = 4) -> None:
        self.frames: list[dict[str, Any]] = []
        self.batches = 0
        self.closed: list[int] = []
        self.stuck = asyncio.Event() if stuck else None
        self.connection = hub.Connection(
            send=self.send, close=self.close, user_id=None, viewer_key=key, queue_size=queue_size
        )

    async def send(self, message: dict[str, Any]) -> None:
        if self.stuck is not None:
            await self.stuck.wait()
        assert message["type"] == "websocket.send"
        frame = json.loads(message["text"])
        self.batches += frame["type"] == "batch"
        self.frames.extend(frame["events"] if frame["type"] == "batch" else [frame])

    async def close(self, code: int) -> None:
        self.closed.append(code)

    def states(self) -> list[Any]:
        return [e.get("n") for e in self.frames if e["type"] == "room_state"]


async def _until(condition: Any, timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def _hub(*viewers: Viewer) -> hub.RoomHub:
    room_hub = hub.RoomHub(ROOM_ID)
    await room_hub.start()
    for viewer in viewers:
        room_hub.add(viewer.connection)
        viewer.connection.open()
    return room_hub


async def test_one_frame_per_tick_in_order_and_a_laggard_is_dropped_not_waited_for() -> None:
    fine, slow = Viewer("fine"), Viewer("slow", stuck=True, queue_size=2)
    room_hub = await _hub(fine, slow)
    try:
        for n in range(6):
            room_hub.deliver({"type": "room_state", "state": "live", "n": n})
            await asyncio.sleep(0.03)  # past a tick: one frame each
        await _until(lambda: fine.states() == list(range(6)))
        assert slow.closed == [hub.CLOSE_TOO_SLOW]
        assert slow.connection not in room_hub.connections
        assert room_hub.dropped == 1
        assert await room_state().dropped(ROOM_ID) == 1
    finally:
        await room_hub.stop()


async def test_events_of_one_tick_go_out_as_one_batch_frame() -> None:
    viewer = Viewer("v")
    room_hub = await _hub(viewer)
    try:
        for n in range(3):
            room_hub.deliver({"type": "room_state", "state": "live", "n": n})
        await _until(lambda: bool(viewer.frames))
        await asyncio.sleep(0.05)
        assert viewer.batches == 1
        assert viewer.states() == [0, 1, 2]
    finally:
        await room_hub.stop()


async def test_frames_wait_for_hello_then_go_in_order_and_the_wait_is_bounded() -> None:
    early, late = Viewer("early", queue_size=16), Viewer("late", queue_size=2)
    room_hub = await _hub()
    room_hub.add(early.connection)
    room_hub.add(late.connection)
    try:
        for n in range(2):
            room_hub.deliver({"type": "room_state", "state": "live", "n": n})
            await asyncio.sleep(0.03)
        assert early.frames == [] and late.frames == []  # no hello yet
        early.connection.open()
        assert early.states() == [0, 1]
        room_hub.deliver({"type": "room_state", "state": "live", "n": 2})
        await _until(lambda: early.states() == [0, 1, 2])
        # A connection whose hello never goes out is dropped once its backlog is full.
        await _until(lambda: late.closed == [hub.CLOSE_TOO_SLOW])
        assert late.frames == []
    finally:
        await room_hub.stop()


async def test_failing_hot_state_neither_keeps_a_laggard_nor_silences_the_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = room_state()

    class RedisDown:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        async def count_dropped(self, room_id: int) -> None:
            raise ConnectionError("redis is down")

        async def add_watch_seconds(self, room_id: int, seconds: float) -> None:
            raise ConnectionError("redis is down")

    monkeypatch.setattr(hub, "room_state", RedisDown)
    fine, slow = Viewer("fine"), Viewer("slow", stuck=True, queue_size=1)
    room_hub = await _hub(fine, slow)
    try:
        for n in range(4):
            room_hub.deliver({"type": "room_state", "state": "live", "n": n})
            await asyncio.sleep(0.03)
        await _until(lambda: slow.closed == [hub.CLOSE_TOO_SLOW])
        assert slow.connection not in room_hub.connections
        room_hub.deliver({"type": "room_state", "state": "ended", "n": "last"})
        await _until(lambda: fine.states()[-1:] == ["last"])
    finally:
        await room_hub.stop()


async def test_a_big_room_gets_a_longer_tick_within_its_frame_budget(live_settings: Any) -> None:
    live_settings.SPROUT_LIVE_ROOM_FRAMES_PER_SECOND = 1_000
    room_hub = hub.RoomHub(ROOM_ID)
    viewers = [Viewer(f"v{n}") for n in range(100)]
    for viewer in viewers[:10]:
        room_hub.add(viewer.connection)
    assert room_hub.tick() == live_settings.SPROUT_LIVE_TICK_SECONDS  # 0.02 s: 500 frames/s
    for viewer in viewers[10:]:
        room_hub.add(viewer.connection)
    assert room_hub.tick() == pytest.approx(0.1)  # 100 viewers, 10 frames/s each


async def test_a_big_room_ticks_at_most_the_longest_tick_unless_a_process_would_pay_too_much(
    live_settings: Any,
) -> None:
    """Past ``SPROUT_LIVE_LONGEST_TICK_SECONDS`` the tick stops growing with
    the room, whatever its split, until this process's own sockets would
    cost it more than ``SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND``."""
    live_settings.SPROUT_LIVE_ROOM_FRAMES_PER_SECOND = 1_000
    live_settings.SPROUT_LIVE_LONGEST_TICK_SECONDS = 0.125
    live_settings.SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND = 2_000
    room_hub = hub.RoomHub(ROOM_ID)
    for n in range(100):
        room_hub.add(Viewer(f"v{n}").connection)
    assert room_hub.tick() == pytest.approx(0.1)  # 100 sockets, 1,000 frames/s
    room_hub.other_sockets = 100
    assert room_hub.tick() == pytest.approx(0.125)  # not 0.2: 800 frames/s here
    room_hub.other_sockets = 0
    for n in range(100, 400):
        room_hub.add(Viewer(f"v{n}").connection)
    assert room_hub.tick() == pytest.approx(0.2)  # 400 here: 0.125 s would be 3,200/s
    room_hub.other_sockets = 400
    assert room_hub.tick() == pytest.approx(0.2)  # the others' share changes nothing here


async def test_a_room_split_over_processes_keeps_the_tick_of_its_whole_size(
    live_settings: Any,
) -> None:
    """The tick follows the room's sockets over every process: a process
    serving 10 of a room's 100 viewers ticks as one serving all 100, so
    every viewer gets the same cadence and a split room costs each process
    its share of the frames, not a budget of its own."""
    live_settings.SPROUT_LIVE_ROOM_FRAMES_PER_SECOND = 1_000
    state = room_state()
    await state.report_sockets(ROOM_ID, "another-process", 90)
    room_hub = await _hub(*[Viewer(f"v{n}") for n in range(10)])
    try:
        assert room_hub.tick() == live_settings.SPROUT_LIVE_TICK_SECONDS  # not reported yet
        await _until(lambda: room_hub.tick() == pytest.approx(0.1))  # 100 sockets
        # It reported its own 10: the other process counts them too.
        assert await state.report_sockets(ROOM_ID, "another-process", 90) == 100
        await state.report_sockets(ROOM_ID, "another-process", 0)  # that process left
        await _until(lambda: room_hub.tick() == live_settings.SPROUT_LIVE_TICK_SECONDS)
    finally:
        await room_hub.stop()
    # Stopping, it takes its sockets out of the room.
    assert await state.report_sockets(ROOM_ID, "another-process", 0) == 0


async def test_a_process_that_stops_reporting_no_longer_counts_in_the_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from live import state as state_module

    state = room_state()
    assert await state.report_sockets(ROOM_ID, "a", 30) == 30
    assert await state.report_sockets(ROOM_ID, "b", 12) == 42
    later = time.time() + state_module.VIEWER_TTL_SECONDS + 1
    monkeypatch.setattr(state_module.time, "time", lambda: later)
    assert await state.report_sockets(ROOM_ID, "b", 12) == 12  # "a" died


async def test_other_apps_tick_events_go_out_when_they_change_and_to_newcomers() -> None:
    from live.extensions import room_tick_events

    left = {"n": 5}
    calls: list[int] = []

    async def units_left(room_id: int) -> list[Any]:
        calls.append(room_id)
        return [{"type": "flash_sale", "id": 7, "remaining": left["n"], "state": "on"}]

    async def broken(room_id: int) -> list[Any]:
        raise ConnectionError("the other app's cache is down")

    def sales(viewer: Viewer) -> list[int]:
        return [e["remaining"] for e in viewer.frames if e["type"] == "flash_sale"]

    with room_tick_events.override(broken, units_left):
        first = Viewer("first")
        room_hub = await _hub(first)
        try:
            await _until(lambda: sales(first) == [5])
            left["n"] = 4
            await _until(lambda: sales(first) == [5, 4])
            await asyncio.sleep(0.3)  # unchanged: not sent again
            assert sales(first) == [5, 4]
            assert set(calls) == {ROOM_ID} and len(calls) >= 3
            second = Viewer("second")
            room_hub.add(second.connection)
            second.connection.open()
            await _until(lambda: sales(second) == [4])
        finally:
            await room_hub.stop()
