"""Replays: a live session's recordings made into an HLS VOD (writes).

A broadcast's :class:`~live.models.Replay` is made as it starts
(``replay_begin``, from ``rooms.session_start``) with the renditions it will
be recorded in. nginx-rtmp records each rendition into an FLV file and tells
Django when one is closed (``on_record_done`` -> ``replay_source_add``). Once
the session has ended and every expected rendition has arrived, the Celery
task ``live.tasks.finish_replay`` runs ``replay_finish``: each recording is
remuxed (no re-encoding) into a VOD playlist of 2-second segments, with a
master playlist over the renditions, a poster frame and a short muted
preview, saved in the ``replays`` storage under ``replays/<token>/``; the
recordings are then removed. ``replays_sweep`` (beat) takes the recordings
whose record-done never arrived from the record directory, finishes what
waited too long and sends again what a dead worker left.

States: ``recording`` -> ``processing`` -> ``ready`` or ``failed``;
``deleted`` and ``expired`` belong to ``live.services.replay_access``.
Every transition happens under the replay's row lock.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from live import abr, media, replay_files
from live.errors import NotFound, RecordingRefused, ReplayStateConflict
from live.media import MediaError
from live.models import LiveSession, Replay, ReplaySource, Room

logger = logging.getLogger("sprout.live.replays")

# The states a recording may still join (a late one revives a replay that
# failed for want of it).
_OPEN = (Replay.State.RECORDING, Replay.State.FAILED)
NO_RECORDING = "No recording arrived."


# --- recording -------------------------------------------------------------------------


def replay_begin(session: LiveSession) -> Replay:
    """The session's replay, made as the broadcast starts, expecting its live
    renditions (``session.renditions``; the source alone without ABR).
    Idempotent: an existing replay is returned as it is."""
    expected = list(session.renditions or [abr.SOURCE])
    replay, _ = Replay.objects.get_or_create(
        session=session, defaults={"expected_renditions": expected}
    )
    return replay


def _split_stream(name: str) -> tuple[str, str]:
    """The room's stream name and the rendition in nginx's stream name:
    ``<room.stream_name>`` (the source) or ``<room.stream_name>_<rendition>``."""
    base, _, rendition = name.partition("_")
    return base, rendition or abr.SOURCE


def _stream_room(stream_name: str) -> tuple[Room, str]:
    """The room and rendition of nginx's stream name (``_split_stream``)."""
    name = stream_name if isinstance(stream_name, str) else ""
    base, rendition = _split_stream(name)
    room = Room.objects.filter(stream_name=base).first() if base else None
    if room is None:
        raise RecordingRefused(f"No room streams as {name!r}.", code="recording_stream_unknown")
    return room, rendition


def _check_recording(path: str, stream_name: str) -> str:
    """``path`` when it is a recording nginx could have made of
    ``stream_name``: absolute, an ``.flv``, a regular file (not a symlink),
    inside ``SPROUT_LIVE_RECORD_DIR`` when that is set, named after the
    stream (``<name>.flv`` or ``<name>-<suffix>.flv``)."""
    if not isinstance(path, str) or not os.path.isabs(path):
        raise RecordingRefused(
            f"The recording path must be absolute: {path!r}.", code="recording_path_not_absolute"
        )
    if not path.endswith(".flv"):
        raise RecordingRefused(f"A recording is an .flv file: {path!r}.", code="recording_not_flv")
    try:
        info = os.lstat(path)
    except OSError:
        raise RecordingRefused(f"No file at {path!r}.", code="recording_missing") from None
    if stat.S_ISLNK(info.st_mode):
        raise RecordingRefused(f"{path!r} is a symbolic link.", code="recording_symlink")
    if not stat.S_ISREG(info.st_mode):
        raise RecordingRefused(f"{path!r} is not a regular file.", code="recording_not_a_file")
    record_dir = str(getattr(settings, "SPROUT_LIVE_RECORD_DIR", "") or "")
    if record_dir:
        root = os.path.realpath(record_dir)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise RecordingRefused(
                f"{path!r} is not inside SPROUT_LIVE_RECORD_DIR.",
                code="recording_outside_record_dir",
            )
    base = os.path.basename(path)
    if not (base == f"{stream_name}.flv" or base.startswith(f"{stream_name}-")):
        raise RecordingRefused(
            f"{base!r} is not a recording of {stream_name!r}.", code="recording_name_mismatch"
        )
    return path


def replay_source_add(*, stream_name: str, path: str) -> ReplaySource | None:
    """nginx-rtmp closed a recording of ``stream_name`` (its ``name``) at
    ``path``: it becomes a source of the room's latest session's replay.
    Refused (``RecordingRefused``, its code says why) for an unknown stream
    or rendition, or a path that is not such a recording. Idempotent per
    path. None (logged) when the replay no longer takes recordings (being
    made, made, deleted). When the session has ended and every expected
    rendition has a recording, finishing is enqueued after commit."""
    room, rendition = _stream_room(stream_name)
    checked = _check_recording(path, stream_name)
    session = room.sessions.order_by("-started_at", "-pk").first()
    if session is None:
        raise RecordingRefused(
            f"The room streaming as {stream_name!r} never went live.", code="recording_no_session"
        )
    with transaction.atomic():
        replay_begin(session)
        replay = (
            Replay.objects.select_for_update(of=("self",))
            .select_related("session")
            .get(session=session)
        )
        if rendition not in replay.expected_renditions:
            raise RecordingRefused(
                f"The broadcast has no rendition {rendition!r} "
                f"(it has {', '.join(replay.expected_renditions)}).",
                code="recording_rendition_unknown",
            )
        known = replay.sources.filter(path=checked).first()
        if known is not None:
            return known
        if replay.state not in _OPEN:
            logger.warning(
                "replay %s is %s: recording %s not taken", replay.pk, replay.state, checked
            )
            if replay.state in (Replay.State.DELETED, Replay.State.EXPIRED):
                # Nobody will make anything of it: it must not fill the disk.
                transaction.on_commit(partial(_remove_recordings, [checked]), robust=True)
            return None
        source = ReplaySource.objects.create(replay=replay, rendition=rendition, path=checked)
        if replay.state == Replay.State.FAILED:
            # It failed for want of a recording; this one may make it.
            replay.state, replay.error, replay.attempts = Replay.State.RECORDING, "", 0
            replay.save(update_fields=["state", "error", "attempts"])
        _enqueue_when_complete(replay)
    logger.info("replay %s: %s recording %s", replay.pk, rendition, checked)
    return source


def replay_session_ended(session: LiveSession) -> None:
    """The session ended (called after commit): finishing is enqueued when
    every expected recording is already there."""
    with transaction.atomic():
        replay = (
            Replay.objects.select_for_update(of=("self",))
            .select_related("session")
            .filter(session_id=session.pk)
            .first()
        )
        if replay is not None:
            _enqueue_when_complete(replay)


def _complete(replay: Replay) -> bool:
    if replay.state != Replay.State.RECORDING or replay.session.ended_at is None:
        return False
    arrived = set(replay.sources.values_list("rendition", flat=True))
    return set(replay.expected_renditions) <= arrived


def _enqueue_when_complete(replay: Replay) -> None:
    # Under the replay's row lock: of two callers, the second sees the state
    # the first left; a duplicate task is harmless anyway (replay_finish).
    if _complete(replay):
        transaction.on_commit(partial(_enqueue_finish, replay.pk), robust=True)


def _enqueue_finish(replay_id: int) -> None:
    from live.tasks import finish_replay  # tasks import the services

    finish_replay.delay(replay_id)


def _visibility_timeout() -> timedelta:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    return timedelta(seconds=int(options.get("visibility_timeout", 3600)))


def _claim_is_live(replay: Replay, now: datetime) -> bool:
    """Another run is making this replay now: its claim is younger than the
    broker's visibility timeout. The broker hands a task whose worker died
    back once that timeout has passed since it *delivered* it, a moment
    before the claim was written: a tenth of the timeout is left as margin,
    so that the redelivered task always finds the dead run's claim stale."""
    started = replay.processing_started_at
    return (
        replay.state == Replay.State.PROCESSING
        and started is not None
        and now - started < _visibility_timeout() * 0.9
    )


# --- finishing -------------------------------------------------------------------------

# A replay is tried this many times (a worker died, storage failed) before
# it is marked failed for good; a recording ffmpeg cannot read fails at once.
MAX_ATTEMPTS = 3
# The sweep finishes with what arrived, or fails, replays whose session ended
# this long ago and still wait for a recording.
RECORDING_GRACE = timedelta(minutes=2)
# The video's time 0 is at most this far into the session (a publisher's
# clock and nginx's flush make the estimate; more than this is a bad mtime).
MAX_START_OFFSET_MS = 30_000


@dataclass
class _Made:
    """What one finishing run saved in storage."""

    renditions: list[dict[str, Any]]
    playlist: str
    poster: str
    preview: str
    duration_ms: int
    start_offset_ms: int
    size_bytes: int
    names: set[str] = field(default_factory=set)


def replay_finish(replay_id: int) -> Replay:
    """Make the replay from its recordings (the body of
    ``live.tasks.finish_replay``); idempotent and restartable.

    Under the row lock it claims the work (``processing``, one more attempt)
    unless the replay is made, deleted, expired, failed, or being made by a
    live run. Then, in a temporary directory, each rendition is remuxed into
    an HLS VOD; a master playlist (more than one rendition), a poster and a
    preview are made from the best one; everything is saved under
    ``replays/<token>/`` (a rerun overwrites the same names and removes what
    it did not make). Under the lock again the replay becomes ``ready`` (or,
    deleted meanwhile, its files are removed), and after commit the
    recordings are removed. A recording that cannot be read makes it
    ``failed`` with the reason in ``error``. NotFound: no such replay."""
    now = timezone.now()
    with transaction.atomic():
        replay = _locked(replay_id)
        if replay.state in _SETTLED or _claim_is_live(replay, now):
            return replay
        sources = list(replay.sources.order_by("pk"))
        if replay.attempts >= MAX_ATTEMPTS:
            return _fail_locked(replay, f"Gave up after {replay.attempts} attempts.")
        if not sources:
            return _fail_locked(replay, NO_RECORDING)
        replay.state = Replay.State.PROCESSING
        replay.attempts += 1
        replay.processing_started_at = now
        replay.error = ""
        replay.save(update_fields=["state", "attempts", "processing_started_at", "error"])
    try:
        made = _make(replay, sources)
    except MediaError as exc:
        logger.warning("replay %s failed: %s", replay.pk, exc)
        return _fail(replay.pk, str(exc), claim=now)
    return _store(replay.pk, made, claim=now, sources=[s.path for s in sources])


_SETTLED = (
    Replay.State.READY,
    Replay.State.FAILED,
    Replay.State.DELETED,
    Replay.State.EXPIRED,
)


def _locked(replay_id: int) -> Replay:
    replay = (
        Replay.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(pk=replay_id)
        .first()
    )
    if replay is None:
        raise NotFound(f"No replay {replay_id}.", code="replay_not_found")
    return replay


def _fail_locked(replay: Replay, error: str) -> Replay:
    replay.state = Replay.State.FAILED
    replay.error = error[:300]
    replay.processing_started_at = None
    replay.save(update_fields=["state", "error", "processing_started_at"])
    # What an earlier, interrupted run left is of no use now.
    transaction.on_commit(
        partial(replay_files.remove_under, replay_files.replay_prefix(replay)), robust=True
    )
    logger.warning("replay %s failed: %s", replay.pk, error)
    return replay


def _fail(replay_id: int, error: str, *, claim: datetime) -> Replay:
    with transaction.atomic():
        replay = _locked(replay_id)
        if replay.state == Replay.State.PROCESSING and replay.processing_started_at == claim:
            return _fail_locked(replay, error)
        return replay


def _store(replay_id: int, made: _Made, *, claim: datetime, sources: list[str]) -> Replay:
    with transaction.atomic():
        replay = _locked(replay_id)
        if replay.state in (Replay.State.DELETED, Replay.State.EXPIRED):
            # Deleted while it was being made: what this run saved goes too.
            transaction.on_commit(
                partial(replay_files.remove_under, replay_files.replay_prefix(replay)), robust=True
            )
            logger.info("replay %s was %s while being made: files removed", replay.pk, replay.state)
            return replay
        if replay.state != Replay.State.PROCESSING or replay.processing_started_at != claim:
            # Another run took over (this one was thought dead): it writes.
            return replay
        replay.renditions = made.renditions
        replay.playlist = made.playlist
        replay.poster = made.poster
        replay.preview = made.preview
        replay.duration_ms = made.duration_ms
        replay.start_offset_ms = made.start_offset_ms
        replay.size_bytes = made.size_bytes
        replay.state = Replay.State.READY
        replay.error = ""
        replay.processing_started_at = None
        replay.finished_at = timezone.now()
        replay.save()
        transaction.on_commit(partial(_remove_recordings, sources), robust=True)
    logger.info(
        "replay %s ready: %s ms, %s rendition(s), %s bytes",
        replay.pk,
        made.duration_ms,
        len(made.renditions),
        made.size_bytes,
    )
    return replay


def _make(replay: Replay, sources: list[ReplaySource]) -> _Made:
    """Everything of the replay, made in a temporary directory and saved in
    the ``replays`` storage (MediaError: a recording that cannot be used)."""
    parts: dict[str, list[Path]] = {}
    for source in sources:
        path = Path(source.path)
        if not path.is_file():
            raise MediaError(f"The {source.rendition} recording {path.name} is gone.")
        parts.setdefault(source.rendition, []).append(path)
    storage = replay_files.replay_storage()
    prefix = replay_files.replay_prefix(replay)
    with tempfile.TemporaryDirectory(prefix="sprout-replay-") as tmp:
        work = Path(tmp)
        made: list[tuple[dict[str, Any], list[Path], float, Path]] = []
        for rendition, paths in parts.items():
            probes = [media.probe(path) for path in paths]
            out_dir = work / rendition
            playlist = media.hls_vod(paths, out_dir)
            entry = {
                "name": rendition,
                "width": probes[0].width,
                "height": probes[0].height,
                "bandwidth": media.peak_bandwidth(playlist) or max(p.bit_rate for p in probes),
                "playlist": f"{prefix}{rendition}/{playlist.name}",
            }
            made.append((entry, paths, sum(p.duration_s for p in probes), out_dir))
        made.sort(key=lambda m: (m[0]["height"], m[0]["bandwidth"]), reverse=True)
        best_entry, best_paths, duration_s, _ = made[0]
        at = min(2.0, duration_s / 2)
        poster = media.poster(best_paths[0], work / "poster.jpg", at_s=at)
        start = max(0.0, min(duration_s / 3, 60.0, duration_s - media.PREVIEW_SECONDS))
        preview = media.preview(best_paths[0], work / "preview.mp4", start_s=start)
        result = _Made(
            renditions=[m[0] for m in made],
            playlist=str(best_entry["playlist"]),
            poster=f"{prefix}poster.jpg",
            preview=f"{prefix}preview.mp4",
            duration_ms=round(duration_s * 1000),
            start_offset_ms=_start_offset_ms(replay.session, best_paths, duration_s),
            size_bytes=0,
        )
        uploads: list[tuple[str, Path]] = [
            (f"{prefix}{m[0]['name']}/{file.name}", file)
            for m in made
            for file in sorted(m[3].iterdir())
        ]
        uploads += [(result.poster, poster), (result.preview, preview)]
        if len(made) > 1:
            master = work / "master.m3u8"
            master.write_text(media.master_playlist(result.renditions, prefix))
            result.playlist = f"{prefix}master.m3u8"
            uploads.append((result.playlist, master))
        for name, path in uploads:
            replay_files.save_as(storage, name, path)
            result.names.add(name)
            result.size_bytes += path.stat().st_size
    # A rerun made fewer segments, or one rendition instead of several: the
    # rest is an earlier run's.
    for name in replay_files.stored_under(storage, prefix):
        if name not in result.names:
            storage.delete(name)
    return result


def _remove_recordings(paths: list[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("recording %s not removed: %s", path, exc)


def _start_offset_ms(session: LiveSession, paths: list[Path], duration_s: float) -> int:
    """Where the video's time 0 falls on the session's clock: the recording
    ended when its file was last written, and began ``duration`` before."""
    ended = datetime.fromtimestamp(max(p.stat().st_mtime for p in paths), tz=UTC)
    began = ended - timedelta(seconds=duration_s)
    offset = (began - session.started_at).total_seconds() * 1000
    return int(min(max(offset, 0), MAX_START_OFFSET_MS))


def replay_finish_again(replay: Replay) -> Replay:
    """Staff ask for a failed (or stuck) replay to be made again from its
    recordings: its attempts start over and finishing is enqueued after
    commit. ReplayStateConflict for a replay made, deleted, expired, still
    recording a live session, or being made now."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(replay.pk)
        if locked.state in (Replay.State.READY, Replay.State.DELETED, Replay.State.EXPIRED):
            raise ReplayStateConflict(f"The replay is {locked.state}: there is nothing to make.")
        if locked.session.ended_at is None:
            raise ReplayStateConflict("The session is still live: the replay is made after it.")
        if _claim_is_live(locked, now):
            raise ReplayStateConflict("The replay is being made right now.")
        locked.state = Replay.State.RECORDING
        locked.attempts = 0
        locked.error = ""
        locked.processing_started_at = None
        locked.save(update_fields=["state", "attempts", "error", "processing_started_at"])
        transaction.on_commit(partial(_enqueue_finish, locked.pk), robust=True)
    replay.refresh_from_db()
    return replay


# --- the sweep -------------------------------------------------------------------------


# A rendition's recording starts a little after the session (the ABR ffmpeg
# publishes its renditions once it has read the source): record_unique's
# time suffix is taken this many seconds before the session's start too.
ORPHAN_START_SLACK_SECONDS = 5
_RECORDING_NAME = re.compile(
    r"^(?P<stream>[A-Za-z0-9]+(?:_[A-Za-z0-9]+)?)-(?P<at>[0-9]{1,12})\.flv$"
)


def _orphan_recordings(replay: Replay) -> list[tuple[str, str, str]]:
    """Recordings of the replay's session lying in ``SPROUT_LIVE_RECORD_DIR``
    that Django was never told about (``on_record_done`` is sent once: a web
    process restarting as the broadcast ended loses it): ``(stream name,
    rendition, path)`` of each ``<stream>[_<rendition>]-<unix time>.flv`` of the room's
    stream and an expected rendition whose time suffix (when nginx opened it)
    falls within the session, not yet a source. Without a record directory
    set there is nowhere to look."""
    record_dir = str(getattr(settings, "SPROUT_LIVE_RECORD_DIR", "") or "")
    session = replay.session
    if not record_dir or session.ended_at is None:
        return []
    stream = Room.objects.filter(pk=session.room_id).values_list("stream_name", flat=True).first()
    earliest = int(session.started_at.timestamp()) - ORPHAN_START_SLACK_SECONDS
    latest = session.ended_at.timestamp()
    # Compared resolved: nginx may name the directory another way (a link).
    known = {os.path.realpath(path) for path in replay.sources.values_list("path", flat=True)}
    found = []
    try:
        entries = sorted(os.scandir(record_dir), key=lambda entry: entry.name)
    except OSError as exc:
        logger.warning("replay %s: cannot list %s: %s", replay.pk, record_dir, exc)
        return []
    for entry in entries:
        matched = _RECORDING_NAME.match(entry.name)
        if matched is None or os.path.realpath(entry.path) in known:
            continue
        base, rendition = _split_stream(matched["stream"])
        if base != stream or rendition not in replay.expected_renditions:
            continue
        if earliest <= int(matched["at"]) <= latest:
            found.append((matched["stream"], rendition, entry.path))
    return found


def _adopt_orphans(replay: Replay) -> None:
    """Make the replay's lost recordings (``_orphan_recordings``) sources,
    under its row lock, checked like the ones nginx reports."""
    for name, rendition, path in _orphan_recordings(replay):
        try:
            checked = _check_recording(path, name)
        except RecordingRefused as exc:
            logger.warning("replay %s: lost recording %s not taken: %s", replay.pk, path, exc.code)
            continue
        ReplaySource.objects.create(replay=replay, rendition=rendition, path=checked)
        logger.warning(
            "replay %s: %s recording %s found in the record directory (its record-done never "
            "reached Django)",
            replay.pk,
            rendition,
            checked,
        )


def replays_sweep() -> int:
    """Beat: replays whose session ended more than ``RECORDING_GRACE`` ago
    and still wait for a recording take the recordings of their session
    lying in the record directory that nginx never reported, then are
    finished with what arrived (or fail: no recording arrived); replays
    ``processing`` for longer than the broker's visibility timeout (their
    worker died) are sent again. Returns how many replays it acted on."""
    now = timezone.now()
    acted = 0
    waiting = Replay.objects.filter(
        state=Replay.State.RECORDING, session__ended_at__lt=now - RECORDING_GRACE
    ).values_list("pk", flat=True)
    for replay_id in list(waiting):
        with transaction.atomic():
            replay = _locked(replay_id)
            if replay.state != Replay.State.RECORDING:
                continue
            _adopt_orphans(replay)
            if replay.sources.exists():
                missing = set(replay.expected_renditions) - set(
                    replay.sources.values_list("rendition", flat=True)
                )
                if missing:
                    logger.warning(
                        "replay %s: made without %s (never recorded)",
                        replay.pk,
                        ", ".join(sorted(missing)),
                    )
                transaction.on_commit(partial(_enqueue_finish, replay.pk), robust=True)
            else:
                _fail_locked(replay, NO_RECORDING)
            acted += 1
    stalled = Replay.objects.filter(state=Replay.State.PROCESSING).filter(
        Q(processing_started_at__lt=now - _visibility_timeout())
        | Q(processing_started_at__isnull=True)
    )
    for replay_id in list(stalled.values_list("pk", flat=True)):
        transaction.on_commit(partial(_enqueue_finish, replay_id), robust=True)
        acted += 1
    return acted
