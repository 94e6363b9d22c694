"""Replays made from a broadcast's recordings (``live.services.replays``):
the replay begun with the session, nginx's recordings taken (or refused,
each with its code) once, finishing enqueued only when the session ended
and every rendition arrived; ``replay_finish`` with real ffmpeg making a
VOD that plays (``#EXT-X-ENDLIST``, segments in storage, a master over two
renditions, a poster and a preview), again without a second copy, cleaning
up after a replay deleted meanwhile, failing clearly on a broken
recording; the sweep; the admin.

Needs ffmpeg (skipped without it, a failure under CI=true)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from live import replay_files, services, tasks
from live.errors import RecordingRefused, ReplayStateConflict
from live.models import LiveSession, Replay, ReplaySource, Room
from live.services import replays
from tests import services as test_services
from tests.admin_pages import AdminPages, offered_actions, page_messages
from tests.factories import (
    LiveSessionFactory,
    ReplayFactory,
    ReplaySourceFactory,
    RoomFactory,
    StreamKeyFactory,
)
from tests.live import live_settings_fixture  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_settings")]

ADMIN = AdminPages("live")
TWO = "180p=320x180@300"


# --- recordings made with ffmpeg -------------------------------------------------------


def make_flv(path: Path, *, size: str = "320x180", seconds: float = 3.5) -> Path:
    """A recording as nginx-rtmp writes one: H.264 (a keyframe every 2 s)
    and AAC in FLV."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        test_services.unavailable("ffmpeg is not installed: apt-get install -y ffmpeg")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-v", "error",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
         "-c:a", "aac", "-b:a", "64k", "-f", "flv", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def flv_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One recording per size for the module (copied into each test)."""
    cache = tmp_path_factory.mktemp("flv")
    return {
        "320x180": make_flv(cache / "big.flv", size="320x180"),
        "160x90": make_flv(cache / "small.flv", size="160x90"),
    }


@pytest.fixture
def record_dir(tmp_path: Path, settings: Any) -> Path:
    directory = tmp_path / "rec"
    directory.mkdir()
    settings.SPROUT_LIVE_RECORD_DIR = str(directory)
    return directory


@pytest.fixture
def replay_storage(tmp_path: Path, settings: Any) -> Storage:
    """The ``replays`` storage of this test, in a directory of its own."""
    location = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "replays": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": "/media/"},
        },
    }
    return storages["replays"]


def recording(
    flv_cache: dict[str, Path], record_dir: Path, name: str, size: str = "320x180"
) -> Path:
    target = record_dir / f"{name}-1700000000.flv"
    shutil.copyfile(flv_cache[size], target)
    return target


def ended_room(renditions: list[str] | None = None) -> tuple[Room, LiveSession, Replay]:
    """A room whose broadcast ended, with its replay still recording."""
    room = RoomFactory(state=Room.State.ENDED)
    session = LiveSessionFactory(room=room, started_at=timezone.now(), renditions=renditions or [])
    LiveSession.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - timedelta(seconds=10)
    )
    session.refresh_from_db()
    return room, session, replays.replay_begin(session)


def stored(storage: Storage, prefix: str) -> list[str]:
    return sorted(replay_files.stored_under(storage, prefix))


def ffprobe(path: str) -> dict[str, Any]:
    import json

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    return dict(json.loads(out))


# --- the replay begins with the session ----------------------------------------------------


def test_going_live_begins_a_replay_of_the_source_without_abr(settings: Any) -> None:
    settings.SPROUT_LIVE_ABR = "off"
    room = RoomFactory()
    session = services.session_start(room=room, client_addr="127.0.0.1")
    assert session.renditions == []
    replay = Replay.objects.get(session=session)
    assert (replay.state, replay.expected_renditions) == (Replay.State.RECORDING, ["src"])
    assert replays.replay_begin(session) == replay  # idempotent
    assert Replay.objects.filter(session=session).count() == 1


def test_going_live_with_abr_expects_every_live_rendition(settings: Any) -> None:
    settings.SPROUT_LIVE_ABR = "on"
    settings.SPROUT_LIVE_ABR_RENDITIONS = f"{TWO},90p=160x90@100"
    session = services.session_start(room=RoomFactory(), client_addr="")
    assert session.renditions == ["src", "180p", "90p"]
    assert Replay.objects.get(session=session).expected_renditions == ["src", "180p", "90p"]


# --- recordings arriving ------------------------------------------------------------------


def test_a_recording_becomes_the_source_once(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    room = RoomFactory(live=True)
    path = recording(flv_cache, record_dir, room.stream_name)
    first = replays.replay_source_add(stream_name=room.stream_name, path=str(path))
    again = replays.replay_source_add(stream_name=room.stream_name, path=str(path))
    assert first is not None and again == first
    assert (first.rendition, first.path) == ("src", str(path))
    assert ReplaySource.objects.count() == 1
    assert first.replay.session == room.sessions.get()
    assert first.replay.state == Replay.State.RECORDING  # the session is still live


def test_a_rendition_recording_is_named_after_the_stream_and_rendition(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage, settings: Any
) -> None:
    settings.SPROUT_LIVE_ABR = "on"
    settings.SPROUT_LIVE_ABR_RENDITIONS = TWO
    room = RoomFactory()
    services.session_start(room=room, client_addr="")
    name = f"{room.stream_name}_180p"
    source = replays.replay_source_add(
        stream_name=name, path=str(recording(flv_cache, record_dir, name))
    )
    assert source is not None and source.rendition == "180p"
    src = replays.replay_source_add(
        stream_name=f"{room.stream_name}_src",
        path=str(recording(flv_cache, record_dir, f"{room.stream_name}_src")),
    )
    assert src is not None and src.rendition == "src"


def _refusal(stream_name: str, path: str) -> str:
    with pytest.raises(RecordingRefused) as refused:
        replays.replay_source_add(stream_name=stream_name, path=path)
    return refused.value.code


def test_recordings_are_refused_with_a_code_that_says_why(
    flv_cache: dict[str, Path], record_dir: Path, tmp_path: Path
) -> None:
    room = RoomFactory(live=True)
    name = room.stream_name
    good = recording(flv_cache, record_dir, name)
    link = record_dir / f"{name}-link.flv"
    link.symlink_to(good)
    folder = record_dir / f"{name}-dir.flv"
    folder.mkdir()
    elsewhere = tmp_path / f"{name}-1.flv"
    shutil.copyfile(good, elsewhere)
    other = recording(flv_cache, record_dir, "someoneelse")
    cases = {
        "recording_stream_unknown": ("nosuchstream", str(good)),
        "recording_rendition_unknown": (f"{name}_720p", str(good)),
        "recording_path_not_absolute": (name, f"rec/{name}-1.flv"),
        "recording_not_flv": (name, str(good.with_suffix(".mp4"))),
        "recording_missing": (name, str(record_dir / f"{name}-404.flv")),
        "recording_symlink": (name, str(link)),
        "recording_not_a_file": (name, str(folder)),
        "recording_outside_record_dir": (name, str(elsewhere)),
        "recording_name_mismatch": (name, str(other)),
    }
    for code, (stream_name, path) in cases.items():
        if code == "recording_rendition_unknown":
            path = str(recording(flv_cache, record_dir, stream_name))
        assert _refusal(stream_name, path) == code, code
    # A name that merely begins like the stream's is not its recording.
    longer = recording(flv_cache, record_dir, f"{name}x")
    assert _refusal(name, str(longer)) == "recording_name_mismatch"
    never = RoomFactory()
    assert (
        _refusal(never.stream_name, str(recording(flv_cache, record_dir, never.stream_name)))
        == "recording_no_session"
    )
    assert ReplaySource.objects.count() == 0


def test_any_directory_is_accepted_when_no_record_dir_is_set(
    flv_cache: dict[str, Path], tmp_path: Path, settings: Any
) -> None:
    settings.SPROUT_LIVE_RECORD_DIR = ""
    room = RoomFactory(live=True)
    path = tmp_path / "anywhere" / f"{room.stream_name}.flv"
    path.parent.mkdir()
    shutil.copyfile(flv_cache["320x180"], path)
    assert replays.replay_source_add(stream_name=room.stream_name, path=str(path)) is not None


def test_finishing_is_enqueued_only_when_the_session_ended_and_every_rendition_arrived(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SPROUT_LIVE_ABR = "on"
    settings.SPROUT_LIVE_ABR_RENDITIONS = TWO
    room = RoomFactory()
    session = services.session_start(room=room, client_addr="")
    src = recording(flv_cache, record_dir, f"{room.stream_name}_src")
    small = recording(flv_cache, record_dir, f"{room.stream_name}_180p", size="160x90")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        replays.replay_source_add(stream_name=f"{room.stream_name}_src", path=str(src))
    assert callbacks == []  # live still: nothing to finish
    with django_capture_on_commit_callbacks(execute=True):
        services.session_end(room=room, reason="publish_done")
    replay = Replay.objects.get(session=session)
    assert replay.state == Replay.State.RECORDING  # 180p has not arrived
    with django_capture_on_commit_callbacks(execute=True):
        replays.replay_source_add(stream_name=f"{room.stream_name}_180p", path=str(small))
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY
    assert [r["name"] for r in replay.renditions] == ["src", "180p"]


def test_recordings_in_before_publish_done_are_finished_when_the_session_ends(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    room = RoomFactory()
    session = services.session_start(room=room, client_addr="")
    path = recording(flv_cache, record_dir, room.stream_name)
    with django_capture_on_commit_callbacks(execute=True):
        replays.replay_source_add(stream_name=room.stream_name, path=str(path))
        services.session_end(room=room, reason="publish_done")
    replay = Replay.objects.get(session=session)
    assert replay.state == Replay.State.READY
    assert not path.exists()  # the recording went once the replay was made


# --- finishing ------------------------------------------------------------------------


def finished(
    flv_cache: dict[str, Path],
    record_dir: Path,
    sizes: tuple[str, ...] = ("320x180",),
    *,
    capture: Any = None,
) -> tuple[Replay, list[Path]]:
    names = ["src", "180p", "90p"][: len(sizes)]
    room, _, replay = ended_room(names if len(sizes) > 1 else None)
    paths = []
    for name, size in zip(names, sizes, strict=True):
        stream = room.stream_name if len(sizes) == 1 else f"{room.stream_name}_{name}"
        path = recording(flv_cache, record_dir, stream, size)
        ReplaySource.objects.create(replay=replay, rendition=name, path=str(path))
        paths.append(path)
    if capture is None:
        return replays.replay_finish(replay.pk), paths
    with capture(execute=True):
        made = replays.replay_finish(replay.pk)
    return made, paths


def test_finishing_makes_a_vod_that_plays(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    replay, paths = finished(flv_cache, record_dir, capture=django_capture_on_commit_callbacks)
    assert replay.state == Replay.State.READY and replay.error == ""
    assert replay.attempts == 1 and replay.finished_at is not None
    prefix = f"replays/{replay.token}/"
    assert replay.playlist == f"{prefix}src/index.m3u8"  # one rendition: no master
    text = replay_storage.open(replay.playlist).read().decode()
    assert "#EXT-X-ENDLIST" in text and "#EXT-X-PLAYLIST-TYPE:VOD" in text
    segments = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(segments) >= 2
    assert all(replay_storage.exists(f"{prefix}src/{segment}") for segment in segments)
    listed = sum(
        float(line[8:].split(",")[0]) for line in text.splitlines() if line[:8] == "#EXTINF:"
    )
    assert replay.duration_ms is not None
    assert abs(listed - 3.5) < 2 and abs(replay.duration_ms - 3500) < 2000
    probe = ffprobe(replay_storage.path(f"{prefix}src/{segments[0]}"))
    kinds = {s["codec_type"] for s in probe["streams"]}
    assert kinds == {"video", "audio"}
    assert replay.renditions == [
        {
            "name": "src",
            "width": 320,
            "height": 180,
            "bandwidth": replay.renditions[0]["bandwidth"],
            "playlist": replay.playlist,
        }
    ]
    assert replay.renditions[0]["bandwidth"] > 10_000
    with Image.open(replay_storage.path(replay.poster)) as poster:
        assert poster.format == "JPEG" and poster.width == 320
    preview = ffprobe(replay_storage.path(replay.preview))
    assert [s["codec_type"] for s in preview["streams"]] == ["video"]  # muted
    assert preview["streams"][0]["width"] == 320
    assert float(preview["format"]["duration"]) <= 6.5
    files = stored(replay_storage, prefix)
    assert replay.size_bytes == sum(replay_storage.size(name) for name in files)
    assert 0 <= replay.start_offset_ms <= 30_000
    assert not paths[0].exists()  # the recording is removed after commit


def test_two_renditions_get_a_master_playlist_best_first(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    replay, _ = finished(flv_cache, record_dir, ("160x90", "320x180"))
    prefix = f"replays/{replay.token}/"
    assert replay.playlist == f"{prefix}master.m3u8"
    master = replay_storage.open(replay.playlist).read().decode().splitlines()
    assert master[0] == "#EXTM3U"
    variants = [line for line in master if line.startswith("#EXT-X-STREAM-INF:")]
    assert "RESOLUTION=320x180" in variants[0] and "RESOLUTION=160x90" in variants[1]
    assert all("BANDWIDTH=" in line for line in variants)
    # src was recorded at 160x90 here, 180p at 320x180: best first is by picture.
    assert [line for line in master if not line.startswith("#")] == [
        "180p/index.m3u8",
        "src/index.m3u8",
    ]
    assert [r["name"] for r in replay.renditions] == ["180p", "src"]
    for entry in replay.renditions:
        assert "#EXT-X-ENDLIST" in replay_storage.open(entry["playlist"]).read().decode()
    with Image.open(replay_storage.path(replay.poster)) as poster:
        assert poster.width == 320  # from the best rendition


def test_the_video_start_is_placed_on_the_session_clock(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    room, session, replay = ended_room()
    path = recording(flv_cache, record_dir, room.stream_name)
    # nginx last wrote the file 12 s + its duration after the session began.
    ended = session.started_at.timestamp() + 12 + 3.5
    os.utime(path, (ended, ended))
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(path))
    made = replays.replay_finish(replay.pk)
    assert made.duration_ms is not None
    assert abs(made.start_offset_ms - (15_500 - made.duration_ms)) <= 1
    assert 11_000 <= made.start_offset_ms <= 13_000
    os.utime(path, (ended + 3600, ended + 3600))  # a clock gone wrong: clamped
    assert replays._start_offset_ms(session, [path], 3.5) == replays.MAX_START_OFFSET_MS


def test_a_rendition_recorded_in_parts_is_joined(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    room, _, replay = ended_room()
    for part in (1, 2):
        path = record_dir / f"{room.stream_name}-170000000{part}.flv"
        shutil.copyfile(flv_cache["320x180"], path)
        ReplaySource.objects.create(replay=replay, rendition="src", path=str(path))
    made = replays.replay_finish(replay.pk)
    assert made.state == Replay.State.READY and made.duration_ms is not None
    assert abs(made.duration_ms - 7000) < 2000
    text = replay_storage.open(made.playlist).read().decode()
    listed = sum(
        float(line[8:].split(",")[0]) for line in text.splitlines() if line[:8] == "#EXTINF:"
    )
    assert abs(listed - 7.0) < 2 and "#EXT-X-ENDLIST" in text


def test_a_rerun_overwrites_the_same_files_and_leaves_no_second_copy(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    # Not run on commit here: the recordings stay, as when a worker died
    # after saving the files and before the replay was marked ready.
    replay, _ = finished(flv_cache, record_dir)
    prefix = f"replays/{replay.token}/"
    first = stored(replay_storage, prefix)
    replay_storage.save(f"{prefix}src/seg09999.ts", ContentFile(b"an earlier run's"))
    Replay.objects.filter(pk=replay.pk).update(
        state=Replay.State.PROCESSING,
        processing_started_at=timezone.now() - timedelta(hours=2),
    )
    again = replays.replay_finish(replay.pk)
    assert again.state == Replay.State.READY and again.attempts == 2
    assert stored(replay_storage, prefix) == first
    assert again.playlist == replay.playlist and again.poster == replay.poster
    # Once ready, another delivery does nothing.
    assert replays.replay_finish(replay.pk).attempts == 2


def test_a_run_still_making_the_replay_is_left_alone(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    _, _, replay = ended_room()
    ReplaySourceFactory(replay=replay, path=str(recording(flv_cache, record_dir, "x")))
    Replay.objects.filter(pk=replay.pk).update(
        state=Replay.State.PROCESSING, processing_started_at=timezone.now(), attempts=1
    )
    untouched = replays.replay_finish(replay.pk)
    assert (untouched.state, untouched.attempts) == (Replay.State.PROCESSING, 1)
    assert stored(replay_storage, f"replays/{replay.token}/") == []


class DeletedOnFirstSave(FileSystemStorage):
    """Replays' storage as the host deletes the replay (the serving side
    marks it ``deleted``) while its first file is being saved."""

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        token = str(name).split("/")[1]
        Replay.objects.filter(token=token, state=Replay.State.PROCESSING).update(
            state=Replay.State.DELETED, deleted_at=timezone.now()
        )
        return super().save(name, content, max_length)


def test_a_replay_deleted_while_being_made_leaves_no_files(
    flv_cache: dict[str, Path],
    record_dir: Path,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "replays": {
            "BACKEND": f"{__name__}.DeletedOnFirstSave",
            "OPTIONS": {"location": str(tmp_path / "storage")},
        },
    }
    replay, _ = finished(flv_cache, record_dir, capture=django_capture_on_commit_callbacks)
    assert replay.state == Replay.State.DELETED
    assert replay.playlist == "" and replay.duration_ms is None
    assert stored(storages["replays"], f"replays/{replay.token}/") == []


def test_a_broken_recording_fails_the_replay_with_a_clear_error(
    record_dir: Path, replay_storage: Storage
) -> None:
    room, _, replay = ended_room()
    broken = record_dir / f"{room.stream_name}-1.flv"
    broken.write_bytes(b"FLV\x01\x05 this is not a recording" * 50)
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(broken))
    assert tasks.finish_replay.apply(args=(replay.pk,)).get() == Replay.State.FAILED
    replay.refresh_from_db()
    assert replay.state == Replay.State.FAILED and replay.attempts == 1
    assert "ffprobe" in replay.error and broken.name in replay.error
    assert replay.processing_started_at is None
    assert stored(replay_storage, f"replays/{replay.token}/") == []
    # A failure is final: another delivery does not try again.
    assert tasks.finish_replay.apply(args=(replay.pk,)).get() == Replay.State.FAILED
    assert Replay.objects.get(pk=replay.pk).attempts == 1


def test_a_recording_gone_from_disk_fails_the_replay(replay_storage: Storage) -> None:
    _, _, replay = ended_room()
    ReplaySourceFactory(replay=replay, path="/nonexistent/stream-1.flv")
    assert replays.replay_finish(replay.pk).error == "The src recording stream-1.flv is gone."


def test_attempts_are_capped(record_dir: Path, flv_cache: dict[str, Path]) -> None:
    _, _, replay = ended_room()
    ReplaySourceFactory(replay=replay, path=str(recording(flv_cache, record_dir, "x")))
    Replay.objects.filter(pk=replay.pk).update(
        state=Replay.State.PROCESSING,
        attempts=replays.MAX_ATTEMPTS,
        processing_started_at=timezone.now() - timedelta(hours=2),
    )
    gave_up = replays.replay_finish(replay.pk)
    assert gave_up.state == Replay.State.FAILED
    assert gave_up.error == f"Gave up after {replays.MAX_ATTEMPTS} attempts."


def test_finishing_an_unknown_replay_is_logged_not_raised() -> None:
    assert tasks.finish_replay.apply(args=(987654,)).get() is None


def test_the_stream_key_never_appears_in_a_replay_path(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage
) -> None:
    replay, _ = finished(flv_cache, record_dir)
    room = replay.session.room
    key = "sk_live_" + "k" * 30
    StreamKeyFactory(host=room.host, plaintext=key)
    names = stored(replay_storage, f"replays/{replay.token}/")
    every = [*names, replay.playlist, replay.poster, replay.preview]
    every += [r["playlist"] for r in replay.renditions]
    assert names and all(name.startswith(f"replays/{replay.token}/") for name in every)
    assert not any(key in name or room.stream_name in name for name in every)


# --- a late recording, finishing again -------------------------------------------------------


def test_a_late_recording_revives_a_replay_that_had_none(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    room, _, replay = ended_room()
    assert replays.replay_finish(replay.pk).error == replays.NO_RECORDING
    path = recording(flv_cache, record_dir, room.stream_name)
    with django_capture_on_commit_callbacks(execute=True):
        replays.replay_source_add(stream_name=room.stream_name, path=str(path))
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY


def test_a_recording_of_a_deleted_replay_is_not_kept(
    flv_cache: dict[str, Path], record_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    room, _, replay = ended_room()
    Replay.objects.filter(pk=replay.pk).update(
        state=Replay.State.DELETED, deleted_at=timezone.now()
    )
    path = recording(flv_cache, record_dir, room.stream_name)
    with django_capture_on_commit_callbacks(execute=True):
        assert replays.replay_source_add(stream_name=room.stream_name, path=str(path)) is None
    assert not path.exists() and not ReplaySource.objects.exists()


def test_a_failed_replay_is_made_again_on_request(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, _, replay = ended_room()
    Replay.objects.filter(pk=replay.pk).update(
        state=Replay.State.FAILED, error="storage was down", attempts=3
    )
    ReplaySourceFactory(replay=replay, path=str(recording(flv_cache, record_dir, "x")))
    with django_capture_on_commit_callbacks(execute=True):
        replays.replay_finish_again(replay)
    replay.refresh_from_db()
    assert (replay.state, replay.attempts, replay.error) == (Replay.State.READY, 1, "")
    with pytest.raises(ReplayStateConflict):
        replays.replay_finish_again(replay)


def test_a_replay_of_a_live_session_is_not_made_early() -> None:
    room = RoomFactory(live=True)
    replay = replays.replay_begin(room.sessions.get())
    with pytest.raises(ReplayStateConflict, match="still live"):
        replays.replay_finish_again(replay)


# --- the sweep ----------------------------------------------------------------------------


def _ended_ago(replay: Replay, ago: timedelta) -> None:
    LiveSession.objects.filter(pk=replay.session_id).update(ended_at=timezone.now() - ago)


def test_the_sweep_fails_replays_no_recording_reached(replay_storage: Storage) -> None:
    _, _, waiting = ended_room()
    _ended_ago(waiting, timedelta(minutes=3))
    _, _, recent = ended_room()
    _ended_ago(recent, timedelta(seconds=30))
    assert tasks.sweep_replays.apply().get() == 1
    waiting.refresh_from_db()
    assert (waiting.state, waiting.error) == (Replay.State.FAILED, "No recording arrived.")
    assert Replay.objects.get(pk=recent.pk).state == Replay.State.RECORDING


def test_the_sweep_finishes_with_the_renditions_that_arrived(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    room, _, replay = ended_room(["src", "180p"])
    path = recording(flv_cache, record_dir, f"{room.stream_name}_src")
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(path))
    _ended_ago(replay, timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert replays.replays_sweep() == 1
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY
    assert [r["name"] for r in replay.renditions] == ["src"]


def _broadcast_ago(replay: Replay, started: timedelta, ended: timedelta) -> tuple[int, int]:
    """The replay's session ran from ``started`` ago to ``ended`` ago; its
    start and end as unix seconds."""
    now = timezone.now()
    LiveSession.objects.filter(pk=replay.session_id).update(
        started_at=now - started, ended_at=now - ended
    )
    return int((now - started).timestamp()), int((now - ended).timestamp())


def test_the_sweep_takes_the_recordings_whose_record_done_never_arrived(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The web was restarting as the broadcast ended: nginx-rtmp's one
    # on_record_done per recording was lost, the FLVs are on disk.
    room, _, replay = ended_room(["src", "180p"])
    start, end = _broadcast_ago(replay, timedelta(minutes=20), timedelta(minutes=5))
    stream = room.stream_name
    lost = [
        (f"{stream}_src-{start}.flv", "320x180"),
        (f"{stream}_180p-{start + 3}.flv", "160x90"),
    ]
    for name, size in lost:
        shutil.copyfile(flv_cache[size], record_dir / name)
    other = RoomFactory()
    left_alone = [
        f"{stream}_src-{start - 600}.flv",  # the room's broadcast before this one
        f"{stream}_src-{end + 60}.flv",  # and the one after it
        f"{stream}_90p-{start}.flv",  # a rendition this broadcast did not have
        f"{other.stream_name}_src-{start}.flv",  # another room's
        f"{stream}_src-{start}.flv.part",  # not a recording's name
    ]
    for name in left_alone:
        shutil.copyfile(flv_cache["160x90"], record_dir / name)
    with (
        caplog.at_level("WARNING", "sprout.live.replays"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert replays.replays_sweep() == 1
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY, replay.error
    assert [r["name"] for r in replay.renditions] == ["src", "180p"]
    assert "record-done never reached Django" in caplog.text
    # Made into the replay, the lost recordings are removed like reported
    # ones; the others are not this replay's and stay.
    assert sorted(p.name for p in record_dir.iterdir()) == sorted(left_alone)


def test_the_sweep_takes_a_lost_recording_beside_the_reported_ones(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    room, _, replay = ended_room(["src", "180p"])
    start, _ = _broadcast_ago(replay, timedelta(minutes=20), timedelta(minutes=5))
    reported = record_dir / f"{room.stream_name}_src-{start}.flv"
    shutil.copyfile(flv_cache["320x180"], reported)
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(reported))
    shutil.copyfile(flv_cache["160x90"], record_dir / f"{room.stream_name}_180p-{start + 2}.flv")
    with django_capture_on_commit_callbacks(execute=True):
        assert replays.replays_sweep() == 1
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY, replay.error
    assert [r["name"] for r in replay.renditions] == ["src", "180p"]
    assert ReplaySource.objects.filter(replay=replay).count() == 2


def test_a_reported_recording_named_through_a_link_is_not_taken_twice(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Django's setting names the directory through a link; nginx reported
    # the recording under the real path.
    linked = tmp_path / "rec-link"
    linked.symlink_to(record_dir, target_is_directory=True)
    settings.SPROUT_LIVE_RECORD_DIR = str(linked)
    room, _, replay = ended_room(["src", "180p"])
    start, _ = _broadcast_ago(replay, timedelta(minutes=20), timedelta(minutes=5))
    reported = record_dir / f"{room.stream_name}_src-{start}.flv"
    shutil.copyfile(flv_cache["320x180"], reported)
    ReplaySource.objects.create(replay=replay, rendition="src", path=str(reported))
    with django_capture_on_commit_callbacks(execute=True):
        assert replays.replays_sweep() == 1
    assert ReplaySource.objects.filter(replay=replay).count() == 1
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY, replay.error
    assert [r["name"] for r in replay.renditions] == ["src"]


def test_without_a_record_directory_the_sweep_looks_nowhere(
    flv_cache: dict[str, Path], tmp_path: Path, settings: Any, replay_storage: Storage
) -> None:
    settings.SPROUT_LIVE_RECORD_DIR = ""
    room, _, replay = ended_room()
    start, _ = _broadcast_ago(replay, timedelta(minutes=20), timedelta(minutes=5))
    shutil.copyfile(flv_cache["320x180"], tmp_path / f"{room.stream_name}-{start}.flv")
    assert replays.replays_sweep() == 1
    replay.refresh_from_db()
    assert (replay.state, replay.error) == (Replay.State.FAILED, "No recording arrived.")


def test_a_lost_recording_that_is_a_symlink_is_not_taken(
    flv_cache: dict[str, Path], record_dir: Path, replay_storage: Storage, tmp_path: Path
) -> None:
    room, _, replay = ended_room()
    start, _ = _broadcast_ago(replay, timedelta(minutes=20), timedelta(minutes=5))
    (record_dir / f"{room.stream_name}-{start}.flv").symlink_to(flv_cache["320x180"])
    assert replays.replays_sweep() == 1
    replay.refresh_from_db()
    assert (replay.state, replay.error) == (Replay.State.FAILED, "No recording arrived.")


def test_the_sweep_sends_again_what_a_dead_worker_left(
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, _, stalled = ended_room()
    ReplaySourceFactory(replay=stalled, path=str(recording(flv_cache, record_dir, "a")))
    Replay.objects.filter(pk=stalled.pk).update(
        state=Replay.State.PROCESSING,
        attempts=1,
        processing_started_at=timezone.now() - timedelta(hours=2),
    )
    _, _, busy = ended_room()
    ReplaySourceFactory(replay=busy, path=str(recording(flv_cache, record_dir, "b")))
    Replay.objects.filter(pk=busy.pk).update(
        state=Replay.State.PROCESSING, attempts=1, processing_started_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert replays.replays_sweep() == 1
    assert Replay.objects.get(pk=stalled.pk).state == Replay.State.READY
    assert Replay.objects.get(pk=busy.pk).state == Replay.State.PROCESSING


def test_the_sweep_runs_every_two_minutes() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-replays"]
    assert entry["task"] == "live.tasks.sweep_replays" and entry["schedule"] == 120.0


# --- the admin ----------------------------------------------------------------------------


def test_moderators_see_replays_and_their_files(moderator_client: Client) -> None:
    ready = ReplayFactory(ready=True, views=7)
    ReplayFactory(state=Replay.State.FAILED, error="No recording arrived.")
    page = moderator_client.get(ADMIN.changelist("replay"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 2
    assert "finish_again" not in offered_actions(page)  # staff who may change replays
    assert {"hide_replays", "unhide_replays"} <= set(offered_actions(page))
    detail = moderator_client.get(ADMIN.change("replay", ready)).content.decode()
    assert f"/media/replays/{ready.token}/src/index.m3u8" in detail
    assert f"/media/replays/{ready.token}/poster.jpg" in detail
    failed = moderator_client.get(ADMIN.changelist("replay") + "?state=failed")
    assert [r.state for r in failed.context["cl"].result_list] == [Replay.State.FAILED]


def test_replays_are_not_added_changed_or_deleted_by_hand(superuser_client: Client) -> None:
    replay = ReplayFactory(ready=True)
    assert superuser_client.get(reverse("admin:live_replay_add")).status_code == 403
    page = superuser_client.get(ADMIN.change("replay", replay))
    assert not page.context["has_change_permission"]
    assert "delete_selected" not in offered_actions(
        superuser_client.get(ADMIN.changelist("replay"))
    )


def test_finish_again_sends_failed_replays_and_refuses_ready_ones(
    superuser_client: Client,
    flv_cache: dict[str, Path],
    record_dir: Path,
    replay_storage: Storage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, _, failed = ended_room()
    Replay.objects.filter(pk=failed.pk).update(state=Replay.State.FAILED, error="x")
    ReplaySourceFactory(replay=failed, path=str(recording(flv_cache, record_dir, "x")))
    ready = ReplayFactory(ready=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = ADMIN.run_action(superuser_client, "replay", "finish_again", [failed, ready])
    said = page_messages(response)
    assert "1 replay sent to be made again." in said
    assert any("there is nothing to make" in message for message in said)
    assert Replay.objects.get(pk=failed.pk).state == Replay.State.READY
    assert LogEntry.objects.filter(object_id=str(failed.pk)).exists()


def test_replay_changelist_queries_do_not_grow(superuser_client: Client) -> None:
    ReplayFactory.create_batch(3, ready=True)
    few = ADMIN.changelist_queries(superuser_client, "replay")
    ReplayFactory.create_batch(10, ready=True)
    assert ADMIN.changelist_queries(superuser_client, "replay") == few
