"""A broadcast's replay page (``/live/sessions/<id>/``) and the pages that
list or count replays: who sees what (the permission matrix of a replay's
states: ready, unpublished, hidden, being made, failed, deleted, expired),
the host's and moderators' forms (publish, hide, delete) and everyone
else's refusal, the live page's and a host's profile's replays (their
query counts flat whatever the number of replays), the ended room's link,
the session report and the creator studio's replay figures."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import User
from live.models import Replay, Room, RoomRestriction
from tests.clients import api_client, logged_in
from tests.factories import (
    CreatorFactory,
    HostFactory,
    LiveSessionFactory,
    ModeratorFactory,
    ReplayFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def page_url(replay: Replay) -> str:
    return reverse("live_replay", args=[replay.session_id])


def replay_config(response: Any) -> dict[str, Any]:
    match = re.search(
        rb'<script id="replay-config" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert match, "the replay page hands its config to the script"
    return dict(json.loads(match.group(1)))


def make_replay(**kwargs: Any) -> Replay:
    host = kwargs.pop("host", None) or HostFactory(username="mei", display_name="Mei")
    room = RoomFactory(host=host, title="Dumplings from scratch", state=Room.State.ENDED)
    session = LiveSessionFactory(room=room)
    replay: Replay = ReplayFactory(session=session, ready=True, **{"duration_ms": 60_000, **kwargs})
    return replay


def room_moderator(replay: Replay) -> User:
    user: User = UserFactory()
    replay.session.room.moderators.add(user)
    return user


# --- the page ------------------------------------------------------------------------------


def test_a_visitor_watches_a_published_replay_with_its_timeline_api(client: Client) -> None:
    replay = make_replay(start_offset_ms=1500, duration_ms=20_000)
    response = client.get(page_url(replay))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dumplings from scratch" in html and "Replay" in html
    config = replay_config(response)
    assert config["hls"].endswith(f"replays/{replay.token}/src/index.m3u8")
    assert config["startOffsetMs"] == 1500
    assert config["durationS"] == 20.0
    assert config["api"]["timeline"] == f"/api/v1/live/sessions/{replay.session_id}/timeline"
    assert config["api"]["watch"] == f"/api/v1/live/sessions/{replay.session_id}/replay/watch"
    assert f'poster="/media/replays/{replay.token}/poster.jpg"' in html
    assert "data-seek" in html and "data-quality-select" in html
    # Nobody's settings for a visitor.
    assert "Replay settings" not in html and "live_replay_delete" not in html
    assert reverse("live_replay_delete", args=[replay.session_id]) not in html


def test_an_unknown_broadcast_or_one_without_replay_is_404(client: Client) -> None:
    assert client.get(reverse("live_replay", args=[999_999])).status_code == 404
    session = LiveSessionFactory()
    assert client.get(reverse("live_replay", args=[session.pk])).status_code == 404


@pytest.mark.parametrize("state", [Replay.State.DELETED, Replay.State.EXPIRED])
def test_a_deleted_or_expired_replay_is_gone_for_everyone(client: Client, state: str) -> None:
    replay = make_replay(state=state)
    response = client.get(page_url(replay))
    assert response.status_code == 410
    assert "This replay is gone" in response.content.decode()
    host_view = logged_in(replay.session.room.host).get(page_url(replay))
    assert host_view.status_code == 410
    assert b"replay-config" not in host_view.content


def test_an_unpublished_replay_is_its_host_s_and_the_moderators_alone(client: Client) -> None:
    replay = make_replay(published=False)
    url = page_url(replay)
    assert client.get(url).status_code == 404
    assert logged_in(UserFactory()).get(url).status_code == 404
    assert logged_in(HostFactory()).get(url).status_code == 404  # another host
    host = logged_in(replay.session.room.host).get(url)
    assert host.status_code == 200
    html = host.content.decode()
    assert "Unpublished" in html and "only you and the moderators can watch it" in html
    assert reverse("live_replay_publish", args=[replay.session_id]) in html
    assert replay_config(host)["hls"]  # the host plays it
    moderator = logged_in(room_moderator(replay)).get(url)
    assert moderator.status_code == 200
    publish = reverse("live_replay_publish", args=[replay.session_id])
    assert publish not in moderator.content.decode()
    site = logged_in(ModeratorFactory()).get(url)
    assert site.status_code == 200
    assert reverse("live_replay_hide", args=[replay.session_id]) in site.content.decode()


def test_a_hidden_replay_tells_its_host_why(client: Client) -> None:
    replay = make_replay(hidden_at=timezone.now(), hidden_reason="Copyrighted music")
    url = page_url(replay)
    assert client.get(url).status_code == 404
    assert logged_in(UserFactory()).get(url).status_code == 404
    html = logged_in(replay.session.room.host).get(url).content.decode()
    assert "Hidden by a moderator" in html and "Copyrighted music" in html
    # The host may not unhide it; a moderator may.
    assert "Show it again" not in html
    assert "Show it again" in logged_in(ModeratorFactory()).get(url).content.decode()


def test_a_replay_being_made_says_so_and_plays_nothing_yet(client: Client) -> None:
    replay = make_replay(state=Replay.State.PROCESSING, playlist="", duration_ms=None)
    response = client.get(page_url(replay))
    assert response.status_code == 200
    assert "The replay is being prepared" in response.content.decode()
    assert replay_config(response)["hls"] == ""
    assert b"data-seek" not in response.content
    # Unpublished while being made: still nobody else's business.
    Replay.objects.filter(pk=replay.pk).update(published=False)
    assert client.get(page_url(replay)).status_code == 404
    assert logged_in(replay.session.room.host).get(page_url(replay)).status_code == 200


def test_a_failed_replay_is_shown_to_its_host_with_a_way_to_delete_it(client: Client) -> None:
    replay = make_replay(state=Replay.State.FAILED, error="ffmpeg exited with 1")
    assert client.get(page_url(replay)).status_code == 404
    html = logged_in(replay.session.room.host).get(page_url(replay)).content.decode()
    assert "This replay could not be made" in html and "ffmpeg exited with 1" in html
    assert reverse("live_replay_delete", args=[replay.session_id]) in html


def test_a_member_banned_from_the_room_cannot_watch_its_replay() -> None:
    replay = make_replay()
    banned = UserFactory()
    RoomRestriction.objects.create(
        room=replay.session.room, user=banned, kind=RoomRestriction.Kind.BAN
    )
    assert logged_in(banned).get(page_url(replay)).status_code == 404


# --- the host's and moderators' forms ------------------------------------------------------


def test_the_host_unpublishes_and_publishes_again() -> None:
    replay = make_replay()
    host = logged_in(replay.session.room.host)
    url = reverse("live_replay_publish", args=[replay.session_id])
    response = host.post(url, {"on": "0"})
    assert response.status_code == 302 and response["Location"] == page_url(replay)
    replay.refresh_from_db()
    assert replay.published is False
    host.post(url, {"on": "1"})
    replay.refresh_from_db()
    assert replay.published is True


@pytest.mark.parametrize("who", ["member", "other_host", "room_moderator", "site_moderator"])
def test_only_the_host_publishes_or_unpublishes(who: str) -> None:
    replay = make_replay()
    actor = {
        "member": UserFactory,
        "other_host": HostFactory,
        "room_moderator": lambda: room_moderator(replay),
        "site_moderator": ModeratorFactory,
    }[who]()
    url = reverse("live_replay_publish", args=[replay.session_id])
    assert logged_in(actor).post(url, {"on": "0"}).status_code == 403
    replay.refresh_from_db()
    assert replay.published is True


def test_the_forms_want_a_member_and_a_post(client: Client) -> None:
    replay = make_replay()
    for name in ("live_replay_publish", "live_replay_hide", "live_replay_delete"):
        url = reverse(name, args=[replay.session_id])
        response = client.post(url, {"on": "0"})
        assert response.status_code == 302 and response["Location"].startswith("/login")
        assert logged_in(replay.session.room.host).get(url).status_code == 405
    assert (
        logged_in(replay.session.room.host)
        .post(reverse("live_replay_publish", args=[999_999]), {"on": "0"})
        .status_code
        == 404
    )
    replay.refresh_from_db()
    assert replay.published and replay.state == Replay.State.READY


def test_a_moderator_hides_with_a_reason_and_shows_it_again() -> None:
    replay = make_replay()
    moderator = logged_in(ModeratorFactory())
    url = reverse("live_replay_hide", args=[replay.session_id])
    refused = moderator.post(url, {"on": "1", "reason": "   "})
    assert refused.status_code == 400
    assert "Say why the replay is hidden." in refused.content.decode()
    replay.refresh_from_db()
    assert replay.hidden_at is None
    assert moderator.post(url, {"on": "1", "reason": "Spam"}).status_code == 302
    replay.refresh_from_db()
    assert replay.hidden_at is not None and replay.hidden_reason == "Spam"
    assert moderator.post(url, {"on": "0"}).status_code == 302
    replay.refresh_from_db()
    assert replay.hidden_at is None


def test_the_room_s_moderators_hide_it_too_but_not_its_host_nor_others() -> None:
    replay = make_replay()
    url = reverse("live_replay_hide", args=[replay.session_id])
    for actor in (replay.session.room.host, UserFactory(), HostFactory()):
        assert logged_in(actor).post(url, {"on": "1", "reason": "Spam"}).status_code == 403
    replay.refresh_from_db()
    assert replay.hidden_at is None
    hidden = logged_in(room_moderator(replay)).post(url, {"on": "1", "reason": "Spam"})
    assert hidden.status_code == 302
    replay.refresh_from_db()
    assert replay.hidden_at is not None


def test_the_host_deletes_it_and_its_page_is_gone(django_capture_on_commit_callbacks: Any) -> None:
    replay = make_replay()
    url = reverse("live_replay_delete", args=[replay.session_id])
    for actor in (UserFactory(), HostFactory(), room_moderator(replay)):
        assert logged_in(actor).post(url).status_code == 403
    replay.refresh_from_db()
    assert replay.state == Replay.State.READY
    host = logged_in(replay.session.room.host)
    with django_capture_on_commit_callbacks():
        response = host.post(url, HTTP_REFERER=f"http://testserver{page_url(replay)}")
    assert response.status_code == 302 and response["Location"] == reverse("live_list")
    replay.refresh_from_db()
    assert replay.state == Replay.State.DELETED
    assert host.get(page_url(replay)).status_code == 410


def test_a_site_moderator_deletes_one_and_goes_back_where_asked(
    django_capture_on_commit_callbacks: Any,
) -> None:
    replay = make_replay()
    with django_capture_on_commit_callbacks():
        response = logged_in(ModeratorFactory()).post(
            reverse("live_replay_delete", args=[replay.session_id]), {"next": "/live/studio"}
        )
    assert response.status_code == 302 and response["Location"] == "/live/studio"
    replay.refresh_from_db()
    assert replay.state == Replay.State.DELETED


# --- lists ----------------------------------------------------------------------------------


def test_the_live_page_lists_watchable_replays_only(client: Client) -> None:
    shown = make_replay(views=1234)
    make_replay(host=HostFactory(), published=False)
    make_replay(host=HostFactory(), hidden_at=timezone.now())
    make_replay(host=HostFactory(), state=Replay.State.PROCESSING, playlist="")
    html = client.get(reverse("live_list")).content.decode()
    assert html.count('class="replay-card"') == 1
    assert page_url(shown) in html and "1.2k views" in html and "0:01:00" not in html
    assert "1:00" in html  # the duration badge
    assert f'data-preview="/media/replays/{shown.token}/preview.mp4"' in html


def test_an_empty_replays_section_helps(client: Client) -> None:
    html = client.get(reverse("live_list")).content.decode()
    assert "No replays yet" in html


def test_the_live_page_costs_the_same_queries_for_many_replays(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    make_replay()
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("live_list"))
    for _ in range(8):
        make_replay(host=HostFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("live_list")).content.decode()
    assert html.count('class="replay-card"') == 9


def test_a_host_s_profile_lists_their_replays(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    mine = make_replay()
    host = mine.session.room.host
    theirs = make_replay(host=HostFactory())
    url = reverse("profile", args=[host.username])
    with django_assert_max_num_queries(30) as few:
        html = client.get(url).content.decode()
    assert page_url(mine) in html and page_url(theirs) not in html
    for _ in range(4):
        make_replay(host=host)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('class="replay-card"') == 5
    # A member without replays has no band; a host looking at their own
    # profile is told what will show there.
    plain = client.get(reverse("profile", args=[UserFactory().username])).content.decode()
    assert "Replays" not in plain
    fresh = HostFactory()
    own = logged_in(fresh).get(reverse("profile", args=[fresh.username])).content.decode()
    assert "Your lives, kept" in own


def test_an_ended_room_links_to_its_replay_when_there_is_one(client: Client) -> None:
    replay = make_replay()
    room_url = reverse("live_room", args=[replay.session.room_id])
    assert page_url(replay) in client.get(room_url).content.decode()
    Replay.objects.filter(pk=replay.pk).update(published=False)
    assert page_url(replay) not in client.get(room_url).content.decode()
    host_view = logged_in(replay.session.room.host).get(room_url).content.decode()
    assert page_url(replay) in host_view


# --- reports ----------------------------------------------------------------------------------


def test_the_session_report_counts_replay_traffic_apart_from_the_live() -> None:
    replay = make_replay(views=42, watch_seconds=3600)
    host = replay.session.room.host
    html = logged_in(host).get(reverse("go_live")).content.decode()
    assert "Replay views" in html and "Replay watch time" in html and "1h 00m" in html
    assert page_url(replay) in html
    report = api_client(host).get(f"/api/v1/live/sessions/{replay.session_id}/report").json()
    assert report["replay"] == {
        "state": "ready",
        "published": True,
        "hidden": False,
        "views": 42,
        "watch_seconds": 3600,
        "average_watch_seconds": 85,
    }
    assert report["traffic"]["watch_seconds"] == replay.session.watch_seconds
    bare = LiveSessionFactory(room=replay.session.room)
    assert api_client(host).get(f"/api/v1/live/sessions/{bare.pk}/report").json()["replay"] is None


def test_the_creator_studio_shows_replays_beside_the_lives() -> None:
    replay = make_replay(views=7, watch_seconds=125)
    host = replay.session.room.host
    CreatorFactory(user=host)
    html = logged_in(host).get(reverse("studio")).content.decode()
    assert "Your lives and their replays" in html
    assert "Replay views" in html and "2m 05s" in html and page_url(replay) in html


def test_a_form_sent_to_a_replay_deleted_meanwhile_says_it_is_gone() -> None:
    replay = make_replay(state=Replay.State.DELETED)
    host = logged_in(replay.session.room.host)
    response = host.post(reverse("live_replay_publish", args=[replay.session_id]), {"on": "0"})
    assert response.status_code == 410 and "This replay is gone" in response.content.decode()
    moderator = logged_in(ModeratorFactory())
    hide = reverse("live_replay_hide", args=[replay.session_id])
    assert moderator.post(hide, {"on": "1", "reason": "Spam"}).status_code == 410
    # Deleting it again changes nothing.
    assert host.post(reverse("live_replay_delete", args=[replay.session_id])).status_code == 302
    replay.refresh_from_db()
    assert replay.state == Replay.State.DELETED and replay.published
