"""Domain errors of the shop (stable codes, mapped once to HTTP)."""

from __future__ import annotations

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from shop import rules

__all__ = [
    "DomainError",
    "ImagesRequired",
    "NotFound",
    "NotOpenToAffiliates",
    "NotTheSeller",
    "NotYourNote",
    "NotYourRoom",
    "PermissionDenied",
    "ProductUnavailable",
    "RoomEnded",
    "ShopClosed",
    "TooManyImages",
    "TooManyProducts",
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


# --- products in notes and live rooms -----------------------------------------------------


class NotYourNote(PermissionDenied):
    code = "not_your_note"
    status = 403
    message = "Only the note's author can tag products on it."


class NotOpenToAffiliates(PermissionDenied):
    code = "not_open_to_affiliates"
    status = 403
    message = "This product is another seller's and is not open to affiliates."


class ProductUnavailable(DomainError):
    code = "product_unavailable"
    status = 409
    message = "This product is hidden or its shop is closed: it cannot be shown."


class TooManyProducts(DomainError):
    code = "too_many_products"
    status = 400
    message = f"A note shows at most {rules.NOTE_PRODUCTS_MAX} products."


class NotYourRoom(PermissionDenied):
    code = "not_room_host"
    status = 403
    message = "Only the room's host or one of its moderators can pin products."


class RoomEnded(DomainError):
    code = "room_ended"
    status = 409
    message = "This live has ended: nothing can be pinned in it."
