"""The demo's replays (part of ``live.demo``): a few hosts' short broadcasts
that were recorded, made into replays through the real path.

A replay needs video. When ffmpeg and ffprobe are installed, ``live.demo``
plans one short session more for each of the first ``REPLAY_HOSTS`` hosts
(``live.demo.clip_session``: "a quick hello" on the afternoon of their latest
evening live, as long as the clip), with chat, a couple of gifts and hearts
spread over the video. After the sessions are written, one clip is made
(:func:`clip_make`, ``live.media.pattern_clip``: a few seconds of ffmpeg)
and each short session's replay gets a copy of it as the recording nginx-rtmp
would have closed (a ``ReplaySource``, its file time where the broadcast
ended), then ``live.services.replays.replay_finish`` makes the HLS VOD,
poster and preview in the ``replays`` storage, as the Celery task does.

The other demo sessions were never recorded: their replays, begun by
``session_start`` and waiting for recordings that will not come, are
removed (:func:`unrecorded_replays_remove`), so they read as sessions from
before replays, not as replays "being prepared" until the sweep fails them.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import Q

from live import abr, media
from live.models import HeartsMark, LiveSession, Replay, ReplaySource
from live.services.replays import replay_finish

if TYPE_CHECKING:
    from live.demo import SessionPlan

REPLAY_HOSTS = 3  # hosts with a short recorded broadcast
CLIP_SECONDS = 45
CLIP_SIZE = (360, 640)  # portrait, as a phone streams
CLIP_CAPTION = "Sprout demo replay"
# The video starts this long after the session (the publisher connecting),
# and the session ends this long after the video (publish-done).
VIDEO_START_MS = 1_500
SESSION_TAIL_MS = 1_000
REPLAY_VIEWS = (15, 160)


def tools_missing() -> str | None:
    """Why no replay can be made here (a sentence), or None."""
    missing = [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install ffmpeg)"
    return None


# --- writing ---------------------------------------------------------------------------


def hearts_marks_add(session: LiveSession, plan: SessionPlan) -> None:
    """The planned hearts over time, as ``session_end`` folds live ones."""
    HeartsMark.objects.bulk_create(
        HeartsMark(session=session, offset_ms=offset, total=total) for offset, total in plan.hearts
    )


def unrecorded_replays_remove(sessions: Sequence[LiveSession]) -> int:
    """Remove the replays of ``sessions`` that wait for a recording that will
    never come (see the module docstring); returns how many."""
    removed, _ = (
        Replay.objects.filter(session__in=sessions, state=Replay.State.RECORDING)
        .filter(~Q(pk__in=ReplaySource.objects.values("replay_id")))
        .delete()
    )
    return removed


def clip_make(directory: Path) -> Path:
    """The demo's one clip, in ``directory`` (MediaError when ffmpeg cannot
    make it)."""
    width, height = CLIP_SIZE
    return media.pattern_clip(
        directory / "clip.flv",
        seconds=CLIP_SECONDS,
        width=width,
        height=height,
        caption=CLIP_CAPTION,
    )


@dataclass(frozen=True)
class MadeReplays:
    """The short broadcasts' replays: made, and those ffmpeg failed on."""

    ready: list[Replay]
    failed: list[Replay]


def replays_make(
    *, clip: Path, directory: Path, broadcasts: Sequence[tuple[LiveSession, SessionPlan]], seed: int
) -> MadeReplays:
    """Each short broadcast's replay made from a copy of ``clip`` (copied
    into ``directory``, named as nginx-rtmp names a recording, dated where
    the broadcast ended) by ``replay_finish``; then dated, with some views
    and watch time."""
    duration_s = media.probe(clip).duration_s
    ready: list[Replay] = []
    failed: list[Replay] = []
    for session, plan in broadcasts:
        replay = Replay.objects.select_related("session__room").get(session=session)
        copy = directory / f"{session.room.stream_name}-{int(plan.start.timestamp())}.flv"
        shutil.copyfile(clip, copy)
        # replay_finish places the video on the session's clock from the
        # recording's file time: where the broadcast ended.
        ended = plan.start + timedelta(milliseconds=VIDEO_START_MS) + timedelta(seconds=duration_s)
        os.utime(copy, (ended.timestamp(), ended.timestamp()))
        source = ReplaySource.objects.create(replay=replay, rendition=abr.SOURCE, path=str(copy))
        made = replay_finish(replay.pk)  # a clip it cannot read makes it failed
        if made.state != Replay.State.READY:
            failed.append(made)
            continue
        rng = random.Random(f"{seed}:{plan.host.username}:replay")  # noqa: S311 - demo data
        views = rng.randint(*REPLAY_VIEWS)
        ReplaySource.objects.filter(pk=source.pk).update(recorded_at=plan.end)
        Replay.objects.filter(pk=replay.pk).update(
            created_at=plan.start,
            finished_at=plan.end + timedelta(seconds=rng.randint(20, 90)),
            views=views,
            watch_seconds=int(views * duration_s * rng.uniform(0.35, 0.8)),
        )
        made.refresh_from_db()
        ready.append(made)
    return MadeReplays(ready=ready, failed=failed)
