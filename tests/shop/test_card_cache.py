"""A note's cached card carries its products (``community.card_cache``): the
feeds' cards equal the uncached ones after every change to how a product
shows on them: tagging and untagging, its title and price, its images and
their renditions, the seller or a moderator hiding it, the shop closing and
reopening."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from community import services as community
from shop import services
from shop.models import Product
from tests.community.test_card_cache import _card, assert_same
from tests.factories import (
    ModeratorFactory,
    NoteFactory,
    ProductFactory,
    ProductImageFactory,
    ShopFactory,
    UserFactory,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db


def _discover(world: dict[str, Any]) -> list[Any]:
    return assert_same(world)["/api/v1/feed/discover"]


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    viewer = UserFactory()
    seller = UserFactory()
    topic_owner = UserFactory()
    community.user_follow(follower=viewer, followee=seller)
    notes = NoteFactory.create_batch(3, author=seller)
    from community.models import Topic

    topic = Topic.objects.create(name="tea", key="tea")
    for note in notes:
        note.topics.add(topic)
    shop = ShopFactory(owner=seller)
    product = ProductFactory(shop=shop, title="Linen tote", price=5900)
    ProductImageFactory(product=product, position=0)
    client = APIClient()
    client.force_authenticate(viewer)
    return {
        "viewer": viewer,
        "followed": seller,
        "other": topic_owner,
        "topic": topic,
        "notes": notes,
        "client": client,
        "product": product,
        "shop": shop,
    }


def test_a_cards_products_are_fresh_after_each_change(world: dict[str, Any]) -> None:
    seller, note, product = world["followed"], world["notes"][0], world["product"]
    assert _card(_discover(world), note)["products"] == []

    services.note_product_tag(actor=seller, note=note, product=product)
    (card,) = _card(_discover(world), note)["products"]
    assert (card["title"], card["price"]) == ("Linen tote", 5900)

    services.product_update(actor=seller, product=product, title="Linen bag", price=4900)
    (card,) = _card(_discover(world), note)["products"]
    assert (card["title"], card["price"]) == ("Linen bag", 4900)

    before = card["image"]
    services.product_images_update(
        actor=seller,
        product=product,
        keep=[],
        add=[SimpleUploadedFile("t.jpg", jpeg_bytes(64, 48), content_type="image/jpeg")],
    )
    (card,) = _card(_discover(world), note)["products"]
    unrendered = card["image"]  # the new original, until its thumbnail exists
    assert unrendered != before
    services.product_image_render(image_id=product.images.get().pk)
    (card,) = _card(_discover(world), note)["products"]
    assert card["image"] != unrendered

    services.product_set_hidden(actor=seller, product=product, hidden=True)
    assert _card(_discover(world), note)["products"] == []
    services.product_set_hidden(actor=seller, product=product, hidden=False)
    assert len(_card(_discover(world), note)["products"]) == 1

    moderator = ModeratorFactory()
    services.product_hide(moderator=moderator, product=product, reason="counterfeit")
    assert _card(_discover(world), note)["products"] == []
    services.product_restore(moderator=moderator, product=product)
    assert len(_card(_discover(world), note)["products"]) == 1

    services.shop_close(moderator=moderator, shop=world["shop"], reason="fraud")
    assert _card(_discover(world), note)["products"] == []
    services.shop_reopen(moderator=moderator, shop=world["shop"])
    assert len(_card(_discover(world), note)["products"]) == 1

    # The admin's edit saves the model.
    edited = Product.objects.get(pk=product.pk)
    edited.title = "Edited in the admin"
    edited.save()
    (card,) = _card(_discover(world), note)["products"]
    assert card["title"] == "Edited in the admin"

    services.note_product_untag(actor=seller, note=note, product_id=product.pk)
    assert _card(_discover(world), note)["products"] == []
