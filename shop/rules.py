"""What a seller may write about a product, defined once: the REST
serializers, the admin's forms and the services all read these limits and
raise the same codes (``shop.errors``)."""

from __future__ import annotations

TITLE_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 2000
SHOP_NAME_MAX_LENGTH = 60
VARIANT_NAME_MAX_LENGTH = 40
REASON_MAX_LENGTH = 500
# Prices in minor units of SPROUT_CURRENCY: at least 1, at most 10 million
# major units (a bound that keeps totals of a cart far from 64-bit overflow).
PRICE_MIN = 1
PRICE_MAX = 1_000_000_000
STOCK_MAX = 1_000_000
VARIANTS_MAX = 30  # sizes × colours of one product
COMMISSION_BPS_MAX = 10_000  # basis points: 10,000 is 100 %
IMAGES_MIN = 1
IMAGES_MAX = 9  # SPEC.md: 1–9 images a product
# Products tagged on one note (its product cards), at most.
NOTE_PRODUCTS_MAX = 6
# The widths of a product image's renditions: a card's thumbnail (about 80 px
# at 3x), the product sheet on a phone, a large screen.
IMAGE_WIDTHS = (240, 540, 1080)
# The width a product card's ``image`` is chosen for (the smallest rendition
# at least this wide).
CARD_IMAGE_WIDTH = 240

# --- flash sales (shop.services.flash) ---------------------------------------------------
# A flash sale runs at most this long, and is scheduled at most this far ahead.
FLASH_SALE_MAX_DAYS = 7
FLASH_SALE_MAX_AHEAD_DAYS = 30

# Carts and orders.
CART_QUANTITY_MAX = 99  # units of one line
CART_LINES_MAX = 50
TRACKING_MAX_LENGTH = 100
SHIP_NAME_MAX_LENGTH = 100
SHIP_PHONE_MAX_LENGTH = 30
SHIP_ADDRESS_MAX_LENGTH = 300
