"""Celery tasks of live rooms: load ids, call a service, nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from live import services
from live.errors import NotFound
from live.services import gifts, replays

logger = logging.getLogger("sprout.live.replays")


@shared_task(acks_late=True)
def notify_went_live(room_id: int) -> int:
    """Tell the host's followers the room is live (enqueued on commit by
    ``services.session_start``). Idempotent: followers are told once per room.
    Returns how many were told."""
    return services.followers_notify_live(room_id=room_id)


@shared_task(acks_late=True)
def end_stale_rooms() -> int:
    """End live rooms whose publisher vanished: not heard from (publish or
    ``on_update`` callbacks) for ``SPROUT_LIVE_STALE_SECONDS`` (beat, every
    minute). Returns how many ended."""
    return services.rooms_end_stale(older_than_seconds=settings.SPROUT_LIVE_STALE_SECONDS)


@shared_task(acks_late=True, ignore_result=True)
def push_live_leaderboards() -> int:
    """Beat, every few seconds: each live room's top gifters, pushed to the
    room when they changed. Returns how many rooms got a ``leaderboard``
    event."""
    return gifts.leaderboards_push()


@shared_task(acks_late=True, ignore_result=True)
def finish_replay(replay_id: int) -> str | None:
    """Make a replay from its recordings (``replays.replay_finish``, enqueued
    on commit once the session ended and its recordings are in, and by the
    sweep). Acked late and idempotent: a worker killed mid-way leaves it to
    the next delivery. Returns the replay's state (None: no such replay)."""
    try:
        return replays.replay_finish(replay_id).state
    except NotFound:
        logger.warning("finish_replay: replay %s is gone", replay_id)
        return None


@shared_task(acks_late=True, ignore_result=True)
def sweep_replays() -> int:
    """Beat, every two minutes: replays left waiting for a recording, or
    left ``processing`` by a dead worker, are finished (``replays_sweep``).
    Returns how many it acted on."""
    return replays.replays_sweep()


@shared_task(acks_late=True)
def expire_replays() -> int:
    """Beat, daily: expire the replays finished more than
    ``SPROUT_REPLAY_RETENTION_DAYS`` ago (0: never), their files removed.
    Returns how many expired."""
    from live.services.replay_access import replays_expire

    return replays_expire(older_than_days=int(settings.SPROUT_REPLAY_RETENTION_DAYS))


@shared_task(acks_late=True)
def remove_replay_files(replay_id: int) -> int:
    """A deleted replay's files out of storage (enqueued on commit by
    ``replay_delete``). Idempotent. Returns how many files went."""
    from live.models import Replay
    from live.services.replay_access import replay_files_remove

    replay = Replay.objects.filter(pk=replay_id, state=Replay.State.DELETED).first()
    return replay_files_remove(replay) if replay is not None else 0
