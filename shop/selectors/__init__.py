"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
:mod:`shop.selectors.flash` (flash sales: state, cached snapshot, lists).
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
    "Q_MAX_LENGTH",
    "FlashSaleSnapshot",
    "FlashSaleState",
    "ShopPage",
    "flash_sale_for_viewer",
    "flash_sale_left",
    "flash_sale_list",
    "flash_sale_snapshot",
    "flash_sale_state",
    "flash_sale_state_filter",
    "flash_sale_state_of",
    "is_shop_moderator",
    "product_for_viewer",
    "product_list",
    "product_page",
    "shop_page",
]
