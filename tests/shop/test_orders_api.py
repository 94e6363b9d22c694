"""The cart, checkout and orders API (SPEC.md's shop rows): each endpoint's
answer, the other-member case, bad input, and what a list page costs."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from community.models import User
from shop import services
from shop.models import CartItem, Order, Product
from tests.clients import assert_error
from tests.factories import NoteFactory, ProductFactory, ShopFactory, UserFactory, fresh

pytestmark = pytest.mark.django_db

CART = "/api/v1/shop/cart/"
ITEMS = "/api/v1/shop/cart/items/"
CHECKOUT = "/api/v1/shop/checkout"
ORDERS = "/api/v1/shop/orders/"


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def seller() -> User:
    return UserFactory()


@pytest.fixture
def seller_api(seller: User) -> APIClient:
    return client_of(seller)


@pytest.fixture
def product(seller: User) -> Product:
    return ProductFactory(
        shop=ShopFactory(owner=seller), price=1000, stock=5, open_to_affiliates=True
    )


def add(api: APIClient, product: Product, **body: Any) -> Any:
    response = api.post(ITEMS, {"product": product.pk, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def checkout(api: APIClient, key: str = "key-1", **body: Any) -> Any:
    response = api.post(CHECKOUT, {"idempotency_key": key, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- cart -----------------------------------------------------------------------------------


def test_add_to_the_cart_and_read_it(user_api: APIClient, product: Product) -> None:
    note = NoteFactory(photos=0)
    item = add(user_api, product, quantity=2, source={"note": note.pk})
    assert item["quantity"] == 2 and item["source"] == {"note": note.pk}
    assert item["product"]["id"] == product.pk and item["line_total"] == 2000
    again = add(user_api, product)
    assert again["id"] == item["id"] and again["quantity"] == 3 and again["source"] is None

    cart = user_api.get(CART).json()
    assert [i["id"] for i in cart["items"]] == [item["id"]]
    assert cart["total"] == 3000 and cart["count"] == 3
    assert cart["shops"] == [
        {
            "id": product.shop_id,
            "name": product.shop.name,
            "seller": product.shop.owner.username,
            "items": [item["id"]],
            "total": 3000,
        }
    ]


def test_the_cart_is_the_callers_own(
    user_api: APIClient, other_api: APIClient, product: Product
) -> None:
    item = add(user_api, product)
    assert other_api.get(CART).json()["items"] == []
    assert_error(other_api.delete(f"{ITEMS}{item['id']}"), 404, "not_found")
    assert_error(
        other_api.patch(f"{ITEMS}{item['id']}", {"quantity": 3}, format="json"), 404, "not_found"
    )
    assert CartItem.objects.get(pk=item["id"]).quantity == 1
    response = user_api.patch(f"{ITEMS}{item['id']}", {"quantity": 3}, format="json")
    assert response.status_code == 200 and response.json()["quantity"] == 3
    assert user_api.delete(f"{ITEMS}{item['id']}").status_code == 204
    assert user_api.delete(f"{ITEMS}{item['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "product"),
        ({"product": "one"}, "product"),
        ({"product": 2**70}, "product"),
        ({"product": -1}, "product"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 100}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"variant": "x"}, "variant"),
    ],
)
def test_bad_cart_input(user_api: APIClient, product: Product, body: Any, field: str) -> None:
    payload = {"product": product.pk, **body} if "product" not in body and body else body
    response = user_api.post(ITEMS, payload, format="json")
    assert_error(response, 400, "invalid")
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("source", [{"note": "x"}, {"note": 10**9}, {"live_session": 10**9}, "n"])
def test_a_bad_source_is_refused(user_api: APIClient, product: Product, source: Any) -> None:
    response = user_api.post(ITEMS, {"product": product.pk, "source": source}, format="json")
    assert_error(response, 400, "invalid_source")


def test_the_cart_wants_a_member(api: APIClient, product: Product) -> None:
    assert_error(api.get(CART), 401, "unauthenticated")
    assert_error(api.post(ITEMS, {"product": product.pk}, format="json"), 401, "unauthenticated")
    assert_error(
        api.post(CHECKOUT, {"idempotency_key": "k"}, format="json"), 401, "unauthenticated"
    )
    assert_error(api.get(ORDERS), 401, "unauthenticated")


def test_a_seller_cannot_buy_their_own_product(seller_api: APIClient, product: Product) -> None:
    assert_error(seller_api.post(ITEMS, {"product": product.pk}, format="json"), 409, "own_product")


def test_the_cart_costs_the_same_queries_whatever_its_size(
    user: User, user_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    for _ in range(2):
        services.cart_item_add(user=user, product_id=ProductFactory().pk)
    with django_assert_max_num_queries(4) as small:
        assert len(user_api.get(CART).json()["items"]) == 2
    for _ in range(8):
        services.cart_item_add(user=user, product_id=ProductFactory().pk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(user_api.get(CART).json()["items"]) == 10


# --- checkout -------------------------------------------------------------------------------


def test_checkout_answers_the_paid_order_and_replays_it(
    user_api: APIClient, product: Product
) -> None:
    add(user_api, product, quantity=2)
    body = checkout(user_api)
    assert body["status"] == "paid" and body["total"] == 2000 and body["replayed"] is False
    assert [(line["product"], line["quantity"]) for line in body["lines"]] == [(product.pk, 2)]
    assert user_api.get(CART).json()["items"] == []
    again = checkout(user_api)
    assert again["id"] == body["id"] and again["replayed"] is True
    assert fresh(product).stock == 3 and Order.objects.count() == 1
    other = add(user_api, product)
    conflict = user_api.post(
        CHECKOUT, {"idempotency_key": "key-1", "items": [other["id"]]}, format="json"
    )
    assert_error(conflict, 409, "idempotency_conflict")


def test_checkout_names_the_line_short_of_stock(user_api: APIClient, product: Product) -> None:
    add(user_api, product, quantity=6)
    response = user_api.post(CHECKOUT, {"idempotency_key": "k"}, format="json")
    assert_error(response, 409, "insufficient_stock")
    assert f"product {product.pk}" in response.json()["error"]["fields"]["lines"][0]


def test_checkout_of_several_shops_is_refused_then_per_shop(
    user_api: APIClient, product: Product
) -> None:
    mine = add(user_api, product)
    add(user_api, ProductFactory())
    assert_error(
        user_api.post(CHECKOUT, {"idempotency_key": "k"}, format="json"), 409, "several_shops"
    )
    body = checkout(user_api, "k2", items=[mine["id"]], shipping={"name": "Ann", "address": "1 Rd"})
    assert body["shipping"] == {"name": "Ann", "phone": "", "address": "1 Rd"}
    assert len(user_api.get(CART).json()["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"idempotency_key": ""},
        {"idempotency_key": "x" * 101},
        {"idempotency_key": "has space"},
        {"idempotency_key": ["k"]},
        {"idempotency_key": "k", "items": "all"},
        {"idempotency_key": "k", "items": [0]},
        {"idempotency_key": "k", "items": [2**70]},
        {"idempotency_key": "k", "shipping": {"name": "x" * 101}},
        {"idempotency_key": "k", "shipping": "home"},
    ],
)
def test_bad_checkout_input(user_api: APIClient, product: Product, body: Any) -> None:
    add(user_api, product)
    assert_error(user_api.post(CHECKOUT, body, format="json"), 400, "invalid")
    assert not Order.objects.exists()


def test_checking_out_someone_elses_items_or_nothing(
    user_api: APIClient, other_api: APIClient, product: Product
) -> None:
    assert_error(
        user_api.post(CHECKOUT, {"idempotency_key": "k"}, format="json"), 409, "empty_cart"
    )
    theirs = add(other_api, product)
    response = user_api.post(
        CHECKOUT, {"idempotency_key": "k", "items": [theirs["id"]]}, format="json"
    )
    assert_error(response, 400, "invalid")
    assert "items" in response.json()["error"]["fields"]


# --- orders ---------------------------------------------------------------------------------


@pytest.fixture
def order_id(user_api: APIClient, product: Product) -> int:
    add(user_api, product)
    return int(checkout(user_api)["id"])


def test_orders_for_the_buyer_and_for_the_seller(
    user_api: APIClient, seller_api: APIClient, other_api: APIClient, order_id: int
) -> None:
    mine = user_api.get(ORDERS).json()
    assert [o["id"] for o in mine["results"]] == [order_id] and mine["next"] is None
    assert "seller_amount" not in mine["results"][0]
    assert user_api.get(ORDERS, {"as": "seller"}).json()["results"] == []
    sold = seller_api.get(ORDERS, {"as": "seller"}).json()["results"]
    assert [o["id"] for o in sold] == [order_id]
    assert sold[0]["seller_amount"] == 950 and sold[0]["platform_fee"] == 50
    assert seller_api.get(ORDERS).json()["results"] == []
    assert other_api.get(ORDERS).json()["results"] == []
    assert user_api.get(ORDERS, {"status": "shipped"}).json()["results"] == []
    assert len(user_api.get(ORDERS, {"status": "paid"}).json()["results"]) == 1


@pytest.mark.parametrize("query", [{"status": "lost"}, {"as": "admin"}, {"page_size": "x"},
                                   {"status": "p" * 50}])  # fmt: skip
def test_bad_order_list_queries(user_api: APIClient, order_id: int, query: Any) -> None:
    assert_error(user_api.get(ORDERS, query), 400, "invalid")
    assert_error(user_api.get(ORDERS, {"cursor": "!!"}), 400, "invalid_cursor")


def test_one_order_for_its_buyer_and_seller_only(
    user_api: APIClient, seller_api: APIClient, other_api: APIClient, order_id: int
) -> None:
    assert user_api.get(f"{ORDERS}{order_id}/").json()["id"] == order_id
    assert seller_api.get(f"{ORDERS}{order_id}").json()["seller_amount"] == 950
    assert_error(other_api.get(f"{ORDERS}{order_id}/"), 404, "not_found")
    assert_error(user_api.get(f"{ORDERS}{10**12}/"), 404, "not_found")


def test_the_flow_over_http(
    user_api: APIClient, seller_api: APIClient, other_api: APIClient, order_id: int
) -> None:
    url = f"{ORDERS}{order_id}"
    assert_error(user_api.post(f"{url}/ship", {}, format="json"), 403, "not_the_seller")
    assert_error(other_api.post(f"{url}/ship", {}, format="json"), 404, "not_found")
    assert_error(
        seller_api.post(f"{url}/ship", {"tracking": "x" * 101}, format="json"), 400, "invalid"
    )
    assert_error(user_api.post(f"{url}/deliver"), 409, "order_not_deliverable")
    shipped = seller_api.post(f"{url}/ship", {"tracking": "SF1"}, format="json")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert shipped.json()["tracking"] == "SF1"
    assert_error(seller_api.post(f"{url}/ship", {}, format="json"), 409, "order_not_shippable")
    assert_error(user_api.post(f"{url}/cancel", {}, format="json"), 409, "order_not_cancellable")
    assert_error(seller_api.post(f"{url}/deliver"), 403, "not_the_buyer")
    assert_error(other_api.post(f"{url}/deliver"), 404, "not_found")
    delivered = user_api.post(f"{url}/deliver")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    assert_error(user_api.post(f"{url}/refund", {"reason": "x"}, format="json"), 403,
                 "not_allowed_to_refund")  # fmt: skip
    assert_error(other_api.post(f"{url}/refund", {"reason": "x"}, format="json"), 404, "not_found")
    assert_error(seller_api.post(f"{url}/refund", {}, format="json"), 400, "invalid")
    assert_error(
        seller_api.post(f"{url}/refund", {"reason": "r" * 501}, format="json"), 400, "invalid"
    )
    refunded = seller_api.post(f"{url}/refund", {"reason": "Broken"}, format="json")
    assert refunded.status_code == 200 and refunded.json()["refund_reason"] == "Broken"
    assert_error(seller_api.post(f"{url}/refund", {"reason": "x"}, format="json"), 409,
                 "order_not_refundable")  # fmt: skip


def test_the_buyer_cancels_over_http(
    user_api: APIClient, seller_api: APIClient, order_id: int, product: Product
) -> None:
    url = f"{ORDERS}{order_id}/cancel"
    assert_error(seller_api.post(url, {}, format="json"), 403, "not_the_buyer")
    assert_error(user_api.post(url, {"reason": ["x"]}, format="json"), 400, "invalid")
    response = user_api.post(url, {"reason": "Changed my mind"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Changed my mind"
    assert fresh(product).stock == 5


def test_the_order_list_costs_the_same_queries_whatever_its_size(
    user: User, user_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    def place(n: int) -> None:
        for i in range(n):
            product = ProductFactory()
            services.cart_item_add(user=user, product_id=product.pk, quantity=2)
            services.checkout(user=user, idempotency_key=f"k-{Order.objects.count()}-{i}")

    place(2)
    with django_assert_max_num_queries(6) as small:
        assert len(user_api.get(ORDERS).json()["results"]) == 2
    place(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(user_api.get(ORDERS).json()["results"]) == 8
    page = user_api.get(ORDERS, {"page_size": 5}).json()
    assert len(page["results"]) == 5 and page["next"]
    rest = user_api.get(page["next"]).json()
    assert len(rest["results"]) == 3 and rest["next"] is None
