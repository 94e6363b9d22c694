"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
:mod:`shop.selectors.orders` (carts and orders), :mod:`shop.selectors.shipping`
(the buyer's last address).
Their public functions are also here, as ``shop.selectors.<name>``."""

from shop.selectors.access import is_shop_moderator
from shop.selectors.orders import (
    ORDER_STATUSES,
    CartShop,
    can_see_order,
    cart_by_shop,
    cart_item_payload,
    cart_items,
    cart_payload,
    item_source,
    order_for_viewer,
    order_list,
    order_page,
    order_payload,
)
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
from shop.selectors.shipping import shipping_last_used

__all__ = [
    "ORDER_STATUSES",
    "Q_MAX_LENGTH",
    "CartShop",
    "ShopPage",
    "StripProduct",
    "can_see_order",
    "cart_by_shop",
    "cart_item_payload",
    "cart_items",
    "cart_payload",
    "is_shop_moderator",
    "item_source",
    "order_for_viewer",
    "order_list",
    "order_page",
    "order_payload",
    "product_for_viewer",
    "product_list",
    "product_notes",
    "product_page",
    "product_strip",
    "seller_products",
    "shipping_last_used",
    "shop_of",
    "shop_page",
]
