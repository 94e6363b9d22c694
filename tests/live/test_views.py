"""HTML pages of live rooms: the room page for visitors, members, hosts and
moderators (and nobody else's controls), the go-live page (hosts only: room
creation with a cover, the stream key shown once, OBS settings, traffic
reports), ending a room from a page, the account menu's "Go live", and the
"Live now" strip on discover with its flat query count."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from community.extensions import discover_strips_for
from community.models import User
from live import keys, selectors, services
from live.models import LiveSession, Room, StreamKey
from live.templatetags.live_tags import duration
from live.views import ffmpeg_command, playlist_url
from tests.clients import logged_in
from tests.factories import (
    FollowFactory,
    FundedMemberFactory,
    GiftSendFactory,
    HostFactory,
    NoteFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def room_config(response: Any) -> dict[str, Any]:
    match = re.search(
        rb'<script id="live-room-config" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert match, "the room page hands its config to the script"
    return dict(json.loads(match.group(1)))


def png_upload(width: int, height: int, name: str = "cover.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (255, 120, 80, 255)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- the room page ------------------------------------------------------------------------


def test_a_visitor_watches_read_only_with_a_log_in_link(client: Client, live_room: Room) -> None:
    response = client.get(reverse("live_room", args=[live_room.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert live_room.title in page
    assert "You are watching as a visitor." in page
    assert f'href="/login?next=/live/{live_room.pk}/"' in page
    assert "data-composer" not in page
    assert "data-end-form" not in page
    assert 'data-view="starting"' in page
    config = room_config(response)
    assert config["you"] is None and config["moderator"] is False
    assert config["state"] == "live"
    assert config["wsPath"] == f"/ws/live/{live_room.pk}/"
    assert config["hlsScript"].endswith("vendor/hls.js/hls.min.js")


def test_the_page_plays_the_public_stream_name_never_the_key(
    client: Client, host: User, live_room: Room
) -> None:
    _, key = services.stream_key_rotate(host=host)
    response = client.get(reverse("live_room", args=[live_room.pk]))
    config = room_config(response)
    assert config["playlist"] == playlist_url(live_room)
    assert config["playlist"].endswith(f"/{live_room.stream_name}.m3u8")
    assert key not in response.content.decode()


def test_the_page_brings_the_rooms_last_gifts_for_its_chat(client: Client, live_room: Room) -> None:
    # Reloaded mid-broadcast, the chat keeps its gift lines (the websocket's
    # hello brings the chat lines; gifts come live only from then on).
    giver = FundedMemberFactory(username="giftgiver", coins=100_000)
    sent = [
        GiftSendFactory(sender=giver, host=live_room.host, room_id=live_room.pk, quantity=n + 1)
        for n in range(selectors.RECENT_GIFTS + 3)
    ]
    elsewhere = RoomFactory()
    GiftSendFactory(host=elsewhere.host, room_id=elsewhere.pk)
    recent = room_config(client.get(reverse("live_room", args=[live_room.pk])))["recentGifts"]
    assert [g["id"] for g in recent] == [s.pk for s in sent[-selectors.RECENT_GIFTS :]]
    last = recent[-1]
    assert last["type"] == "gift" and last["quantity"] == selectors.RECENT_GIFTS + 3
    assert last["user"]["username"] == "giftgiver" and last["gift"]["name"] and last["ts"]
    assert room_config(client.get(reverse("live_room", args=[elsewhere.pk])))["recentGifts"] != []


def test_the_room_page_costs_the_same_queries_with_3_or_20_recent_gifts(
    client: Client, live_room: Room
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("live_room", args=[live_room.pk])).status_code == 200
        return len(queries)

    for _ in range(3):
        GiftSendFactory(host=live_room.host, room_id=live_room.pk)
    few = count()
    for _ in range(17):
        GiftSendFactory(host=live_room.host, room_id=live_room.pk)
    assert count() == few


def test_a_member_gets_the_composer_but_no_moderation(live_room: Room) -> None:
    viewer = UserFactory(username="dumpling_fan")
    response = logged_in(viewer).get(reverse("live_room", args=[live_room.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "data-composer" in page
    assert 'maxlength="200"' in page
    assert 'data-counter-for="chat-text"' in page
    assert "data-heart" in page
    assert "data-end-form" not in page
    config = room_config(response)
    assert config["you"]["username"] == "dumpling_fan"
    assert config["moderator"] is False
    assert config["hostId"] == live_room.host_id


def test_the_host_and_room_moderators_get_the_moderation_controls(
    host: User, live_room: Room
) -> None:
    helper = UserFactory()
    live_room.moderators.add(helper)
    for who in (host, helper):
        response = logged_in(who).get(reverse("live_room", args=[live_room.pk]))
        assert "data-end-form" in response.content.decode()
        assert room_config(response)["moderator"] is True
        assert room_config(response)["api"]["restrictions"] == (
            f"/api/v1/live/rooms/{live_room.pk}/restrictions/"
        )


def test_a_scheduled_room_says_starting_soon(client: Client, room: Room) -> None:
    page = client.get(reverse("live_room", args=[room.pk])).content.decode()
    assert 'data-view="soon"' in page
    assert "Starting soon" in page
    assert "The chat opens when the live starts." in page


def test_an_ended_room_says_so_and_links_the_host(client: Client, host: User, room: Room) -> None:
    services.room_end(actor=host, room=room)
    page = client.get(reverse("live_room", args=[room.pk])).content.decode()
    assert 'data-view="ended"' in page
    assert "This live has ended" in page
    assert f'href="{reverse("profile", args=[host.username])}"' in page
    assert "data-end-form" not in logged_in(host).get(room.get_absolute_url()).content.decode()


def test_an_unknown_room_is_404_and_a_banned_member_is_403(host: User, live_room: Room) -> None:
    viewer = UserFactory()
    services.member_ban(actor=host, room=live_room, user=viewer)
    assert Client().get(reverse("live_room", args=[live_room.pk + 1000])).status_code == 404
    response = logged_in(viewer).get(reverse("live_room", args=[live_room.pk]))
    assert response.status_code == 403
    assert "banned you from this room" in response.content.decode()


def test_the_cover_is_the_poster(host: User) -> None:
    client = logged_in(host)
    client.post(reverse("go_live"), {"title": "With a cover", "cover": png_upload(300, 200)})
    room = Room.objects.get(title="With a cover")
    page = Client().get(room.get_absolute_url()).content.decode()
    assert f'poster="{room.cover.url}"' in page


# --- ending a room from a page ----------------------------------------------------------


def test_the_host_ends_the_live_from_the_page(host: User, live_room: Room) -> None:
    response = logged_in(host).post(
        reverse("live_room_end", args=[live_room.pk]), {"next": live_room.get_absolute_url()}
    )
    assert response.status_code == 302
    assert response["Location"] == live_room.get_absolute_url()
    live_room.refresh_from_db()
    assert live_room.state == Room.State.ENDED
    assert LiveSession.objects.get(room=live_room).ended_at is not None


def test_another_member_cannot_end_the_room(live_room: Room) -> None:
    response = logged_in(UserFactory()).post(reverse("live_room_end", args=[live_room.pk]))
    assert response.status_code == 403
    live_room.refresh_from_db()
    assert live_room.state == Room.State.LIVE
    visitor = Client().post(reverse("live_room_end", args=[live_room.pk]))
    assert visitor.status_code == 302 and "/login" in visitor["Location"]
    live_room.refresh_from_db()
    assert live_room.state == Room.State.LIVE


# --- the go-live page -------------------------------------------------------------------


def test_go_live_sends_visitors_to_log_in(client: Client) -> None:
    response = client.get(reverse("go_live"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_go_live_is_forbidden_for_members_who_may_not_host(user: User) -> None:
    client = logged_in(user)
    response = client.get(reverse("go_live"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Live rooms are for invited hosts" in page
    assert f'href="{reverse("creator_apply")}"' in page
    created = client.post(reverse("go_live"), {"title": "Sneaky"})
    assert created.status_code == 403
    assert not Room.objects.exists()
    rotated = client.post(reverse("go_live_key"))
    assert rotated.status_code == 403
    assert not StreamKey.objects.exists()


def test_the_go_live_page_shows_obs_settings(host: User, settings: Any) -> None:
    settings.SPROUT_LIVE_RTMP_URL = "rtmp://live.example.com/ingest"
    response = logged_in(host).get(reverse("go_live"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="rtmp://live.example.com/ingest"' in page
    assert "x264" in page
    assert "2 s" in page
    assert "2500–4000 kbps" in page
    assert "rtmp://live.example.com/ingest/YOUR_STREAM_KEY" in page
    assert "Get a stream key" in page


def test_a_host_creates_a_room_with_a_cover(host: User) -> None:
    response = logged_in(host).post(
        reverse("go_live"), {"title": "  Pasta night  ", "cover": png_upload(2400, 1600)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("go_live")
    room = Room.objects.get(host=host)
    assert room.title == "Pasta night"
    assert room.state == Room.State.SCHEDULED
    with Image.open(room.cover.path) as stored:
        assert stored.format == "PNG"  # kept, as every upload's format is
        assert stored.size == (1280, 853)  # scaled down to COVER_MAX_SIDE
    page = logged_in(host).get(reverse("go_live")).content.decode()
    assert "Pasta night" in page
    assert "goes live when you start streaming" in page


def test_room_creation_explains_what_is_wrong(host: User) -> None:
    client = logged_in(host)
    empty = client.post(reverse("go_live"), {"title": "   "})
    assert empty.status_code == 400
    bad_cover = client.post(
        reverse("go_live"),
        {
            "title": "Fine",
            "cover": SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg"),
        },
    )
    assert bad_cover.status_code == 400
    assert "This file is not an image" in bad_cover.content.decode()
    assert not Room.objects.exists()


def test_the_stream_key_is_shown_once(host: User) -> None:
    client = logged_in(host)
    first = client.post(reverse("go_live_key"))
    assert first.status_code == 200
    assert "no-store" in first["Cache-Control"]
    active = StreamKey.objects.get(host=host, revoked_at=None)
    shown = re.search(r'id="stream-key-value" type="text" value="([^"]+)"', first.content.decode())
    assert shown is not None
    key = shown.group(1)
    assert keys.digest(key) == active.key_hash
    assert selectors.stream_key_host(key) == host

    again = client.get(reverse("go_live")).content.decode()
    assert key not in again
    assert f"{active.hint}…" in again
    assert "Show a new key" in again
    assert "stops working at once" in again

    second = client.post(reverse("go_live_key"))
    assert key not in second.content.decode()
    assert selectors.stream_key_host(key) is None  # the old key is revoked at once
    assert client.get(reverse("go_live_key")).status_code == 405


def test_the_latest_broadcasts_show_their_traffic(host: User, live_room: Room) -> None:
    fan = UserFactory()
    FollowFactory(follower=fan, followee=host)
    services.session_end(room=live_room, reason="publish_done")
    session = LiveSession.objects.get(room=live_room)
    LiveSession.objects.filter(pk=session.pk).update(
        peak_viewers=1234, unique_viewers=2345, watch_seconds=7260, chat_messages=321, hearts=9876
    )
    page = logged_in(host).get(reverse("go_live")).content.decode()
    report = page[page.index("Latest broadcasts") :]
    for figure in ("1.2k", "2.3k", "2h 01m", "321", "9.9k"):
        assert figure in report
    assert re.search(r"New followers</dt><dd>1</dd>", report)


def test_another_hosts_rooms_and_reports_stay_theirs(host: User, live_room: Room) -> None:
    other = HostFactory()
    page = logged_in(other).get(reverse("go_live")).content.decode()
    assert live_room.title not in page
    assert "No rooms yet" in page


# --- the account menu ---------------------------------------------------------------


def test_go_live_is_in_the_menu_of_hosts_only(host: User, user: User) -> None:
    link = f'href="{reverse("go_live")}"'
    assert link in logged_in(host).get(reverse("discover")).content.decode()
    assert link not in logged_in(user).get(reverse("discover")).content.decode()
    assert link not in Client().get(reverse("discover")).content.decode()


# --- "Live now" on discover -------------------------------------------------------------


def test_the_live_now_strip_shows_only_live_rooms(client: Client, host: User, room: Room) -> None:
    assert "Live now" not in client.get(reverse("discover")).content.decode()
    services.session_start(room=room, client_addr="127.0.0.1")
    page = client.get(reverse("discover")).content.decode()
    assert "Live now" in page
    assert f'href="{room.get_absolute_url()}"' in page
    assert room.title in page
    assert escape(host.shown_name) in page
    assert "css/live.css" in page
    services.room_end(actor=host, room=room)
    assert "Live now" not in client.get(reverse("discover")).content.decode()


def test_the_strip_is_on_the_first_page_only(client: Client, live_room: Room) -> None:
    NoteFactory.create_batch(25, photos=1)
    first = client.get(reverse("discover"))
    assert "Live now" in first.content.decode()
    cursor = re.search(r'cursor=([^"&]+)', first.content.decode())
    assert cursor is not None
    second = client.get(reverse("discover"), {"cursor": cursor.group(1)})
    assert "Live now" not in second.content.decode()


def test_the_strip_costs_one_query_however_many_rooms_are_live(client: Client) -> None:
    NoteFactory.create_batch(3, photos=1)

    def discover_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("discover")).status_code == 200
        return len(captured)

    nobody_live = discover_queries()
    hosts = [HostFactory() for _ in range(6)]
    rooms = [services.room_create(host=h, title=f"Room {n}") for n, h in enumerate(hosts)]
    services.session_start(room=rooms[0], client_addr="")
    one_live = discover_queries()
    for room in rooms[1:]:
        services.session_start(room=room, client_addr="")
    six_live = discover_queries()
    assert nobody_live == one_live == six_live
    assert client.get(reverse("discover")).content.decode().count('class="live-card"') == 6


def test_the_strip_puts_the_most_watched_first(
    rf: Any, host: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = services.room_create(host=host, title="Quiet")
    busy = services.room_create(host=HostFactory(), title="Busy")
    for room in (quiet, busy):
        services.session_start(room=room, client_addr="")
    figures = {quiet.pk: selectors.RoomCounts(viewers=3), busy.pk: selectors.RoomCounts(viewers=90)}
    monkeypatch.setattr(selectors, "room_counts", lambda rooms: figures)
    (strip,) = discover_strips_for(rf.get("/"))
    assert [item["room"].title for item in strip.context["rooms"]] == ["Busy", "Quiet"]
    assert [item["viewers"] for item in strip.context["rooms"]] == [90, 3]


# --- helpers ------------------------------------------------------------------------------


def test_durations_read_short() -> None:
    assert duration(0) == "0s"
    assert duration(45) == "45s"
    assert duration(125) == "2m 05s"
    assert duration(720) == "12m"
    assert duration(7260) == "2h 01m"


def test_the_ffmpeg_command_publishes_to_the_server_with_the_key() -> None:
    command = ffmpeg_command(server="rtmp://example.com/ingest/", key="abc")
    assert command.endswith("-f flv rtmp://example.com/ingest/abc")
    assert "-g 60" in command and "libx264" in command and "-c:a aac" in command
