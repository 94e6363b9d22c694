"""Pins that no longer hold, and pins made before the broadcast.

A product taken off sale (by its seller or a moderator), deleted, no longer
open to affiliates (in another host's room) or whose shop is closed is
unpinned at once and every viewer gets ``product_unpinned``; one that runs
out stays pinned and says so (``sold_out`` in the pin, ``pin_stock`` on the
room's tick). Its tags on notes stop showing a card. A pin made in a
scheduled room joins the broadcast when it starts: viewers get the pin
again with its ``session``, and an order bought from it counts for that
broadcast (``shop.services.pins``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from community.models import User
from live.models import LiveSession, Room
from live.services import session_start
from shop import selectors, services
from shop.models import Order, RoomPin
from tests.clients import api_client, logged_in
from tests.factories import (
    HostFactory,
    NoteFactory,
    NoteProductFactory,
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
def product(live_room: Room) -> Any:
    product = ProductFactory(shop=ShopFactory(owner=live_room.host), title="Matcha whisk", stock=3)
    ProductImageFactory(product=product, position=0)
    return product


def pin(room: Room, product: Any) -> RoomPin:
    body = api_client(room.host).post(pin_url(room), {"product": product.pk}, format="json")
    assert body.status_code == 201, body.content
    return RoomPin.objects.get(room=room, unpinned_at__isnull=True)


def shop_events(events: RoomEvents, room: Room) -> list[dict[str, Any]]:
    return [e for room_id, e in events if room_id == room.pk and e["type"].startswith("product_")]


def gone(room: Room) -> bool:
    """Unpinned for good: no current pin, none in the API or a join."""
    return (
        not RoomPin.objects.filter(room=room, unpinned_at__isnull=True).exists()
        and APIClient().get(pin_url(room)).json()["pinned_product"] is None
    )


def test_the_seller_taking_it_off_sale_unpins_it_for_every_viewer(
    live_room: Room, product: Any, room_events: RoomEvents, django_capture_on_commit_callbacks: Any
) -> None:
    pin(live_room, product)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_set_hidden(actor=live_room.host, product=product, hidden=True)
    assert shop_events(room_events, live_room)[-1] == {"type": "product_unpinned"}
    assert gone(live_room)
    # Back on sale: not pinned again by itself (the host pins what they show).
    services.product_set_hidden(actor=live_room.host, product=product, hidden=False)
    assert gone(live_room)


def test_a_moderator_hiding_it_or_closing_the_shop_unpins_it(
    moderator: User, room_events: RoomEvents, django_capture_on_commit_callbacks: Any
) -> None:
    brand = ShopFactory()
    rooms = [RoomFactory(host=HostFactory(), live=True) for _ in range(2)]
    whisk = ProductFactory(shop=brand, open_to_affiliates=True)
    bowl = ProductFactory(shop=brand, open_to_affiliates=True)
    pin(rooms[0], whisk)
    pin(rooms[1], bowl)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.product_hide(moderator=moderator, product=whisk, reason="Counterfeit")
    assert gone(rooms[0]) and not gone(rooms[1])
    assert shop_events(room_events, rooms[0])[-1] == {"type": "product_unpinned"}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.shop_close(moderator=moderator, shop=brand, reason="Fraud")
    assert gone(rooms[1])
    assert shop_events(room_events, rooms[1])[-1] == {"type": "product_unpinned"}


def test_a_deleted_product_leaves_the_room(
    live_room: Room, product: Any, room_events: RoomEvents, django_capture_on_commit_callbacks: Any
) -> None:
    pin(live_room, product)
    with django_capture_on_commit_callbacks(execute=True):
        product.delete()
    assert shop_events(room_events, live_room)[-1] == {"type": "product_unpinned"}
    assert gone(live_room)


def test_closing_to_affiliates_unpins_it_from_other_hosts_rooms_only(
    live_room: Room, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    product.open_to_affiliates = True
    product.save()
    affiliate_room = RoomFactory(host=HostFactory(), live=True)
    pin(live_room, product)
    pin(affiliate_room, product)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(actor=live_room.host, product=product, open_to_affiliates=False)
    assert gone(affiliate_room) and not gone(live_room)


def test_another_members_product_changes_leave_my_pin_alone(
    live_room: Room, product: Any, other_user: User
) -> None:
    pin(live_room, product)
    theirs = ProductFactory(shop=ShopFactory(owner=other_user))
    services.product_set_hidden(actor=other_user, product=theirs, hidden=True)
    assert not gone(live_room)


def test_a_sold_out_pin_says_so_and_the_tick_tells_when_it_changes(
    live_room: Room, product: Any
) -> None:
    current = pin(live_room, product)
    assert selectors.pinned_product(current)["sold_out"] is False
    cache.clear()
    assert services.pin_stock_room_tick(live_room.pk) == [
        {"type": "pin_stock", "id": product.pk, "sold_out": False}
    ]
    type(product).objects.filter(pk=product.pk).update(stock=0)
    cache.clear()
    assert services.pin_stock_room_tick(live_room.pk) == [
        {"type": "pin_stock", "id": product.pk, "sold_out": True}
    ]
    # Still pinned, for joiners too, saying "sold out".
    body = APIClient().get(pin_url(live_room)).json()["pinned_product"]
    assert body["id"] == product.pk and body["sold_out"] is True
    # No pin: no tick event.
    services.room_pin_remove(actor=live_room.host, room=live_room)
    cache.clear()
    assert services.pin_stock_room_tick(live_room.pk) == []


def test_the_stock_tick_reads_the_database_once_per_interval(
    live_room: Room, product: Any, django_assert_num_queries: Any
) -> None:
    pin(live_room, product)
    cache.clear()
    with django_assert_num_queries(1):
        for _ in range(5):
            services.pin_stock_room_tick(live_room.pk)


def test_hidden_and_closed_products_leave_the_notes_cards(user: User, moderator: User) -> None:
    note = NoteFactory(author=user, photos=1)
    mine = ProductFactory(shop=ShopFactory(owner=user), title="Linen tote")
    brand = ProductFactory(title="Brand bowl", open_to_affiliates=True)
    NoteProductFactory(note=note, product=mine, position=0)
    NoteProductFactory(note=note, product=brand, position=1)
    page = logged_in(UserFactory()).get(note.get_absolute_url()).content.decode()
    assert "Linen tote" in page and "Brand bowl" in page
    services.product_set_hidden(actor=user, product=mine, hidden=True)
    services.shop_close(moderator=moderator, shop=brand.shop, reason="Closed")
    page = logged_in(UserFactory()).get(note.get_absolute_url()).content.decode()
    assert "Linen tote" not in page and "Brand bowl" not in page
    assert APIClient().get(f"/api/v1/notes/{note.pk}/").json()["products"] == []


def test_a_sold_out_product_in_a_note_says_so_and_offers_no_buy(user: User) -> None:
    note = NoteFactory(author=user, photos=1)
    product = ProductFactory(shop=ShopFactory(owner=user), title="Linen tote", stock=0)
    NoteProductFactory(note=note, product=product)
    page = logged_in(UserFactory()).get(note.get_absolute_url()).content.decode()
    assert "Sold out" in page
    assert "data-buy-now disabled" in page and "data-add-to-cart disabled" in page


# --- a pin made before the broadcast ---------------------------------------------------------


def test_a_pin_made_before_going_live_joins_the_broadcast(
    room: Room, room_events: RoomEvents, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(shop=ShopFactory(owner=room.host), title="Whisk")
    early = pin(room, product)
    assert early.session is None
    assert selectors.pinned_product(early)["session"] is None
    with django_capture_on_commit_callbacks(execute=True):
        session = session_start(room=room, client_addr="127.0.0.1")
    early.refresh_from_db()
    assert early.session == session and early.unpinned_at is None
    # Viewers get the pin again, now naming the broadcast.
    last = shop_events(room_events, room)[-1]
    assert last["type"] == "product_pinned" and last["product"]["session"] == session.pk
    assert APIClient().get(pin_url(room)).json()["pinned_product"]["session"] == session.pk
    # The host's report of the broadcast lists it among its pins.
    assert [p.pk for p in selectors.session_pins(session)] == [early.pk]


def test_an_order_from_an_early_pin_counts_for_the_broadcast(room: Room) -> None:
    product = ProductFactory(shop=ShopFactory(owner=room.host), price=5900, stock=5)
    pin(room, product)
    session = session_start(room=room, client_addr="127.0.0.1")
    source = APIClient().get(pin_url(room)).json()["pinned_product"]["session"]
    buyer = UserFactory()
    api = api_client(buyer)
    added = api.post(
        "/api/v1/shop/cart/items/",
        {"product": product.pk, "quantity": 1, "source": {"live_session": source}},
        format="json",
    )
    assert added.status_code == 201, added.content
    response = api.post("/api/v1/shop/checkout", {"idempotency_key": "early-pin"}, format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get(buyer=buyer)
    assert order.lines.get().source_session == session
    assert selectors.session_sales(session.pk) == {"orders": 1, "units": 1}


def test_pins_of_other_rooms_and_old_pins_do_not_join(room: Room) -> None:
    product = ProductFactory(shop=ShopFactory(owner=room.host))
    old = RoomPinFactory(room=room, product=product, session=None)
    RoomPin.objects.filter(pk=old.pk).update(unpinned_at=old.pinned_at)
    other_room = RoomFactory(host=HostFactory())
    other = RoomPinFactory(room=other_room, product=product, session=None)
    session_start(room=room, client_addr="")
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.session is None and other.session is None
    assert LiveSession.objects.filter(room=room).count() == 1
