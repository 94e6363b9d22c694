"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
:mod:`shop.selectors.cards` (product cards and images with renditions),
:mod:`shop.selectors.tags` (products on notes, products a creator may show),
:mod:`shop.selectors.pins` (products pinned in live rooms),
:mod:`shop.selectors.orders` (carts and orders).
Their public functions are also here, as ``shop.selectors.<name>``."""

from shop.selectors.access import is_shop_moderator
from shop.selectors.cards import product_card, product_image_payload
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
from shop.selectors.pins import (
    can_pin,
    flash_sale_for_pin,
    flash_sale_state,
    pinned_product,
    room_pin_current,
    room_pinned_products,
    room_pins_current,
    session_pins,
    session_sales,
)
from shop.selectors.products import (
    Q_MAX_LENGTH,
    ShopPage,
    product_for_viewer,
    product_list,
    product_page,
    shop_page,
)
from shop.selectors.tags import (
    OFFERABLE_PAGE,
    note_product_cards,
    note_product_ids,
    note_products,
    product_offerable,
)

__all__ = [
    "OFFERABLE_PAGE",
    "ORDER_STATUSES",
    "Q_MAX_LENGTH",
    "CartShop",
    "ShopPage",
    "can_pin",
    "can_see_order",
    "cart_by_shop",
    "cart_item_payload",
    "cart_items",
    "cart_payload",
    "flash_sale_for_pin",
    "flash_sale_state",
    "is_shop_moderator",
    "item_source",
    "note_product_cards",
    "note_product_ids",
    "note_products",
    "order_for_viewer",
    "order_list",
    "order_page",
    "order_payload",
    "pinned_product",
    "product_card",
    "product_for_viewer",
    "product_image_payload",
    "product_list",
    "product_offerable",
    "product_page",
    "room_pin_current",
    "room_pinned_products",
    "room_pins_current",
    "session_pins",
    "session_sales",
    "shop_page",
]
