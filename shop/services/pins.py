"""Products pinned in live rooms: the host (or a room moderator) pins one
product at a time (the host's own, or one open to affiliates) and unpins it;
every viewer gets ``product_pinned`` / ``product_unpinned`` at once, through
live's one publish path (``live.events.room_event_send_on_commit``). Each pin
is recorded with the room's running session: the history of what was shown
when, for reports and replays."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from community.models import User
from live import events
from live.models import Room
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
