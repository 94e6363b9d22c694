"""A Celery worker SIGKILLed while it makes a replay: the replay is made
once, by the next worker, with one copy of each file, and the recording is
removed.

``live.tasks.finish_replay`` (acked late) claims the replay (``processing``,
committed), remuxes the recording and saves the files, then marks the
replay ready under its row lock. Here the test takes that row lock as soon
as the claim is committed: the worker saves every file and waits for the
lock, mid-transaction; it is killed there, its transaction rolls back, and
the broker hands the task to a new worker, which finds the dead run's claim
stale, makes the replay again over the same names and marks it ready.

Needs ffmpeg, PostgreSQL and Redis (the PostgreSQL pass)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages

from live import replay_files, tasks
from live.models import Replay, ReplaySource, Room
from live.services import replays
from tests.factories import LiveSessionFactory, RoomFactory
from tests.faults import backends_waiting_on_a_lock, killable_workers, row_locked  # noqa: F401
from tests.live.test_replay_making import make_flv
from tests.services import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_while_making_a_replay_leaves_it_to_the_next_once(
    killable_workers: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    room = RoomFactory(state=Room.State.ENDED)
    session = LiveSessionFactory(room=room)
    replay = replays.replay_begin(session)
    # Long enough that the test takes the row lock while ffmpeg still works.
    flv = make_flv(tmp_path / "rec" / f"{room.stream_name}-1.flv", size="640x360", seconds=8)
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(flv))
    storage = storages["replays"]
    prefix = replay_files.replay_prefix(replay)

    first = killable_workers("first")
    sent = time.monotonic()
    tasks.finish_replay.delay(replay.pk)
    wait_for(
        lambda: Replay.objects.filter(pk=replay.pk, state=Replay.State.PROCESSING).exists(),
        timeout=30,
        interval=0.02,
        what="the first worker to claim the replay",
    )
    with row_locked("SELECT id FROM live_replay WHERE id = %s FOR UPDATE", [replay.pk]):
        wait_for(
            backends_waiting_on_a_lock,
            timeout=60,
            what="the first worker to save the files and wait to mark the replay ready",
        )
        saved_by_the_dead = sorted(replay_files.stored_under(storage, prefix))
        first.kill()
        killed_after = time.monotonic() - sent
    assert any(name.endswith(".ts") for name in saved_by_the_dead)
    assert "finish_replay" in first.text() and "succeeded" not in first.text()
    wait_for(lambda: not backends_waiting_on_a_lock(), timeout=10, what="the dead run to roll back")
    dead = Replay.objects.get(pk=replay.pk)
    assert (dead.state, dead.attempts, dead.playlist) == (Replay.State.PROCESSING, 1, "")
    assert flv.exists()  # removed only once a replay is made

    restarted = time.monotonic()
    second = killable_workers("second")
    wait_for(
        lambda: Replay.objects.get(pk=replay.pk).state == Replay.State.READY,
        timeout=60,
        what="the redelivered task to make the replay",
    )
    redelivered_after = time.monotonic() - restarted
    task_id = first.text().split("finish_replay[", 1)[1].split("]", 1)[0]
    # Logged once the task returns: after the commit that made it ready and
    # the removal of the recording that follows it.
    wait_for(
        lambda: f"finish_replay[{task_id}] succeeded" in second.text(),
        timeout=15,
        what="the new worker to log the redelivered task's success",
    )

    made = Replay.objects.get(pk=replay.pk)
    assert made.attempts == 2 and made.error == ""
    files = sorted(replay_files.stored_under(storage, prefix))
    # The same names the dead run saved, each once: no "index_<random>.m3u8".
    assert files == saved_by_the_dead
    assert made.playlist in files and made.poster in files and made.preview in files
    assert made.size_bytes == sum(storage.size(name) for name in files)
    assert not any(room.stream_name in name for name in files)
    wait_for(lambda: not flv.exists(), timeout=10, what="the recording to be removed")
    # A duplicate delivery finds it made and does nothing (run here, eagerly).
    assert tasks.finish_replay.apply(args=(replay.pk,)).get(disable_sync_subtasks=False) == "ready"
    assert Replay.objects.get(pk=replay.pk).attempts == 2
    print(
        f"\nreplay: killed {killed_after:.2f}s after sending; "
        f"the new worker made it {redelivered_after:.2f}s after it started"
    )
