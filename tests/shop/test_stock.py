"""The stock writers of sales (``stock_take`` / ``stock_return``): a product
with variants sells by variant stock and its own stock stays their sum;
never negative. And the seller's own "take off sale"."""

from __future__ import annotations

import pytest

from community.models import User
from shop import services
from shop.errors import HiddenByModerator, NotTheSeller
from tests.factories import ProductFactory, ProductVariantFactory, ShopFactory, fresh

pytestmark = pytest.mark.django_db


def test_take_and_return_a_plain_product() -> None:
    product = ProductFactory(stock=3)
    assert services.stock_take(product_id=product.pk, quantity=2)
    assert not services.stock_take(product_id=product.pk, quantity=2)
    assert fresh(product).stock == 1
    services.stock_return(product_id=product.pk, quantity=2)
    assert fresh(product).stock == 3


def test_take_a_variant_takes_from_the_sum_too() -> None:
    product = ProductFactory(stock=5)
    small = ProductVariantFactory(product=product, stock=2)
    ProductVariantFactory(product=product, stock=3)
    assert services.stock_take(product_id=product.pk, variant_id=small.pk, quantity=2)
    assert (fresh(small).stock, fresh(product).stock) == (0, 3)
    # The other variants' stock does not help this one.
    assert not services.stock_take(product_id=product.pk, variant_id=small.pk, quantity=1)
    assert (fresh(small).stock, fresh(product).stock) == (0, 3)
    services.stock_return(product_id=product.pk, variant_id=small.pk, quantity=1)
    assert (fresh(small).stock, fresh(product).stock) == (1, 4)


def test_a_variant_of_another_product_is_not_taken() -> None:
    product = ProductFactory(stock=5)
    stranger = ProductVariantFactory(stock=5)
    assert not services.stock_take(product_id=product.pk, variant_id=stranger.pk, quantity=1)
    assert (fresh(stranger).stock, fresh(product).stock) == (5, 5)


def test_quantity_must_be_positive() -> None:
    product = ProductFactory(stock=5)
    with pytest.raises(ValueError):
        services.stock_take(product_id=product.pk, quantity=0)
    with pytest.raises(ValueError):
        services.stock_return(product_id=product.pk, quantity=-1)


def test_seller_takes_off_sale(user: User, other_user: User, moderator: User) -> None:
    product = ProductFactory(shop=ShopFactory(owner=user))
    with pytest.raises(NotTheSeller):
        services.product_set_hidden(actor=other_user, product=product, hidden=True)
    assert services.product_set_hidden(actor=user, product=product, hidden=True)
    assert not services.product_set_hidden(actor=user, product=fresh(product), hidden=True)
    assert services.product_set_hidden(actor=user, product=fresh(product), hidden=False)
    services.product_hide(moderator=moderator, product=product, reason="Counterfeit")
    with pytest.raises(HiddenByModerator):
        services.product_set_hidden(actor=user, product=fresh(product), hidden=False)
    assert fresh(product).hidden_by == moderator
