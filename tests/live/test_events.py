"""The room's events: one schema (``live.events``) that says what SPEC.md's
websocket table says and that every event is checked against (the
``room_events`` fixture checks every event a live test publishes, the test
clients every frame they receive), and one publish path: after commit,
through ``live.events``, which alone calls the hub's transport."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_type_hints, is_typeddict
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction

from live import events, hub
from live.models import Room
from tests.factories import UserFactory
from tests.live import RoomEvents
from wallet.selectors import TopGifter

# SPEC.md, "Websocket /ws/live/{room_id}/", server to client (verbatim).
SPEC_SERVER_TO_CLIENT = """
| `hello` | `room {id, title, state, host}`, `you {id, username}` or null, `viewers`, `hearts`, `recent` (last chat events) |
| `chat` | `id`, `user {id, username}`, `text`, `ts`, `nonce` (echoed from the sender) |
| `hearts` | `total` |
| `gift` | `id`, `user`, `gift`, `quantity`, `coins`, `ts` |
| `gift_ack` | `idempotency_key`, `gift_id`, `balance` (to the sender only) |
| `viewers` | `count` |
| `leaderboard` | `top [{user, coins}]` |
| `room_state` | `state` |
| `product_pinned` | `product {id, title, price, url, flash_sale}` (shop on; `flash_sale {id, price, remaining, ends_at}` or null) |
| `product_unpinned` | — |
| `flash_sale` | `id`, `remaining`, `state` (units left, on a tick while a pinned sale is on) |
| `pin_stock` | `id`, `sold_out` (the pinned product has units left or none, on a tick when it changes) |
| `moderation` | `action` (`muted`, `banned`, `message_deleted`), `target` |
| `error` | `code`, `message`, `nonce` or `idempotency_key` when the error answers one |
| `pong` | — |
"""  # noqa: E501
#: The shop's events not in the schema (all of them are now).
SHOP_TYPES: set[str] = set()

ROW = re.compile(r"^\| `(\w+)` \| (.*) \|$")
FIELD = re.compile(r"`(\w+)(?: \[?\{([^}]*)\}\]?)?`")


def spec_rows() -> dict[str, str]:
    return {
        match[1]: match[2]
        for line in SPEC_SERVER_TO_CLIENT.strip().splitlines()
        if (match := ROW.match(line))
    }


def _typeddict_in(annotation: Any) -> Any:
    """The TypedDict an annotation is about (``X``, ``X | None``, ``list[X]``)."""
    if is_typeddict(annotation):
        return annotation
    for arg in get_args(annotation):
        found = _typeddict_in(arg)
        if found is not None:
            return found
    return None


def test_the_schema_has_every_server_event_of_spec_md_and_only_those() -> None:
    spec = spec_rows()
    assert len(spec) == 15
    assert set(spec) - set(events.EVENT_TYPES) <= SHOP_TYPES
    assert set(events.EVENT_TYPES) - set(spec) == set()


@pytest.mark.parametrize("kind", sorted(set(spec_rows()) & set(events.EVENT_TYPES)))
def test_each_event_has_the_fields_spec_md_lists(kind: str) -> None:
    cell = spec_rows()[kind]
    fields = get_type_hints(events.EVENT_TYPES[kind])
    # "(`muted`, `banned`, `message_deleted`)": the values a field takes.
    for name, values in re.findall(r"`(\w+)` \(([^)]*`[^)]*)\)", cell):
        assert set(re.findall(r"`(\w+)`", values)) == set(get_args(fields[name])), name
    listed = FIELD.findall(re.sub(r"\([^)]*\)", "", cell))
    for name, nested in listed:
        assert name in fields, f"{kind}.{name} is in SPEC.md, not in the schema"
        if nested:
            inner = get_type_hints(_typeddict_in(fields[name]))
            missing = {part.strip() for part in nested.split(",")} - set(inner)
            assert not missing, f"{kind}.{name} lacks {missing}"
    # Nothing in the schema that SPEC.md does not name.
    assert {"type"} | {name for name, _ in listed} == set(fields)


def test_room_states_are_the_models() -> None:
    assert set(get_args(events.RoomStateName)) == set(Room.State.values)


# --- the checker ----------------------------------------------------------------------------

USER = {"id": 1, "username": "mei", "display_name": "Mei"}
GIFT = {"slug": "rose", "name": "Rose", "coins": 1, "animation_tier": 1, "emoji": "🌹", "image": ""}
CHAT = {"type": "chat", "id": 1, "user": USER, "text": "hi", "ts": "2026-05-04T12:00:00Z",
        "nonce": None}  # fmt: skip


@pytest.mark.parametrize(
    "event",
    [
        CHAT,
        {"type": "hello", "room": {"id": 1, "title": "t", "state": "live", "host": USER},
         "you": {**USER, "moderator": False}, "viewers": 1, "hearts": 0, "recent": [CHAT]},
        {"type": "hello", "room": {"id": 1, "title": "t", "state": "ended", "host": USER},
         "you": None, "viewers": 0, "hearts": 0, "recent": []},
        {"type": "gift", "id": 1, "user": USER, "gift": GIFT, "quantity": 2, "coins": 2,
         "ts": "2026-05-04T12:00:00Z"},
        {"type": "moderation", "action": "message_deleted", "target": 7},
        {"type": "moderation", "action": "banned", "target": USER},
        {"type": "error", "code": "invalid", "message": "No."},
        {"type": "error", "code": "invalid", "message": "No.", "idempotency_key": "k"},
        {"type": "leaderboard", "top": [{"user": USER, "coins": 3}]},
        {"type": "pong"},
    ],
)  # fmt: skip
def test_events_as_the_schema_says_pass(event: dict[str, Any]) -> None:
    events.event_check(event)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"type": "shout"}, id="unknown type"),
        pytest.param({"text": "hi"}, id="no type"),
        pytest.param({**CHAT, "mood": "happy"}, id="a field the schema does not have"),
        pytest.param({k: v for k, v in CHAT.items() if k != "nonce"}, id="a field missing"),
        pytest.param({**CHAT, "id": "1"}, id="a string for an integer"),
        pytest.param({**CHAT, "id": True}, id="a boolean for an integer"),
        pytest.param({**CHAT, "user": {"id": 1, "username": "mei"}}, id="a nested field missing"),
        pytest.param({"type": "room_state", "state": "paused"}, id="not one of the values"),
        pytest.param({"type": "moderation", "action": "muted", "target": "mei"}, id="no option"),
        pytest.param({"type": "leaderboard", "top": [{"user": USER}]}, id="in a list"),
        pytest.param({"type": "error", "code": "x", "message": "m", "nonce": None}, id="null"),
    ],
)
def test_events_the_schema_does_not_say_are_refused(event: dict[str, Any]) -> None:
    with pytest.raises(events.EventSchemaError):
        events.event_check(event)


@pytest.mark.django_db
def test_the_builders_build_what_the_schema_says() -> None:
    user = UserFactory()
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    built = [
        events.chat(message_id=1, user=user, text="hi", ts=now, nonce="n"),
        events.hearts(3),
        events.viewers(2),
        events.room_state(Room.State.LIVE),
        events.moderation("muted", events.user_brief(user)),
        events.moderation("message_deleted", 9),
        events.pong(),
        events.hello(
            room=events.room_brief(room_id=1, title="t", state="scheduled", host=user),
            you={**events.user_brief(user), "moderator": True},
            viewers=0,
            hearts=0,
            recent=[],
        ),
        events.gift(gift_id=1, user=user, gift=GIFT, quantity=1, coins=1, ts=now),
        events.gift_ack(idempotency_key="k", gift_id=1, balance=9),
        events.leaderboard(events.leaderboard_lines([TopGifter(1, "mei", "Mei", 5)])),
        events.product_pinned(
            {
                "id": 1,
                "title": "Whisk",
                "price": 990,
                "currency": "CNY",
                "image": None,
                "url": "/api/v1/shop/products/1/",
                "flash_sale": {
                    "id": 2,
                    "price": 490,
                    "remaining": 10,
                    "starts_at": "2026-05-04T12:00:00Z",
                    "ends_at": "2026-05-04T13:00:00Z",
                    "state": "on",
                },
                "sold_out": False,
                "session": 7,
            }
        ),
        events.product_unpinned(),
        events.flash_sale(sale_id=1, remaining=3, state="on"),
        events.pin_stock(product_id=1, sold_out=True),
    ]
    for event in built:
        events.event_check(event)
    assert {event["type"] for event in built} == set(events.EVENT_TYPES) - {"error"}
    with pytest.raises(events.EventSchemaError):
        events.room_state("paused")


# --- one publish path -------------------------------------------------------------------------

TRANSPORT = {"publish", "publish_sync", "close_user_sync"}
APPS = ("community", "core", "kol", "live", "wallet", "config")


def _transport_callers(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "live.hub":
            found += [f"imports {a.name}" for a in node.names if a.name in TRANSPORT]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "hub"
            and node.attr in TRANSPORT
        ):
            found.append(f"calls hub.{node.attr}")
    return found


def test_only_live_events_calls_the_hubs_transport() -> None:
    root = Path(settings.BASE_DIR)
    callers = {
        path.relative_to(root).as_posix(): found
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.relative_to(root).as_posix() not in {"live/hub.py", "live/events.py"}
        and (found := _transport_callers(path))
    }
    assert callers == {}
    assert _transport_callers(root / "live" / "events.py")  # the scan sees a caller


def _state(state: str) -> events.RoomStateEvent:
    return events.room_state(state)


@pytest.mark.django_db(transaction=True)
def test_an_event_leaves_after_commit_and_never_after_a_rollback(room_events: RoomEvents) -> None:
    with transaction.atomic():
        events.room_event_send_on_commit(7, _state("live"))
        assert room_events == []  # not before the commit
    assert room_events == [(7, {"type": "room_state", "state": "live"})]

    with pytest.raises(RuntimeError), transaction.atomic():
        events.room_event_send_on_commit(7, _state("ended"))
        raise RuntimeError("the write failed")
    assert len(room_events) == 1


@pytest.mark.django_db(transaction=True)
def test_a_send_that_fails_is_logged_and_reported_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[str] = []
    with mock.patch.object(hub, "publish_sync", side_effect=ConnectionError("redis down")):
        events.room_event_send_on_commit(
            7, _state("live"), on_failure=lambda: failures.append("told")
        )
    assert failures == ["told"]
    assert "a room_state event for room 7 was not sent" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_reply_meant_for_one_connection_never_reaches_a_room(
    room_events: RoomEvents,
) -> None:
    ack = events.gift_ack(idempotency_key="k", gift_id=1, balance=0)
    with pytest.raises(events.EventSchemaError):
        events.room_event_send_on_commit(7, events.pong())  # type: ignore[arg-type]
    with pytest.raises(events.EventSchemaError):
        await events.room_event_send(7, ack)  # type: ignore[arg-type]
    assert room_events == []
