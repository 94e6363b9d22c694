"""Flash sales without buying: create (the seller only, the checks), the
computed state, cancel, the API's create / list / detail / cancel, the gate
on its own (both implementations) and its sync with the database, the live
room's ``flash_sale`` tick, the admin. The buy path: ``test_flash_buy.py``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import User
from live.events import event_check
from shop import services
from shop.errors import FlashSaleEnded, FlashSaleOverlaps, NotTheSeller, ValidationFailed
from shop.gate import CacheFlashGate, RedisFlashGate, Take, flash_gate, reset_flash_gate
from shop.models import FlashSale
from shop.selectors import flash_sale_snapshot, flash_sale_state
from tests.clients import assert_error, logged_in
from tests.factories import (
    FlashSaleFactory,
    ProductFactory,
    ProductVariantFactory,
    RoomPinFactory,
    ShopFactory,
    fresh,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/shop/flash-sales/"


@pytest.fixture(autouse=True)
def _gate() -> Any:
    reset_flash_gate()
    yield
    reset_flash_gate()


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """``with committed():`` runs what the block left for after commit (the
    snapshot and the gate follow a sale once its write commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _iso(moment: Any) -> str:
    return moment.isoformat()


def body(product_id: int, **overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "product": product_id,
        "price": 1990,
        "quantity": 5,
        "starts_at": _iso(now + timedelta(minutes=10)),
        "ends_at": _iso(now + timedelta(hours=2)),
    }
    data.update(overrides)
    return data


@pytest.fixture
def product(user: User) -> Any:
    return ProductFactory(shop=ShopFactory(owner=user), price=5900, stock=10)


# --- create -------------------------------------------------------------------------------


def test_seller_creates_a_sale_and_its_gate_opens(user: User, product: Any, committed: Any) -> None:
    now = timezone.now()
    with committed():
        sale = services.flash_sale_create(
            seller=user,
            product=product,
            price=1990,
            quantity=5,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )
    assert sale.remaining == 5 and sale.created_by == user
    assert flash_sale_state(sale) == "on"
    assert flash_gate().left(sale.pk) == 5
    assert flash_sale_snapshot(sale.pk).price == 1990


def test_only_the_seller_creates(other_user: User, product: Any) -> None:
    now = timezone.now()
    with pytest.raises(NotTheSeller):
        services.flash_sale_create(
            seller=other_user,
            product=product,
            price=100,
            quantity=1,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": 5900}, "price"),  # not below the product's price
        ({"price": 9000}, "price"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 11}, "quantity"),  # more than in stock
        ({"ends_in": timedelta(minutes=5)}, "ends_at"),  # before the start
        ({"ends_in": timedelta(days=8)}, "ends_at"),  # longer than 7 days
        ({"starts_in": timedelta(hours=-2), "ends_in": timedelta(hours=1)}, "starts_at"),
        ({"starts_in": timedelta(days=40), "ends_in": timedelta(days=41)}, "starts_at"),
    ],
)
def test_bad_fields_are_refused_by_name(
    user: User, product: Any, overrides: dict[str, Any], field: str
) -> None:
    now = timezone.now()
    starts_at = now + overrides.pop("starts_in", timedelta(minutes=10))
    ends_at = now + overrides.pop("ends_in", timedelta(hours=1))
    fields = {"price": 1990, "quantity": 5, **overrides}
    with pytest.raises(ValidationFailed) as raised:
        services.flash_sale_create(
            seller=user, product=product, starts_at=starts_at, ends_at=ends_at, **fields
        )
    assert field in raised.value.fields
    assert not FlashSale.objects.exists()


def test_a_variant_sale_counts_the_variant_stock(user: User, product: Any) -> None:
    variant = ProductVariantFactory(product=product, stock=2)
    now = timezone.now()
    with pytest.raises(ValidationFailed):
        services.flash_sale_create(
            seller=user,
            product=product,
            variant=variant,
            price=100,
            quantity=3,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )


def test_overlapping_open_sales_are_refused_and_a_cancelled_one_does_not_count(
    user: User, product: Any
) -> None:
    now = timezone.now()
    first = services.flash_sale_create(
        seller=user,
        product=product,
        price=100,
        quantity=1,
        starts_at=now,
        ends_at=now + timedelta(hours=2),
    )
    with pytest.raises(FlashSaleOverlaps):
        services.flash_sale_create(
            seller=user,
            product=product,
            price=100,
            quantity=1,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
        )
    # Back to back is not an overlap.
    services.flash_sale_create(
        seller=user,
        product=product,
        price=100,
        quantity=1,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
    )
    services.flash_sale_cancel(actor=user, sale=first)
    services.flash_sale_create(
        seller=user,
        product=product,
        price=100,
        quantity=1,
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=1),
    )


# --- state and cancel ---------------------------------------------------------------------


def test_state_is_computed_from_times_remaining_and_cancel() -> None:
    now = timezone.now()
    sale = FlashSaleFactory.build(
        starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(hours=1), remaining=3
    )
    assert flash_sale_state(sale, now=now) == "scheduled"
    assert flash_sale_state(sale, now=now + timedelta(minutes=2)) == "on"
    sale.remaining = 0
    assert flash_sale_state(sale, now=now + timedelta(minutes=2)) == "sold_out"
    assert flash_sale_state(sale, now=now + timedelta(hours=2)) == "ended"
    sale.remaining, sale.cancelled_at = 3, now
    assert flash_sale_state(sale, now=now + timedelta(minutes=2)) == "ended"


def test_cancel_closes_the_gate_and_rewrites_the_snapshot(
    user: User, other_user: User, committed: Any
) -> None:
    sale = FlashSaleFactory(product__shop__owner=user, quantity=4)
    services.flash_sale_gate_sync(sale.pk)
    assert flash_gate().left(sale.pk) == 4
    assert not flash_sale_snapshot(sale.pk).cancelled
    with pytest.raises(NotTheSeller):
        services.flash_sale_cancel(actor=other_user, sale=sale)
    with committed():
        services.flash_sale_cancel(actor=user, sale=sale)
    assert flash_gate().left(sale.pk) == 0
    assert flash_sale_snapshot(sale.pk).cancelled
    assert flash_sale_state(fresh(sale)) == "ended"
    with pytest.raises(FlashSaleEnded):
        services.flash_sale_cancel(actor=user, sale=fresh(sale))


# --- API ------------------------------------------------------------------------------------------


def test_api_create_then_detail_shows_remaining_and_state(
    user_api: APIClient, product: Any, api: APIClient, committed: Any
) -> None:
    with committed():
        response = user_api.post(URL, body(product.pk), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "scheduled" and created["remaining"] == 5
    assert created["product"]["id"] == product.pk and created["price"] == 1990
    detail = api.get(f"{URL}{created['id']}/")
    assert detail.status_code == 200
    assert detail.json()["remaining"] == 5 and detail.json()["state"] == "scheduled"


def test_api_create_on_someone_elses_product_is_403(other_api: APIClient, product: Any) -> None:
    assert_error(other_api.post(URL, body(product.pk), format="json"), 403, "not_the_seller")


def test_api_create_needs_a_member(api: APIClient, product: Any) -> None:
    assert api.post(URL, body(product.pk), format="json").status_code == 401


def test_api_create_of_a_missing_product_is_404(user_api: APIClient) -> None:
    assert_error(user_api.post(URL, body(999_999), format="json"), 404, "not_found")


def test_api_create_overlap_is_409(user_api: APIClient, product: Any) -> None:
    assert user_api.post(URL, body(product.pk), format="json").status_code == 201
    assert_error(user_api.post(URL, body(product.pk), format="json"), 409, "flash_sale_overlaps")


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": "cheap"},
        {"price": 0},
        {"price": 10**20},
        {"quantity": -1},
        {"quantity": 10**12},
        {"starts_at": "tomorrow"},
        {"product": "tote"},
        {"product": 10**30},
        {"variant": "M"},
        {"ends_at": None},
    ],
)
def test_api_create_bad_input_is_400(
    user_api: APIClient, product: Any, overrides: dict[str, Any]
) -> None:
    assert_error(user_api.post(URL, body(product.pk, **overrides), format="json"), 400, "invalid")
    assert not FlashSale.objects.exists()


def test_api_create_missing_fields_is_400(user_api: APIClient) -> None:
    error = assert_error(user_api.post(URL, {}, format="json"), 400, "invalid")
    assert {"product", "price", "quantity", "starts_at", "ends_at"} <= set(error["fields"])


def test_api_create_with_another_products_variant_is_400(user_api: APIClient, product: Any) -> None:
    stranger = ProductVariantFactory()
    response = user_api.post(URL, body(product.pk, variant=stranger.pk), format="json")
    assert_error(response, 400, "invalid")


def test_api_list_is_the_callers_own_by_product_and_state(
    user: User, user_api: APIClient, other_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    mine = ProductFactory(shop=ShopFactory(owner=user))
    other = ProductFactory(shop=ShopFactory(owner=user))
    for _ in range(3):
        FlashSaleFactory(product=mine)
    FlashSaleFactory(product=other, starts_at=timezone.now() + timedelta(hours=1))
    FlashSaleFactory()  # someone else's
    with django_assert_max_num_queries(6):
        listed = user_api.get(URL).json()
    assert len(listed["results"]) == 4
    by_product = user_api.get(URL, {"product": other.pk}).json()["results"]
    assert [s["product"]["id"] for s in by_product] == [other.pk]
    scheduled = user_api.get(URL, {"state": "scheduled"}).json()["results"]
    assert [s["product"]["id"] for s in scheduled] == [other.pk]
    assert other_api.get(URL).json()["results"] == []
    assert_error(user_api.get(URL, {"state": "gone"}), 400, "invalid")
    assert_error(user_api.get(URL, {"product": "x"}), 400, "invalid")


def test_api_list_query_count_does_not_grow(
    user: User, user_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    for _ in range(12):
        FlashSaleFactory(product__shop=ShopFactory(owner=user))
    with django_assert_max_num_queries(6):
        assert len(user_api.get(URL, {"page_size": 12}).json()["results"]) == 12


def test_api_detail_of_a_hidden_products_sale_is_404_to_others(
    api: APIClient, user_api: APIClient, user: User
) -> None:
    sale = FlashSaleFactory(product__shop=ShopFactory(owner=user), product__is_hidden=True)
    assert_error(api.get(f"{URL}{sale.pk}/"), 404, "not_found")
    assert user_api.get(f"{URL}{sale.pk}/").status_code == 200
    assert_error(api.get(f"{URL}999999/"), 404, "not_found")


def test_api_cancel_by_the_seller_only(
    user: User, user_api: APIClient, other_api: APIClient, api: APIClient, committed: Any
) -> None:
    sale = FlashSaleFactory(product__shop=ShopFactory(owner=user))
    assert api.post(f"{URL}{sale.pk}/cancel").status_code == 401
    assert_error(other_api.post(f"{URL}{sale.pk}/cancel"), 403, "not_the_seller")
    with committed():
        response = user_api.post(f"{URL}{sale.pk}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "ended"
    assert_error(user_api.post(f"{URL}{sale.pk}/cancel"), 409, "ended")


# --- the gate on its own ------------------------------------------------------------------


def _gates() -> list[Any]:
    from django.conf import settings

    gates: list[Any] = [CacheFlashGate()]
    if getattr(settings, "REDIS_URL", ""):
        gates.append(RedisFlashGate(settings.REDIS_URL))
    return gates


@pytest.mark.parametrize("gate", _gates(), ids=lambda g: type(g).__name__)
def test_gate_one_ticket_per_buyer_and_give_back(gate: Any) -> None:
    sale_id = 987_001
    assert gate.take(sale_id, 1, "k1") is Take.UNKNOWN
    gate.sync(sale_id, remaining=2, active_buyers=set(), stale_before=0, ttl_seconds=60)
    assert gate.take(sale_id, 1, "k1") is Take.TAKEN
    assert gate.take(sale_id, 1, "k1") is Take.HELD
    assert gate.take(sale_id, 1, "k2") is Take.HELD_OTHER
    assert gate.take(sale_id, 2, "k3") is Take.TAKEN
    assert gate.take(sale_id, 3, "k4") is Take.SOLD_OUT
    assert gate.peek(sale_id, "k4").left == 0 and not gate.peek(sale_id, "k4").key_held
    assert gate.peek(sale_id, "k1").key_held
    assert not gate.give_back(sale_id, 2, "wrong-key")
    assert gate.give_back(sale_id, 2, "k3")
    assert not gate.give_back(sale_id, 2, "k3")  # once
    assert gate.left(sale_id) == 1
    assert gate.take(sale_id, 3, "k4") is Take.TAKEN


@pytest.mark.parametrize("gate", _gates(), ids=lambda g: type(g).__name__)
def test_gate_sync_counts_tickets_in_flight_and_forgets_stale_ones(gate: Any) -> None:
    sale_id = 987_002
    gate.sync(sale_id, remaining=5, active_buyers=set(), stale_before=0, ttl_seconds=60)
    for buyer in (1, 2, 3):
        assert gate.take(sale_id, buyer, f"k{buyer}") is Take.TAKEN
    # Buyer 1's order is in the database (remaining 4); 2 and 3 are in flight.
    assert gate.sync(sale_id, remaining=4, active_buyers={1}, stale_before=0, ttl_seconds=60) == 2
    # Much later: 2 and 3 never made an order (their requests died): forgotten.
    later = time.time() + 1
    left = gate.sync(sale_id, remaining=4, active_buyers={1}, stale_before=later, ttl_seconds=60)
    assert left == 4
    assert {h.buyer_id for h in gate.holders(sale_id)} == {1}
    assert gate.take(sale_id, 2, "k2-again") is Take.TAKEN


def test_sync_reads_the_database_and_gives_units_of_released_orders_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.factories import OrderFactory

    # Three units: one bought and kept, one bought and released (its unit is
    # back in the database's remaining, as the orders side does it).
    sale = FlashSaleFactory(quantity=3, remaining=2)
    kept = OrderFactory(flash_sale=sale)
    released = OrderFactory(flash_sale=sale, stock_released=True)
    gate = flash_gate()
    assert services.flash_sale_gate_sync(sale.pk) == 2
    for buyer in (kept.buyer, released.buyer):
        assert gate.take(sale.pk, buyer.pk, f"k{buyer.pk}") is Take.TAKEN
    # The released buyer's ticket is fresh: it may be a request still running.
    assert services.flash_sale_gate_sync(sale.pk) == 1
    # Past the grace: no order of theirs stands, their ticket is forgotten.
    monkeypatch.setattr("shop.services.flash.TICKET_GRACE_SECONDS", -5)
    assert services.flash_sale_gate_sync(sale.pk) == 2
    assert {h.buyer_id for h in gate.holders(sale.pk)} == {kept.buyer_id}
    assert gate.take(sale.pk, released.buyer_id, "again") is Take.TAKEN


def test_an_ended_sales_gate_is_closed() -> None:
    sale = FlashSaleFactory(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert services.flash_sale_gate_sync(sale.pk) == 0
    assert services.flash_sale_gate_sync(999_999) == 0


# --- live rooms ---------------------------------------------------------------------------


def test_room_tick_sends_the_pinned_sales_units_left(live_room: Any) -> None:
    sale = FlashSaleFactory(quantity=7)
    assert services.flash_sale_room_tick(live_room.pk) == []
    RoomPinFactory(room=live_room, product=sale.product, flash_sale=sale)
    cache.clear()  # the pin is cached for a couple of seconds
    events = services.flash_sale_room_tick(live_room.pk)
    assert events == [{"type": "flash_sale", "id": sale.pk, "remaining": 7, "state": "on"}]
    event_check(events[0])
    flash_gate().take(sale.pk, 1, "k")
    with CaptureQueriesContext(connection) as queries:
        events = services.flash_sale_room_tick(live_room.pk)
    assert events[0]["remaining"] == 6
    assert len(queries) == 0  # the pin, the snapshot and the gate are cached


def test_the_shop_is_registered_on_the_rooms_tick() -> None:
    from live.extensions import room_tick_events

    assert services.flash_sale_room_tick_async in list(room_tick_events)


# --- admin --------------------------------------------------------------------------------


def test_admin_lists_filters_by_state_and_cancels(
    moderator: User, user: User, committed: Any
) -> None:
    on = FlashSaleFactory(product__shop=ShopFactory(owner=user))
    scheduled = FlashSaleFactory(starts_at=timezone.now() + timedelta(hours=1))
    client: Client = logged_in(moderator)
    page = client.get("/admin/shop/flashsale/")
    assert page.status_code == 200
    page = client.get("/admin/shop/flashsale/", {"state": "scheduled"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [scheduled]
    services.flash_sale_gate_sync(on.pk)
    with committed():
        response = client.post(
            "/admin/shop/flashsale/",
            {"action": "cancel_flash_sales", "_selected_action": [on.pk]},
        )
    assert response.status_code == 302
    assert fresh(on).cancelled_at is not None
    assert fresh(scheduled).cancelled_at is None
    assert flash_gate().left(on.pk) == 0


def test_admin_is_read_only_for_flash_sales(moderator: User) -> None:
    sale = FlashSaleFactory()
    client: Client = logged_in(moderator)
    assert client.get(f"/admin/shop/flashsale/{sale.pk}/change/").status_code == 200
    assert client.get("/admin/shop/flashsale/add/").status_code == 403
