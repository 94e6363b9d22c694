"""The shop's admin: moderators hide / restore products and close / reopen
shops through the services, giving a reason on an intermediate page."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from community.models import User
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
    assert page.templates[0].name == "admin/shop/with_reason.html"
    assert not fresh(product).is_hidden
    page = pages.run_action(
        moderator_client, "product", "hide_products", [product], apply="yes", reason=" "
    )
    assert page.templates[0].name == "admin/shop/with_reason.html"
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
