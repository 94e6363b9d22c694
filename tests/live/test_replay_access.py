"""Who may do what to a replay (``live.services.replay_access``): the host
publishes and deletes, moderators hide with a reason; the other-user case
for each; a deleted replay's files leave storage (local or any other); the
retention expires old replays; the watch beacon counts views once a day and
seconds no faster than time passes."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from core.errors import AuthenticationRequired, PermissionDenied, ValidationFailed
from live import tasks
from live.errors import ReplayGone
from live.models import Replay
from live.services import replay_access
from live.services.replay_access import (
    replay_delete,
    replay_files_remove,
    replay_hide,
    replay_publish,
    replay_unhide,
    replay_watched,
    replays_expire,
)
from tests.factories import ModeratorFactory, UserFactory
from tests.live.replays import ready_replay

pytestmark = pytest.mark.django_db


@pytest.fixture
def replay() -> Replay:
    return ready_replay()


def host_of(replay: Replay) -> Any:
    return replay.session.room.host


def room_moderator(replay: Replay) -> Any:
    user = UserFactory()
    replay.session.room.moderators.add(user)
    return user


def fresh(replay: Replay) -> Replay:
    return Replay.objects.get(pk=replay.pk)


def write_files(replay: Replay, *names: str) -> list[str]:
    storage = storages["replays"]
    saved = [storage.save(f"replays/{replay.token}/{name}", ContentFile(b"x")) for name in names]
    return saved


# --- publishing --------------------------------------------------------------------------


def test_the_host_unpublishes_and_publishes_again(replay: Replay) -> None:
    replay_publish(actor=host_of(replay), replay=replay, published=False)
    assert fresh(replay).published is False
    assert fresh(replay).watchable is False
    replay_publish(actor=host_of(replay), replay=replay, published=True)
    assert fresh(replay).published is True


def test_a_replay_being_made_may_be_unpublished_already() -> None:
    replay = ready_replay(state=Replay.State.PROCESSING)
    replay_publish(actor=host_of(replay), replay=replay, published=False)
    assert fresh(replay).published is False


@pytest.mark.parametrize("who", ["member", "room_moderator", "site_moderator"])
def test_only_the_host_publishes(replay: Replay, who: str) -> None:
    actor = {
        "member": UserFactory,
        "room_moderator": lambda: room_moderator(replay),
        "site_moderator": ModeratorFactory,
    }[who]()
    with pytest.raises(PermissionDenied):
        replay_publish(actor=actor, replay=replay, published=False)
    assert fresh(replay).published is True


def test_publishing_needs_a_member(replay: Replay) -> None:
    with pytest.raises(AuthenticationRequired):
        replay_publish(actor=AnonymousUser(), replay=replay, published=False)


@pytest.mark.parametrize("state", [Replay.State.DELETED, Replay.State.EXPIRED])
def test_a_gone_replay_cannot_be_published(state: str) -> None:
    replay = ready_replay(state=state, published=False)
    with pytest.raises(ReplayGone):
        replay_publish(actor=host_of(replay), replay=replay, published=True)


# --- hiding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["room_moderator", "site_moderator"])
def test_moderators_hide_with_a_reason_and_show_again(replay: Replay, who: str) -> None:
    actor = room_moderator(replay) if who == "room_moderator" else ModeratorFactory()
    replay_hide(actor=actor, replay=replay, reason="  spam   in the chat ")
    hidden = fresh(replay)
    assert hidden.hidden_at is not None and hidden.hidden_by == actor
    assert hidden.hidden_reason == "spam in the chat"
    assert hidden.watchable is False
    replay_unhide(actor=actor, replay=replay)
    shown = fresh(replay)
    assert (shown.hidden_at, shown.hidden_by, shown.hidden_reason) == (None, None, "")
    assert shown.watchable is True


def test_hiding_again_changes_the_reason_not_the_moment(replay: Replay) -> None:
    moderator = ModeratorFactory()
    replay_hide(actor=moderator, replay=replay, reason="first")
    first = fresh(replay).hidden_at
    replay_hide(actor=moderator, replay=replay, reason="second")
    assert (fresh(replay).hidden_at, fresh(replay).hidden_reason) == (first, "second")


@pytest.mark.parametrize("who", ["host", "member"])
def test_the_host_and_members_cannot_hide(replay: Replay, who: str) -> None:
    actor = host_of(replay) if who == "host" else UserFactory()
    with pytest.raises(PermissionDenied):
        replay_hide(actor=actor, replay=replay, reason="no")
    replay_hide(actor=ModeratorFactory(), replay=replay, reason="yes")
    with pytest.raises(PermissionDenied):
        replay_unhide(actor=actor, replay=replay)
    assert fresh(replay).hidden_at is not None


@pytest.mark.parametrize(("reason", "code"), [("   ", "invalid"), ("x" * 201, "too_long")])
def test_a_reason_is_required_and_short(replay: Replay, reason: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        replay_hide(actor=ModeratorFactory(), replay=replay, reason=reason)
    assert refused.value.code == code
    assert "reason" in refused.value.fields
    assert fresh(replay).hidden_at is None


# --- deleting -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["host", "site_moderator"])
def test_deleting_marks_it_and_removes_its_files_after_commit(
    replay: Replay, who: str, django_capture_on_commit_callbacks: Any
) -> None:
    names = write_files(replay, "src/index.m3u8", "src/seg0.ts", "poster.jpg")
    actor = host_of(replay) if who == "host" else ModeratorFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        replay_delete(actor=actor, replay=replay)
    gone = fresh(replay)
    assert gone.state == Replay.State.DELETED and gone.deleted_at is not None
    assert all(storages["replays"].exists(name) for name in names)  # not before commit
    for callback in callbacks:
        callback()
    assert not any(storages["replays"].exists(name) for name in names)


def test_deleting_a_replay_being_made_marks_it_for_its_task() -> None:
    replay = ready_replay(state=Replay.State.PROCESSING)
    replay_delete(actor=host_of(replay), replay=replay)
    assert fresh(replay).state == Replay.State.DELETED


def test_deleting_twice_changes_nothing(replay: Replay) -> None:
    replay_delete(actor=host_of(replay), replay=replay)
    first = fresh(replay).deleted_at
    replay_delete(actor=host_of(replay), replay=replay)
    assert fresh(replay).deleted_at == first


@pytest.mark.parametrize("who", ["member", "room_moderator"])
def test_members_and_room_moderators_cannot_delete(replay: Replay, who: str) -> None:
    actor = UserFactory() if who == "member" else room_moderator(replay)
    with pytest.raises(PermissionDenied):
        replay_delete(actor=actor, replay=replay)
    assert fresh(replay).state == Replay.State.READY


def test_the_file_task_leaves_a_replay_that_is_not_deleted(replay: Replay) -> None:
    names = write_files(replay, "poster.jpg")
    assert tasks.remove_replay_files(replay.pk) == 0
    assert storages["replays"].exists(names[0])


# --- files ---------------------------------------------------------------------------------


def test_every_file_under_the_replays_prefix_goes_and_nothing_else(replay: Replay) -> None:
    other = ready_replay()
    mine = write_files(replay, "master.m3u8", "360p/index.m3u8", "360p/a/b/seg.ts", "poster.jpg")
    theirs = write_files(other, "master.m3u8")
    assert replay_files_remove(replay) == len(mine)
    assert not any(storages["replays"].exists(name) for name in mine)
    assert storages["replays"].exists(theirs[0])
    assert replay_files_remove(replay) == 0  # idempotent
    root = storages["replays"].path(f"replays/{replay.token}")
    import os

    assert not os.path.exists(root)  # no empty directories left behind


def test_removing_works_with_a_storage_that_is_not_local_files(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "replays": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    replay = ready_replay()
    names = write_files(replay, "master.m3u8", "src/index.m3u8", "src/deep/seg.ts")
    assert storages["replays"].__class__.__name__ == "InMemoryStorage"
    assert replay_files_remove(replay) == 3
    assert not any(storages["replays"].exists(name) for name in names)


# --- retention ---------------------------------------------------------------------------


def aged(days: int, **fields: Any) -> Replay:
    return ready_replay(finished_at=timezone.now() - timedelta(days=days), **fields)


def test_replays_older_than_the_retention_expire_with_their_files() -> None:
    old, old_failed = aged(91), aged(95, state=Replay.State.FAILED)
    recent = aged(10)
    processing = aged(200, state=Replay.State.PROCESSING)
    deleted = aged(200, state=Replay.State.DELETED)
    names = write_files(old, "master.m3u8")
    assert replays_expire(older_than_days=90) == 2
    assert fresh(old).state == fresh(old_failed).state == Replay.State.EXPIRED
    assert fresh(recent).state == Replay.State.READY
    assert fresh(processing).state == Replay.State.PROCESSING
    assert fresh(deleted).state == Replay.State.DELETED
    assert not storages["replays"].exists(names[0])
    assert replays_expire(older_than_days=90) == 0


def test_a_storage_failure_on_one_replay_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken, fine = aged(100), aged(100)
    names = write_files(fine, "master.m3u8")
    real = replay_access.replay_files_remove

    def remove(replay: Replay) -> int:
        if replay.pk == broken.pk:
            raise OSError("the bucket is away")
        return real(replay)

    monkeypatch.setattr(replay_access, "replay_files_remove", remove)
    assert replays_expire(older_than_days=90) == 2
    assert fresh(broken).state == fresh(fine).state == Replay.State.EXPIRED
    assert not storages["replays"].exists(names[0])


def test_a_retention_of_zero_keeps_replays_forever() -> None:
    old = aged(5000)
    assert replays_expire(older_than_days=0) == 0
    assert fresh(old).state == Replay.State.READY


def test_the_daily_task_expires_by_the_setting(settings: Any) -> None:
    settings.SPROUT_REPLAY_RETENTION_DAYS = 30
    old, kept = aged(31), aged(29)
    assert tasks.expire_replays() == 1
    assert fresh(old).state == Replay.State.EXPIRED
    assert fresh(kept).state == Replay.State.READY


def test_the_expiry_runs_daily_on_beat(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["expire-replays"]
    assert entry["task"] == "live.tasks.expire_replays"
    assert entry["schedule"].hour == {3}


# --- watching ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(replay_access, "time", SimpleNamespace(time=clock.time))
    return clock


def test_a_viewer_counts_one_view_a_day(replay: Replay, clock: Clock) -> None:
    replay_watched(replay=replay, viewer_key="u1", seconds=10)
    clock.now += 15
    replay_watched(replay=replay, viewer_key="u1", seconds=15)
    replay_watched(replay=replay, viewer_key="a-other", seconds=10)
    assert (fresh(replay).views, fresh(replay).watch_seconds) == (2, 35)
    clock.now += 86_400
    replay_watched(replay=replay, viewer_key="u1", seconds=10)
    assert fresh(replay).views == 3


def test_seconds_count_no_faster_than_time_passes(replay: Replay, clock: Clock) -> None:
    replay_watched(replay=replay, viewer_key="u1", seconds=60)
    for _ in range(10):  # ten beacons in the same second
        replay_watched(replay=replay, viewer_key="u1", seconds=60)
    assert fresh(replay).watch_seconds == 60 + 10 * replay_access.WATCH_SLACK_SECONDS
    clock.now += 30
    replay_watched(replay=replay, viewer_key="u1", seconds=60)
    assert fresh(replay).watch_seconds == 60 + 50 + 30 + replay_access.WATCH_SLACK_SECONDS


@pytest.mark.parametrize("seconds", [0, 61, -5, True, 2.5])
def test_a_beacon_reports_1_to_60_seconds(replay: Replay, seconds: Any) -> None:
    with pytest.raises(ValidationFailed):
        replay_watched(replay=replay, viewer_key="u1", seconds=seconds)
    assert (fresh(replay).views, fresh(replay).watch_seconds) == (0, 0)
