"""The live rooms' REST API as a client sees it: the room list (live first,
``?state=``, the cursor), creating rooms (hosts only), a room's detail with
its hot figures and HLS URL, websocket tickets (used once over a real
websocket), stream keys (shown once, rotation revokes), ending rooms,
moderators, mutes and bans, deleting messages and session reports, with the
other-user case for every write and the error shape for every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import User
from live import keys, selectors, services
from live.models import LiveSession, Room, RoomRestriction
from live.state import room_state
from tests.clients import api_client, assert_error
from tests.factories import (
    ChatMessageFactory,
    FollowFactory,
    HostFactory,
    ModeratorFactory,
    RoomFactory,
    UserFactory,
)
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_settings")]

ROOMS = "/api/v1/live/rooms/"


# --- helpers ------------------------------------------------------------------------


def room_at(state: str, *, created: Any, started: Any = None, title: str = "Room") -> Room:
    room = RoomFactory(state=state, title=title)
    Room.objects.filter(pk=room.pk).update(created_at=created, started_at=started)
    room.refresh_from_db()
    return room


def hot_figures(room_id: int, *, viewers: int = 0, hearts: int = 0) -> None:
    """Hot state as the room's hub writes it (one event loop for all of it:
    an asyncio Redis client belongs to the loop that made it)."""

    async def write() -> None:
        state = room_state()
        await state.report_viewers(room_id, "process-a", viewers)
        await state.add_hearts(room_id, hearts)

    async_to_sync(write)()


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def walk(client: APIClient, url: str) -> list[int]:
    """Every room id over every page, following ``next``."""
    seen: list[int] = []
    while url:
        response = client.get(url)
        seen += ids(response)
        url = response.json()["next"]
    return seen


# --- the room list -------------------------------------------------------------------


def test_live_rooms_come_first_newest_started_then_the_rest_newest_created() -> None:
    now = timezone.now()
    old_live = room_at("live", created=now - timedelta(hours=5), started=now - timedelta(hours=2))
    new_live = room_at("live", created=now - timedelta(hours=9), started=now - timedelta(hours=1))
    ended = room_at("ended", created=now - timedelta(minutes=30), started=now - timedelta(hours=3))
    scheduled = room_at("scheduled", created=now - timedelta(minutes=10))
    older_scheduled = room_at("scheduled", created=now - timedelta(days=1))

    got = ids(api_client(None).get(ROOMS))

    assert got == [new_live.pk, old_live.pk, scheduled.pk, ended.pk, older_scheduled.pk]


def test_state_filter_keeps_one_state() -> None:
    now = timezone.now()
    live = room_at("live", created=now, started=now)
    scheduled = room_at("scheduled", created=now)
    ended = room_at("ended", created=now)
    client = api_client(None)

    assert ids(client.get(ROOMS + "?state=live")) == [live.pk]
    assert ids(client.get(ROOMS + "?state=scheduled")) == [scheduled.pk]
    assert ids(client.get(ROOMS + "?state=ended")) == [ended.pk]
    assert sorted(ids(client.get(ROOMS + "?state="))) == sorted([live.pk, scheduled.pk, ended.pk])


def test_a_listed_room_shows_viewers_and_hls_only_while_live() -> None:
    live = RoomFactory(title="Pancakes", live=True)
    scheduled = RoomFactory(state=Room.State.SCHEDULED, host=live.host)
    hot_figures(live.pk, viewers=7, hearts=40)

    results = {r["id"]: r for r in api_client(None).get(ROOMS).json()["results"]}

    shown = results[live.pk]
    assert shown["title"] == "Pancakes"
    assert shown["state"] == "live"
    assert shown["viewers"] == 7
    assert shown["host"]["username"] == live.host.username
    base = settings.SPROUT_LIVE_HLS_BASE_URL.rstrip("/")
    assert shown["hls_url"] == f"{base}/{live.stream_name}.m3u8"
    assert shown["url"].startswith("http://testserver/")
    assert shown["cover"] is None
    assert shown["started_at"] is not None
    assert results[scheduled.pk]["hls_url"] is None
    assert results[scheduled.pk]["viewers"] == 0


def test_the_room_list_pages_by_cursor_across_states_without_repeats() -> None:
    now = timezone.now()
    expected_live = []
    for n in range(7):
        room = room_at("live", created=now, started=now - timedelta(minutes=n))
        expected_live.append(room.pk)
    same_time = now - timedelta(hours=1)
    others = [
        room_at("scheduled" if n % 2 else "ended", created=same_time).pk for n in range(8)
    ] + [room_at("scheduled", created=now - timedelta(hours=2 + n)).pk for n in range(10)]
    expected_others = sorted(others[:8], reverse=True) + others[8:]

    got = walk(api_client(None), ROOMS + "?page_size=4")

    assert got == expected_live + expected_others
    assert walk(api_client(None), ROOMS + "?state=live&page_size=3") == expected_live


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?state=paused", "invalid"),
        ("?page_size=many", "invalid"),
        ("?cursor=not-a-cursor", "invalid_cursor"),
        ("?cursor=eyJwIjoxfQ", "invalid_cursor"),  # another list's cursor
    ],
)
def test_bad_list_parameters_are_refused_in_the_error_shape(query: str, code: str) -> None:
    RoomFactory(live=True)
    assert_error(api_client(None).get(ROOMS + query), 400, code)


def test_the_room_list_costs_the_same_queries_for_5_or_25_rooms() -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client(None).get(ROOMS + "?page_size=50").status_code == 200
        return len(captured)

    for _ in range(5):
        RoomFactory(live=True)
    few = queries()
    for _ in range(20):
        RoomFactory(live=True)
    assert queries() == few


# --- creating rooms -------------------------------------------------------------------


@pytest.mark.parametrize("path", [ROOMS, ROOMS.rstrip("/")])
def test_a_host_creates_a_scheduled_room(path: str) -> None:
    host = HostFactory()

    response = api_client(host).post(path, {"title": "  Sourdough at dawn  "}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "scheduled"
    assert body["title"] == "Sourdough at dawn"
    assert body["host"]["id"] == host.pk
    assert body["hls_url"] is None
    assert body["session_id"] is None
    assert body["can_moderate"] is True
    room = Room.objects.get(pk=body["id"])
    assert room.host == host
    assert room.state == Room.State.SCHEDULED


def test_only_hosts_create_rooms() -> None:
    member = UserFactory()

    assert_error(api_client(member).post(ROOMS, {"title": "Hi"}, format="json"), 403, "not_a_host")
    assert_error(
        api_client(None).post(ROOMS, {"title": "Hi"}, format="json"), 401, "unauthenticated"
    )
    assert not Room.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"title": ""}, {"title": "   "}, {"title": "x" * 101}])
def test_a_room_needs_a_sensible_title(payload: dict[str, Any]) -> None:
    error = assert_error(
        api_client(HostFactory()).post(ROOMS, payload, format="json"), 400, "invalid"
    )
    assert "title" in error["fields"]
    assert not Room.objects.exists()


def test_a_malformed_body_is_a_400_not_a_500() -> None:
    response = api_client(HostFactory()).post(
        ROOMS, data="{not json", content_type="application/json"
    )
    assert_error(response, 400, "malformed_request")


# --- a room's detail ------------------------------------------------------------------


def test_a_live_rooms_detail_has_figures_moderators_session_and_hls() -> None:
    room = RoomFactory(live=True)
    moderator = UserFactory(username="helper")
    room.moderators.add(moderator)
    hot_figures(room.pk, viewers=12, hearts=345)
    session = LiveSession.objects.get(room=room)

    body = api_client(None).get(f"{ROOMS}{room.pk}/").json()

    assert body["id"] == room.pk
    assert body["state"] == "live"
    assert body["viewers"] == 12
    assert body["hearts"] == 345
    assert body["session_id"] == session.pk
    assert [m["username"] for m in body["moderators"]] == ["helper"]
    assert body["hls_url"].endswith(f"/{room.stream_name}.m3u8")
    assert body["can_moderate"] is False
    assert api_client(moderator).get(f"{ROOMS}{room.pk}").json()["can_moderate"] is True
    assert api_client(room.host).get(f"{ROOMS}{room.pk}").json()["can_moderate"] is True
    assert api_client(ModeratorFactory()).get(f"{ROOMS}{room.pk}").json()["can_moderate"] is True


def test_the_hls_url_never_carries_the_stream_key() -> None:
    room = RoomFactory(live=True)
    _, key = services.stream_key_rotate(host=room.host)

    body = api_client(None).get(f"{ROOMS}{room.pk}/").json()

    assert key not in body["hls_url"]
    assert key not in str(body)


def test_an_ended_rooms_detail_has_no_hls_and_no_session() -> None:
    room = RoomFactory(live=True)
    services.room_end(actor=room.host, room=room)

    body = api_client(None).get(f"{ROOMS}{room.pk}/").json()

    assert body["state"] == "ended"
    assert body["hls_url"] is None
    assert body["session_id"] is None
    assert body["viewers"] == 0


@pytest.mark.parametrize("room_id", ["999999", "99999999999999999999"])
def test_an_unknown_room_is_a_404(room_id: str) -> None:
    assert_error(api_client(None).get(f"{ROOMS}{room_id}/"), 404, "not_found")


def test_a_banned_member_is_refused_the_rooms_detail() -> None:
    room = RoomFactory(live=True)
    member = UserFactory()
    services.member_ban(actor=room.host, room=room, user=member)

    assert_error(api_client(member).get(f"{ROOMS}{room.pk}/"), 403, "banned")
    assert api_client(UserFactory()).get(f"{ROOMS}{room.pk}/").status_code == 200


# --- tickets ---------------------------------------------------------------------------


def test_a_member_gets_a_ticket_with_the_websocket_url() -> None:
    room = RoomFactory(live=True)

    response = api_client(UserFactory()).post(f"{ROOMS}{room.pk}/ticket")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expires_in"] == settings.SPROUT_LIVE_TICKET_SECONDS
    url = urlsplit(body["ws_url"])
    assert url.scheme == "ws"
    assert url.netloc == "testserver"
    assert url.path == f"/ws/live/{room.pk}/"
    assert parse_qs(url.query) == {"ticket": [body["ticket"]]}


def test_tickets_are_for_members_of_existing_rooms_who_are_not_banned() -> None:
    room = RoomFactory(live=True)
    banned = UserFactory()
    services.member_ban(actor=room.host, room=room, user=banned)

    assert_error(api_client(None).post(f"{ROOMS}{room.pk}/ticket"), 401, "unauthenticated")
    assert_error(api_client(banned).post(f"{ROOMS}{room.pk}/ticket"), 403, "banned")
    assert_error(api_client(UserFactory()).post(f"{ROOMS}999999/ticket"), 404, "not_found")


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_from_the_api_opens_the_websocket_once(connect: Connect) -> None:
    room = await database_sync_to_async(RoomFactory)(live=True)
    member = await database_sync_to_async(UserFactory)(username="ticketholder")
    client = api_client(member)

    response = await database_sync_to_async(client.post)(f"{ROOMS}{room.pk}/ticket/")
    assert response.status_code == 200, response.content
    ticket = response.json()["ticket"]

    first = await connect(room.pk, ticket=ticket)
    assert first.accepted
    hello = await first.hello()
    assert hello["you"]["username"] == "ticketholder"

    again = await connect(room.pk, ticket=ticket)
    error = await again.next_event()
    assert error["type"] == "error"
    assert error["code"] == "unauthenticated"
    assert await again.expect_close() == 4001


# --- stream keys -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/live/stream-key", "/api/v1/live/stream-key/"])
def test_a_host_gets_a_stream_key_shown_once(path: str) -> None:
    host = HostFactory()

    response = api_client(host).post(path)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["key"] == body["stream_key"]
    assert body["ingest_url"] == body["server"] == settings.SPROUT_LIVE_RTMP_URL
    assert body["key"].startswith(body["hint"])
    assert selectors.stream_key_host(body["key"]) == host
    stored = selectors.stream_key_active(host=host)
    assert stored is not None
    assert stored.key_hash == keys.digest(body["key"]) != body["key"]


def test_each_call_rotates_the_key_and_revokes_the_previous_one() -> None:
    host = HostFactory()
    client = api_client(host)

    old = client.post("/api/v1/live/stream-key").json()["key"]
    new = client.post("/api/v1/live/stream-key").json()["key"]

    assert new != old
    assert selectors.stream_key_host(old) is None
    assert selectors.stream_key_host(new) == host
    assert host.stream_keys.filter(revoked_at__isnull=True).count() == 1


def test_only_hosts_get_stream_keys() -> None:
    url = "/api/v1/live/stream-key"
    assert_error(api_client(UserFactory()).post(url), 403, "not_a_host")
    assert_error(api_client(None).post(url), 401, "unauthenticated")
    assert_error(api_client(HostFactory()).get(url), 405, "method_not_allowed")


# --- ending rooms -----------------------------------------------------------------------


def test_the_host_ends_their_live_room_and_the_session_gets_its_report() -> None:
    room = RoomFactory(live=True)

    response = api_client(room.host).post(f"{ROOMS}{room.pk}/end")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "ended"
    room.refresh_from_db()
    assert room.state == Room.State.ENDED
    assert LiveSession.objects.get(room=room).ended_at is not None


def test_room_and_site_moderators_end_rooms() -> None:
    first, second = RoomFactory(live=True), RoomFactory(live=True)
    helper = UserFactory()
    first.moderators.add(helper)

    assert api_client(helper).post(f"{ROOMS}{first.pk}/end/").json()["state"] == "ended"
    assert api_client(ModeratorFactory()).post(f"{ROOMS}{second.pk}/end").status_code == 200
    second.refresh_from_db()
    assert second.state == Room.State.ENDED


def test_ending_a_scheduled_room_cancels_it_and_ending_again_changes_nothing() -> None:
    room = RoomFactory(state=Room.State.SCHEDULED, host=HostFactory())
    client = api_client(room.host)

    assert client.post(f"{ROOMS}{room.pk}/end").json()["state"] == "ended"
    assert client.post(f"{ROOMS}{room.pk}/end").json()["state"] == "ended"


def test_viewers_and_other_rooms_moderators_cannot_end_a_room() -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    other_moderator = UserFactory()
    other.moderators.add(other_moderator)
    url = f"{ROOMS}{room.pk}/end"

    assert_error(api_client(UserFactory()).post(url), 403, "permission_denied")
    assert_error(api_client(other_moderator).post(url), 403, "permission_denied")
    assert_error(api_client(other.host).post(url), 403, "permission_denied")
    assert_error(api_client(None).post(url), 401, "unauthenticated")
    assert_error(api_client(room.host).post(f"{ROOMS}999999/end"), 404, "not_found")
    room.refresh_from_db()
    assert room.state == Room.State.LIVE


# --- room moderators ---------------------------------------------------------------------


def test_the_host_adds_and_removes_moderators_by_username() -> None:
    room = RoomFactory(live=True)
    UserFactory(username="helper")
    client = api_client(room.host)
    url = f"{ROOMS}{room.pk}/moderators/"

    added = client.post(url, {"username": "helper"}, format="json")
    assert added.status_code == 200, added.content
    assert [m["username"] for m in added.json()] == ["helper"]
    again = client.post(url.rstrip("/"), {"username": "Helper"}, format="json")
    assert [m["username"] for m in again.json()] == ["helper"]
    assert [m["username"] for m in api_client(None).get(url).json()] == ["helper"]

    removed = client.delete(f"{url}helper/")
    assert removed.status_code == 200, removed.content
    assert removed.json() == []
    assert not room.moderators.exists()
    assert client.delete(f"{url}helper").json() == []


def test_only_the_host_chooses_moderators() -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    helper = UserFactory()
    room.moderators.add(helper)
    UserFactory(username="newbie")
    url = f"{ROOMS}{room.pk}/moderators/"

    for actor in (helper, UserFactory(), other.host):
        assert_error(
            api_client(actor).post(url, {"username": "newbie"}, format="json"),
            403,
            "permission_denied",
        )
        assert_error(api_client(actor).delete(f"{url}{helper.username}/"), 403, "permission_denied")
    assert_error(
        api_client(None).post(url, {"username": "newbie"}, format="json"), 401, "unauthenticated"
    )
    assert list(room.moderators.all()) == [helper]


def test_bad_moderator_requests_are_refused() -> None:
    room = RoomFactory(live=True)
    client = api_client(room.host)
    url = f"{ROOMS}{room.pk}/moderators/"

    assert_error(client.post(url, {}, format="json"), 400, "invalid")
    assert_error(client.post(url, {"username": "nobody"}, format="json"), 404, "not_found")
    host_self = client.post(url, {"username": room.host.username}, format="json")
    assert_error(host_self, 400, "invalid")
    assert_error(client.delete(f"{url}nobody/"), 404, "not_found")
    assert_error(client.post(f"{ROOMS}999999/moderators/", {"username": "x"}), 404, "not_found")


# --- mutes and bans ----------------------------------------------------------------------


def restrictions_url(room: Room) -> str:
    return f"{ROOMS}{room.pk}/restrictions/"


def test_a_room_moderator_mutes_for_a_while_and_lifts_it() -> None:
    room = RoomFactory(live=True)
    helper = UserFactory(username="helper")
    room.moderators.add(helper)
    member = UserFactory(username="loud")
    client = api_client(helper)

    response = client.post(
        restrictions_url(room),
        {"username": "loud", "kind": "mute", "reason": "caps lock", "minutes": 10},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "mute"
    assert body["user"]["username"] == "loud"
    assert body["created_by"] == "helper"
    assert body["reason"] == "caps lock"
    assert body["expires_at"] is not None
    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=member.pk) == {"mute"}
    listed = client.get(restrictions_url(room)).json()
    assert [(r["user"]["username"], r["kind"]) for r in listed] == [("loud", "mute")]

    lifted = client.delete(f"{restrictions_url(room)}loud/?kind=mute")
    assert lifted.status_code == 200, lifted.content
    assert lifted.json() == {"lifted": True}
    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=member.pk) == set()
    assert client.delete(f"{restrictions_url(room)}loud?kind=mute").json() == {"lifted": False}


def test_a_ban_until_lifted_keeps_the_member_out() -> None:
    room = RoomFactory(live=True)
    member = UserFactory(username="troll")

    response = api_client(room.host).post(
        restrictions_url(room).rstrip("/"), {"username": "troll", "kind": "ban"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["expires_at"] is None
    assert_error(api_client(member).post(f"{ROOMS}{room.pk}/ticket"), 403, "banned")
    assert_error(api_client(member).get(f"{ROOMS}{room.pk}/"), 403, "banned")

    api_client(room.host).delete(f"{restrictions_url(room)}troll/?kind=ban")
    assert api_client(member).post(f"{ROOMS}{room.pk}/ticket").status_code == 200


def test_viewers_and_other_rooms_moderators_cannot_mute_ban_or_lift() -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    other_moderator = UserFactory()
    other.moderators.add(other_moderator)
    member = UserFactory(username="target")
    services.member_mute(actor=room.host, room=room, user=member)
    payload = {"username": "target", "kind": "ban"}

    for actor in (UserFactory(), other_moderator, other.host, member):
        client = api_client(actor)
        assert_error(
            client.post(restrictions_url(room), payload, format="json"), 403, "permission_denied"
        )
        assert_error(client.get(restrictions_url(room)), 403, "permission_denied")
        assert_error(
            client.delete(f"{restrictions_url(room)}target/?kind=mute"), 403, "permission_denied"
        )
    assert_error(api_client(None).post(restrictions_url(room), payload), 401, "unauthenticated")
    assert selectors.member_restriction_kinds(room_id=room.pk, user_id=member.pk) == {"mute"}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"username": "target", "kind": "gag"}, 400, "invalid"),
        ({"username": "target"}, 400, "invalid"),
        ({"username": "target", "kind": "mute", "minutes": 0}, 400, "invalid"),
        ({"username": "target", "kind": "mute", "minutes": "soon"}, 400, "invalid"),
        ({"username": "target", "kind": "mute", "reason": "x" * 201}, 400, "invalid"),
        ({"username": "nobody", "kind": "mute"}, 404, "not_found"),
        ({"username": "HOST", "kind": "ban"}, 403, "permission_denied"),
        ({"username": "SELF", "kind": "mute"}, 400, "self_action"),
    ],
)
def test_bad_restrictions_are_refused(payload: dict[str, Any], status: int, code: str) -> None:
    room = RoomFactory(live=True)
    helper = UserFactory()
    room.moderators.add(helper)
    UserFactory(username="target")
    names = {"HOST": room.host.username, "SELF": helper.username}
    payload = {**payload, "username": names.get(payload["username"], payload["username"])}

    assert_error(
        api_client(helper).post(restrictions_url(room), payload, format="json"), status, code
    )
    assert not RoomRestriction.objects.exists()


def test_lifting_needs_a_kind() -> None:
    room = RoomFactory(live=True)
    UserFactory(username="target")
    client = api_client(room.host)

    assert_error(client.delete(f"{restrictions_url(room)}target/"), 400, "invalid")
    assert_error(client.delete(f"{restrictions_url(room)}target/?kind=gag"), 400, "invalid")
    assert_error(client.delete(f"{restrictions_url(room)}nobody/?kind=ban"), 404, "not_found")


# --- deleting messages -------------------------------------------------------------------


def test_a_room_moderator_deletes_a_message_and_it_is_kept_marked() -> None:
    room = RoomFactory(live=True)
    helper = UserFactory()
    room.moderators.add(helper)
    message = ChatMessageFactory(room=room, user=UserFactory(), text="spam spam")
    url = f"/api/v1/live/messages/{message.pk}/"

    response = api_client(helper).delete(url)

    assert response.status_code == 204, response.content
    message.refresh_from_db()
    assert message.deleted_at is not None
    assert message.deleted_by == helper
    assert api_client(helper).delete(url.rstrip("/")).status_code == 204


def test_viewers_and_other_rooms_moderators_cannot_delete_messages() -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    other_moderator = UserFactory()
    other.moderators.add(other_moderator)
    author = UserFactory()
    message = ChatMessageFactory(room=room, user=author, text="hello")
    url = f"/api/v1/live/messages/{message.pk}/"

    for actor in (UserFactory(), author, other_moderator, other.host):
        assert_error(api_client(actor).delete(url), 403, "permission_denied")
    assert_error(api_client(None).delete(url), 401, "unauthenticated")
    assert_error(api_client(room.host).delete("/api/v1/live/messages/999999/"), 404, "not_found")
    message.refresh_from_db()
    assert message.deleted_at is None


# --- session reports ---------------------------------------------------------------------


def test_the_host_reads_the_traffic_report_of_an_ended_session() -> None:
    room = RoomFactory(live=True)
    session = LiveSession.objects.get(room=room)
    fan = UserFactory()
    FollowFactory(follower=fan, followee=room.host)
    LiveSession.objects.filter(pk=session.pk).update(
        ended_at=timezone.now(),
        peak_viewers=40,
        unique_viewers=90,
        watch_seconds=9_000,
        chat_messages=120,
        hearts=5_000,
        new_followers=3,
        dropped_connections=1,
    )

    response = api_client(room.host).get(f"/api/v1/live/sessions/{session.pk}/report")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session_id"] == session.pk
    assert body["room_id"] == room.pk
    assert body["running"] is False
    assert body["traffic"] == {
        "peak_viewers": 40,
        "unique_viewers": 90,
        "watch_seconds": 9_000,
        "average_watch_seconds": 100,
        "chat_messages": 120,
        "hearts": 5_000,
        "new_followers": 3,
        "dropped_connections": 1,
    }
    assert set(body["cash"]) >= {"gifts", "coins", "earnings"}


def test_a_running_sessions_report_has_the_figures_so_far() -> None:
    room = RoomFactory(live=True)
    session = LiveSession.objects.get(room=room)
    hot_figures(room.pk, viewers=5, hearts=77)

    body = api_client(room.host).get(f"/api/v1/live/sessions/{session.pk}/report/").json()

    assert body["running"] is True
    assert body["ended_at"] is None
    assert body["traffic"]["hearts"] == 77
    assert body["traffic"]["peak_viewers"] == 5


def agency_manager(*creators: User) -> User:
    """A staff account in the "Agency managers" group managing an agency
    whose roster has ``creators``."""
    from kol import services as kol_services
    from kol.models import CreatorProfile
    from tests.factories import AgencyFactory, CreatorFactory

    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name="Agency managers"))
    agency = AgencyFactory()
    agency.managers.add(manager)
    for user in creators:
        profile = CreatorProfile.objects.filter(user=user).first() or CreatorFactory(user=user)
        kol_services.agency_creator_add(actor=None, agency=agency, creator=profile, share_bps=2000)
    return User.objects.get(pk=manager.pk)


def test_reports_are_for_whoever_may_see_the_hosts_money_and_the_rooms_moderators() -> None:
    room, other = RoomFactory(live=True), RoomFactory(live=True)
    helper, other_moderator = UserFactory(), UserFactory()
    room.moderators.add(helper)
    other.moderators.add(other_moderator)
    session = LiveSession.objects.get(room=room)
    url = f"/api/v1/live/sessions/{session.pk}/report"
    own_agency, other_agency = agency_manager(room.host), agency_manager(other.host)

    for allowed in (room.host, own_agency, ModeratorFactory()):
        report = api_client(allowed).get(url)
        assert report.status_code == 200
        assert report.json()["cash"] is not None
    # The room's helpers see how it went, not what the host earned.
    report = api_client(helper).get(url)
    assert report.status_code == 200
    assert "peak_viewers" in report.json()["traffic"]
    assert report.json()["cash"] is None
    for refused in (UserFactory(), other_moderator, other.host, other_agency):
        assert_error(api_client(refused).get(url), 403, "permission_denied")
    assert_error(api_client(None).get(url), 401, "unauthenticated")
    assert_error(api_client(room.host).get("/api/v1/live/sessions/999999/report"), 404, "not_found")


def test_being_staff_does_not_open_a_creators_session_report() -> None:
    room = RoomFactory(live=True)
    session = LiveSession.objects.get(room=room)
    url = f"/api/v1/live/sessions/{session.pk}/report"

    assert_error(api_client(UserFactory(is_staff=True)).get(url), 403, "permission_denied")


def test_an_agency_stops_seeing_a_creators_reports_when_they_leave_its_roster() -> None:
    from kol import services as kol_services
    from kol.models import AgencyMembership

    room = RoomFactory(live=True)
    session = LiveSession.objects.get(room=room)
    url = f"/api/v1/live/sessions/{session.pk}/report"
    manager = agency_manager(room.host)
    assert api_client(manager).get(url).status_code == 200

    membership = AgencyMembership.objects.get(creator__user=room.host, ended_at=None)
    kol_services.agency_membership_end(actor=None, membership=membership)

    assert_error(api_client(manager).get(url), 403, "permission_denied")


# --- the schema --------------------------------------------------------------------------


def test_the_schema_lists_the_live_paths_as_spec_spells_them(tmp_path: Any) -> None:
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/live/rooms/:",
        "/api/v1/live/rooms/{id}/:",
        "/api/v1/live/rooms/{id}/ticket:",
        "/api/v1/live/stream-key:",
        "/api/v1/live/rooms/{id}/end:",
        "/api/v1/live/rooms/{id}/moderators/:",
        "/api/v1/live/rooms/{id}/restrictions/{username}/:",
        "/api/v1/live/messages/{id}/:",
        "/api/v1/live/sessions/{id}/report:",
    ):
        assert f"  {path}\n" in text, path
    assert "/api/v1/live/stream-key/:" not in text
