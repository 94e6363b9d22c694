"""The shop's buying pages on the orders services: add to cart and buy now
from the product sheet, the cart (grouped by shop), checkout (shipping
prefilled from the last order, idempotent), the buyer's orders and the
seller's orders to ship, and each transition from its page. Other-user
cases (another member's order, cart line), bad input, query budgets."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from community.models import User
from shop import services
from shop.models import CartItem, Order, Product
from tests.clients import logged_in
from tests.factories import (
    NoteFactory,
    ProductFactory,
    ProductImageFactory,
    ProductVariantFactory,
    ShopFactory,
    UserFactory,
    fresh,
)
from wallet.reconcile import reconcile

pytestmark = pytest.mark.django_db

SHIPPING = {"name": "Tote Lover", "phone": "+86 138 0000 0000", "address": "12 Linen Lane"}


@pytest.fixture
def seller() -> User:
    return UserFactory()


@pytest.fixture
def product(seller: User) -> Product:
    product = ProductFactory(shop=ShopFactory(owner=seller), price=5990, stock=5)
    ProductImageFactory(product=product)
    return product


def buy(buyer: User, product: Product, quantity: int = 1, **shipping: str) -> Order:
    item = services.cart_item_add(user=buyer, product_id=product.pk, quantity=quantity)
    out = services.checkout(
        user=buyer,
        idempotency_key=f"t-{item.pk}",
        items=[item.pk],
        shipping={**SHIPPING, **shipping},
    )
    return Order.objects.get(pk=out["id"])


def key_of(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "no idempotency key in the form"
    return found.group(1)


# --- the product sheet's buttons ----------------------------------------------------------


def test_product_sheet_offers_to_buy(user_client: Client, product: Product) -> None:
    ProductVariantFactory(product=product, name="S", stock=0)
    ProductVariantFactory(product=product, name="M", stock=5)
    html = user_client.get(f"{product.get_absolute_url()}?note=12").content.decode()
    assert "Add to cart" in html and 'name="buy_now" value="1"' in html
    assert 'name="variant"' in html and "sold out" in html  # S
    assert 'name="source_note" value="12"' in html


def test_add_to_cart_with_its_source(user_client: Client, user: User, product: Product) -> None:
    note = NoteFactory()
    response = user_client.post(
        "/shop/cart/add",
        {"product": product.pk, "quantity": "2", "source_note": note.pk},
        headers={"Referer": f"http://testserver{product.get_absolute_url()}"},
    )
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url()
    item = CartItem.objects.get(user=user)
    assert (item.quantity, item.source_note_id) == (2, note.pk)


def test_buy_now_goes_to_that_lines_checkout(
    user_client: Client, user: User, product: Product
) -> None:
    other = ProductFactory(shop=product.shop)
    services.cart_item_add(user=user, product_id=other.pk)
    response = user_client.post(
        "/shop/cart/add", {"product": product.pk, "quantity": "1", "buy_now": "1"}
    )
    item = CartItem.objects.get(user=user, product=product)
    assert response["Location"] == f"/shop/checkout/{product.shop_id}/?items={item.pk}"
    html = user_client.get(response["Location"]).content.decode()
    assert product.title in html and other.title not in html


@pytest.mark.parametrize(
    "data",
    [
        {"product": "x"},
        {"product": "1", "quantity": "0"},
        {"product": "1", "quantity": "100"},
        {"product": "1", "quantity": "1", "variant": "-4"},
        {},
    ],
)
def test_add_to_cart_bad_input(user_client: Client, data: dict[str, str]) -> None:
    response = user_client.post("/shop/cart/add", data)
    assert response.status_code == 302
    assert not CartItem.objects.exists()


def test_add_to_cart_refusals_are_messages(
    user_client: Client, user: User, product: Product
) -> None:
    ProductVariantFactory(product=product, name="M", stock=5)
    response = user_client.post(
        "/shop/cart/add", {"product": product.pk, "quantity": "1"}, follow=True
    )
    assert "Choose a size or colour first." in response.content.decode()
    own = ProductFactory(shop=ShopFactory(owner=user))
    response = user_client.post("/shop/cart/add", {"product": own.pk, "quantity": "1"}, follow=True)
    assert "your own shop" in response.content.decode()
    assert (
        user_client.post("/shop/cart/add", {"product": 99999999, "quantity": "1"}).status_code
        == 404
    )
    assert not CartItem.objects.exists()


def test_cart_needs_a_member(client: Client) -> None:
    for url in ("/shop/cart", "/shop/orders/", "/shop/sales/", "/shop/checkout/1/"):
        assert client.get(url).status_code == 302
    assert client.post("/shop/cart/add", {"product": 1, "quantity": 1}).status_code == 302


# --- the cart ---------------------------------------------------------------------------


def test_cart_grouped_by_shop(user_client: Client, user: User, product: Product) -> None:
    assert "Your cart is empty" in user_client.get("/shop/cart").content.decode()
    other_shop = ProductFactory(title="Wool scarf", price=1000)
    services.cart_item_add(user=user, product_id=product.pk, quantity=2)
    services.cart_item_add(user=user, product_id=other_shop.pk)
    html = user_client.get("/shop/cart").content.decode()
    assert html.count('class="cart-shop card-panel"') == 2
    assert "119.80" in html and "10.00" in html  # 2 × 59.90, per shop
    assert f"/shop/checkout/{product.shop_id}/" in html


def test_cart_change_and_remove(user_client: Client, user: User, product: Product) -> None:
    item = services.cart_item_add(user=user, product_id=product.pk)
    user_client.post(f"/shop/cart/items/{item.pk}/quantity", {"quantity": "3"})
    assert fresh(item).quantity == 3
    response = user_client.post(f"/shop/cart/items/{item.pk}/quantity", {"quantity": "abc"})
    assert response.status_code == 302 and fresh(item).quantity == 3
    user_client.post(f"/shop/cart/items/{item.pk}/remove")
    assert not CartItem.objects.exists()


def test_another_members_cart_line(other_client: Client, user: User, product: Product) -> None:
    item = services.cart_item_add(user=user, product_id=product.pk)
    assert other_client.post(f"/shop/cart/items/{item.pk}/remove").status_code == 404
    response = other_client.post(f"/shop/cart/items/{item.pk}/quantity", {"quantity": "9"})
    assert response.status_code == 404
    assert fresh(item).quantity == 1


def test_cart_queries_do_not_grow(user_client: Client, user: User) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert user_client.get("/shop/cart").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        product = ProductFactory()
        ProductImageFactory(product=product)
        services.cart_item_add(user=user, product_id=product.pk)
    small = queries()
    for _ in range(6):
        product = ProductFactory()
        ProductImageFactory(product=product)
        services.cart_item_add(user=user, product_id=product.pk)
    assert queries() == small


# --- checkout ------------------------------------------------------------------------------


def test_checkout_places_a_paid_order(user_client: Client, user: User, product: Product) -> None:
    item = services.cart_item_add(user=user, product_id=product.pk, quantity=2)
    page = user_client.get(f"/shop/checkout/{product.shop_id}/").content.decode()
    assert "Pay $119.80" in page or "119.80" in page
    data = {**SHIPPING, "idempotency_key": key_of(page), "items": str(item.pk)}
    response = user_client.post(f"/shop/checkout/{product.shop_id}/", data)
    order = Order.objects.get(buyer=user)
    assert response.status_code == 302 and response["Location"] == f"/shop/orders/{order.pk}/"
    assert (order.status, order.total, order.ship_name) == ("paid", 11980, "Tote Lover")
    assert not CartItem.objects.exists() and fresh(product).stock == 3
    assert reconcile().ok
    # The same form again (a double tap): the same order, once, whatever the cart holds now.
    again = user_client.post(f"/shop/checkout/{product.shop_id}/", data)
    assert again["Location"] == f"/shop/orders/{order.pk}/"
    services.cart_item_add(user=user, product_id=product.pk)
    again = user_client.post(f"/shop/checkout/{product.shop_id}/", data)
    assert again["Location"] == f"/shop/orders/{order.pk}/"
    assert Order.objects.filter(buyer=user).count() == 1


def test_checkout_prefills_the_last_address(
    user: User, user_client: Client, product: Product
) -> None:
    buy(user, product, address="7 Old Road")
    services.cart_item_add(user=user, product_id=product.pk)
    html = user_client.get(f"/shop/checkout/{product.shop_id}/").content.decode()
    assert "7 Old Road" in html and 'value="Tote Lover"' in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("phone", "call me"),
        ("address", ""),
        ("address", "x" * 301),
        ("name", "x" * 101),
    ],
)
def test_checkout_errors_next_to_fields(
    user_client: Client, user: User, product: Product, field: str, value: str
) -> None:
    services.cart_item_add(user=user, product_id=product.pk)
    page = user_client.get(f"/shop/checkout/{product.shop_id}/").content.decode()
    response = user_client.post(
        f"/shop/checkout/{product.shop_id}/",
        {**SHIPPING, field: value, "idempotency_key": key_of(page)},
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not Order.objects.exists()


def test_checkout_insufficient_stock_is_said(
    user_client: Client, user: User, product: Product
) -> None:
    services.cart_item_add(user=user, product_id=product.pk, quantity=5)
    Product.objects.filter(pk=product.pk).update(stock=2)
    page = user_client.get(f"/shop/checkout/{product.shop_id}/").content.decode()
    response = user_client.post(
        f"/shop/checkout/{product.shop_id}/", {**SHIPPING, "idempotency_key": key_of(page)}
    )
    assert response.status_code == 409
    assert "left in stock" in response.content.decode()
    assert not Order.objects.exists() and CartItem.objects.count() == 1


def test_checkout_bad_key_and_empty(user_client: Client, user: User, product: Product) -> None:
    assert user_client.get(f"/shop/checkout/{product.shop_id}/")["Location"] == "/shop/cart"
    services.cart_item_add(user=user, product_id=product.pk)
    response = user_client.post(
        f"/shop/checkout/{product.shop_id}/", {**SHIPPING, "idempotency_key": "bad key!"}
    )
    assert response.status_code == 400 and not Order.objects.exists()
    assert user_client.get(f"/shop/checkout/{product.shop_id}/?items=abc").status_code == 200
    assert user_client.get(f"/shop/checkout/{product.shop_id}/?items=²,9").status_code == 200
    assert user_client.get(f"{product.get_absolute_url()}?note=²&session=9").status_code == 200
    assert user_client.get("/shop/checkout/99999999/")["Location"] == "/shop/cart"


# --- orders --------------------------------------------------------------------------------


def test_buyer_orders_and_detail(user_client: Client, user: User, product: Product) -> None:
    assert "No orders here" in user_client.get("/shop/orders/").content.decode()
    order = buy(user, product)
    html = user_client.get("/shop/orders/").content.decode()
    assert f"Order #{order.pk}" in html and product.title in html and "Paid" in html
    assert "No orders here" in user_client.get("/shop/orders/?status=shipped").content.decode()
    assert user_client.get("/shop/orders/?status=nonsense").status_code == 200
    detail = user_client.get(f"/shop/orders/{order.pk}/").content.decode()
    assert "Cancel the order" in detail and "Mark as shipped" not in detail
    assert "Platform fee" not in detail  # the seller's money is not the buyer's business


def test_another_members_order_is_not_found(
    other_client: Client, user: User, product: Product
) -> None:
    order = buy(user, product)
    assert other_client.get(f"/shop/orders/{order.pk}/").status_code == 404
    for action in ("cancel", "deliver", "ship", "refund"):
        response = other_client.post(
            f"/shop/orders/{order.pk}/{action}", {"tracking": "X", "reason": "mine"}
        )
        assert response.status_code == 404, action
    assert fresh(order).status == "paid"
    assert other_client.get("/shop/orders/99999999/").status_code == 404


def test_buyer_cancels_before_shipping(user_client: Client, user: User, product: Product) -> None:
    order = buy(user, product)
    response = user_client.post(f"/shop/orders/{order.pk}/cancel", {"reason": "Too slow"})
    assert response.status_code == 302
    stored = fresh(order)
    assert stored.status == "cancelled" and fresh(product).stock == 5
    # Again: refused politely, on the page.
    again = user_client.post(f"/shop/orders/{order.pk}/cancel", follow=True)
    assert again.status_code == 200 and "cancel" in again.content.decode().lower()
    assert reconcile().ok


def test_seller_ships_and_buyer_confirms(
    user: User, user_client: Client, seller: User, product: Product
) -> None:
    order = buy(user, product)
    seller_client = logged_in(seller)
    html = seller_client.get("/shop/sales/").content.decode()
    assert f"tracking-{order.pk}" in html and "Tote Lover" in html
    # The buyer cannot ship; the seller cannot confirm delivery.
    assert user_client.post(f"/shop/orders/{order.pk}/ship", {"tracking": "X"}).status_code == 403
    empty = seller_client.post(f"/shop/orders/{order.pk}/ship", {"tracking": "", "from": "list"})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    too_long = seller_client.post(f"/shop/orders/{order.pk}/ship", {"tracking": "x" * 101})
    assert too_long.status_code == 400 and "tracking" in too_long.context["ship_form"].errors
    response = seller_client.post(
        f"/shop/orders/{order.pk}/ship", {"tracking": "SF123", "next": "/shop/sales/"}
    )
    assert response["Location"] == "/shop/sales/"
    assert (fresh(order).status, fresh(order).tracking) == ("shipped", "SF123")
    assert seller_client.post(f"/shop/orders/{order.pk}/deliver").status_code == 403
    assert "SF123" in user_client.get(f"/shop/orders/{order.pk}/").content.decode()
    user_client.post(f"/shop/orders/{order.pk}/deliver")
    assert fresh(order).status == "delivered"
    assert reconcile().ok


def test_seller_refunds_with_a_reason(seller: User, user: User, product: Product) -> None:
    order = buy(user, product)
    seller_client = logged_in(seller)
    detail = seller_client.get(f"/shop/orders/{order.pk}/").content.decode()
    assert "Refund this order" in detail and "Platform fee" in detail and "You receive" in detail
    response = seller_client.post(f"/shop/orders/{order.pk}/refund", {"reason": "  "})
    assert response.status_code == 400 and "reason" in response.context["refund_form"].errors
    assert fresh(order).status == "paid"
    seller_client.post(f"/shop/orders/{order.pk}/refund", {"reason": "Out of stock after all"})
    stored = fresh(order)
    assert (stored.status, stored.refund_reason) == ("refunded", "Out of stock after all")
    buyer_view = logged_in(user).get(f"/shop/orders/{order.pk}/").content.decode()
    assert "Out of stock after all" in buyer_view
    assert reconcile().ok


def test_buyer_cannot_refund(user_client: Client, user: User, product: Product) -> None:
    order = buy(user, product)
    response = user_client.post(f"/shop/orders/{order.pk}/refund", {"reason": "please"})
    assert response.status_code == 403 and fresh(order).status == "paid"


def test_transitions_are_post_only(user_client: Client, user: User, product: Product) -> None:
    order = buy(user, product)
    for action in ("cancel", "deliver", "ship", "refund"):
        assert user_client.get(f"/shop/orders/{order.pk}/{action}").status_code == 405


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/shop/orders/?status=", "/shop/sales/?status=all"])
def test_order_lists_queries_do_not_grow(url: str, seller: User) -> None:
    buyer = UserFactory()
    products = [ProductFactory(shop=ShopFactory(owner=seller), stock=50) for _ in range(3)]
    for index in range(7):
        buy(buyer, products[index % 3])
    client = logged_in(seller if "sales" in url else buyer)
    with override_settings(SPROUT_PAGE_SIZE=2):
        small = _queries(client, url)
        more = client.get(url).context["next_cursor"]
        assert more
        page = client.get(f"{url}&cursor={more}", headers={"HX-Request": "true"})
        assert b"<html" not in page.content and b"order-card" in page.content
    with override_settings(SPROUT_PAGE_SIZE=7):
        assert _queries(client, url) == small
