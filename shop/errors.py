"""Domain errors of the shop (stable codes, mapped once to HTTP)."""

from __future__ import annotations

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from shop import rules

__all__ = [
    "DomainError",
    "HiddenByModerator",
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


class HiddenByModerator(PermissionDenied):
    code = "hidden_by_moderator"
    status = 403
    message = "A moderator hid this product: only a moderator can show it again."
