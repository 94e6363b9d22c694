"""``manage.py rotate_stream_key`` and ``manage.py end_stale_rooms``, and the
beat task behind the latter."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from live import selectors, services, tasks
from live.models import Room, StreamKey
from tests.factories import HostFactory, UserFactory
from tests.live import forget_hot_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_hot_state() -> Any:
    forget_hot_state()
    yield
    forget_hot_state()


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def printed_key(output: str) -> str:
    line = next(line for line in output.splitlines() if line.strip().startswith("stream key"))
    return line.split()[-1]


# --- rotate_stream_key -------------------------------------------------------------------


def test_rotate_prints_the_new_key_once_with_the_ingest_url() -> None:
    host = HostFactory(username="mei")
    output = run("rotate_stream_key", "mei")
    plaintext = printed_key(output)
    assert f"{settings.SPROUT_LIVE_RTMP_URL}/{plaintext}" in output
    stored = StreamKey.objects.get(host=host)
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert selectors.stream_key_host(plaintext) == host
    # The next rotation prints another key; the first one is refused from then on.
    again = run("rotate_stream_key", "mei")
    assert printed_key(again) != plaintext
    assert plaintext not in again
    assert "no longer works" in again
    assert selectors.stream_key_host(plaintext) is None


def test_revoke_leaves_the_host_without_a_key() -> None:
    host = HostFactory(username="mei")
    _, plaintext = services.stream_key_rotate(host=host)
    output = run("rotate_stream_key", "mei", "--revoke")
    assert "Revoked" in output and plaintext not in output
    assert selectors.stream_key_host(plaintext) is None
    assert "nothing to revoke" in run("rotate_stream_key", "mei", "--revoke")


def test_a_dry_run_changes_nothing() -> None:
    host = HostFactory(username="mei")
    _, plaintext = services.stream_key_rotate(host=host)
    assert "Dry run" in run("rotate_stream_key", "mei", "--dry-run")
    assert "Dry run" in run("rotate_stream_key", "mei", "--revoke", "--dry-run")
    assert selectors.stream_key_host(plaintext) == host
    assert StreamKey.objects.count() == 1


def test_an_unknown_member_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No member is called 'ghost'"):
        run("rotate_stream_key", "ghost")


def test_a_member_who_may_not_host_gets_no_key() -> None:
    UserFactory(username="fan")
    with pytest.raises(CommandError, match="may not host"):
        run("rotate_stream_key", "fan")
    assert not StreamKey.objects.exists()


# --- end_stale_rooms ---------------------------------------------------------------------


def _live_room(quiet_for: timedelta) -> Room:
    room = services.room_create(host=HostFactory(), title="Morning tea")
    services.session_start(room=room, client_addr="")
    Room.objects.filter(pk=room.pk).update(last_seen_at=timezone.now() - quiet_for)
    return room


def test_end_stale_rooms_lists_then_ends_the_quiet_rooms() -> None:
    quiet = _live_room(timedelta(minutes=10))
    fresh = _live_room(timedelta(seconds=5))
    dry = run("end_stale_rooms", "--dry-run")
    assert f"room {quiet.pk} 'Morning tea'" in dry and f"room {fresh.pk} " not in dry
    assert "1 stale room(s) would be ended" in dry
    assert Room.objects.get(pk=quiet.pk).state == Room.State.LIVE

    assert "Ended 1 stale room(s)." in run("end_stale_rooms")
    assert Room.objects.get(pk=quiet.pk).state == Room.State.ENDED
    assert Room.objects.get(pk=fresh.pk).state == Room.State.LIVE


def test_older_than_overrides_the_setting() -> None:
    room = _live_room(timedelta(seconds=30))
    assert "Ended 0" in run("end_stale_rooms")
    assert "Ended 1" in run("end_stale_rooms", "--older-than", "10")
    assert Room.objects.get(pk=room.pk).state == Room.State.ENDED


def test_older_than_must_be_positive() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        run("end_stale_rooms", "--older-than", "0")


def test_the_beat_task_ends_stale_rooms() -> None:
    room = _live_room(timedelta(seconds=settings.SPROUT_LIVE_STALE_SECONDS + 60))
    assert tasks.end_stale_rooms.delay().get() == 1
    assert Room.objects.get(pk=room.pk).state == Room.State.ENDED
    entry = settings.CELERY_BEAT_SCHEDULE["end-stale-live-rooms"]
    assert entry["task"] == "live.tasks.end_stale_rooms" and entry["schedule"] == 60.0
