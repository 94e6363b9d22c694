"""Writes of the shop, a module per concept.

- :mod:`shop.services.products`: sellers list and change their products
  (the first one opens their shop), hide and show them, and the stock
  writers of sales (``stock_take``, ``stock_return``).
- :mod:`shop.services.moderation`: moderators hide / restore products and
  close / reopen shops.

Their public functions are also here, as ``shop.services.<name>``.
"""

from shop.services.moderation import product_hide, product_restore, shop_close, shop_reopen
from shop.services.products import (
    UPDATABLE,
    VariantSpec,
    product_create,
    product_fields_check,
    product_set_hidden,
    product_update,
    stock_return,
    stock_take,
)

__all__ = [
    "UPDATABLE",
    "VariantSpec",
    "product_create",
    "product_fields_check",
    "product_hide",
    "product_restore",
    "product_set_hidden",
    "product_update",
    "shop_close",
    "shop_reopen",
    "stock_return",
    "stock_take",
]
