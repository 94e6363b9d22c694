"""Products pinned in live rooms: the host (or a room moderator) pins one
product at a time (the host's own, or one open to affiliates) and unpins it;
every viewer gets ``product_pinned`` / ``product_unpinned`` at once, through
live's one publish path (``live.events.room_event_send_on_commit``). Each pin
is recorded with the room's running session: the history of what was shown
when, for reports and replays.

Pins do not outlive what they show:

- a product taken off sale (by its seller or a moderator), deleted, no
  longer open to affiliates (in other hosts' rooms), or whose shop a
  moderator closed is unpinned at once, every viewer told
  (:func:`product_pins_retire`, :func:`shop_pins_retire`, called by those
  services and by a product's deletion);
- a pinned product that runs out stays pinned and says "sold out": the
  room's tick carries ``pin_stock`` when that changes
  (:func:`pin_stock_room_tick`), and the pin's payload has ``sold_out``.

A pin made before the room goes live (the host prepares the room) has no
session yet; it joins the broadcast when it starts
(:func:`room_pins_session_attach`, on ``live.extensions.session_started``),
and viewers get the pin again with its ``session``, which a buy from the
card names as its source: those orders count for that broadcast."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from community.models import User
from live import events
from live.models import LiveSession, Room
from shop.errors import NotYourRoom, RoomEnded
from shop.models import Product, RoomPin
from shop.selectors.pins import (
    can_pin,
    flash_sale_for_pin,
    pinned_product,
    room_open_session,
)
from shop.services.tags import product_offer_check


def room_pin_check(*, actor: User, room: Room) -> None:
    """Refuse who may not pin in ``room`` (``not_room_host``), or an ended room."""
    if not can_pin(actor, room):
        raise NotYourRoom()
    if room.state == Room.State.ENDED:
        raise RoomEnded()


def room_pin_create(*, actor: User, room: Room, product: Product) -> tuple[RoomPin, bool]:
    """Pin ``product`` in ``room`` (replacing the current pin), with the
    product's flash sale if one is scheduled or on. The product must be one
    the *host* may show (their own, or open to affiliates), whoever pins it.
    Pinning the product already pinned (with the same sale) changes nothing
    and answers that pin and False."""
    room_pin_check(actor=actor, room=room)
    product_offer_check(creator=room.host, product=product)
    with transaction.atomic():
        # The room's row serialises pins: one current pin, whatever the races.
        Room.objects.select_for_update().filter(pk=room.pk).first()
        sale = flash_sale_for_pin(product)
        current = RoomPin.objects.filter(room=room, unpinned_at__isnull=True).first()
        if (
            current is not None
            and current.product_id == product.pk
            and current.flash_sale_id == (sale.pk if sale else None)
        ):
            return current, False
        if current is not None:
            RoomPin.objects.filter(pk=current.pk).update(unpinned_at=timezone.now())
        pin = RoomPin.objects.create(
            room=room,
            session=room_open_session(room),
            product=product,
            flash_sale=sale,
            pinned_by=actor,
        )
        pin = RoomPin.objects.select_related("product", "flash_sale").get(pk=pin.pk)
        payload = pinned_product(pin)
        events.room_event_send_on_commit(room.pk, events.product_pinned(payload))
    return pin, True


def room_pin_remove(*, actor: User, room: Room) -> bool:
    """Unpin the room's current product (idempotent: False when nothing was
    pinned). Allowed in an ended room too (it tidies up)."""
    if not can_pin(actor, room):
        raise NotYourRoom()
    with transaction.atomic():
        changed = RoomPin.objects.filter(room=room, unpinned_at__isnull=True).update(
            unpinned_at=timezone.now()
        )
        if changed:
            events.room_event_send_on_commit(room.pk, events.product_unpinned())
    return bool(changed)


# --- pins that no longer hold ----------------------------------------------------------------


def _retire(pins: QuerySet[RoomPin]) -> int:
    """Unpin these current pins and tell their rooms, after commit."""
    with transaction.atomic():
        current = list(pins.filter(unpinned_at__isnull=True).values_list("pk", "room_id"))
        if not current:
            return 0
        RoomPin.objects.filter(pk__in=[pk for pk, _ in current], unpinned_at__isnull=True).update(
            unpinned_at=timezone.now()
        )
        for room_id in sorted({room_id for _, room_id in current}):
            events.room_event_send_on_commit(room_id, events.product_unpinned())
    return len(current)


def product_pins_retire(*, product_ids: Iterable[int], except_host_id: int | None = None) -> int:
    """Unpin these products wherever they are pinned (taken off sale, hidden,
    deleted), except in ``except_host_id``'s rooms (a product no longer open
    to affiliates stays pinned in its seller's own rooms). Returns how many
    pins were taken down."""
    pins = RoomPin.objects.filter(product_id__in=list(product_ids))
    if except_host_id is not None:
        pins = pins.exclude(room__host_id=except_host_id)
    return _retire(pins)


def product_deleting(sender: type[Product], instance: Product, **kwargs: Any) -> None:
    """``pre_delete`` of a product (the admin, a shop's deletion): off the
    rooms it is pinned in, viewers told once the deletion commits."""
    product_pins_retire(product_ids=[instance.pk])


def shop_pins_retire(*, shop_id: int) -> int:
    """Unpin every product of a shop (a moderator closed it)."""
    return _retire(RoomPin.objects.filter(product__shop_id=shop_id))


def room_pins_session_attach(session: LiveSession) -> None:
    """The room's current pin made before it went live joins the new
    broadcast (``live.extensions.session_started``, inside its transaction);
    after commit viewers get the pin again, now with its session."""
    attached = RoomPin.objects.filter(
        room_id=session.room_id, unpinned_at__isnull=True, session__isnull=True
    ).update(session=session)
    if not attached:
        return
    pin = (
        RoomPin.objects.filter(room_id=session.room_id, unpinned_at__isnull=True)
        .select_related("product", "flash_sale")
        .prefetch_related("product__images")
        .first()
    )
    if pin is not None:
        events.room_event_send_on_commit(
            session.room_id, events.product_pinned(pinned_product(pin))
        )


#: How long a process trusts its answer to "is the pinned product sold out"
#: (the tick asks several times a second; one query per room this often).
PIN_STOCK_CACHE_SECONDS = 2


def pin_stock_room_tick(room_id: int) -> list[events.PinStockEvent]:
    """``pin_stock`` for the product pinned in ``room_id`` (none without a
    pin), read from the database at most every
    :data:`PIN_STOCK_CACHE_SECONDS` per process. The hub sends it only when
    it changes."""
    key = f"shop:room:{room_id}:pin_stock"
    cached = cache.get(key)
    if cached is None:
        row = (
            RoomPin.objects.filter(room_id=room_id, unpinned_at__isnull=True)
            .values_list("product_id", "product__stock")
            .first()
        )
        cached = [row[0], row[1]] if row else [0, 0]
        cache.set(key, cached, PIN_STOCK_CACHE_SECONDS)
    product_id, stock = cached
    if not product_id:
        return []
    return [events.pin_stock(product_id=product_id, sold_out=stock <= 0)]


async def pin_stock_room_tick_async(room_id: int) -> list[Mapping[str, Any]]:
    """:func:`pin_stock_room_tick` for the room hub's event loop."""
    return list(await database_sync_to_async(pin_stock_room_tick)(room_id))
