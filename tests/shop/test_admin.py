"""The shop's admin: moderators hide / restore products and close / reopen
shops through the services, giving a reason on an intermediate page."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from community.models import User
from shop.models import Order
from tests.admin_pages import AdminPages, listed, offered_actions, page_messages
from tests.clients import logged_in
from tests.factories import ProductFactory, ProductImageFactory, ShopFactory, fresh

pytestmark = pytest.mark.django_db

pages = AdminPages("shop")


def test_moderators_see_the_catalog_and_its_actions(moderator_client: Client) -> None:
    product = ProductFactory()
    ProductImageFactory(product=product)
    page = moderator_client.get(pages.changelist("product"))
    assert page.status_code == 200 and listed(page) == [product]
    assert {"hide_products", "restore_products"} <= set(offered_actions(page))
    assert moderator_client.get(pages.change("product", product)).status_code == 200
    page = moderator_client.get(pages.changelist("shop"))
    assert {"close_shops", "reopen_shops"} <= set(offered_actions(page))
    assert moderator_client.get(pages.change("shop", product.shop)).status_code == 200


def test_hide_asks_for_a_reason_then_hides(moderator_client: Client, moderator: User) -> None:
    product = ProductFactory()
    page = pages.run_action(moderator_client, "product", "hide_products", [product])
    assert page.templates[0].name == "admin/ask_reason.html"
    assert not fresh(product).is_hidden
    page = pages.run_action(
        moderator_client, "product", "hide_products", [product], apply="yes", reason=" "
    )
    assert page.templates[0].name == "admin/ask_reason.html"
    page = pages.run_action(
        moderator_client, "product", "hide_products", [product], apply="yes", reason="Fake"
    )
    assert "1 product hidden." in page_messages(page)
    stored = fresh(product)
    assert stored.is_hidden and stored.hidden_reason == "Fake" and stored.hidden_by == moderator
    assert LogEntry.objects.filter(object_id=str(product.pk)).exists()
    page = pages.run_action(moderator_client, "product", "restore_products", [product])
    assert "1 product restored." in page_messages(page)
    assert not fresh(product).is_hidden


def test_close_and_reopen_a_shop(moderator_client: Client) -> None:
    shop = ShopFactory()
    page = pages.run_action(
        moderator_client, "shop", "close_shops", [shop], apply="yes", reason="Fraud"
    )
    assert "1 shop closed." in page_messages(page)
    assert not fresh(shop).is_open and fresh(shop).close_reason == "Fraud"
    page = pages.run_action(moderator_client, "shop", "reopen_shops", [shop])
    assert "1 shop reopened." in page_messages(page)
    assert fresh(shop).is_open


def test_staff_without_the_permission_get_no_actions(db: None) -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_product"))
    client = logged_in(staff)
    page = client.get(pages.changelist("product"))
    assert page.status_code == 200
    assert not {"hide_products", "restore_products"} & set(offered_actions(page))


# --- orders -------------------------------------------------------------------------------


def _paid_order(buyer: User | None = None, *, seller: str = "") -> Order:
    from shop import services
    from tests.factories import UserFactory

    buyer = buyer or UserFactory()
    shop = ShopFactory(owner=UserFactory(username=seller), name=seller) if seller else None
    product = ProductFactory(price=800, **({"shop": shop} if shop else {}))
    services.cart_item_add(user=buyer, product_id=product.pk)
    return Order.objects.get(pk=services.checkout(user=buyer, idempotency_key="k")["id"])


def test_moderators_see_orders_filter_and_search_them(moderator_client: Client) -> None:
    from tests.factories import UserFactory

    order = _paid_order(UserFactory(username="alice"), seller="linenhouse")
    other = _paid_order(UserFactory(username="bob"), seller="potterystudio")
    page = moderator_client.get(pages.changelist("order"))
    assert page.status_code == 200 and set(listed(page)) == {order, other}
    assert "refund_orders" in offered_actions(page)
    assert listed(moderator_client.get(pages.changelist("order"), {"q": str(order.pk)})) == [order]
    by_buyer = moderator_client.get(pages.changelist("order"), {"q": order.buyer.username})
    assert listed(by_buyer) == [order]
    by_shop = moderator_client.get(pages.changelist("order"), {"q": other.shop.name})
    assert listed(by_shop) == [other]
    assert listed(moderator_client.get(pages.changelist("order"), {"status": "shipped"})) == []
    assert moderator_client.get(pages.change("order", order)).status_code == 200


def test_the_order_list_costs_the_same_queries_whatever_its_size(
    moderator_client: Client,
) -> None:
    _paid_order()
    small = pages.changelist_queries(moderator_client, "order")
    for _ in range(5):
        _paid_order()
    assert pages.changelist_queries(moderator_client, "order") == small


def test_a_refund_asks_for_a_reason_then_reverses_the_order(
    moderator_client: Client, moderator: User
) -> None:
    from wallet.reconcile import reconcile

    order = _paid_order()
    page = pages.run_action(moderator_client, "order", "refund_orders", [order])
    assert page.templates[0].name == "admin/ask_reason.html"
    assert fresh(order).status == "paid"
    page = pages.run_action(
        moderator_client, "order", "refund_orders", [order], apply="yes", reason="Chargeback"
    )
    assert "1 order refunded." in page_messages(page)
    refunded = fresh(order)
    assert refunded.status == "refunded" and refunded.refund_reason == "Chargeback"
    assert LogEntry.objects.filter(object_id=str(order.pk)).exists()
    assert reconcile().ok
    # Once more: the service's refusal is shown, nothing changes.
    page = pages.run_action(
        moderator_client, "order", "refund_orders", [order], apply="yes", reason="Again"
    )
    assert any("Only a paid" in message for message in page_messages(page))


def test_moderators_change_no_order_by_hand(moderator: User) -> None:
    assert moderator.has_perm("shop.refund_order") and moderator.has_perm("shop.view_order")
    for codename in ("change_order", "delete_order", "add_order", "change_orderline"):
        assert not moderator.has_perm(f"shop.{codename}")


def test_members_without_the_permission_get_no_refund_action() -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_order"))
    page = logged_in(staff).get(pages.changelist("order"))
    assert page.status_code == 200 and "refund_orders" not in offered_actions(page)
