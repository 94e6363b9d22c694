"""Pins over the room's websocket: a viewer joining a room with a product
pinned gets it right after ``hello``; a pin and an unpin made through the
API reach every connected viewer (through the real ASGI stack and the hub)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from live.models import Room
from shop import services
from shop.models import Product
from tests.factories import ProductFactory, RoomPinFactory, ShopFactory, UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def product(live_room: Room) -> Product:
    return ProductFactory(shop=ShopFactory(owner=live_room.host), title="Bamboo whisk")


async def test_a_joining_viewer_gets_the_current_pin_after_hello(
    connect: Connect, live_room: Room, product: Product
) -> None:
    await database_sync_to_async(RoomPinFactory)(room=live_room, product=product)
    client = await connect(live_room.pk)
    first = await client.next_event()
    assert first["type"] == "hello"
    snapshot = await client.next_event()
    assert snapshot["type"] == "product_pinned"
    assert snapshot["product"]["id"] == product.pk
    assert snapshot["product"]["title"] == "Bamboo whisk"


async def test_no_pin_no_snapshot_and_pins_reach_viewers(
    connect: Connect, live_room: Room, product: Product
) -> None:
    viewer = await database_sync_to_async(UserFactory)()
    client = await connect(
        live_room.pk, cookie=await database_sync_to_async(session_cookie)(viewer)
    )
    assert (await client.next_event())["type"] == "hello"

    def pin() -> None:
        services.room_pin_create(actor=live_room.host, room=live_room, product=product)

    await database_sync_to_async(pin)()
    event = await client.wait_for("product_pinned")
    assert event["product"]["id"] == product.pk and event["product"]["flash_sale"] is None

    def unpin() -> None:
        services.room_pin_remove(actor=live_room.host, room=live_room)

    await database_sync_to_async(unpin)()
    assert await client.wait_for("product_unpinned") == {"type": "product_unpinned"}


async def test_an_ended_rooms_old_pin_is_not_sent(
    connect: Connect, host: Any, product: Product
) -> None:
    room = await database_sync_to_async(Room.objects.create)(host=host, title="Done", state="ended")
    await database_sync_to_async(RoomPinFactory)(room=room, product=product)
    client = await connect(room.pk)
    assert (await client.next_event())["type"] == "hello"
    with pytest.raises(AssertionError, match="no 'product_pinned' event"):
        await client.wait_for("product_pinned", timeout=0.3)
