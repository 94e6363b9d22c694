"""A Celery worker SIGKILLed while it folds a live session's tallies: the
session gets them exactly once.

``live.tasks.end_stale_rooms`` (beat, every minute) ends the live rooms whose
publisher vanished and folds the room's hot counters (hearts, chat lines,
watch time, peak and unique viewers, dropped viewers: ``live.state``) into
its ``LiveSession``, under the room's row lock, as a guarded transition
(``live`` -> ``ended``; ``live.services.rooms._end_live``). Here the task is
stopped mid-transaction (the room locked and read, its session row locked by
the test), its worker is killed, and the broker hands the task (acked late)
to a new worker: the room is ended once, its session holds the counters
once, and a duplicate run finds nothing to do.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from live import tasks
from live.models import LiveSession, Room
from live.state import reset_room_state_backend
from tests.factories import RoomFactory
from tests.faults import kill_mid_task, killable_workers  # noqa: F401  (fixture)
from tests.services import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

COUNTERS = {"hearts": 420, "messages": 17, "watch": 1234.5, "peak": 9, "dropped": 2}


def test_a_worker_killed_while_folding_a_sessions_tallies_folds_them_once(
    killable_workers: Any,  # noqa: F811
) -> None:
    room = RoomFactory(live=True)
    Room.objects.filter(pk=room.pk).update(last_seen_at=timezone.now() - timedelta(minutes=10))
    session = LiveSession.objects.get(room=room, ended_at=None)
    hot = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for name, value in COUNTERS.items():
            hot.set(f"live:room:{room.pk}:{name}", value)
        hot.pfadd(f"live:room:{room.pk}:unique", "u1", "u2", "u3")
    finally:
        hot.close()
    reset_room_state_backend()

    first = killable_workers("first")
    killed_after = kill_mid_task(
        first,
        lock_sql="SELECT id FROM live_livesession WHERE id = %s FOR UPDATE",
        params=[session.pk],
        send=tasks.end_stale_rooms.delay,
    )
    # The dead worker's transaction rolled back: nothing of it stands.
    wait_for(
        lambda: (
            Room.objects.get(pk=room.pk).state == Room.State.LIVE
            and not LiveSession.objects.get(pk=session.pk).ended_at
        ),
        timeout=10,
        what="the dead worker's transaction to roll back",
    )
    assert "end_stale_rooms" in first.text() and "succeeded" not in first.text()

    restarted = time.monotonic()
    second = killable_workers("second")
    wait_for(
        lambda: Room.objects.get(pk=room.pk).state == Room.State.ENDED,
        timeout=30,
        what="the redelivered task to end the room",
    )
    redelivered_after = time.monotonic() - restarted
    task_id = first.text().split("end_stale_rooms[", 1)[1].split("]", 1)[0]
    # The worker logs "succeeded" after the task returns, a moment after its
    # transaction committed the ended room.
    wait_for(
        lambda: f"end_stale_rooms[{task_id}] succeeded" in second.text(),
        timeout=10,
        what="the new worker to log the redelivered task's success",
    )

    session.refresh_from_db()
    assert session.ended_at is not None
    assert (session.hearts, session.chat_messages, session.watch_seconds) == (420, 17, 1234)
    assert (session.peak_viewers, session.unique_viewers, session.dropped_connections) == (9, 3, 2)
    # A duplicate delivery (or the next beat) finds nothing to end, and the
    # tallies stay as folded.
    # Run here, eagerly: a worker pool built earlier in this test process may
    # have set Celery's "never wait on a task" flag, meant for workers.
    assert tasks.end_stale_rooms.apply().get(disable_sync_subtasks=False) == 0
    session.refresh_from_db()
    assert session.hearts == 420 and LiveSession.objects.filter(room=room).count() == 1
    print(
        f"\ntallies: killed {killed_after:.2f}s after sending; "
        f"the new worker ended the room {redelivered_after:.2f}s after it started"
    )
