"""Domain errors of the shop (stable codes, mapped once to HTTP)."""

from __future__ import annotations

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from shop import rules

__all__ = [
    "DomainError",
    "FlashSaleEnded",
    "FlashSaleNotStarted",
    "FlashSaleOnePerBuyer",
    "FlashSaleOverlaps",
    "FlashSaleSoldOut",
    "ImagesRequired",
    "NotFound",
    "NotTheSeller",
    "PermissionDenied",
    "ShopClosed",
    "TooManyImages",
    "ValidationFailed",
]


class ImagesRequired(DomainError):
    code = "images_required"
    status = 400
    message = f"A product needs at least {rules.IMAGES_MIN} image."


class TooManyImages(DomainError):
    code = "too_many_images"
    status = 400
    message = f"A product holds at most {rules.IMAGES_MAX} images."


class NotTheSeller(PermissionDenied):
    code = "not_the_seller"
    status = 403
    message = "Only the product's seller can change it."


class ShopClosed(DomainError):
    code = "shop_closed"
    status = 409
    message = "This shop was closed by a moderator: it cannot list or change products."


# --- flash sales (shop.services.flash) ---------------------------------------------------


class FlashSaleOverlaps(DomainError):
    code = "flash_sale_overlaps"
    status = 409
    message = "This product already has a flash sale open at that time."


class FlashSaleNotStarted(DomainError):
    code = "not_started"
    status = 409
    message = "This flash sale has not started yet."


class FlashSaleEnded(DomainError):
    code = "ended"
    status = 409
    message = "This flash sale is over."


class FlashSaleSoldOut(DomainError):
    code = "sold_out"
    status = 409
    message = "Sold out: every unit of this flash sale is taken."


class FlashSaleOnePerBuyer(DomainError):
    code = "one_per_buyer"
    status = 409
    message = "One unit per buyer: you already bought this flash sale."
