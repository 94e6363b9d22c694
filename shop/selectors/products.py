"""Reads of the catalog, joined and prefetched: a page of products costs the
same number of queries whatever its size. Hidden products and closed shops'
products are shown only to their seller and to moderators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from community.models import User
from core import pagination
from shop.errors import NotFound
from shop.models import Product, Shop
from shop.selectors.access import is_shop_moderator

Q_MAX_LENGTH = 100


def _visible(products: QuerySet[Product], viewer: Any) -> QuerySet[Product]:
    if is_shop_moderator(viewer):
        return products
    listed = Q(is_hidden=False, shop__is_open=True)
    if getattr(viewer, "is_authenticated", False):
        listed |= Q(shop__owner_id=viewer.pk)
    return products.filter(listed)


def _with_cards(products: QuerySet[Product]) -> QuerySet[Product]:
    return products.select_related("shop__owner").prefetch_related("images", "variants")


def product_list(
    *, viewer: Any, seller: User | None = None, q: str | None = None
) -> QuerySet[Product]:
    """Products ``viewer`` may see, newest first (page them with
    :func:`product_page`); only ``seller``'s, only those whose title or
    description holds ``q``."""
    products = _visible(Product.objects.all(), viewer)
    if seller is not None:
        products = products.filter(shop__owner=seller)
    if q:
        products = products.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return _with_cards(products)


def product_page(products: QuerySet[Product], *, cursor: str | None, size: int) -> pagination.Page:
    return pagination.keyset(products, cursor=cursor, size=size)


def product_for_viewer(*, product_id: int, viewer: Any) -> Product:
    """One product with its shop, images and variants; ``not_found`` when
    it does not exist or ``viewer`` may not see it."""
    product = _with_cards(_visible(Product.objects.filter(pk=product_id), viewer)).first()
    if product is None:
        raise NotFound("No such product.")
    return product


@dataclass
class ShopPage:
    shop: Shop
    products: pagination.Page
    product_count: int


def shop_page(*, username: str, viewer: Any, cursor: str | None, size: int) -> ShopPage:
    """A seller's shop and one page of its products, as ``viewer`` sees them:
    a closed shop is ``not_found`` except to its owner and moderators."""
    shop = Shop.objects.select_related("owner").filter(owner__username__iexact=username).first()
    is_owner = shop is not None and getattr(viewer, "pk", None) == shop.owner_id
    if shop is None or not (shop.is_open or is_owner or is_shop_moderator(viewer)):
        raise NotFound("No such shop.")
    products = product_list(viewer=viewer, seller=shop.owner)
    return ShopPage(
        shop=shop,
        products=product_page(products, cursor=cursor, size=size),
        product_count=products.count(),
    )
