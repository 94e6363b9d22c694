"""Writes of the shop, a module per concept.

- :mod:`shop.services.products`: sellers list and change their products
  (the first one opens their shop), hide and show them, and the stock
  writers of sales (``stock_take``, ``stock_return``).
- :mod:`shop.services.flash`: flash sales (create, cancel, the buy path
  through the gate of :mod:`shop.gate`, the gate's sync with the database).
- :mod:`shop.services.moderation`: moderators hide / restore products and
  close / reopen shops.
- :mod:`shop.services.images`: the renditions of product images.
- :mod:`shop.services.tags`: authors tag products on their notes.
- :mod:`shop.services.pins`: hosts pin products in their live rooms.
- :mod:`shop.services.cart`: a member's cart lines and their sources.
- :mod:`shop.services.orders`: placing orders (stock reserved, payment
  charged), checkout, and the order's transitions.
- :mod:`shop.services.money`: what orders book in the wallet's ledger.

Their public functions are also here, as ``shop.services.<name>``.
"""

from shop.services.cart import (
    buyable_product,
    cart_item_add,
    cart_item_remove,
    cart_item_set_quantity,
    source_check,
)
from shop.services.flash import (
    flash_sale_admission_release,
    flash_sale_buy,
    flash_sale_buy_precheck,
    flash_sale_cancel,
    flash_sale_create,
    flash_sale_gate_sync,
    flash_sale_room_tick,
    flash_sale_room_tick_async,
    flash_sales_gate_sync,
)
from shop.services.images import product_image_render
from shop.services.moderation import product_hide, product_restore, shop_close, shop_reopen
from shop.services.orders import (
    CHECKOUT_SCOPE,
    LineRequest,
    checkout,
    flash_order_place,
    order_cancel,
    order_charge,
    order_deliver,
    order_expire,
    order_payment_failed,
    order_payment_succeeded,
    order_place,
    order_refund,
    order_release,
    order_ship,
    reservations_release_expired,
)
from shop.services.pins import (
    pin_stock_room_tick,
    pin_stock_room_tick_async,
    product_pins_retire,
    room_pin_check,
    room_pin_create,
    room_pin_remove,
    room_pins_session_attach,
    shop_pins_retire,
)
from shop.services.products import (
    UPDATABLE,
    VariantSpec,
    product_create,
    product_fields_check,
    product_images_update,
    product_set_hidden,
    product_update,
    stock_return,
    stock_take,
)
from shop.services.tags import note_product_tag, note_product_untag, product_offer_check

__all__ = [
    "CHECKOUT_SCOPE",
    "UPDATABLE",
    "LineRequest",
    "VariantSpec",
    "buyable_product",
    "cart_item_add",
    "cart_item_remove",
    "cart_item_set_quantity",
    "checkout",
    "flash_order_place",
    "flash_sale_admission_release",
    "flash_sale_buy",
    "flash_sale_buy_precheck",
    "flash_sale_cancel",
    "flash_sale_create",
    "flash_sale_gate_sync",
    "flash_sale_room_tick",
    "flash_sale_room_tick_async",
    "flash_sales_gate_sync",
    "note_product_tag",
    "note_product_untag",
    "order_cancel",
    "order_charge",
    "order_deliver",
    "order_expire",
    "order_payment_failed",
    "order_payment_succeeded",
    "order_place",
    "order_refund",
    "order_release",
    "order_ship",
    "pin_stock_room_tick",
    "pin_stock_room_tick_async",
    "product_create",
    "product_fields_check",
    "product_hide",
    "product_image_render",
    "product_images_update",
    "product_offer_check",
    "product_pins_retire",
    "product_restore",
    "product_set_hidden",
    "product_update",
    "reservations_release_expired",
    "room_pin_check",
    "room_pin_create",
    "room_pin_remove",
    "room_pins_session_attach",
    "shop_close",
    "shop_pins_retire",
    "shop_reopen",
    "source_check",
    "stock_return",
    "stock_take",
]
