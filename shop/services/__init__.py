"""Writes of the shop, a module per concept.

- :mod:`shop.services.products`: sellers list and change their products
  (the first one opens their shop).
- :mod:`shop.services.moderation`: moderators hide / restore products and
  close / reopen shops.
- :mod:`shop.services.images`: the renditions of product images.
- :mod:`shop.services.tags`: authors tag products on their notes.
- :mod:`shop.services.pins`: hosts pin products in their live rooms.

Their public functions are also here, as ``shop.services.<name>``.
"""

from shop.services.images import product_image_render
from shop.services.moderation import product_hide, product_restore, shop_close, shop_reopen
from shop.services.pins import room_pin_check, room_pin_create, room_pin_remove
from shop.services.products import (
    UPDATABLE,
    product_create,
    product_fields_check,
    product_update,
)
from shop.services.tags import note_product_tag, note_product_untag, product_offer_check

__all__ = [
    "UPDATABLE",
    "note_product_tag",
    "note_product_untag",
    "product_create",
    "product_fields_check",
    "product_hide",
    "product_image_render",
    "product_offer_check",
    "product_restore",
    "product_update",
    "room_pin_check",
    "room_pin_create",
    "room_pin_remove",
    "shop_close",
    "shop_reopen",
]
