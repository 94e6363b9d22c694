"""Domain errors of the shop (stable codes, mapped once to HTTP)."""

from __future__ import annotations

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from shop import rules

__all__ = [
    "CartFull",
    "DomainError",
    "EmptyCart",
    "FlashSaleEnded",
    "FlashSaleNotStarted",
    "FlashSaleOnePerBuyer",
    "FlashSaleOverlaps",
    "FlashSoldOut",
    "HiddenByModerator",
    "ImagesRequired",
    "InsufficientStock",
    "InvalidSource",
    "NotAllowedToRefund",
    "NotFound",
    "NotOpenToAffiliates",
    "NotTheBuyer",
    "NotTheSeller",
    "NotYourNote",
    "NotYourRoom",
    "OrderNotCancellable",
    "OrderNotDeliverable",
    "OrderNotFound",
    "OrderNotRefundable",
    "OrderNotShippable",
    "OrderStateError",
    "OwnProduct",
    "PermissionDenied",
    "ProductUnavailable",
    "RoomEnded",
    "SeveralShops",
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


class FlashSaleOnePerBuyer(DomainError):
    code = "one_per_buyer"
    status = 409
    message = "One unit per buyer: you already bought this flash sale."


# --- cart, checkout, orders ---------------------------------------------------------------


class InvalidSource(ValidationFailed):
    """A cart line's ``source`` that is not a published note or an existing
    live session."""

    code = "invalid_source"
    status = 400
    message = "The source must be a published note or a live session."


class ProductUnavailable(DomainError):
    """The product is hidden, its shop closed, or the variant is not its own."""

    code = "product_unavailable"
    status = 409
    message = "This product cannot be bought right now."


class CartFull(DomainError):
    code = "cart_full"
    status = 409
    message = f"A cart holds at most {rules.CART_LINES_MAX} lines."


class EmptyCart(DomainError):
    code = "empty_cart"
    status = 409
    message = "There is nothing to check out: add a product to your cart first."


class SeveralShops(DomainError):
    """One order comes from one shop: check out each shop's items apart."""

    code = "several_shops"
    status = 409
    message = "These items come from several shops: check out one shop at a time."


class OwnProduct(DomainError):
    code = "own_product"
    status = 409
    message = "You cannot buy from your own shop."


class InsufficientStock(DomainError):
    """Not enough units for a line; ``fields`` name it (``lines`` → its
    product / variant and the units left), and ``line`` is its index."""

    code = "insufficient_stock"
    status = 409
    message = "Not enough left in stock."

    def __init__(self, *, product_id: int, variant_id: int | None, title: str, line: int) -> None:
        self.product_id, self.variant_id, self.line = product_id, variant_id, line
        super().__init__(
            f"Not enough “{title}” left in stock.",
            fields={
                "lines": [
                    f"line {line}: product {product_id}"
                    + (f" variant {variant_id}" if variant_id else "")
                ]
            },
        )


class FlashSoldOut(DomainError):
    code = "sold_out"
    status = 409
    message = "This flash sale is sold out."


class OrderNotFound(NotFound):
    message = "No such order."


class NotTheBuyer(PermissionDenied):
    code = "not_the_buyer"
    status = 403
    message = "Only the order's buyer can do this."


class NotAllowedToRefund(PermissionDenied):
    code = "not_allowed_to_refund"
    status = 403
    message = "Only the order's seller or a shop moderator can refund it."


class OrderStateError(DomainError):
    """An order transition from a state it does not leave (each subclass's
    code names the transition)."""

    status = 409


class OrderNotCancellable(OrderStateError):
    code = "order_not_cancellable"
    message = "Only a pending or paid order that has not shipped can be cancelled."


class OrderNotShippable(OrderStateError):
    code = "order_not_shippable"
    message = "Only a paid order can be shipped."


class OrderNotDeliverable(OrderStateError):
    code = "order_not_deliverable"
    message = "Only a shipped order can be confirmed delivered."


class OrderNotRefundable(OrderStateError):
    code = "order_not_refundable"
    message = "Only a paid, shipped or delivered order can be refunded."


class HiddenByModerator(PermissionDenied):
    code = "hidden_by_moderator"
    status = 403
    message = "A moderator hid this product: only a moderator can show it again."
