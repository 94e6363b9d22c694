"""Products pinned in live rooms: ``POST, DELETE /api/v1/live/rooms/{id}/pin``
(the host or a room moderator; the host's own product or one open to
affiliates; listed; one pin at a time, recorded with the session), the
``product_pinned`` / ``product_unpinned`` events every viewer gets (checked
against live's schema), the room's ``pinned_product`` and a joining viewer's
snapshot, the host's sales counter and the room page's parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import User
from live.models import LiveSession, Room
from shop.models import Order, RoomPin
from tests.clients import api_client, assert_error, logged_in
from tests.factories import (
    FlashSaleFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ProductImageFactory,
    RoomFactory,
    RoomPinFactory,
    ShopFactory,
    UserFactory,
)
from tests.live import RoomEvents, room_events_fixture  # noqa: F401  (fixture)
from tests.shop import pin_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_api(live_room: Room) -> APIClient:
    return api_client(live_room.host)


@pytest.fixture
def product(live_room: Room) -> Any:
    product = ProductFactory(shop=ShopFactory(owner=live_room.host), title="Matcha whisk")
    ProductImageFactory(product=product, position=0)
    return product


def pinned(events: RoomEvents, room: Room) -> list[dict[str, Any]]:
    return [e for room_id, e in events if room_id == room.pk and e["type"].startswith("product_")]


def test_the_host_pins_and_every_viewer_is_told(
    host_api: APIClient,
    live_room: Room,
    product: Any,
    room_events: RoomEvents,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = host_api.post(pin_url(live_room), {"product": product.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()["pinned_product"]
    assert body["id"] == product.pk and body["title"] == "Matcha whisk"
    assert body["flash_sale"] is None and body["image"].startswith("http")
    (event,) = pinned(room_events, live_room)
    assert event["type"] == "product_pinned" and event["product"]["id"] == product.pk
    pin = RoomPin.objects.get(room=live_room)
    assert (
        pin.session == LiveSession.objects.get(room=live_room) and pin.pinned_by == live_room.host
    )
    # The room's representation has it.
    room_body = APIClient().get(f"/api/v1/live/rooms/{live_room.pk}/").json()
    assert room_body["pinned_product"]["id"] == product.pk
    # Unpin: everyone is told; idempotent.
    with django_capture_on_commit_callbacks(execute=True):
        assert host_api.delete(pin_url(live_room)).status_code == 204
    assert pinned(room_events, live_room)[-1] == {"type": "product_unpinned"}
    assert host_api.delete(pin_url(live_room)).status_code == 204
    assert len(pinned(room_events, live_room)) == 2
    assert APIClient().get(f"/api/v1/live/rooms/{live_room.pk}/").json()["pinned_product"] is None


def test_one_pin_at_a_time_and_the_history_stays(
    host_api: APIClient, live_room: Room, product: Any
) -> None:
    other = ProductFactory(shop=product.shop)
    assert (
        host_api.post(pin_url(live_room), {"product": product.pk}, format="json").status_code == 201
    )
    # The same product again: nothing changes.
    assert (
        host_api.post(pin_url(live_room), {"product": product.pk}, format="json").status_code == 200
    )
    assert (
        host_api.post(pin_url(live_room), {"product": other.pk}, format="json").status_code == 201
    )
    pins = RoomPin.objects.filter(room=live_room).order_by("id")
    assert [p.product_id for p in pins] == [product.pk, other.pk]
    assert pins[0].unpinned_at is not None and pins[1].unpinned_at is None


def test_a_pin_carries_the_products_flash_sale(
    host_api: APIClient, live_room: Room, product: Any
) -> None:
    FlashSaleFactory(
        product=product,
        ends_at=timezone.now() - timedelta(minutes=1),
        starts_at=timezone.now() - timedelta(hours=1),
    )
    sale = FlashSaleFactory(product=product, quantity=5, price=990)
    body = host_api.post(pin_url(live_room), {"product": product.pk}, format="json").json()
    flash = body["pinned_product"]["flash_sale"]
    assert flash["id"] == sale.pk and flash["price"] == 990 and flash["remaining"] == 5
    assert flash["state"] == "on" and flash["ends_at"].endswith("Z")
    assert RoomPin.objects.get(room=live_room).flash_sale == sale


def test_a_scheduled_sale_is_attached_too(
    host_api: APIClient, live_room: Room, product: Any
) -> None:
    later = timezone.now() + timedelta(minutes=10)
    FlashSaleFactory(product=product, starts_at=later, ends_at=later + timedelta(hours=1))
    body = host_api.post(pin_url(live_room), {"product": product.pk}, format="json").json()
    assert body["pinned_product"]["flash_sale"]["state"] == "scheduled"


def test_a_room_moderator_pins_the_hosts_products(live_room: Room, product: Any) -> None:
    moderator = UserFactory()
    live_room.moderators.add(moderator)
    response = api_client(moderator).post(
        pin_url(live_room), {"product": product.pk}, format="json"
    )
    assert response.status_code == 201
    # Not the moderator's own product that the host could not show.
    own = ProductFactory(shop=ShopFactory(owner=moderator))
    response = api_client(moderator).post(pin_url(live_room), {"product": own.pk}, format="json")
    assert_error(response, 403, "not_open_to_affiliates")
    assert api_client(moderator).delete(pin_url(live_room)).status_code == 204


def test_viewers_and_other_hosts_cannot_pin(
    live_room: Room, product: Any, other_api: APIClient
) -> None:
    assert_error(
        other_api.post(pin_url(live_room), {"product": product.pk}, format="json"),
        403,
        "not_room_host",
    )
    assert_error(other_api.delete(pin_url(live_room)), 403, "not_room_host")
    another_host_room = RoomFactory(live=True)
    host = api_client(another_host_room.host)
    # Another host, in this room: refused, even with their own product.
    theirs = ProductFactory(shop=ShopFactory(owner=another_host_room.host))
    assert_error(
        host.post(pin_url(live_room), {"product": theirs.pk}, format="json"), 403, "not_room_host"
    )
    assert_error(
        APIClient().post(pin_url(live_room), {"product": product.pk}, format="json"),
        401,
        "unauthenticated",
    )
    # A site moderator moderates rooms, but does not sell in them.
    from tests.factories import ModeratorFactory

    assert_error(
        api_client(ModeratorFactory()).post(
            pin_url(live_room), {"product": product.pk}, format="json"
        ),
        403,
        "not_room_host",
    )
    assert not RoomPin.objects.exists()


def test_what_the_host_may_show(host_api: APIClient, live_room: Room) -> None:
    affiliate = ProductFactory(open_to_affiliates=True)
    private = ProductFactory(open_to_affiliates=False)
    assert (
        host_api.post(pin_url(live_room), {"product": affiliate.pk}, format="json").status_code
        == 201
    )
    assert_error(
        host_api.post(pin_url(live_room), {"product": private.pk}, format="json"),
        403,
        "not_open_to_affiliates",
    )
    hidden = ProductFactory(shop=ShopFactory(owner=live_room.host), is_hidden=True)
    assert_error(
        host_api.post(pin_url(live_room), {"product": hidden.pk}, format="json"),
        409,
        "product_unavailable",
    )
    others_hidden = ProductFactory(open_to_affiliates=True, is_hidden=True)
    assert_error(
        host_api.post(pin_url(live_room), {"product": others_hidden.pk}, format="json"),
        404,
        "not_found",
    )


def test_an_ended_room_takes_no_pin(host: User, product: Any) -> None:
    room = RoomFactory(host=host, state=Room.State.ENDED)
    product.shop.owner = host
    response = api_client(host).post(pin_url(room), {"product": product.pk}, format="json")
    assert_error(response, 409, "room_ended")


def test_a_scheduled_room_takes_a_pin_without_a_session(room: Room) -> None:
    product = ProductFactory(shop=ShopFactory(owner=room.host))
    response = api_client(room.host).post(pin_url(room), {"product": product.pk}, format="json")
    assert response.status_code == 201
    assert RoomPin.objects.get(room=room).session is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"product": "x"},
        {"product": None},
        {"product": -1},
        {"product": 2**70},
        {"product": [1]},
        {"product": True},
    ],
)
def test_bad_input(host_api: APIClient, live_room: Room, body: Any) -> None:
    response = host_api.post(pin_url(live_room), body, format="json")
    assert_error(response, 400, "invalid")


def test_unknown_room_and_product(host_api: APIClient, live_room: Room) -> None:
    assert_error(
        host_api.post("/api/v1/live/rooms/999999/pin", {"product": 1}, format="json"),
        404,
        "not_found",
    )
    assert_error(
        host_api.post(pin_url(live_room), {"product": 999999}, format="json"), 404, "not_found"
    )


def test_the_host_sees_the_sessions_sales(
    host_api: APIClient, live_room: Room, product: Any, other_api: APIClient
) -> None:
    session = LiveSession.objects.get(room=live_room)
    RoomPinFactory(room=live_room, product=product, session=session)
    paid = OrderFactory(shop=product.shop, status=Order.Status.PAID)
    OrderLineFactory(order=paid, product=product, quantity=2, source_session=session)
    cancelled = OrderFactory(shop=product.shop, status=Order.Status.CANCELLED)
    OrderLineFactory(order=cancelled, product=product, quantity=5, source_session=session)
    body = host_api.get(pin_url(live_room)).json()
    assert body["pinned_product"]["id"] == product.pk
    assert body["sales"] == {"orders": 1, "units": 2}
    # Viewers see the pin, not the takings.
    assert other_api.get(pin_url(live_room)).json()["sales"] is None
    assert APIClient().get(pin_url(live_room)).json()["sales"] is None


def test_the_room_list_has_pins_in_constant_queries(
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(6):
        room = RoomFactory(live=True)
        product = ProductFactory(shop=ShopFactory(owner=room.host))
        ProductImageFactory(product=product, position=0)
        RoomPinFactory(room=room, product=product)
    with django_assert_max_num_queries(8):
        results = APIClient().get("/api/v1/live/rooms/?state=live").json()["results"]
    assert len(results) == 6 and all(r["pinned_product"] for r in results)


def test_the_room_page_has_the_card_and_the_host_the_control(live_room: Room, product: Any) -> None:
    RoomPinFactory(room=live_room, product=product)
    viewer = logged_in(UserFactory()).get(f"/live/{live_room.pk}/").content.decode()
    assert "data-pin-card" in viewer and "room-pin-config" in viewer
    assert "data-pin-control" not in viewer
    assert "Matcha whisk" in viewer  # the current pin, in the page's config
    host = logged_in(live_room.host).get(f"/live/{live_room.pk}/").content.decode()
    assert "data-pin-control" in host and "js/shop-pins.js" in host


def test_the_picker_of_a_room_moderator_lists_the_hosts_products(
    live_room: Room, product: Any
) -> None:
    moderator = UserFactory()
    live_room.moderators.add(moderator)
    ProductFactory(shop=ShopFactory(owner=moderator), title="Moderator's own")
    body = api_client(moderator).get(f"/api/v1/shop/products/taggable?room={live_room.pk}").json()
    assert [c["id"] for c in body["results"]] == [product.pk]
    outsider = api_client(UserFactory()).get(f"/api/v1/shop/products/taggable?room={live_room.pk}")
    assert_error(outsider, 403, "not_room_host")
