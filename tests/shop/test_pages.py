"""The shop's HTML pages (parts 1–2 of the shop's pages): browsing, a
seller's shop, the product sheet, the discover strip and menus, and the
seller's catalog (open a shop with a first product, edit with variants,
take off sale). Other-user cases, bad input, and query budgets that do not
grow with the page's size."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from community.models import User
from shop import services
from shop.models import Product, Shop
from tests.factories import (
    NoteFactory,
    NoteProductFactory,
    ProductFactory,
    ProductImageFactory,
    ProductVariantFactory,
    ShopFactory,
    UserFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def jpeg(name: str = "tote.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(320, 240), content_type="image/jpeg")


def listed(owner: User | None = None, **fields: Any) -> Product:
    shop = ShopFactory(owner=owner or UserFactory())
    product = ProductFactory(shop=shop, **fields)
    ProductImageFactory(product=product)
    return product


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


# --- browsing ---------------------------------------------------------------------------


def test_browse_lists_products_and_not_hidden_ones(client: Client) -> None:
    shown = listed(title="Linen tote", price=5990)
    hidden = listed(title="Secret tote", is_hidden=True)
    closed = listed(title="Closed tote")
    Shop.objects.filter(pk=closed.shop_id).update(is_open=False)
    html = client.get("/shop/").content.decode()
    assert "Linen tote" in html and shown.get_absolute_url() in html
    assert "59.90" in html  # minor units printed in major units
    assert hidden.title not in html and closed.title not in html


def test_browse_search_and_empty_states(client: Client) -> None:
    listed(title="Linen tote")
    assert "Linen tote" in client.get("/shop/", {"q": "linen"}).content.decode()
    html = client.get("/shop/", {"q": "zzz"}).content.decode()
    assert "No product matches" in html
    Product.objects.all().delete()
    assert "Open a shop" in client.get("/shop/").content.decode()
    # Bad input never breaks the page.
    assert client.get("/shop/", {"q": "x" * 5000}).status_code == 200
    assert client.get("/shop/", {"cursor": "junk"}).status_code == 400


def test_browse_pages_with_htmx_and_costs_the_same(client: Client, user_client: Client) -> None:
    for _ in range(6):
        product = listed()
        ProductVariantFactory(product=product)
    with override_settings(SPROUT_PAGE_SIZE=2):
        small = queries(user_client, "/shop/")
        first = user_client.get("/shop/").content.decode()
        assert "hx-get" in first
    with override_settings(SPROUT_PAGE_SIZE=6):
        large = queries(user_client, "/shop/")
    assert small == large
    with override_settings(SPROUT_PAGE_SIZE=2):
        page = client.get("/shop/").context["next_cursor"]
        more = client.get("/shop/", {"cursor": page}, headers={"HX-Request": "true"})
    assert b"<html" not in more.content and b"pcard" in more.content


def test_shop_page(client: Client, user: User, user_client: Client) -> None:
    product = listed(owner=user, title="Linen tote")
    response = client.get(f"/shop/u/{user.username}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Linen tote" in html and "Add a product" not in html
    assert "Add a product" in user_client.get(f"/shop/u/{user.username}/").content.decode()
    assert client.get("/shop/u/nobody-here/").status_code == 404
    Shop.objects.filter(pk=product.shop_id).update(is_open=False)
    assert client.get(f"/shop/u/{user.username}/").status_code == 404
    assert user_client.get(f"/shop/u/{user.username}/").status_code == 200


def test_shop_page_queries_do_not_grow(client: Client, user: User) -> None:
    for _ in range(6):
        ProductVariantFactory(product=listed(owner=user))
    with override_settings(SPROUT_PAGE_SIZE=2):
        small = queries(client, f"/shop/u/{user.username}/")
    with override_settings(SPROUT_PAGE_SIZE=6):
        large = queries(client, f"/shop/u/{user.username}/")
    assert small == large


# --- the product sheet -------------------------------------------------------------------


def test_product_sheet(user_client: Client, other_user: User) -> None:
    product = listed(owner=other_user, title="Linen shirt", price=12900, stock=3)
    ProductImageFactory(product=product)
    ProductVariantFactory(product=product, name="S", stock=0)
    ProductVariantFactory(product=product, name="M", stock=3)
    response = user_client.get(product.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Linen shirt" in html and "129.00" in html
    assert "1 / 2" in html  # the carousel
    assert other_user.username in html and "Edit product" not in html


def test_product_sheet_for_its_seller_and_visitors(client: Client, user: User) -> None:
    product = listed(owner=user, stock=0)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "Sold out" in html and "Log in to buy" in html
    seller = Client()
    seller.force_login(user)
    assert "Edit product" in seller.get(product.get_absolute_url()).content.decode()


def test_product_sheet_shows_the_notes_that_tag_it(client: Client) -> None:
    product = listed()
    note = NoteFactory(title="My everyday bag")
    NoteProductFactory(note=note, product=product)
    draft = NoteFactory(title="Unpublished bag", status="draft")
    NoteProductFactory(note=draft, product=product)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "In notes" in html and "My everyday bag" in html and "Unpublished bag" not in html


def test_hidden_product_is_not_found_for_others(client: Client, user: User) -> None:
    product = listed(owner=user, is_hidden=True)
    assert client.get(product.get_absolute_url()).status_code == 404
    assert client.get("/shop/products/99999999/").status_code == 404
    seller = Client()
    seller.force_login(user)
    assert seller.get(product.get_absolute_url()).status_code == 200


# --- discover and menus ------------------------------------------------------------------


def test_discover_has_the_shop_strip(client: Client) -> None:
    html = client.get("/").content.decode()
    assert "New in the shop" not in html  # nothing to show: no band at all
    product = listed(title="Linen tote")
    listed(title="Gone tote", stock=0)
    html = client.get("/").content.decode()
    assert "New in the shop" in html and product.get_absolute_url() in html
    assert "Gone tote" not in html and "css/shop.css" in html


def test_menus_link_the_shop(user_client: Client) -> None:
    html = user_client.get("/").content.decode()
    assert 'href="/shop/"' in html and 'href="/shop/mine"' in html and "My shop" in html
    assert user_client.get("/shop/mine")["Location"] == "/shop/sell/"


# --- the seller's catalog ------------------------------------------------------------------


def test_seller_pages_need_a_member(client: Client) -> None:
    for url in ("/shop/sell/", "/shop/sell/new", "/shop/mine"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_seller_products_before_and_after_the_first(user_client: Client, user: User) -> None:
    html = user_client.get("/shop/sell/").content.decode()
    assert "Open your shop" in html
    listed(owner=user, title="Visible tote", stock=4)
    listed(owner=user, title="Hidden tote", is_hidden=True)
    Product.objects.filter(title="Hidden tote").update(hidden_by=user)
    html = user_client.get("/shop/sell/").content.decode()
    assert "Visible tote" in html and "4 in stock" in html
    assert "Hidden tote" in html and "Off sale" in html and "Put on sale" in html


def test_seller_products_queries_do_not_grow(user_client: Client, user: User) -> None:
    for _ in range(6):
        ProductVariantFactory(product=listed(owner=user))
    with override_settings(SPROUT_PAGE_SIZE=2):
        small = queries(user_client, "/shop/sell/")
    with override_settings(SPROUT_PAGE_SIZE=6):
        large = queries(user_client, "/shop/sell/")
    assert small == large


def product_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Linen shirt",
        "description": "Washed linen.",
        "price": "129.90",
        "stock": "7",
        "commission": "12.5",
        "open_to_affiliates": "on",
        "images": [jpeg(), jpeg("b.jpg")],
        "variant_id": [""],
        "variant_name": [""],
        "variant_stock": [""],
    }
    data.update(overrides)
    return data


def test_open_a_shop_with_a_first_product(user_client: Client, user: User) -> None:
    assert "Open your shop" in user_client.get("/shop/sell/new").content.decode()
    response = user_client.post("/shop/sell/new", product_post())
    product = Product.objects.get()
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url()
    assert product.shop.owner == user and product.price == 12990 and product.stock == 7
    assert product.commission_bps == 1250 and product.open_to_affiliates
    assert product.images.count() == 2
    assert "Your shop is open" in user_client.get(response["Location"]).content.decode()


def test_new_product_with_variants(user_client: Client) -> None:
    response = user_client.post(
        "/shop/sell/new",
        product_post(
            stock="",
            variant_id=["", "", ""],
            variant_name=["S", "M", ""],
            variant_stock=["2", "3", ""],
        ),
    )
    assert response.status_code == 302
    product = Product.objects.get()
    assert [(v.name, v.stock) for v in product.variants.all()] == [("S", 2), ("M", 3)]
    assert product.stock == 5


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"price": "abc"}, "price", "number"),
        ({"price": "0"}, "price", "From"),
        ({"price": "99999999999"}, "price", ""),
        ({"price": "1.234"}, "price", "decimal"),
        ({"title": ""}, "title", "required"),
        ({"title": "x" * 81}, "title", "80"),
        ({"stock": ""}, "stock", "How many"),
        ({"stock": "-3"}, "stock", ""),
        ({"commission": "101"}, "commission", ""),
        ({"images": []}, "images", "at least"),
    ],
)
def test_new_product_errors_next_to_fields(
    user_client: Client, overrides: dict[str, Any], field: str, text: str
) -> None:
    response = user_client.post("/shop/sell/new", product_post(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert text in " ".join(errors[field])
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("names", "stocks"),
    [
        (["S", "S"], ["1", "2"]),
        (["", "M"], ["1", "2"]),
        (["S"], ["lots"]),
        (["S"], ["-1"]),
        (["S"], ["²"]),
        (["x" * 41], ["1"]),
    ],
)
def test_new_product_bad_variants(user_client: Client, names: list[str], stocks: list[str]) -> None:
    response = user_client.post(
        "/shop/sell/new",
        product_post(variant_id=[""] * len(names), variant_name=names, variant_stock=stocks),
    )
    assert response.status_code == 400
    assert response.context["form"].variant_errors
    assert not Product.objects.exists()


def test_new_product_answers_the_script_in_json(user_client: Client) -> None:
    response = user_client.post("/shop/sell/new", product_post(), headers=JSON)
    assert response.status_code == 201
    assert response.json()["url"] == Product.objects.get().get_absolute_url()
    bad = user_client.post("/shop/sell/new", product_post(price="x", images=[]), headers=JSON)
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert "price" in fields and "images" in fields
    not_an_image = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    refused = user_client.post("/shop/sell/new", product_post(images=[not_an_image]), headers=JSON)
    assert refused.status_code == 400 and "images" in refused.json()["error"]["fields"]
    assert Product.objects.count() == 1


def test_a_closed_shop_cannot_list(user_client: Client, user: User) -> None:
    ShopFactory(owner=user, is_open=False)
    response = user_client.post("/shop/sell/new", product_post())
    assert response.status_code == 400 and "closed" in response.content.decode()
    assert not Product.objects.exists()


def test_edit_product(user_client: Client, user: User) -> None:
    product = listed(owner=user, price=5000, stock=2, commission_bps=1000)
    html = user_client.get(f"/shop/products/{product.pk}/edit").content.decode()
    assert 'value="50.00"' in html and 'value="10"' in html
    response = user_client.post(
        f"/shop/products/{product.pk}/edit",
        {
            "title": "Renamed tote",
            "price": "45.5",
            "stock": "9",
            "commission": "0",
            "variant_id": [""],
            "variant_name": [""],
            "variant_stock": [""],
        },
    )
    assert response.status_code == 302
    stored = fresh(product)
    assert (stored.title, stored.price, stored.stock, stored.commission_bps) == (
        "Renamed tote",
        4550,
        9,
        0,
    )
    assert not stored.open_to_affiliates


def test_edit_variants_add_rename_remove(user_client: Client, user: User) -> None:
    product = listed(owner=user, stock=3)
    small = ProductVariantFactory(product=product, name="S", stock=1)
    medium = ProductVariantFactory(product=product, name="M", stock=2)
    html = user_client.get(f"/shop/products/{product.pk}/edit").content.decode()
    assert f'value="{small.pk}"' in html and 'value="M"' in html
    response = user_client.post(
        f"/shop/products/{product.pk}/edit",
        {
            "title": product.title,
            "price": "10",
            "stock": "",
            "variant_id": [str(medium.pk), ""],
            "variant_name": ["Medium", "L"],
            "variant_stock": ["4", "1"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted((v.name, v.stock) for v in product.variants.all()) == [("L", 1), ("Medium", 4)]
    assert fresh(product).stock == 5


def test_edit_someone_elses_product_is_not_found(other_client: Client, user: User) -> None:
    product = listed(owner=user, title="Mine")
    assert other_client.get(f"/shop/products/{product.pk}/edit").status_code == 404
    response = other_client.post(
        f"/shop/products/{product.pk}/edit", {"title": "Stolen", "price": "1", "stock": "1"}
    )
    assert response.status_code == 404
    assert fresh(product).title == "Mine"
    assert other_client.get("/shop/products/99999999/edit").status_code == 404


def test_take_off_sale_and_back(user_client: Client, user: User, client: Client) -> None:
    product = listed(owner=user)
    response = user_client.post(f"/shop/products/{product.pk}/visibility", {"hidden": "1"})
    assert response.status_code == 302
    assert fresh(product).is_hidden and fresh(product).hidden_by == user
    assert client.get(product.get_absolute_url()).status_code == 404
    user_client.post(f"/shop/products/{product.pk}/visibility", {"hidden": "0"})
    assert not fresh(product).is_hidden
    assert client.get(product.get_absolute_url()).status_code == 200
    assert user_client.get(f"/shop/products/{product.pk}/visibility").status_code == 405


def test_visibility_of_someone_elses_product(other_client: Client, user: User) -> None:
    product = listed(owner=user)
    response = other_client.post(f"/shop/products/{product.pk}/visibility", {"hidden": "1"})
    assert response.status_code == 403
    assert not fresh(product).is_hidden
    hidden = listed(owner=user, is_hidden=True)
    assert (
        other_client.post(f"/shop/products/{hidden.pk}/visibility", {"hidden": "0"}).status_code
        == 404
    )


def test_a_product_moderators_hid_stays_hidden(
    user_client: Client, user: User, moderator: User
) -> None:
    product = listed(owner=user)
    services.product_set_hidden(actor=user, product=product, hidden=True)
    # A moderator takes over a seller's own hiding: the seller cannot undo it.
    assert services.product_hide(moderator=moderator, product=fresh(product), reason="Fake")
    response = user_client.post(f"/shop/products/{product.pk}/visibility", {"hidden": "0"})
    assert response.status_code == 403
    assert fresh(product).is_hidden and fresh(product).hidden_by == moderator
    html = user_client.get("/shop/sell/").content.decode()
    assert "Hidden by moderators" in html and "Put on sale" not in html
