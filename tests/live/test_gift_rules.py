"""One definition per rule: the same bad gift, sent over HTTP
(``POST /api/v1/live/rooms/{id}/gifts/``) and as the websocket's ``gift``
frame, is refused with the same code and the same message (``wallet.rules``).
An idempotency key of 65 to 100 characters used to work over HTTP and be
refused on the socket; a quantity of 100 to 9,999 got past the socket's
check and not the wallet's."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from live.models import Room
from tests.factories import UserFactory, fund, gift_catalog
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    LiveClient,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)
from wallet import rules
from wallet.models import GiftSend

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = {"gift": "coffee", "quantity": 1, "idempotency_key": "rules-1"}


def bad(**changes: Any) -> dict[str, Any]:
    """The good gift with some fields changed (``...``: left out)."""
    body = {**GOOD, **changes}
    return {name: value for name, value in body.items() if value is not ...}


BAD_GIFTS = {
    "key too long": (bad(idempotency_key="k" * 65), "invalid", ["idempotency_key"]),
    "key of a hundred": (bad(idempotency_key="k" * 100), "invalid", ["idempotency_key"]),
    "key with a space": (bad(idempotency_key="bad key"), "invalid", ["idempotency_key"]),
    "key with other characters": (bad(idempotency_key="clé;1"), "invalid", ["idempotency_key"]),
    "key empty": (bad(idempotency_key=""), "invalid", ["idempotency_key"]),
    "key missing": (bad(idempotency_key=...), "invalid", ["idempotency_key"]),
    "key not a string": (bad(idempotency_key=7), "invalid", ["idempotency_key"]),
    "quantity 0": (bad(quantity=0), "invalid", ["quantity"]),
    "quantity 100": (bad(quantity=100), "invalid", ["quantity"]),
    "quantity 10,000": (bad(quantity=10_000), "invalid", ["quantity"]),
    "quantity negative": (bad(quantity=-1), "invalid", ["quantity"]),
    "quantity a string": (bad(quantity="2"), "invalid", ["quantity"]),
    "quantity a fraction": (bad(quantity=2.5), "invalid", ["quantity"]),
    "quantity a boolean": (bad(quantity=True), "invalid", ["quantity"]),
    "quantity null": (bad(quantity=None), "invalid", ["quantity"]),
    "gift missing": (bad(gift=...), "invalid", ["gift"]),
    "gift not a string": (bad(gift=5), "invalid", ["gift"]),
    "gift a list": (bad(gift=["coffee"]), "invalid", ["gift"]),
    "gift empty": (bad(gift=""), "invalid", ["gift"]),
    "gift longer than a slug": (bad(gift="x" * 41), "invalid", ["gift"]),
    "gift not in the catalog": (bad(gift="nope"), "unknown_gift", ["gift"]),
    "everything wrong": (
        {"gift": 5, "quantity": 0, "idempotency_key": "k" * 65},
        "invalid",
        ["gift", "quantity", "idempotency_key"],
    ),
}


@pytest.fixture(autouse=True)
def catalog(db: Any) -> None:
    gift_catalog()


@pytest.fixture
def sender(db: Any) -> Any:
    member = UserFactory()
    fund(member, 100)
    return member


def over_http(sender: Any, live_room: Room, body: dict[str, Any]) -> dict[str, Any]:
    client = APIClient()
    client.force_authenticate(sender)
    response = client.post(f"/api/v1/live/rooms/{live_room.pk}/gifts/", body, format="json")
    assert response.status_code == 400, response.content
    error: dict[str, Any] = response.json()["error"]
    return error


async def over_the_socket(client: LiveClient, body: dict[str, Any]) -> dict[str, Any]:
    await client.send({"type": "gift", **body})
    return await client.wait_for("error")


@pytest.mark.parametrize("case", list(BAD_GIFTS))
async def test_a_bad_gift_is_refused_the_same_way_over_http_and_the_websocket(
    connect: Connect, live_room: Room, sender: Any, case: str
) -> None:
    body, code, fields = BAD_GIFTS[case]
    http = await database_sync_to_async(over_http)(sender, live_room, body)
    client = await connect(
        live_room.pk, cookie=await database_sync_to_async(session_cookie)(sender)
    )
    await client.hello()

    socket = await over_the_socket(client, body)

    assert http["code"] == socket["code"] == code
    assert http["message"] == socket["message"]
    assert sorted(http["fields"]) == sorted(fields)
    if code == "invalid":  # the rules' messages, one per field, say it all
        for messages in http["fields"].values():
            assert all(message in socket["message"] for message in messages)
    key = body.get("idempotency_key")
    if isinstance(key, str) and len(key) <= rules.GIFT_KEY_MAX_LENGTH:
        assert socket["idempotency_key"] == key  # the client matches its answer by it
    assert not await database_sync_to_async(GiftSend.objects.exists)()


async def test_the_limits_themselves_are_accepted_both_ways(
    connect: Connect, live_room: Room, sender: Any
) -> None:
    longest_key = "k" * rules.GIFT_KEY_MAX_LENGTH
    http_body = {"gift": "rose", "quantity": rules.GIFT_QUANTITY_MAX, "idempotency_key": "h"}
    client = APIClient()
    await database_sync_to_async(client.force_authenticate)(sender)
    response = await database_sync_to_async(client.post)(
        f"/api/v1/live/rooms/{live_room.pk}/gifts/", http_body, format="json"
    )
    assert response.status_code == 201
    socket = await connect(
        live_room.pk, cookie=await database_sync_to_async(session_cookie)(sender)
    )
    await socket.hello()

    await socket.send({"type": "gift", "gift": "rose", "idempotency_key": longest_key})

    ack = await socket.wait_for("gift_ack")
    assert ack["idempotency_key"] == longest_key and ack["balance"] == 100 - 99 - 1


def test_a_forms_quantity_is_the_number_it_spells(live_room: Room, sender: Any) -> None:
    client = APIClient()
    client.force_authenticate(sender)
    url = f"/api/v1/live/rooms/{live_room.pk}/gifts/"
    form = {"gift": "rose", "quantity": "3", "idempotency_key": "form-1"}

    sent = client.post(url, form)  # multipart: every value a string

    assert sent.status_code == 201 and sent.json()["coins"] == 3
    refused = client.post(url, {**form, "quantity": "3.0", "idempotency_key": "form-2"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"quantity": [rules.QUANTITY_MESSAGE]}
