"""Reads of the shop, a module per concept: :mod:`shop.selectors.access`
(who moderates the shop), :mod:`shop.selectors.products` (the catalog),
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
    "Q_MAX_LENGTH",
    "SalesFigures",
    "ShopPage",
    "conversion",
    "creator_daily_sales",
    "creator_session_rows",
    "is_shop_moderator",
    "product_for_viewer",
    "product_list",
    "product_page",
    "sales_by_note",
    "sales_by_session",
    "session_report_cash",
    "shop_page",
]
