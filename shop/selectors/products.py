"""Reads of the catalog, joined and prefetched: a page of products costs the
same number of queries whatever its size. Hidden products and closed shops'
products are shown only to their seller and to moderators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import OuterRef, Q, QuerySet, Subquery

from community.models import User
from community.selectors import note_cards, note_visible
from core import pagination
from shop.errors import NotFound
from shop.models import NoteProduct, Product, ProductImage, Shop
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


def product_notes(*, product: Product, viewer: Any, limit: int = 6) -> list[Any]:
    """Up to ``limit`` notes ``viewer`` may see that tag ``product``, newest
    tag first, as note cards (author and photos loaded): two queries."""
    note_ids = NoteProduct.objects.filter(product=product).order_by("-id").values("note_id")
    notes = note_visible(viewer).filter(pk__in=note_ids).order_by("-published_at", "-id")
    return list(note_cards(notes, viewer)[:limit])


def shop_of(user: Any) -> Shop | None:
    """The member's own shop, or None before their first product."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Shop.objects.filter(owner_id=user.pk).first()


def seller_products(*, seller: User) -> QuerySet[Product]:
    """The seller's own products, hidden ones too, for their catalog page."""
    return _with_cards(Product.objects.filter(shop__owner=seller))


@dataclass
class StripProduct:
    """A product of the discover strip, with its cover's URL and size."""

    product: Product
    cover_url: str
    cover_width: int
    cover_height: int


def product_strip(*, limit: int) -> list[StripProduct]:
    """The newest products on sale (listed, open shop, in stock), the same
    for every viewer, with their cover image: one query."""
    covers = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    rows = (
        Product.objects.filter(is_hidden=False, shop__is_open=True, stock__gt=0)
        .annotate(
            cover_name=Subquery(covers.values("image")[:1]),
            cover_width=Subquery(covers.values("width")[:1]),
            cover_height=Subquery(covers.values("height")[:1]),
        )
        .order_by("-id")[:limit]
    )
    return [
        StripProduct(
            product=row,
            cover_url=default_storage.url(row.cover_name) if row.cover_name else "",
            cover_width=row.cover_width or 0,
            cover_height=row.cover_height or 0,
        )
        for row in rows
    ]
