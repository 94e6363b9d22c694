"""Products on notes: ``POST, DELETE /api/v1/notes/{id}/products/{product_id}``
(the caller's own note; their own product or one open to affiliates; listed;
at most ``rules.NOTE_PRODUCTS_MAX``), the note's ``products`` in the API
(one query for a whole page, through community's extension point), the cards
on the note's page and the products a creator may tag."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from community import extensions
from community.models import Note, User
from core.money import currency
from shop import rules
from shop.models import NoteProduct
from tests.clients import assert_error, logged_in
from tests.factories import (
    NoteFactory,
    NoteProductFactory,
    ProductFactory,
    ProductImageFactory,
    ShopFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(note: Note, product_id: int) -> str:
    return f"/api/v1/notes/{note.pk}/products/{product_id}"


@pytest.fixture
def note(user: User) -> Note:
    return NoteFactory(author=user)


@pytest.fixture
def own_product(user: User) -> Any:
    product = ProductFactory(shop=ShopFactory(owner=user), title="Linen tote")
    ProductImageFactory(product=product, position=0)
    return product


def test_the_author_tags_their_own_product(
    user_api: APIClient, note: Note, own_product: Any
) -> None:
    response = user_api.post(url(note, own_product.pk))
    assert response.status_code == 201, response.content
    (card,) = response.json()["products"]
    assert card["id"] == own_product.pk and card["title"] == "Linen tote"
    assert card["price"] == own_product.price and card["currency"] == currency()
    assert card["url"].endswith(f"/api/v1/shop/products/{own_product.pk}/")
    assert card["image"].startswith("http")
    # Again: idempotent, 200, one tag.
    again = user_api.post(url(note, own_product.pk) + "/")
    assert again.status_code == 200 and len(again.json()["products"]) == 1
    assert NoteProduct.objects.filter(note=note).count() == 1
    # The note's representation lists it.
    body = user_api.get(f"/api/v1/notes/{note.pk}/").json()
    assert [p["id"] for p in body["products"]] == [own_product.pk]


def test_an_affiliate_product_can_be_tagged_a_closed_one_cannot(
    user_api: APIClient, note: Note
) -> None:
    open_one = ProductFactory(open_to_affiliates=True)
    closed_one = ProductFactory(open_to_affiliates=False)
    assert user_api.post(url(note, open_one.pk)).status_code == 201
    assert_error(user_api.post(url(note, closed_one.pk)), 403, "not_open_to_affiliates")


def test_hidden_products_and_closed_shops_are_refused(
    user_api: APIClient, user: User, note: Note
) -> None:
    others_hidden = ProductFactory(open_to_affiliates=True, is_hidden=True)
    assert_error(user_api.post(url(note, others_hidden.pk)), 404, "not_found")
    own_hidden = ProductFactory(shop=ShopFactory(owner=user), is_hidden=True)
    assert_error(user_api.post(url(note, own_hidden.pk)), 409, "product_unavailable")
    closed = ProductFactory(open_to_affiliates=True)
    closed.shop.is_open = False
    closed.shop.save()
    assert_error(user_api.post(url(note, closed.pk)), 404, "not_found")
    assert not NoteProduct.objects.exists()


def test_only_the_author_tags_and_untags(
    other_api: APIClient, note: Note, own_product: Any
) -> None:
    assert_error(other_api.post(url(note, own_product.pk)), 403, "not_your_note")
    NoteProductFactory(note=note, product=own_product)
    assert_error(other_api.delete(url(note, own_product.pk)), 403, "not_your_note")
    assert NoteProduct.objects.filter(note=note).count() == 1
    assert_error(APIClient().post(url(note, own_product.pk)), 401, "unauthenticated")


def test_a_draft_of_someone_else_is_not_found(other_api: APIClient, user: User) -> None:
    draft = NoteFactory(author=user, status=Note.Status.DRAFT)
    product = ProductFactory(open_to_affiliates=True)
    assert_error(other_api.post(url(draft, product.pk)), 404, "not_found")


def test_unknown_and_huge_ids(user_api: APIClient, note: Note) -> None:
    assert_error(user_api.post(url(note, 999_999)), 404, "not_found")
    assert (
        user_api.post(f"/api/v1/notes/{note.pk}/products/99999999999999999999").status_code == 404
    )
    assert user_api.post(f"/api/v1/notes/{note.pk}/products/abc").status_code == 404
    assert_error(user_api.post("/api/v1/notes/999999/products/1"), 404, "not_found")


def test_the_limit_of_tags_a_note(user_api: APIClient, user: User, note: Note) -> None:
    shop = ShopFactory(owner=user)
    products = ProductFactory.create_batch(rules.NOTE_PRODUCTS_MAX + 1, shop=shop)
    for product in products[:-1]:
        assert user_api.post(url(note, product.pk)).status_code == 201
    assert_error(user_api.post(url(note, products[-1].pk)), 400, "too_many_products")
    # In the order they were tagged.
    body = user_api.get(f"/api/v1/notes/{note.pk}/").json()
    assert [p["id"] for p in body["products"]] == [p.pk for p in products[:-1]]


def test_untag_is_idempotent(user_api: APIClient, note: Note, own_product: Any) -> None:
    NoteProductFactory(note=note, product=own_product)
    assert user_api.delete(url(note, own_product.pk)).status_code == 204
    assert user_api.delete(url(note, own_product.pk)).status_code == 204
    assert user_api.get(f"/api/v1/notes/{note.pk}/").json()["products"] == []


def test_a_hidden_product_leaves_the_cards(
    user_api: APIClient, note: Note, own_product: Any
) -> None:
    NoteProductFactory(note=note, product=own_product)
    own_product.is_hidden = True
    own_product.save()
    assert user_api.get(f"/api/v1/notes/{note.pk}/").json()["products"] == []


def _notes_with_products(count: int) -> None:
    for _ in range(count):
        note = NoteFactory(photos=1)
        for _ in range(2):
            tag = NoteProductFactory(note=note)
            ProductImageFactory(product=tag.product, position=0)


@pytest.mark.parametrize("size", [2, 8])
def test_a_page_of_notes_costs_the_same_queries_whatever_its_size(
    user_api: APIClient, size: int
) -> None:
    _notes_with_products(size)
    user_api.get("/api/v1/notes/")  # warm: the viewer's graph is cached
    with CaptureQueriesContext(connection) as captured:
        response = user_api.get("/api/v1/notes/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == size and all(len(n["products"]) == 2 for n in results)
    with extensions.note_payload_extras.override(), CaptureQueriesContext(connection) as without:
        plain = user_api.get("/api/v1/notes/").json()["results"]
    assert all("products" not in n for n in plain)
    # The shop's part of a page: the tags with their products, their images.
    assert len(captured) - len(without) == 2


def test_the_notes_list_query_budget(
    user_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    _notes_with_products(10)
    with django_assert_max_num_queries(8):
        assert len(user_api.get("/api/v1/notes/").json()["results"]) == 10


def test_feeds_carry_products(user_api: APIClient) -> None:
    _notes_with_products(2)
    results = user_api.get("/api/v1/feed/discover").json()["results"]
    assert results and all(len(n["products"]) == 2 for n in results)


def test_the_note_page_shows_product_cards(user: User) -> None:
    note = NoteFactory(photos=1)
    tag = NoteProductFactory(note=note)
    ProductImageFactory(product=tag.product, position=0)
    page = logged_in(user).get(note.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert tag.product.title in html and "data-product-sheet" in html
    assert "Add to cart" in html and "Buy now" in html


def test_a_note_without_products_has_no_section(user: User) -> None:
    note = NoteFactory(photos=1)
    html = logged_in(user).get(note.get_absolute_url()).content.decode()
    assert "data-product-sheet" not in html


def test_taggable_products_are_mine_and_affiliates(user_api: APIClient, user: User) -> None:
    mine = ProductFactory(shop=ShopFactory(owner=user), title="My mug")
    affiliate = ProductFactory(open_to_affiliates=True, title="Their mug")
    ProductFactory(open_to_affiliates=False, title="Private mug")
    ProductFactory(open_to_affiliates=True, is_hidden=True, title="Hidden mug")
    body = user_api.get("/api/v1/shop/products/taggable").json()
    assert {c["id"] for c in body["results"]} == {mine.pk, affiliate.pk}
    found = user_api.get("/api/v1/shop/products/taggable?q=my").json()["results"]
    assert [c["id"] for c in found] == [mine.pk]
    assert_error(user_api.get("/api/v1/shop/products/taggable?q=" + "x" * 500), 400, "invalid")
    assert_error(APIClient().get("/api/v1/shop/products/taggable"), 401, "unauthenticated")


def test_another_members_tag_does_not_show_on_my_picker(user_api: APIClient) -> None:
    someone = UserFactory()
    ProductFactory(shop=ShopFactory(owner=someone))
    assert user_api.get("/api/v1/shop/products/taggable").json()["results"] == []


def test_product_images_get_renditions_and_cards_use_them(
    user_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shop.models import ProductImage
    from tests.factories import jpeg_bytes

    image = SimpleUploadedFile("tote.jpg", jpeg_bytes(1600, 1200), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):  # the render task (eager Celery)
        response = user_api.post(
            "/api/v1/shop/products/",
            {"title": "Tote", "price": 100, "stock": 1, "images": [image]},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    stored = ProductImage.objects.get(product_id=response.json()["id"])
    assert set(stored.renditions) == {str(w) for w in rules.IMAGE_WIDTHS}
    assert stored.color.startswith("#")
    body = user_api.get(f"/api/v1/shop/products/{stored.product_id}/").json()
    (shown,) = body["images"]
    assert shown["src"].startswith("http") and "_540." in shown["src"]
    assert "240w" in shown["srcset_webp"] and shown["srcset_jpeg"].startswith("http")
    note = NoteFactory(author=stored.product.shop.owner)
    NoteProductFactory(note=note, product=stored.product)
    (card,) = user_api.get(f"/api/v1/notes/{note.pk}/").json()["products"]
    assert "_240." in card["image"]


def test_the_compose_and_edit_forms_have_the_product_picker(user: User, note: Note) -> None:
    tag = NoteProductFactory(note=note)
    client = logged_in(user)
    compose = client.get("/compose").content.decode()
    assert "data-product-picker" in compose and "js/shop-picker.js" in compose
    edit = client.get(f"/n/{note.pk}/edit").content.decode()
    assert "data-product-picker" in edit and tag.product.title in edit  # the current tags
    assert 'for="product-picker-q"' in edit  # a labelled search


def test_with_the_shop_off_the_note_pages_have_no_trace_of_it(user: User, note: Note) -> None:
    with (
        extensions.note_form_sections.override(),
        extensions.note_sections.override(),
    ):
        client = logged_in(user)
        assert "data-product-picker" not in client.get("/compose").content.decode()
