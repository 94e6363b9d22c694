"""The nginx-rtmp callbacks: only nginx (the secret, in a header) may call
them; only a valid active key of a host who may go live, with a scheduled
room, is accepted, answered with the room's public stream name; publish-done
ends the broadcast and writes its report; on_update keeps it alive or drops
it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from community.models import Notification, User
from live import selectors, services
from live.models import LiveSession, ReplaySource, Room
from live.state import room_state
from tests.factories import FollowFactory, HostFactory, UserFactory
from tests.live import forget_hot_state
from tests.live.test_sessions import seed_counters

pytestmark = pytest.mark.django_db

SECRET = "test-ingest-secret"


@pytest.fixture(autouse=True)
def _ingest_settings(settings: Any) -> Iterator[None]:
    settings.SPROUT_LIVE_INGEST_SECRET = SECRET
    forget_hot_state()
    yield
    forget_hot_state()


def caller(secret: str | None = SECRET) -> Client:
    """Django as nginx calls it: nginx-rtmp's form posts, relayed by nginx's
    loopback location, which adds the secret header (Host 127.0.0.1)."""
    headers = {} if secret is None else {"X-Sprout-Ingest-Secret": secret}
    return Client(headers=headers, HTTP_HOST="127.0.0.1")


@pytest.fixture
def nginx() -> Client:
    return caller()


@pytest.fixture
def key(host: User) -> str:
    return services.stream_key_rotate(host=host)[1]


def callback(name: str) -> str:
    return f"/live/ingest/{name}"


def publish_form(key: str, **extra: str) -> dict[str, str]:
    return {
        "app": "ingest",
        "flashver": "FMLE/3.0 (compatible; Lavf59.27",
        "tcurl": "rtmp://127.0.0.1:1935/ingest",
        "addr": "203.0.113.9",
        "clientid": "7",
        "call": "publish",
        "name": key,
        "type": "live",
        **extra,
    }


def done_form(key: str) -> dict[str, str]:
    return {**publish_form(key), "call": "publish_done"}


def update_form(key: str) -> dict[str, str]:
    return {**publish_form(key), "call": "update_publish", "time": "30", "timestamp": "30000"}


# --- publish ------------------------------------------------------------------------


def test_a_valid_key_brings_the_room_live_under_its_public_name(
    nginx: Client, key: str, room: Room
) -> None:
    response = nginx.post(callback("publish"), publish_form(key, x="1"))
    assert response.status_code == 302
    assert response["Location"] == room.stream_name
    assert key not in response["Location"] and key not in response.content.decode()
    room.refresh_from_db()
    assert room.state == Room.State.LIVE
    session = LiveSession.objects.get(room=room)
    assert session.ended_at is None and session.client_addr == "203.0.113.9"


def test_followers_are_told_once_when_the_host_goes_live(
    nginx: Client, key: str, room: Room, django_capture_on_commit_callbacks: Any
) -> None:
    fans = UserFactory.create_batch(2)
    for fan in fans:
        FollowFactory(follower=fan, followee=room.host)
    with django_capture_on_commit_callbacks(execute=True):
        assert nginx.post(callback("publish"), publish_form(key)).status_code == 302
    told = Notification.objects.filter(verb="went_live", actor=room.host)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(f.pk for f in fans)


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_without_the_secret_nothing_is_accepted(key: str, room: Room, secret: str | None) -> None:
    for name, form in (
        ("publish", publish_form(key)),
        ("publish-done", done_form(key)),
        ("update", update_form(key)),
    ):
        response = caller(secret).post(callback(name), form)
        assert response.status_code == 403, name
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_with_no_secret_configured_every_publish_is_refused(
    nginx: Client, key: str, room: Room, settings: Any
) -> None:
    settings.SPROUT_LIVE_INGEST_SECRET = ""
    assert caller("").post(callback("publish"), publish_form(key)).status_code == 403
    assert nginx.post(callback("publish"), publish_form(key)).status_code == 403


def test_the_secret_in_the_publishers_own_url_does_not_count(key: str, room: Room) -> None:
    # Query arguments of the RTMP URL arrive as form fields, not as the callback's.
    response = caller(None).post(callback("publish"), publish_form(key, secret=SECRET))
    assert response.status_code == 403


@pytest.mark.parametrize("header", [None, SECRET])
def test_the_secret_in_the_callback_url_is_refused_saying_where_it_belongs(
    key: str, room: Room, header: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    # The old contract (nginx.conf rendered before the header): it puts the
    # secret in access logs, so even the right one is refused.
    response = caller(header).post(f"{callback('publish')}?secret={SECRET}", publish_form(key))

    assert response.status_code == 403
    assert b"X-Sprout-Ingest-Secret header" in response.content
    assert "re-render nginx's config" in caplog.text
    assert SECRET not in caplog.text
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_an_unknown_key_is_refused(nginx: Client, key: str, room: Room) -> None:
    response = nginx.post(callback("publish"), publish_form("not-" + key))
    assert response.status_code == 403
    assert b"unknown or revoked" in response.content
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_a_revoked_key_is_refused_at_once(nginx: Client, host: User, key: str, room: Room) -> None:
    _, new_key = services.stream_key_rotate(host=host)
    assert nginx.post(callback("publish"), publish_form(key)).status_code == 403
    assert not LiveSession.objects.exists()
    services.stream_key_revoke(host=host)
    assert nginx.post(callback("publish"), publish_form(new_key)).status_code == 403
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_a_host_who_lost_the_right_is_refused(
    nginx: Client, host: User, key: str, room: Room
) -> None:
    host.user_permissions.clear()
    response = nginx.post(callback("publish"), publish_form(key))
    assert response.status_code == 403
    assert b"invitation" in response.content
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


def test_a_host_without_a_scheduled_room_is_refused(nginx: Client, key: str) -> None:
    response = nginx.post(callback("publish"), publish_form(key))
    assert response.status_code == 403
    assert b"create a room" in response.content


def test_a_second_publisher_with_the_same_key_is_refused(
    nginx: Client, host: User, key: str, room: Room
) -> None:
    assert nginx.post(callback("publish"), publish_form(key)).status_code == 302
    services.room_create(host=host, title="Another")
    assert nginx.post(callback("publish"), publish_form(key)).status_code == 403
    assert Room.objects.filter(state=Room.State.LIVE).count() == 1


def test_another_hosts_key_brings_only_their_own_room_live(
    nginx: Client, key: str, room: Room
) -> None:
    other = HostFactory()
    other_room = services.room_create(host=other, title="Theirs")
    _, other_key = services.stream_key_rotate(host=other)
    response = nginx.post(callback("publish"), publish_form(other_key))
    assert response["Location"] == other_room.stream_name
    room.refresh_from_db()
    assert room.state == Room.State.SCHEDULED


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"call": "publish"},
        {"call": "publish", "name": ""},
        {"call": "play", "name": "abc"},
        {"call": "publish", "name": "k" * 10_000},
        {"call": "publish", "name": "\x00\u202e✓"},
        {"call": "publish", "name": "../../etc/passwd"},
    ],
)
def test_bad_publish_requests_get_a_4xx(nginx: Client, room: Room, form: dict[str, str]) -> None:
    response = nginx.post(callback("publish"), form)
    assert 400 <= response.status_code < 500


def test_callbacks_only_take_post(nginx: Client) -> None:
    for name in ("publish", "publish-done", "update"):
        assert nginx.get(callback(name)).status_code == 405


def test_repeated_fields_and_odd_bodies_never_make_a_500(nginx: Client, key: str) -> None:
    responses = [
        nginx.post(callback("publish"), "name=a&name=b&call=publish", content_type="x/y"),
        nginx.post(
            callback("publish"),
            "name=%ff%fe&call=publish",
            content_type="application/x-www-form-urlencoded",
        ),
        nginx.post(callback("publish-done"), {"call": "publish_done"}),
        nginx.post(callback("update"), {"call": "update_publish"}),
        nginx.post(callback("publish"), b"\x00\x01garbage", content_type="application/json"),
    ]
    assert all(400 <= r.status_code < 500 for r in responses), [r.status_code for r in responses]


# --- publish-done -----------------------------------------------------------------------


def test_publish_done_ends_the_session_and_writes_the_traffic_report(
    nginx: Client, key: str, room: Room, django_capture_on_commit_callbacks: Any
) -> None:
    assert nginx.post(callback("publish"), publish_form(key)).status_code == 302
    seed_counters(room.pk, hearts=77, viewers=(12,), uniques=20, watch=1800, messages=9, dropped=1)
    fan = UserFactory()
    FollowFactory(follower=fan, followee=room.host)
    with django_capture_on_commit_callbacks(execute=True):
        response = nginx.post(callback("publish-done"), done_form(key))
    assert response.status_code == 200
    room.refresh_from_db()
    assert room.state == Room.State.ENDED
    session = LiveSession.objects.get(room=room)
    assert session.ended_at is not None
    assert (
        session.peak_viewers,
        session.unique_viewers,
        session.watch_seconds,
        session.chat_messages,
        session.hearts,
        session.dropped_connections,
        session.new_followers,
    ) == (12, 20, 1800, 9, 77, 1, 1)
    report = selectors.session_report(session)
    assert report["traffic"]["average_watch_seconds"] == 90
    assert room_state().snapshot(room.pk)["hearts"] == 0


def test_publish_done_is_idempotent(nginx: Client, key: str, room: Room) -> None:
    nginx.post(callback("publish"), publish_form(key))
    first = nginx.post(callback("publish-done"), done_form(key))
    second = nginx.post(callback("publish-done"), done_form(key))
    assert (first.status_code, second.status_code) == (200, 200)
    assert b"nothing was live" in second.content
    assert LiveSession.objects.filter(room=room, ended_at__isnull=False).count() == 1


def test_publish_done_after_the_key_was_revoked_still_ends_the_room(
    nginx: Client, host: User, key: str, room: Room
) -> None:
    nginx.post(callback("publish"), publish_form(key))
    services.stream_key_rotate(host=host)
    assert nginx.post(callback("publish-done"), done_form(key)).status_code == 200
    room.refresh_from_db()
    assert room.state == Room.State.ENDED


def test_publish_done_with_an_unknown_key_ends_nothing(nginx: Client, key: str, room: Room) -> None:
    nginx.post(callback("publish"), publish_form(key))
    assert nginx.post(callback("publish-done"), done_form("stranger")).status_code == 404
    room.refresh_from_db()
    assert room.state == Room.State.LIVE


# --- on_update -------------------------------------------------------------------------


def test_update_keeps_a_live_room_fresh(nginx: Client, key: str, room: Room) -> None:
    nginx.post(callback("publish"), publish_form(key))
    long_ago = timezone.now() - timedelta(minutes=30)
    Room.objects.filter(pk=room.pk).update(last_seen_at=long_ago)
    assert nginx.post(callback("update"), update_form(key)).status_code == 200
    room.refresh_from_db()
    assert room.last_seen_at is not None and room.last_seen_at > long_ago
    assert services.rooms_end_stale(older_than_seconds=120) == 0


def test_update_drops_a_publisher_whose_key_was_revoked(
    nginx: Client, host: User, key: str, room: Room
) -> None:
    nginx.post(callback("publish"), publish_form(key))
    services.stream_key_revoke(host=host)
    assert nginx.post(callback("update"), update_form(key)).status_code == 403


def test_update_drops_a_publisher_whose_room_was_ended(nginx: Client, key: str, room: Room) -> None:
    nginx.post(callback("publish"), publish_form(key))
    services.room_end(actor=room.host, room=room)
    assert nginx.post(callback("update"), update_form(key)).status_code == 403


def test_update_of_the_relay_is_acknowledged(nginx: Client, room: Room) -> None:
    # The push to "show" reports as a play session named after the public stream.
    relay = {"call": "update_play", "name": room.stream_name, "addr": "127.0.0.1:1935/show"}
    assert nginx.post(callback("update"), relay).status_code == 200


# --- on_record_done ---------------------------------------------------------------------


def record_form(name: str, path: str | Path) -> dict[str, str]:
    """nginx-rtmp's record-done form, as the abr application sends it."""
    return {
        "app": "abr",
        "flashver": "FMLE/3.0 (compatible; Lavf59.27",
        "tcurl": "rtmp://127.0.0.1:1935/abr",
        "addr": "127.0.0.1",
        "clientid": "12",
        "call": "record_done",
        "recorder": "",
        "name": name,
        "path": str(path),
    }


@pytest.fixture
def record_dir(tmp_path: Path, settings: Any) -> Path:
    settings.SPROUT_LIVE_RECORD_DIR = str(tmp_path)
    return tmp_path


def recording(record_dir: Path, name: str) -> Path:
    path = record_dir / f"{name}-1796634636.flv"
    path.write_bytes(b"FLV\x01")
    return path


def test_a_finished_recording_becomes_a_source_of_the_replay(
    nginx: Client, key: str, room: Room, record_dir: Path
) -> None:
    nginx.post(callback("publish"), publish_form(key))
    path = recording(record_dir, room.stream_name)

    response = nginx.post(callback("record-done"), record_form(room.stream_name, path))

    assert response.status_code == 200
    assert response.content == b"recorded\n"
    source = ReplaySource.objects.get()
    assert source.path == str(path) and source.rendition == "src"
    assert source.replay.session == LiveSession.objects.get(room=room)
    # nginx may say it twice: still one source.
    again = nginx.post(callback("record-done"), record_form(room.stream_name, path))
    assert again.status_code == 200
    assert ReplaySource.objects.count() == 1


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_record_done_without_the_secret_is_refused(
    key: str, room: Room, record_dir: Path, secret: str | None
) -> None:
    caller().post(callback("publish"), publish_form(key))
    path = recording(record_dir, room.stream_name)
    response = caller(secret).post(callback("record-done"), record_form(room.stream_name, path))
    assert response.status_code == 403
    assert not ReplaySource.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"path": ""},
        {"name": "x" * 65},
        {"path": "/" + "p" * 500 + ".flv"},
        {"call": "publish"},
    ],
    ids=["no-name", "no-path", "long-name", "long-path", "wrong-call"],
)
def test_record_done_that_is_not_nginxs_form_is_a_400(
    nginx: Client, key: str, room: Room, record_dir: Path, change: dict[str, str]
) -> None:
    nginx.post(callback("publish"), publish_form(key))
    form = {**record_form(room.stream_name, recording(record_dir, room.stream_name)), **change}
    assert nginx.post(callback("record-done"), form).status_code == 400
    assert not ReplaySource.objects.exists()


def test_record_done_of_an_unknown_stream_or_a_refused_recording_is_a_404(
    nginx: Client, key: str, room: Room, record_dir: Path, tmp_path_factory: Any
) -> None:
    nginx.post(callback("publish"), publish_form(key))
    ours = recording(record_dir, room.stream_name)
    elsewhere = recording(tmp_path_factory.mktemp("elsewhere"), room.stream_name)
    for name, path in (
        ("nosuchstream", recording(record_dir, "nosuchstream")),  # no room streams so
        (f"{room.stream_name}_720p", recording(record_dir, f"{room.stream_name}_720p")),  # no ABR
        (room.stream_name, elsewhere),  # outside SPROUT_LIVE_RECORD_DIR
        (room.stream_name, record_dir / f"{room.stream_name}-1.flv"),  # no such file
        (room.stream_name, "relative.flv"),
        (key, ours),  # the key is no stream name
    ):
        response = nginx.post(callback("record-done"), record_form(name, path))
        assert response.status_code == 404, (name, path, response.content)
    assert not ReplaySource.objects.exists()


def test_record_done_is_a_post(nginx: Client, room: Room) -> None:
    assert nginx.get(callback("record-done")).status_code == 405
