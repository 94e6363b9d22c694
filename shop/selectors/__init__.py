"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog).
Their public functions are also here, as ``shop.selectors.<name>``."""

from shop.selectors.access import is_shop_moderator
from shop.selectors.products import (
    Q_MAX_LENGTH,
    ShopPage,
    StripProduct,
    product_for_viewer,
    product_list,
    product_notes,
    product_page,
    product_strip,
    seller_products,
    shop_of,
    shop_page,
)

__all__ = [
    "Q_MAX_LENGTH",
    "ShopPage",
    "StripProduct",
    "is_shop_moderator",
    "product_for_viewer",
    "product_list",
    "product_notes",
    "product_page",
    "product_strip",
    "seller_products",
    "shop_of",
    "shop_page",
]
