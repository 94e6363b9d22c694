"""Writes of the shop, a module per concept.

- :mod:`shop.services.products`: sellers list and change their products
  (the first one opens their shop).
- :mod:`shop.services.flash`: flash sales (create, cancel, the buy path
  through the gate of :mod:`shop.gate`, the gate's sync with the database).
- :mod:`shop.services.moderation`: moderators hide / restore products and
  close / reopen shops.

Their public functions are also here, as ``shop.services.<name>``.
"""

from shop.services.flash import (
    flash_sale_buy,
    flash_sale_buy_precheck,
    flash_sale_cancel,
    flash_sale_create,
    flash_sale_gate_sync,
    flash_sale_room_tick,
    flash_sale_room_tick_async,
    flash_sales_gate_sync,
)
from shop.services.moderation import product_hide, product_restore, shop_close, shop_reopen
from shop.services.products import (
    UPDATABLE,
    product_create,
    product_fields_check,
    product_update,
)

__all__ = [
    "UPDATABLE",
    "flash_sale_buy",
    "flash_sale_buy_precheck",
    "flash_sale_cancel",
    "flash_sale_create",
    "flash_sale_gate_sync",
    "flash_sale_room_tick",
    "flash_sale_room_tick_async",
    "flash_sales_gate_sync",
    "product_create",
    "product_fields_check",
    "product_hide",
    "product_restore",
    "product_update",
    "shop_close",
    "shop_reopen",
]
