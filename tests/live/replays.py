"""Replays as the API and the pages see them once made: ``ready_replay``
is ``ReplayFactory(ready=True)`` (no files) whose session lasted the
replay's duration, ended now (``LiveSessionFactory``'s ends as it begins)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from live.models import LiveSession, Replay
from tests.factories import ReplayFactory

#: A minute: long enough for a timeline with several seconds of events.
DURATION_MS = 60_000


def ready_replay(**fields: Any) -> Replay:
    """A ready, published replay (``fields`` override: ``published=False``,
    ``state=...``, ``session=...``)."""
    fields.setdefault("duration_ms", DURATION_MS)
    replay: Replay = ReplayFactory(ready=True, **fields)
    session = replay.session
    if session.ended_at is not None and session.ended_at <= session.started_at:
        started = session.ended_at - timedelta(milliseconds=replay.duration_ms or 0)
        LiveSession.objects.filter(pk=session.pk).update(started_at=started)
        session.started_at = started
    return replay
