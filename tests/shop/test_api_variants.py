"""Variants through the API: POST (multipart, one JSON field) and PATCH
(`variants` replaces the list), and the rule that a product with variants
sells by variant stock (its `stock` is their sum)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from community.models import User
from shop import rules
from shop.models import Product, ProductVariant
from tests.clients import assert_error
from tests.factories import (
    OrderLineFactory,
    ProductFactory,
    ProductVariantFactory,
    ShopFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/shop/products/"


def jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile("tote.jpg", jpeg_bytes(320, 240), content_type="image/jpeg")


def create_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Linen shirt",
        "price": 12900,
        "stock": 99,
        "images": [jpeg()],
    }
    data.update(overrides)
    return data


def test_create_with_variants_in_multipart(user_api: APIClient) -> None:
    variants = json.dumps([{"name": "S", "stock": 2}, {"name": "M", "stock": 5}])
    response = user_api.post(URL, create_form(variants=variants), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(v["name"], v["stock"]) for v in body["variants"]] == [("S", 2), ("M", 5)]
    assert body["stock"] == 7  # the sum; the 99 sent is ignored


def test_create_with_variants_in_json_is_a_list(user_api: APIClient) -> None:
    # JSON has no files: images_required, but the variants parsed fine.
    data = {"title": "Shirt", "price": 100, "stock": 1, "variants": [{"name": "S", "stock": 1}]}
    assert_error(user_api.post(URL, data, format="json"), 400, "images_required")


@pytest.mark.parametrize(
    "variants",
    [
        "not json",
        json.dumps({"name": "S"}),
        json.dumps([{"name": "", "stock": 1}]),
        json.dumps([{"name": "S", "stock": -1}]),
        json.dumps([{"name": "S", "stock": "many"}]),
        json.dumps([{"name": "S", "stock": rules.STOCK_MAX + 1}]),
        json.dumps([{"name": "x" * (rules.VARIANT_NAME_MAX_LENGTH + 1), "stock": 1}]),
        json.dumps([{"name": "S", "stock": 1}, {"name": "s", "stock": 2}]),
        json.dumps([{"name": f"V{i}", "stock": 1} for i in range(rules.VARIANTS_MAX + 1)]),
        json.dumps([{"id": 5, "name": "S", "stock": 1}]),
    ],
)
def test_create_with_bad_variants(user_api: APIClient, variants: str) -> None:
    response = user_api.post(URL, create_form(variants=variants), format="multipart")
    error = assert_error(response, 400, "invalid")
    assert "variants" in error["fields"]
    assert not Product.objects.exists()


@pytest.fixture
def product(user: User) -> Product:
    product = ProductFactory(shop=ShopFactory(owner=user), stock=3)
    ProductVariantFactory(product=product, name="S", stock=1)
    ProductVariantFactory(product=product, name="M", stock=2)
    return product


def _patch(client: APIClient, product: Product, data: Any) -> Any:
    return client.patch(f"{URL}{product.pk}/", data, format="json")


def test_patch_replaces_the_variants(user_api: APIClient, product: Product) -> None:
    small, medium = product.variants.all()
    response = _patch(
        user_api,
        product,
        {
            "variants": [
                {"id": medium.pk, "name": "S", "stock": 4},  # names swap in one change
                {"id": small.pk, "name": "M", "stock": 0},
                {"name": "L", "stock": 6},
            ]
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted((v["name"], v["stock"]) for v in body["variants"]) == [
        ("L", 6),
        ("M", 0),
        ("S", 4),
    ]
    assert body["stock"] == 10 and fresh(product).stock == 10
    response = _patch(user_api, product, {"variants": [{"id": medium.pk, "name": "S", "stock": 4}]})
    assert response.json()["stock"] == 4
    assert list(product.variants.values_list("name", flat=True)) == ["S"]


def test_patch_variants_to_none_sells_the_product_alone(
    user_api: APIClient, product: Product
) -> None:
    response = _patch(user_api, product, {"variants": [], "stock": 8})
    assert response.status_code == 200, response.content
    assert response.json()["variants"] == [] and response.json()["stock"] == 8


def test_patch_stock_of_a_product_with_variants_is_refused(
    user_api: APIClient, product: Product
) -> None:
    error = assert_error(_patch(user_api, product, {"stock": 50}), 400, "stock_from_variants")
    assert "stock" in error["fields"]
    assert fresh(product).stock == 3


def test_patch_someone_elses_variant_is_refused(user_api: APIClient, product: Product) -> None:
    stranger = ProductVariantFactory()
    assert_error(
        _patch(user_api, product, {"variants": [{"id": stranger.pk, "name": "X", "stock": 1}]}),
        400,
        "invalid_variant",
    )
    assert fresh(stranger).name != "X"


def test_removing_a_sold_variant_is_refused(user_api: APIClient, product: Product) -> None:
    small, medium = product.variants.all()
    OrderLineFactory(product=product, variant=small)
    error = assert_error(
        _patch(user_api, product, {"variants": [{"id": medium.pk, "name": "M", "stock": 2}]}),
        400,
        "variant_has_orders",
    )
    assert "variants" in error["fields"]
    assert product.variants.count() == 2


@pytest.mark.parametrize(
    "variants",
    [
        "S",
        [1, 2],
        [{"name": "S"}],
        [{"name": "S", "stock": True}],
        [{"id": "x", "name": "S", "stock": 1}],
        [{"name": "S", "stock": 1}, {"name": "S", "stock": 1}],
    ],
)
def test_patch_bad_variants(user_api: APIClient, product: Product, variants: Any) -> None:
    assert_error(_patch(user_api, product, {"variants": variants}), 400, "invalid")
    assert product.variants.count() == 2


def test_patch_variants_by_someone_else(other_api: APIClient, product: Product) -> None:
    assert_error(
        _patch(other_api, product, {"variants": [{"name": "XL", "stock": 1}]}),
        403,
        "not_the_seller",
    )
    assert not ProductVariant.objects.filter(name="XL").exists()
