"""Multi-resolution live (``live.abr``) as Django sees it: the nginx-rtmp
parts rendered from the settings, and the playlist a room plays from — the
master playlist of ``abr`` when its running session has renditions, the
source's own otherwise; lists load the renditions with the rooms."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from live import abr, selectors
from live.models import LiveSession, Room
from live.views import playlist_url
from tests.clients import api_client
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/live/rooms/"
TINY = "180p=320x180@300,90p=160x90@100"


def base() -> str:
    return str(settings.SPROUT_LIVE_HLS_BASE_URL).rstrip("/")


def live_room(renditions: list[str]) -> Room:
    room = RoomFactory(live=True)
    LiveSession.objects.filter(room=room).update(renditions=renditions)
    return room


def test_a_room_live_with_renditions_plays_the_master_playlist() -> None:
    room = live_room(["src", "180p", "90p"])
    assert selectors.room_hls_url(room) == f"{base()}/abr/{room.stream_name}.m3u8"


def test_a_room_live_without_renditions_plays_the_source() -> None:
    room = live_room([])
    assert selectors.room_hls_url(room) == f"{base()}/{room.stream_name}.m3u8"


def test_a_room_not_live_has_no_playlist_even_after_an_abr_session() -> None:
    room = live_room(["src", "180p"])
    LiveSession.objects.filter(room=room).update(ended_at=room.started_at)
    Room.objects.filter(pk=room.pk).update(state=Room.State.ENDED)
    room.refresh_from_db()
    assert selectors.room_hls_url(room) is None


def test_listed_rooms_carry_their_playlist_without_a_query_each() -> None:
    with_abr, without = live_room(["src", "180p"]), live_room([])
    rooms = list(selectors.room_list(state=Room.State.LIVE))
    with CaptureQueriesContext(connection) as queries:
        urls = {room.pk: selectors.room_hls_url(room) for room in rooms}
    assert len(queries) == 0
    assert urls == {
        with_abr.pk: f"{base()}/abr/{with_abr.stream_name}.m3u8",
        without.pk: f"{base()}/{without.stream_name}.m3u8",
    }
    shown = {r["id"]: r["hls_url"] for r in api_client(None).get(ROOMS).json()["results"]}
    assert shown == urls


def test_the_room_api_shows_the_master_playlist(settings: Any) -> None:
    room = live_room(["src", "180p"])
    body = api_client(None).get(f"{ROOMS}{room.pk}/").json()
    assert body["hls_url"] == f"{base()}/abr/{room.stream_name}.m3u8"


def test_a_scheduled_rooms_page_expects_the_playlist_abr_would_write(settings: Any) -> None:
    room = RoomFactory()
    settings.SPROUT_LIVE_ABR, settings.SPROUT_LIVE_ABR_RENDITIONS = "on", TINY
    assert playlist_url(room) == f"{base()}/abr/{room.stream_name}.m3u8"
    settings.SPROUT_LIVE_ABR = "off"
    assert playlist_url(room) == f"{base()}/{room.stream_name}.m3u8"
    # A live room plays what its session started with, whatever the settings now.
    settings.SPROUT_LIVE_ABR = "on"
    live = live_room([])
    assert playlist_url(live) == f"{base()}/{live.stream_name}.m3u8"


def test_wrong_abr_settings_do_not_break_the_room_page(settings: Any) -> None:
    settings.SPROUT_LIVE_ABR, settings.SPROUT_LIVE_ABR_RENDITIONS = "on", "180p=oops"
    room = RoomFactory()
    assert playlist_url(room) == f"{base()}/{room.stream_name}.m3u8"


# --- the nginx-rtmp parts ---------------------------------------------------------------


def test_without_renditions_only_show_records() -> None:
    blocks = abr.nginx_blocks([])
    assert "record all;" in blocks.show and "on_record_done" in blocks.show
    assert "exec_push" not in blocks.show
    assert blocks.application == ""


def test_the_exec_push_encodes_each_rendition_as_the_bench_measures_it() -> None:
    encoded = abr.renditions_parse(TINY)
    push = abr.nginx_blocks(encoded).show
    for rendition in encoded:
        assert (
            " ".join(abr.encode_args(rendition))
            .replace("0:a:0?", "'0:a:0?'")
            .replace("expr:gte(t,n_forced*2)", "'expr:gte(t,n_forced*2)'")
            in push
        )
    assert "-force_key_frames" in push and "-b:v 300k -maxrate 300k -bufsize 600k" in push
    # Nothing nginx would end the directive or the string at.
    line = next(line for line in push.splitlines() if "exec_push" in line)
    assert line.count('"') == 2 and line.rstrip().endswith('";')


def test_the_source_is_announced_above_every_rendition() -> None:
    big = abr.renditions_parse("1080p=1920x1080@6000")
    assert abr.source_bandwidth(big) > big[0].bandwidth
    assert abr.source_bandwidth([]) == (abr.SOURCE_VIDEO_KBPS + 128) * 1000


def test_the_command_prints_what_the_script_splits(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SPROUT_LIVE_ABR, settings.SPROUT_LIVE_ABR_RENDITIONS = "on", TINY
    settings.SPROUT_LIVE_RECORD_DIR = "/srv/rec"
    call_command("live_nginx_abr")
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["abr=on", "record_dir=/srv/rec", "@@SHOW@@"]
    assert "@@APPLICATION@@" in out and "        application abr {" in out
