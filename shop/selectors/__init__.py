"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
:mod:`shop.selectors.orders` (carts and orders),
:mod:`shop.selectors.attribution` (what notes and live sessions sold).
Their public functions are also here, as ``shop.selectors.<name>``."""

from shop.selectors.access import is_shop_moderator
from shop.selectors.attribution import (
    COUNTED,
    SalesFigures,
    conversion,
    creator_daily_sales,
    creator_session_rows,
    sales_by_note,
    sales_by_session,
    session_report_cash,
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
    "COUNTED",
    "ORDER_STATUSES",
    "Q_MAX_LENGTH",
    "CartShop",
    "SalesFigures",
    "ShopPage",
    "can_see_order",
    "cart_by_shop",
    "cart_item_payload",
    "cart_items",
    "cart_payload",
    "conversion",
    "creator_daily_sales",
    "creator_session_rows",
    "is_shop_moderator",
    "item_source",
    "order_for_viewer",
    "order_list",
    "order_page",
    "order_payload",
    "product_for_viewer",
    "product_list",
    "product_page",
    "sales_by_note",
    "sales_by_session",
    "session_report_cash",
    "shop_page",
]
