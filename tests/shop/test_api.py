"""The shop's REST API: /api/v1/shop/products/ and /{id}/ (SPEC.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from community.models import User
from core.money import currency
from shop import rules, services
from shop.models import Product
from tests.clients import assert_error
from tests.factories import (
    ProductFactory,
    ProductImageFactory,
    ProductVariantFactory,
    ShopFactory,
    UserFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/shop/products/"


def jpeg(name: str = "tote.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(320, 240), content_type="image/jpeg")


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Linen tote",
        "description": "Undyed linen.",
        "price": 5900,
        "stock": 12,
        "commission_bps": 1000,
        "images": [jpeg(), jpeg("b.jpg")],
    }
    data.update(overrides)
    return data


def test_create_with_images(user_api: APIClient, user: User) -> None:
    response = user_api.post(URL, form(), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Linen tote" and body["price"] == 5900 and body["stock"] == 12
    assert body["currency"] == currency()
    # The product's url is its page (its sheet), as a note's is the note's page.
    assert body["url"] == f"http://testserver/shop/products/{body['id']}/"
    assert body["seller"]["username"] == user.username
    assert len(body["images"]) == 2 and body["images"][0]["url"].startswith("http")
    assert body["shop"]["is_open"] is True


def test_create_without_images_is_refused(user_api: APIClient) -> None:
    data = form()
    del data["images"]
    assert_error(user_api.post(URL, data, format="json"), 400, "images_required")
    assert_error(user_api.post(URL, data, format="multipart"), 400, "images_required")
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * (rules.TITLE_MAX_LENGTH + 1)),
        ("price", 0),
        ("price", rules.PRICE_MAX + 1),
        ("price", "cheap"),
        ("stock", -1),
        ("commission_bps", rules.COMMISSION_BPS_MAX + 1),
    ],
)
def test_create_bad_fields(user_api: APIClient, field: str, value: Any) -> None:
    error = assert_error(
        user_api.post(URL, form(**{field: value}), format="multipart"), 400, "invalid"
    )
    assert field in error["fields"]


def test_create_bad_image_and_too_many(user_api: APIClient) -> None:
    bad = SimpleUploadedFile("x.jpg", b"plain text", content_type="image/jpeg")
    assert_error(user_api.post(URL, form(images=[bad]), format="multipart"), 400, "not_an_image")
    many = [jpeg() for _ in range(rules.IMAGES_MAX + 1)]
    assert_error(user_api.post(URL, form(images=many), format="multipart"), 400, "too_many_images")


def test_anonymous_cannot_create(api: APIClient) -> None:
    assert_error(api.post(URL, form(), format="multipart"), 401, "unauthenticated")


def test_list_filters_and_visibility(api: APIClient, moderator: User) -> None:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    tote = ProductFactory(shop=ShopFactory(owner=alice), title="Linen tote")
    mug = ProductFactory(shop=ShopFactory(owner=alice), title="Glazed mug", description="Stoneware")
    scarf = ProductFactory(shop=ShopFactory(owner=bob), title="Silk scarf", description="Linen")
    ProductImageFactory(product=tote)

    def ids(client: APIClient, **params: str) -> list[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    assert ids(api) == [scarf.pk, mug.pk, tote.pk]
    assert ids(api, seller="alice") == [mug.pk, tote.pk]
    assert ids(api, q="linen") == [scarf.pk, tote.pk]
    assert ids(api, seller="alice", q="linen") == [tote.pk]
    assert_error(api.get(URL, {"seller": "nobody"}), 404, "not_found")

    services.product_hide(moderator=moderator, product=mug, reason="Counterfeit")
    services.shop_close(moderator=moderator, shop=scarf.shop, reason="Fraud")
    assert ids(api) == [tote.pk]
    alice_api = APIClient()
    alice_api.force_authenticate(alice)
    assert ids(alice_api) == [mug.pk, tote.pk]  # her own hidden product
    mod_api = APIClient()
    mod_api.force_authenticate(moderator)
    assert ids(mod_api) == [scarf.pk, mug.pk, tote.pk]
    assert_error(api.get(f"{URL}{mug.pk}/"), 404, "not_found")
    assert_error(api.get(f"{URL}{scarf.pk}/"), 404, "not_found")
    assert alice_api.get(f"{URL}{mug.pk}/").json()["is_hidden"] is True


def test_list_pages_with_a_cursor(api: APIClient) -> None:
    products = ProductFactory.create_batch(5)
    first = api.get(URL, {"page_size": 2}).json()
    assert [p["id"] for p in first["results"]] == [products[4].pk, products[3].pk]
    second = api.get(first["next"]).json()
    assert [p["id"] for p in second["results"]] == [products[2].pk, products[1].pk]
    assert_error(api.get(URL, {"cursor": "junk"}), 400, "invalid_cursor")


def test_detail(api: APIClient) -> None:
    product = ProductFactory()
    ProductImageFactory(product=product)
    ProductVariantFactory(product=product, name="M / Blue", stock=2)
    body = api.get(f"{URL}{product.pk}/").json()
    assert body["stock"] == product.stock and body["description"] == product.description
    assert body["variants"] == [{"id": product.variants.get().pk, "name": "M / Blue", "stock": 2}]
    assert len(body["images"]) == 1
    assert_error(api.get(f"{URL}999999/"), 404, "not_found")


def test_patch_by_its_seller(user_api: APIClient, user: User) -> None:
    product = ProductFactory(shop=ShopFactory(owner=user))
    response = user_api.patch(f"{URL}{product.pk}/", {"price": 4900}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["price"] == 4900
    assert fresh(product).price == 4900 and fresh(product).title == product.title
    error = assert_error(
        user_api.patch(f"{URL}{product.pk}/", {"stock": -1}, format="json"), 400, "invalid"
    )
    assert "stock" in error["fields"]


def test_patch_by_someone_else_is_forbidden(other_api: APIClient, user: User) -> None:
    product = ProductFactory(shop=ShopFactory(owner=user))
    assert_error(
        other_api.patch(f"{URL}{product.pk}/", {"price": 1}, format="json"), 403, "not_the_seller"
    )
    assert fresh(product).price == product.price


def test_patch_anonymous(api: APIClient) -> None:
    product = ProductFactory()
    assert_error(
        api.patch(f"{URL}{product.pk}/", {"price": 1}, format="json"), 401, "unauthenticated"
    )


def test_schema_lists_the_shop() -> None:
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/shop/products/"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/shop/products/{id}/"])


# --- query counts -----------------------------------------------------------------------


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_page_size(user_api: APIClient) -> None:
    for _ in range(12):
        product = ProductFactory(shop=ShopFactory(owner=UserFactory()))
        ProductImageFactory(product=product)
        ProductVariantFactory(product=product)
    _queries(user_api, URL)  # the member's permissions, cached on them from now on
    small = _queries(user_api, f"{URL}?page_size=2")
    large = _queries(user_api, f"{URL}?page_size=12")
    assert small == large <= 3  # the products, their images, their variants
