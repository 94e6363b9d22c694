"""Reads of products pinned in live rooms: the current pin of rooms (for the
room's API representation and a joining viewer's snapshot), its payload as
the ``product_pinned`` event carries it, and who may pin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from live import events
from live.extensions import TimelineEntry, TimelineKey, TimelineQuery
from live.models import LiveSession, Room
from shop.models import FlashSale, OrderLine, Product, RoomPin
from shop.selectors.cards import product_card
from shop.selectors.flash import flash_sale_left, flash_sale_state_of


def can_pin(user: Any, room: Room) -> bool:
    """The room's host and its room moderators pin products (site moderators
    moderate rooms, they do not sell in them)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(room.host_id == user.pk or room.moderators.filter(pk=user.pk).exists())


def flash_sale_for_pin(product: Product, now: datetime | None = None) -> FlashSale | None:
    """The product's flash sale a pin shows: the first one not over
    (scheduled or on, sold out included: "sold out" is worth showing)."""
    now = now or timezone.now()
    return (
        FlashSale.objects.filter(product=product, cancelled_at__isnull=True, ends_at__gt=now)
        .order_by("starts_at", "id")
        .first()
    )


def _iso(moment: datetime) -> str:
    return events.timestamp(moment)


def pinned_flash_sale(sale: FlashSale | None) -> events.PinnedFlashSale | None:
    """The sale as a pin shows it: the units left by the gate (what buyers
    race for; the database's record when the gate has not seen the sale),
    and its state by them (``shop.selectors.flash``)."""
    if sale is None:
        return None
    left = flash_sale_left(sale.pk)
    if left is None:
        left = sale.remaining
    return {
        "id": sale.pk,
        "price": sale.price,
        "remaining": max(left, 0),
        "starts_at": _iso(sale.starts_at),
        "ends_at": _iso(sale.ends_at),
        "state": flash_sale_state_of(
            starts_at=sale.starts_at,
            ends_at=sale.ends_at,
            cancelled=sale.cancelled_at is not None,
            left=left,
        ),
    }


def pinned_product(pin: RoomPin, *, request: Any = None) -> events.PinnedProduct:
    """What ``product_pinned`` (and the room's ``pinned_product``) say of a
    pin. The pin's product images and flash sale should be loaded."""
    card = product_card(pin.product, request=request)
    return {
        "id": card["id"],
        "title": card["title"],
        "price": card["price"],
        "currency": card["currency"],
        "image": card["image"],
        "url": card["url"],
        "flash_sale": pinned_flash_sale(pin.flash_sale),
        "sold_out": pin.product.stock <= 0,
        "session": pin.session_id,
    }


def room_pins_current(room_ids: Sequence[int]) -> dict[int, RoomPin]:
    """The current pin of each of these rooms that has one and has not ended
    (three queries whatever the number of rooms)."""
    if not room_ids:
        return {}
    pins = (
        RoomPin.objects.filter(room_id__in=room_ids, unpinned_at__isnull=True)
        .exclude(room__state=Room.State.ENDED)
        .filter(Q(product__is_hidden=False) & Q(product__shop__is_open=True))
        .select_related("product", "flash_sale")
        .prefetch_related("product__images")
    )
    return {pin.room_id: pin for pin in pins}


def room_pinned_products(rooms: Sequence[Room], request: Any = None) -> dict[int, Any]:
    """``{room id: pinned product}`` for a page of rooms (``pinned_product``
    of the rooms' API representation)."""
    pins = room_pins_current([room.pk for room in rooms])
    return {room_id: pinned_product(pin, request=request) for room_id, pin in pins.items()}


def room_pin_current(room: Room) -> RoomPin | None:
    return room_pins_current([room.pk]).get(room.pk)


def room_open_session(room: Room) -> LiveSession | None:
    """The room's running broadcast (pins are recorded with it)."""
    if room.state != Room.State.LIVE:
        return None
    return LiveSession.objects.filter(room=room, ended_at__isnull=True).order_by("-id").first()


def session_pins(session: LiveSession) -> list[RoomPin]:
    """The products pinned during a broadcast, in order (for reports and
    replays)."""
    return list(
        RoomPin.objects.filter(session=session)
        .select_related("product", "flash_sale")
        .order_by("pinned_at", "id")
    )


COUNTED = ("paid", "shipped", "delivered")


def session_sales(session_id: int | None) -> dict[str, int]:
    """Orders and units a broadcast has caused so far (order lines whose
    source is the session, of orders paid and not cancelled or refunded):
    the host's counter on the pinned product's card."""
    if session_id is None:
        return {"orders": 0, "units": 0}
    lines = OrderLine.objects.filter(source_session_id=session_id, order__status__in=COUNTED)
    totals = lines.aggregate(orders=Count("order_id", distinct=True), units=Sum("quantity"))
    return {"orders": totals["orders"] or 0, "units": totals["units"] or 0}


def session_pins_timeline(query: TimelineQuery) -> list[TimelineEntry]:
    """The broadcast's pins for its replay's timeline
    (``live.extensions.timeline_sources``): a ``product_pinned`` when each was
    pinned (a pin made before the broadcast, at its start) and a
    ``product_unpinned`` when it was taken down, in three queries (the pinned
    products' images among them)."""
    pinned = list(
        RoomPin.objects.filter(session_id=query.session_id)
        .filter(query.window("pinned_at", "product_pinned"))
        .select_related("product", "flash_sale")
        .prefetch_related("product__images")
        .order_by("pinned_at", "id")[: query.limit + 1]
    )
    unpinned = list(
        RoomPin.objects.filter(session_id=query.session_id, unpinned_at__isnull=False)
        .filter(query.window("unpinned_at", "product_unpinned"))
        .order_by("unpinned_at", "id")
        .values_list("id", "unpinned_at")[: query.limit + 1]
    )
    entries = [
        TimelineEntry(
            TimelineKey(query.offset_of(pin.pinned_at), "product_pinned", pin.pk),
            events.product_pinned(pinned_product(pin)),
        )
        for pin in pinned
    ]
    entries += [
        TimelineEntry(
            TimelineKey(query.offset_of(moment), "product_unpinned", pin_id),
            events.product_unpinned(),
        )
        for pin_id, moment in unpinned
        if moment is not None
    ]
    return entries
