"""The live rooms' metrics (``live.metrics``): rooms and viewers move as
viewers come and go, frames are counted once per tick for every socket,
frames lost to a slow or vanished viewer are counted with their reason, gift
batches with their size and each gift's wait until the commit; and in
multiprocess mode the viewers of a process that died stop counting."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from core.metrics.exposition import scrape
from live import hub
from live import metrics as m
from live.gift_batcher import GiftBatcher, GiftBatchFailed
from tests.live import live_loop_fixture, live_settings_fixture  # noqa: F401  (fixtures)
from tests.metrics import MetricsWriter, recorded, sample

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_loop")]

ROOM_ID = 434_343


class Viewer:
    """A stand-in socket: takes frames, never finishes a send (``stuck``),
    or fails under one (``gone``)."""

    def __init__(self, key: str, *, stuck: bool = False, gone: bool = False) -> None:
        self.frames = 0
        self.stuck = asyncio.Event() if stuck else None
        self.gone = gone
        self.connection = hub.Connection(
            send=self.send, close=self.close, user_id=None, viewer_key=key, queue_size=2
        )

    async def send(self, message: dict[str, Any]) -> None:
        if self.stuck is not None:
            await self.stuck.wait()
        if self.gone:
            raise ConnectionResetError("the client went away")
        json.loads(message["text"])
        self.frames += 1

    async def close(self, code: int) -> None:
        pass


async def _until(condition: Any, timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def _event(n: int) -> dict[str, Any]:
    return {"type": "room_state", "state": "live", "n": n}


async def test_rooms_and_viewers_move_as_viewers_join_and_leave() -> None:
    gauges = (m.ROOM_HUBS, m.PROCESS_ROOM_HUBS, m.VIEWERS, m.PROCESS_VIEWERS)
    before = [recorded(g) for g in gauges]
    registry = hub.hubs()
    tab1, tab2, other = Viewer("member:1"), Viewer("member:1"), Viewer("member:2")
    for viewer in (tab1, tab2, other):
        await registry.join(ROOM_ID, viewer.connection)
    # One room; two viewers (a member's two tabs count once).
    assert [recorded(g) - b for g, b in zip(gauges, before, strict=True)] == [1, 1, 2, 2]
    await registry.leave(ROOM_ID, tab1.connection)
    assert recorded(m.VIEWERS) - before[2] == 2
    await registry.leave(ROOM_ID, tab2.connection)
    assert recorded(m.VIEWERS) - before[2] == 1
    await registry.leave(ROOM_ID, other.connection)
    assert [recorded(g) for g in gauges] == before  # the room closed with its last viewer


async def test_frames_are_counted_for_every_socket_of_a_tick() -> None:
    viewers = [Viewer(f"v{n}") for n in range(3)]
    registry = hub.hubs()
    for viewer in viewers:
        room_hub = await registry.join(ROOM_ID, viewer.connection)
        viewer.connection.open()
    sent = recorded(m.FRAMES_SENT)
    room_hub.deliver(_event(1))
    room_hub.deliver(_event(2))  # the same tick: one batch frame
    await _until(lambda: all(v.frames for v in viewers))
    assert recorded(m.FRAMES_SENT) - sent == 3


async def test_a_slow_viewer_is_dropped_with_the_frames_it_never_got() -> None:
    fine, slow = Viewer("fine"), Viewer("slow", stuck=True)
    registry = hub.hubs()
    for viewer in (fine, slow):
        room_hub = await registry.join(ROOM_ID, viewer.connection)
        viewer.connection.open()
    dropped = recorded(m.FRAMES_DROPPED, reason="slow")
    viewers_dropped = recorded(m.SLOW_VIEWERS_DROPPED)
    for n in range(4):  # one in its stuck send, two in its backlog, the fourth refused
        room_hub.deliver(_event(n))
        await _until(lambda n=n: fine.frames == n + 1)
    await _until(lambda: slow.connection.dropped)
    assert recorded(m.SLOW_VIEWERS_DROPPED) - viewers_dropped == 1
    # The refused frame and the two its backlog held (the stuck one is not counted).
    assert recorded(m.FRAMES_DROPPED, reason="slow") - dropped == 3


async def test_a_viewer_whose_socket_fails_loses_its_frames_as_gone() -> None:
    gone = Viewer("gone", gone=True)
    room_hub = await hub.hubs().join(ROOM_ID, gone.connection)
    gone.connection.open()
    before = recorded(m.FRAMES_DROPPED, reason="gone")
    room_hub.deliver(_event(1))
    await _until(lambda: gone.connection.broken)
    assert recorded(m.FRAMES_DROPPED, reason="gone") - before == 1


# --- gift batches --------------------------------------------------------------------------


def _answers(requests: list[str]) -> list[str]:
    return [f"ok:{request}" for request in requests]


async def test_a_committed_batch_counts_its_size_and_each_gifts_wait() -> None:
    batcher: GiftBatcher[str, str] = GiftBatcher(_answers, window=0.05, max_size=10)
    batches = recorded(m.GIFT_BATCHES, outcome="committed")
    sizes = recorded(m.GIFT_BATCH_SIZE, "_sum")
    waits = recorded(m.GIFT_COMMIT_SECONDS, "_count")
    waited = recorded(m.GIFT_COMMIT_SECONDS, "_sum")
    answers = await asyncio.gather(*(batcher.send(key) for key in ("a", "b", "c")))
    assert answers == ["ok:a", "ok:b", "ok:c"] and batcher.batches == 1
    assert recorded(m.GIFT_BATCHES, outcome="committed") - batches == 1
    assert recorded(m.GIFT_BATCH_SIZE, "_sum") - sizes == 3
    assert recorded(m.GIFT_COMMIT_SECONDS, "_count") - waits == 3
    # Each waited at least the batch's window before its commit.
    assert recorded(m.GIFT_COMMIT_SECONDS, "_sum") - waited >= 3 * 0.05


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [(OperationalError("connection lost"), "unavailable"), (RuntimeError("a bug"), "failed")],
)
async def test_a_batch_that_fails_is_counted_by_outcome_without_a_commit_time(
    failure: Exception, outcome: str
) -> None:
    def send_batch(requests: list[str]) -> list[str]:
        raise failure

    batcher: GiftBatcher[str, str] = GiftBatcher(send_batch, window=0.0)
    before = recorded(m.GIFT_BATCHES, outcome=outcome)
    waits = recorded(m.GIFT_COMMIT_SECONDS, "_count")
    with pytest.raises(Exception) as raised:
        await batcher.send("a")
    assert isinstance(raised.value, GiftBatchFailed) == (outcome == "failed")
    assert recorded(m.GIFT_BATCHES, outcome=outcome) - before == 1
    assert recorded(m.GIFT_COMMIT_SECONDS, "_count") == waits


# --- several processes ----------------------------------------------------------------------


def test_a_dead_process_stops_counting_its_viewers_but_keeps_its_frames(tmp_path: Path) -> None:
    """``livesum`` and ``liveall`` over two real processes: the one that
    exited is forgotten at the next scrape (its gauge files removed), its
    counters still count. The directory does not exist yet: the first
    metric a process builds (``live.hub`` imports ``live.metrics`` first)
    must not fail for it."""
    tmp_path = tmp_path / "not-made-yet"
    code = """
        from live import metrics
        metrics.viewers_add({viewers})
        metrics.room_hubs_add(1)
        metrics.FRAMES_SENT.inc({frames})
    """
    gone = MetricsWriter(tmp_path, code.format(viewers=3, frames=10))
    alive = MetricsWriter(tmp_path, code.format(viewers=2, frames=5), stay=True)
    try:
        gone.wait_ready()
        alive.wait_ready()
        gone.stop()
        body, _ = scrape(path=str(tmp_path))
        assert sample(body, "sprout_live_viewers") == 2
        assert sample(body, "sprout_live_process_viewers", pid=str(alive.pid)) == 2
        assert sample(body, "sprout_live_process_viewers", pid=str(gone.pid)) is None
        assert sample(body, "sprout_live_room_hubs") == 1
        assert sample(body, "sprout_live_frames_sent_total") == 15
        assert not list(tmp_path.glob(f"gauge_live*_{gone.pid}.db"))
    finally:
        alive.stop()
    body, _ = scrape(path=str(tmp_path))
    assert not sample(body, "sprout_live_viewers")
    assert sample(body, "sprout_live_frames_sent_total") == 15
