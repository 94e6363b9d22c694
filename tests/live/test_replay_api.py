"""The replays' REST API as a client sees it: sessions and their replay
(checked against the OpenAPI schema), who may watch what (anonymous, member,
banned member, host, room moderator, site moderator x published,
unpublished, hidden, deleted, expired, not ready), the timeline's windows and
cursor over HTTP, the host's and moderators' writes with the other-user case
for each, the watch beacon (counting, throttled) and the replay's traffic in
the session report."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

import jsonschema
import pytest
from django.core.cache import cache as django_cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from live.models import LiveSession, Replay, Room, RoomRestriction
from tests.clients import api_client, assert_error
from tests.factories import (
    ChatMessageFactory,
    LiveSessionFactory,
    ModeratorFactory,
    RoomFactory,
    RoomRestrictionFactory,
    UserFactory,
)
from tests.live.replays import ready_replay

pytestmark = pytest.mark.django_db


# --- the schema -------------------------------------------------------------------------


@cache
def _document() -> dict[str, Any]:
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from drf_spectacular.generators import SchemaGenerator

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(raw, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's dialect as JSON Schema: ``nullable`` becomes a null type,
    references are inlined (the components hold no cycles)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _json_schema(_document()["components"]["schemas"][name])
    converted = {
        key: _json_schema(value)
        for key, value in node.items()
        if key not in ("nullable", "readOnly", "writeOnly", "example", "examples")
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_schema(response: Any, method: str, path: str) -> Any:
    """The response's body is what the schema says ``method path`` answers
    with its status; returns the body."""
    operation = _document()["paths"][path][method.lower()]
    documented = operation["responses"][str(response.status_code)]
    body = response.json()
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.validate(body, _json_schema(schema))
    return body


SESSIONS = "/api/v1/live/rooms/{id}/sessions/"
SESSION = "/api/v1/live/sessions/{id}/"
TIMELINE = "/api/v1/live/sessions/{id}/timeline"
REPLAY = "/api/v1/live/sessions/{id}/replay"
HIDE = "/api/v1/live/sessions/{id}/replay/hide"
WATCH = "/api/v1/live/sessions/{id}/replay/watch"


def url(template: str, pk: int) -> str:
    return template.replace("{id}", str(pk))


# --- who --------------------------------------------------------------------------------


ROLES = ("anonymous", "member", "banned", "host", "room_moderator", "site_moderator")


def someone(role: str, room: Room) -> Any:
    if role == "anonymous":
        return None
    if role == "host":
        return room.host
    if role == "site_moderator":
        return ModeratorFactory()
    user = UserFactory()
    if role == "room_moderator":
        room.moderators.add(user)
    if role == "banned":
        RoomRestrictionFactory(room=room, user=user, kind=RoomRestriction.Kind.BAN)
    return user


STATES: dict[str, dict[str, Any]] = {
    "published": {},
    "unpublished": {"published": False},
    "hidden": {"hidden_at": timezone.now(), "hidden_reason": "spam"},
    "deleted": {"state": Replay.State.DELETED},
    "expired": {"state": Replay.State.EXPIRED},
    "processing": {"state": Replay.State.PROCESSING},
    "failed": {"state": Replay.State.FAILED},
}
MANAGERS = {"host", "room_moderator", "site_moderator"}


def may_watch(role: str, state: str) -> bool:
    if state in ("deleted", "expired", "processing", "failed"):
        return False
    if state == "published":
        return role != "banned"
    return role in MANAGERS


def may_read_timeline(role: str, state: str) -> bool:
    if state in ("deleted", "expired"):
        return False
    if state == "published":
        return role != "banned"
    return role in MANAGERS


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_which_replay(role: str, state: str) -> None:
    replay = ready_replay(**STATES[state])
    session = replay.session
    client = api_client(someone(role, session.room))

    detail = client.get(url(SESSION, session.pk))
    assert detail.status_code == 200, detail.content
    body = assert_schema(detail, "get", SESSION)
    assert (body["replay"] is not None) == may_watch(role, state)

    listed = client.get(url(SESSIONS, session.room_id))
    assert [item["replay"] is not None for item in listed.json()["results"]] == [
        may_watch(role, state)
    ]

    timeline = client.get(url(TIMELINE, session.pk))
    if may_read_timeline(role, state):
        assert timeline.status_code == 200, timeline.content
    else:
        assert_error(timeline, 404, "replay_unavailable")


def test_a_session_without_a_replay_has_none_and_no_timeline() -> None:
    session = LiveSessionFactory()
    client = api_client(session.room.host)
    assert client.get(url(SESSION, session.pk)).json()["replay"] is None
    assert_error(client.get(url(TIMELINE, session.pk)), 404, "replay_unavailable")


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_has_the_contracts_shape() -> None:
    replay = ready_replay(duration_ms=61_500)
    session = replay.session
    body = assert_schema(api_client(None).get(url(SESSION, session.pk)), "get", SESSION)
    token = replay.token
    assert body == {
        "id": session.pk,
        "room": session.room_id,
        "host": {
            "id": session.room.host_id,
            "username": session.room.host.username,
            "display_name": session.room.host.shown_name,
            "avatar": None,
        },
        "started_at": session.started_at.isoformat().replace("+00:00", "Z"),
        "ended_at": session.ended_at.isoformat().replace("+00:00", "Z")
        if session.ended_at
        else None,
        "replay": {
            "hls_url": f"http://testserver/media/replays/{token}/src/index.m3u8",
            "duration_s": 61.5,
            "poster_url": f"http://testserver/media/replays/{token}/poster.jpg",
            "preview_url": f"http://testserver/media/replays/{token}/preview.mp4",
        },
    }


def test_a_replay_without_poster_or_preview_says_null() -> None:
    replay = ready_replay(poster="", preview="")
    body = api_client(None).get(url(SESSION, replay.session_id)).json()
    assert body["replay"]["poster_url"] is None and body["replay"]["preview_url"] is None


def test_unknown_sessions_and_rooms_are_not_found() -> None:
    client = api_client(None)
    assert_error(client.get(url(SESSION, 999_999)), 404, "not_found")
    assert_error(client.get(url(SESSIONS, 999_999)), 404, "not_found")
    assert_error(client.get(url(TIMELINE, 999_999)), 404, "not_found")


def test_a_rooms_sessions_come_newest_first_page_by_page() -> None:
    room = RoomFactory(state=Room.State.ENDED)
    sessions = [LiveSessionFactory(room=room) for _ in range(5)]
    for session in sessions[::2]:
        ready_replay(session=session)
    LiveSessionFactory()  # another room's
    client = api_client(None)
    seen, next_url = [], url(SESSIONS, room.pk) + "?page_size=2"
    while next_url:
        response = client.get(next_url)
        body = assert_schema(response, "get", SESSIONS)
        assert len(body["results"]) <= 2
        seen += [(item["id"], item["replay"] is not None) for item in body["results"]]
        next_url = body["next"]
    assert seen == [(s.pk, i % 2 == 0) for i, s in reversed(list(enumerate(sessions)))]


def test_a_page_of_sessions_costs_the_same_queries_whatever_its_size() -> None:
    room = RoomFactory(state=Room.State.ENDED)
    for _ in range(12):
        ready_replay(session=LiveSessionFactory(room=room))
    moderator = UserFactory()
    room.moderators.add(moderator)
    client = api_client(moderator)
    client.get(url(SESSIONS, room.pk))  # the member's permissions, loaded once
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url(SESSIONS, room.pk) + "?page_size=2").json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url(SESSIONS, room.pk) + "?page_size=12").json()["results"]) == 12
    assert len(large.captured_queries) == len(small.captured_queries) <= 3


# --- the timeline over HTTP ------------------------------------------------------------------


def chat_at(session: LiveSession, offset_ms: int, text: str = "hi") -> None:
    message = ChatMessageFactory(room=session.room, session=session, text=text)
    type(message).objects.filter(pk=message.pk).update(
        created_at=session.started_at + timedelta(milliseconds=offset_ms)
    )


def test_the_timeline_pages_follow_next_within_the_window() -> None:
    replay = ready_replay()
    session = replay.session
    for offset in range(0, 50_000, 5_000):
        chat_at(session, offset, text=f"at {offset}")
    client = api_client(None)
    next_url = url(TIMELINE, session.pk) + "?from_ms=10000&to_ms=40000&page_size=2"
    texts = []
    while next_url:
        response = client.get(next_url)
        body = assert_schema(response, "get", TIMELINE)
        assert (body["from_ms"], body["to_ms"], body["duration_ms"]) == (10_000, 40_000, 60_000)
        texts += [(item["offset_ms"], item["text"]) for item in body["results"]]
        next_url = body["next"]
    assert texts == [(offset, f"at {offset}") for offset in range(10_000, 40_000, 5_000)]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from_ms=-1", "invalid"),
        ("from_ms=abc", "invalid"),
        ("to_ms=2147483648", "invalid"),
        ("from_ms=5000&to_ms=4000", "window_reversed"),
        ("from_ms=0&to_ms=600001", "window_too_long"),
        ("cursor=nope", "invalid_cursor"),
        ("page_size=0", "invalid"),
    ],
)
def test_refused_timeline_queries_say_why(query: str, code: str) -> None:
    replay = ready_replay()
    response = api_client(None).get(url(TIMELINE, replay.session_id) + "?" + query)
    assert_error(response, 400, code)


# --- the host's and the moderators' writes -----------------------------------------------------


def test_the_host_unpublishes_and_members_then_cannot_watch() -> None:
    replay = ready_replay()
    host = api_client(replay.session.room.host)
    response = host.patch(url(REPLAY, replay.session_id), {"published": False}, format="json")
    body = assert_schema(response, "patch", REPLAY)
    assert body["published"] is False and body["state"] == "ready"
    assert body["replay"]["hls_url"].endswith("index.m3u8")
    assert api_client(None).get(url(SESSION, replay.session_id)).json()["replay"] is None


@pytest.mark.parametrize("role", ["member", "room_moderator", "site_moderator"])
def test_only_the_host_publishes(role: str) -> None:
    replay = ready_replay()
    client = api_client(someone(role, replay.session.room))
    response = client.patch(url(REPLAY, replay.session_id), {"published": False}, format="json")
    assert_error(response, 403, "permission_denied")
    assert Replay.objects.get(pk=replay.pk).published is True


def test_others_cannot_find_an_unpublished_replay_to_change() -> None:
    replay = ready_replay(published=False)
    member = api_client(UserFactory())
    response = member.patch(url(REPLAY, replay.session_id), {"published": True}, format="json")
    assert_error(response, 404, "replay_unavailable")
    assert_error(member.delete(url(REPLAY, replay.session_id)), 404, "replay_unavailable")


def test_writes_need_an_account() -> None:
    replay = ready_replay()
    anonymous = api_client(None)
    path = replay.session_id
    assert_error(anonymous.patch(url(REPLAY, path), {"published": False}, format="json"), 401,
                 "unauthenticated")  # fmt: skip
    assert_error(anonymous.delete(url(REPLAY, path)), 401, "unauthenticated")
    assert_error(anonymous.post(url(HIDE, path), {"reason": "x"}, format="json"), 401,
                 "unauthenticated")  # fmt: skip
    assert_error(anonymous.delete(url(HIDE, path)), 401, "unauthenticated")


@pytest.mark.parametrize("body", [{}, {"published": "maybe"}, {"published": None}])
def test_publishing_needs_a_boolean(body: dict[str, Any]) -> None:
    replay = ready_replay()
    response = api_client(replay.session.room.host).patch(
        url(REPLAY, replay.session_id), body, format="json"
    )
    assert_error(response, 400, "invalid")


def test_the_host_deletes_and_then_nobody_watches_and_publishing_is_gone() -> None:
    replay = ready_replay()
    host = api_client(replay.session.room.host)
    response = host.delete(url(REPLAY, replay.session_id))
    assert response.status_code == 204
    assert Replay.objects.get(pk=replay.pk).state == Replay.State.DELETED
    assert host.get(url(SESSION, replay.session_id)).json()["replay"] is None
    assert_error(host.get(url(TIMELINE, replay.session_id)), 404, "replay_unavailable")
    response = host.patch(url(REPLAY, replay.session_id), {"published": True}, format="json")
    assert_error(response, 409, "replay_gone")
    assert host.delete(url(REPLAY, replay.session_id)).status_code == 204  # idempotent


@pytest.mark.parametrize("role", ["member", "room_moderator"])
def test_members_and_room_moderators_cannot_delete(role: str) -> None:
    replay = ready_replay()
    client = api_client(someone(role, replay.session.room))
    assert_error(client.delete(url(REPLAY, replay.session_id)), 403, "permission_denied")
    assert Replay.objects.get(pk=replay.pk).state == Replay.State.READY


@pytest.mark.parametrize("role", ["room_moderator", "site_moderator"])
def test_moderators_hide_and_show_again(role: str) -> None:
    replay = ready_replay()
    client = api_client(someone(role, replay.session.room))
    response = client.post(url(HIDE, replay.session_id), {"reason": "spam"}, format="json")
    body = assert_schema(response, "post", HIDE)
    assert (body["hidden"], body["hidden_reason"]) == (True, "spam")
    assert api_client(None).get(url(SESSION, replay.session_id)).json()["replay"] is None
    # The host still watches it.
    host = api_client(replay.session.room.host)
    assert host.get(url(SESSION, replay.session_id)).json()["replay"] is not None
    body = assert_schema(client.delete(url(HIDE, replay.session_id)), "delete", HIDE)
    assert (body["hidden"], body["hidden_reason"]) == (False, "")


@pytest.mark.parametrize("role", ["member", "host"])
def test_members_and_the_host_cannot_hide(role: str) -> None:
    replay = ready_replay()
    client = api_client(someone(role, replay.session.room))
    response = client.post(url(HIDE, replay.session_id), {"reason": "no"}, format="json")
    assert_error(response, 403, "permission_denied")
    assert_error(client.delete(url(HIDE, replay.session_id)), 403, "permission_denied")
    assert Replay.objects.get(pk=replay.pk).hidden_at is None


@pytest.mark.parametrize(
    ("body", "code"), [({}, "invalid"), ({"reason": "  "}, "invalid"), ({"reason": "x" * 201},
                                                                         "too_long")]
)  # fmt: skip
def test_hiding_needs_a_reason(body: dict[str, Any], code: str) -> None:
    replay = ready_replay()
    response = api_client(ModeratorFactory()).post(
        url(HIDE, replay.session_id), body, format="json"
    )
    error = assert_error(response, 400, code)
    assert "reason" in error["fields"]


# --- watching ----------------------------------------------------------------------------------


def test_a_beacon_counts_a_view_and_its_seconds() -> None:
    replay = ready_replay()
    response = api_client(None).post(url(WATCH, replay.session_id), {"seconds": 12}, format="json")
    assert response.status_code == 204, response.content
    member = api_client(UserFactory())
    member.post(url(WATCH, replay.session_id), {"seconds": 5}, format="json")
    member.post(url(WATCH, replay.session_id), {"seconds": 5}, format="json")
    counted = Replay.objects.get(pk=replay.pk)
    assert counted.views == 2
    assert 12 + 5 <= counted.watch_seconds <= 12 + 10


@pytest.mark.parametrize("role", ["host", "room_moderator", "site_moderator"])
def test_the_host_and_moderators_watching_are_not_counted(role: str) -> None:
    replay = ready_replay()
    client = api_client(someone(role, replay.session.room))
    response = client.post(url(WATCH, replay.session_id), {"seconds": 5}, format="json")
    assert response.status_code == 204
    counted = Replay.objects.get(pk=replay.pk)
    assert (counted.views, counted.watch_seconds) == (0, 0)


@pytest.mark.parametrize("state", ["unpublished", "hidden", "processing", "deleted"])
def test_no_beacon_for_a_replay_members_cannot_watch(state: str) -> None:
    replay = ready_replay(**STATES[state])
    response = api_client(None).post(url(WATCH, replay.session_id), {"seconds": 5}, format="json")
    assert_error(response, 404, "replay_unavailable")
    assert Replay.objects.get(pk=replay.pk).views == 0


@pytest.mark.parametrize("seconds", [0, 61, "ten", None])
def test_a_beacon_reports_1_to_60_seconds(seconds: Any) -> None:
    replay = ready_replay()
    response = api_client(None).post(
        url(WATCH, replay.session_id), {"seconds": seconds}, format="json"
    )
    assert_error(response, 400, "invalid")


def test_beacons_are_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "replay_watch": "3/min"},
    )
    django_cache.clear()
    replay = ready_replay()
    client = APIClient()
    statuses = [
        client.post(url(WATCH, replay.session_id), {"seconds": 5}, format="json").status_code
        for _ in range(5)
    ]
    assert statuses == [204, 204, 204, 429, 429]
    assert Replay.objects.get(pk=replay.pk).views == 1


# --- the session report ---------------------------------------------------------------------------


def test_the_report_shows_replay_traffic_apart_from_live() -> None:
    replay = ready_replay(views=4, watch_seconds=600)
    session = replay.session
    LiveSession.objects.filter(pk=session.pk).update(watch_seconds=90, unique_viewers=3)
    response = api_client(session.room.host).get(f"/api/v1/live/sessions/{session.pk}/report")
    body = assert_schema(response, "get", "/api/v1/live/sessions/{id}/report")
    assert body["replay"] == {
        "state": "ready",
        "published": True,
        "hidden": False,
        "views": 4,
        "watch_seconds": 600,
        "average_watch_seconds": 150,
    }
    assert body["traffic"]["watch_seconds"] == 90


def test_a_report_without_a_replay_says_null() -> None:
    session = LiveSessionFactory()
    response = api_client(session.room.host).get(f"/api/v1/live/sessions/{session.pk}/report")
    assert assert_schema(response, "get", "/api/v1/live/sessions/{id}/report")["replay"] is None


# --- what pages list (selectors) ----------------------------------------------------------------


def test_recent_replays_are_the_watchable_ones_newest_first_in_one_query() -> None:
    from live.selectors import replays_recent

    host = RoomFactory().host
    mine = [ready_replay(session=LiveSessionFactory(room__host=host)) for _ in range(3)]
    for index, replay in enumerate(mine):
        LiveSession.objects.filter(pk=replay.session_id).update(
            started_at=timezone.now() - timedelta(days=10 - index)
        )
    others = ready_replay()
    for state in ("unpublished", "hidden", "deleted", "processing"):
        ready_replay(session=LiveSessionFactory(room__host=host), **STATES[state])
    with CaptureQueriesContext(connection) as queries:
        recent = replays_recent(host=host, limit=10)
        titles = [(r.session.room.title, r.session.room.host.username) for r in recent]
    assert len(queries.captured_queries) == 1
    assert [r.pk for r in recent] == [r.pk for r in reversed(mine)]
    assert len(titles) == 3
    everyone = [r.pk for r in replays_recent(limit=10)]
    assert others.pk in everyone and len(everyone) == 4
    assert len(replays_recent(limit=2)) == 2


def test_the_host_and_moderators_get_a_notice_members_do_not() -> None:
    from live.selectors import replay_notice

    replay = ready_replay(hidden_at=timezone.now(), hidden_reason="spam")
    room = replay.session.room
    notice = replay_notice(room.host, replay)
    assert notice is not None and notice.hidden and notice.hidden_reason == "spam"
    assert replay_notice(someone("room_moderator", room), replay) is not None
    assert replay_notice(UserFactory(), replay) is None
    assert replay_notice(room.host, ready_replay()) is None  # watchable: nothing to say
