"""Reads of carts and orders: the caller's cart, a member's orders as buyer
or as seller, one order, and the one representation of an order
(:func:`order_payload`) that the API, checkout's idempotent replies and the
pages all use. A page of orders costs the same number of queries whatever
its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import NoReverseMatch, reverse

from community.models import User
from core import pagination
from core.money import currency
from shop.errors import OrderNotFound, ValidationFailed
from shop.models import CartItem, Order, OrderLine
from shop.selectors.access import is_shop_moderator

ORDER_STATUSES = tuple(Order.Status.values)


# --- cart ---------------------------------------------------------------------------------


@dataclass
class CartShop:
    """The lines of a cart from one shop (one checkout each)."""

    shop_id: int
    shop_name: str
    seller: str
    items: list[CartItem]
    total: int


def cart_items(user: User) -> QuerySet[CartItem]:
    """``user``'s cart lines, newest first, with their product (shop, seller,
    images), variant and source."""
    return (
        CartItem.objects.filter(user=user)
        .select_related("product__shop__owner", "variant", "source_note", "source_session")
        .prefetch_related("product__images")
        .order_by("-updated_at", "-id")
    )


def item_unit_price(item: CartItem) -> int:
    return int(item.product.price)


def item_source(item: CartItem | OrderLine) -> dict[str, int] | None:
    if item.source_note_id is not None:
        return {"note": item.source_note_id}
    if item.source_session_id is not None:
        return {"live_session": item.source_session_id}
    return None


def cart_by_shop(user: User) -> list[CartShop]:
    """``user``'s cart grouped by shop, in order of each shop's newest line."""
    groups: dict[int, CartShop] = {}
    for item in cart_items(user):
        shop = item.product.shop
        group = groups.get(shop.pk)
        if group is None:
            group = groups[shop.pk] = CartShop(shop.pk, shop.name, shop.owner.username, [], 0)
        group.items.append(item)
        group.total += item_unit_price(item) * item.quantity
    return list(groups.values())


def cart_item_payload(item: CartItem) -> dict[str, Any]:
    product = item.product
    available = item.variant.stock if item.variant is not None else product.stock
    return {
        "id": item.pk,
        "product": {
            "id": product.pk,
            "title": product.title,
            "price": product.price,
            "stock": product.stock,
            "seller": product.shop.owner.username,
            "shop": {"id": product.shop_id, "name": product.shop.name},
            "buyable": not product.is_hidden and product.shop.is_open,
        },
        "variant": (
            {"id": item.variant.pk, "name": item.variant.name, "stock": item.variant.stock}
            if item.variant is not None
            else None
        ),
        "quantity": item.quantity,
        "unit_price": product.price,
        "line_total": product.price * item.quantity,
        "in_stock": available >= item.quantity,
        "source": item_source(item),
        "added_at": item.added_at,
        "updated_at": item.updated_at,
    }


def cart_payload(user: User) -> dict[str, Any]:
    """``{"items": [...], "shops": [{shop, seller, items: [ids], total}],
    "total", "currency", "count"}``: what ``GET /api/v1/shop/cart/``
    answers (checkout takes one shop's ``items`` at a time)."""
    groups = cart_by_shop(user)
    items = [cart_item_payload(item) for group in groups for item in group.items]
    return {
        "items": items,
        "shops": [
            {
                "id": g.shop_id,
                "name": g.shop_name,
                "seller": g.seller,
                "items": [item.pk for item in g.items],
                "total": g.total,
            }
            for g in groups
        ],
        "count": sum(item["quantity"] for item in items),
        "total": sum(g.total for g in groups),
        "currency": currency(),
    }


# --- orders -------------------------------------------------------------------------------


def _with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("shop__owner", "buyer", "payment").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def order_list(
    *, viewer: User, as_seller: bool = False, status: str | None = None
) -> QuerySet[Order]:
    """``viewer``'s orders as buyer (or, ``as_seller``, their shop's), newest
    first, only those in ``status`` (``invalid`` for another word)."""
    if status is not None and status not in ORDER_STATUSES:
        raise ValidationFailed(fields={"status": [f"One of {', '.join(ORDER_STATUSES)}."]})
    orders = (
        Order.objects.filter(shop__owner=viewer)
        if as_seller
        else Order.objects.filter(buyer=viewer)
    )
    if status is not None:
        orders = orders.filter(status=status)
    return _with_details(orders)


def order_page(orders: QuerySet[Order], *, cursor: str | None, size: int) -> pagination.Page:
    return pagination.keyset(orders, cursor=cursor, size=size)


def can_see_order(viewer: Any, order: Order) -> bool:
    return bool(
        getattr(viewer, "is_authenticated", False)
        and (
            order.buyer_id == viewer.pk
            or order.shop.owner_id == viewer.pk
            or is_shop_moderator(viewer)
            or (viewer.is_active and (viewer.is_superuser or viewer.has_perm("shop.refund_order")))
        )
    )


def order_for_viewer(*, order_id: int, viewer: Any) -> Order:
    """One order with its lines, for its buyer, its seller, shop moderators
    and refunders; ``not_found`` for anyone else."""
    order = _with_details(Order.objects.filter(pk=order_id)).first()
    if order is None or not can_see_order(viewer, order):
        raise OrderNotFound()
    return order


def _sees_money(viewer: Any, order: Order) -> bool:
    """The seller and staff see the fee and commission; the buyer does not."""
    return bool(
        getattr(viewer, "pk", None) == order.shop.owner_id
        or (getattr(viewer, "is_authenticated", False) and viewer.pk != order.buyer_id
            and can_see_order(viewer, order))
    )  # fmt: skip


def _url(order: Order) -> str:
    try:
        return reverse("api-order", args=[order.pk])
    except NoReverseMatch:  # the API's routes are not mounted (a test's urls)
        return ""


def order_payload(
    order: Order, *, viewer: Any, lines: Sequence[OrderLine] | None = None
) -> dict[str, Any]:
    """The one representation of an order (JSON-ready but for datetimes):
    ``{id, status, currency, subtotal, total, shop, buyer, lines: [{id,
    product, variant, title, unit_price, quantity, line_total, source}],
    shipping, tracking, payment, reserved_until, created_at, paid_at, ...}``;
    its seller and staff also get ``platform_fee``, ``commission``,
    ``seller_amount`` and each line's ``commission``. ``lines``: the
    order's lines when the caller has them at hand (they are read
    otherwise)."""
    money = _sees_money(viewer, order)
    payload_lines = []
    for line in order.lines.all() if lines is None else lines:
        data: dict[str, Any] = {
            "id": line.pk,
            "product": line.product_id,
            "variant": line.variant_id,
            "title": line.title,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "line_total": line.line_total,
            "source": item_source(line),
        }
        if money:
            data["commission"] = line.commission
            data["affiliate"] = line.affiliate_id
        payload_lines.append(data)
    payload: dict[str, Any] = {
        "id": order.pk,
        "url": _url(order),
        "status": order.status,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "total": order.total,
        "shop": {"id": order.shop_id, "name": order.shop.name, "seller": order.shop.owner.username},
        "buyer": order.buyer.username,
        "flash_sale": order.flash_sale_id,
        "lines": payload_lines,
        "shipping": {
            "name": order.ship_name,
            "phone": order.ship_phone,
            "address": order.ship_address,
        },
        "tracking": order.tracking,
        "payment": (
            {"status": order.payment.status, "provider": order.payment.provider}
            if order.payment_id is not None and order.payment is not None
            else None
        ),
        "reserved_until": order.reserved_until if order.status == Order.Status.PENDING else None,
        "cancel_reason": order.cancel_reason,
        "refund_reason": order.refund_reason,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at,
        "refunded_at": order.refunded_at,
    }
    if money:
        payload.update(
            platform_fee=order.platform_fee,
            commission=order.commission,
            seller_amount=order.seller_amount,
        )
    return payload
