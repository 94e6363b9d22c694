"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
:mod:`shop.selectors.flash` (flash sales: state, cached snapshot, lists),
:mod:`shop.selectors.orders` (carts and orders).
Their public functions are also here, as ``shop.selectors.<name>``."""

from shop.selectors.access import is_shop_moderator
from shop.selectors.flash import (
    FLASH_SALE_STATES,
    FlashSaleSnapshot,
    FlashSaleState,
    flash_sale_for_viewer,
    flash_sale_left,
    flash_sale_list,
    flash_sale_snapshot,
    flash_sale_state,
    flash_sale_state_filter,
    flash_sale_state_of,
)
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
    product_for_viewer,
    product_list,
    product_page,
    shop_page,
)

__all__ = [
    "FLASH_SALE_STATES",
    "ORDER_STATUSES",
    "Q_MAX_LENGTH",
    "CartShop",
    "FlashSaleSnapshot",
    "FlashSaleState",
    "ShopPage",
    "can_see_order",
    "cart_by_shop",
    "cart_item_payload",
    "cart_items",
    "cart_payload",
    "flash_sale_for_viewer",
    "flash_sale_left",
    "flash_sale_list",
    "flash_sale_snapshot",
    "flash_sale_state",
    "flash_sale_state_filter",
    "flash_sale_state_of",
    "is_shop_moderator",
    "item_source",
    "order_for_viewer",
    "order_list",
    "order_page",
    "order_payload",
    "product_for_viewer",
    "product_list",
    "product_page",
    "shop_page",
]
