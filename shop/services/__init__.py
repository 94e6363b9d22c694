"""Writes of the shop, a module per concept.

- :mod:`shop.services.products`: sellers list and change their products
  (the first one opens their shop).
- :mod:`shop.services.moderation`: moderators hide / restore products and
  close / reopen shops.

Their public functions are also here, as ``shop.services.<name>``.
"""

from shop.services.moderation import product_hide, product_restore, shop_close, shop_reopen
from shop.services.products import (
    UPDATABLE,
    product_create,
    product_fields_check,
    product_update,
)

__all__ = [
    "UPDATABLE",
    "product_create",
    "product_fields_check",
    "product_hide",
    "product_restore",
    "product_update",
    "shop_close",
    "shop_reopen",
]
