"""Flash sales: a seller puts ``quantity`` units of a product on sale at a
lower price from ``starts_at`` to ``ends_at``; buyers race for them.

The buy path (SPEC.md ``POST /api/v1/shop/flash-sales/{id}/buy``), in the
"seckill" design of ``../shared/PERFORMANCE.md``, measured in
``docs/performance.md`` ("Flash sales"):

1. the sale's state from its cached snapshot
   (``shop.selectors.flash.flash_sale_snapshot``): ``not_started`` and
   ``ended`` are answered without the database;
2. the gate (``shop.gate``): an atomic counter hands out one ticket per
   buyer; once it is at zero every further buyer is answered ``sold_out``
   with no database query and no write (:func:`flash_sale_buy_precheck` does
   that even before the buyer is authenticated: a sold-out answer does not
   depend on who asks, unless they hold a ticket, which the key tells);
3. ticket holders place their order
   (``shop.services.orders.flash_order_place``: a handful of statements, the
   sale's and the product's rows taken last so that their locks last for
   the commit only) inside ``operation_run_once``, so a retry with the same
   key replays the same order; the database's conditional update of
   ``FlashSale.remaining`` is the record and the last guard. If the order
   cannot be placed (the database says sold out, a refused source) the
   ticket goes back;
4. the order is answered ``pending``: its payment is charged after the
   commit (the task ``shop.tasks.charge_order``), and the provider's
   callback makes it ``paid``; a refused charge cancels it, and its unit
   goes back to the database and its ticket to the gate at once.

Orders released later put their unit back in ``FlashSale.remaining``
(``shop.services.orders``); :func:`flash_sale_gate_sync` sets the gate to
the database's ``remaining`` less the tickets in flight, from the periodic
task ``shop.tasks.sync_flash_sale_gates``, when a live room's tick finds no
counter, and after every create and cancel.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from community.models import User
from live import events
from live.events import FlashSaleEvent
from shop import rules
from shop.errors import (
    FlashSaleEnded,
    FlashSaleNotStarted,
    FlashSaleOnePerBuyer,
    FlashSaleOverlaps,
    FlashSoldOut,
    NotFound,
    NotTheSeller,
    ShopClosed,
    ValidationFailed,
)
from shop.gate import Take, flash_gate
from shop.models import FlashSale, Order, Product, ProductVariant, RoomPin
from shop.selectors.access import is_shop_moderator
from shop.selectors.flash import (
    FlashSaleSnapshot,
    flash_sale_open_overlapping,
    flash_sale_snapshot,
    flash_sale_snapshot_store,
    snapshot_ttl,
)
from shop.selectors.orders import order_payload
from shop.services.orders import FlashOrderPlaced, flash_order_place
from wallet.models import Entry
from wallet.services.idempotency import check_key, operation_run_once

#: A ticket taken this long ago whose order is not in the database is given
#: up (its request died): far longer than a buy request can take.
TICKET_GRACE_SECONDS = 120
#: How far in the past a start may be (a client's clock, a slow form).
START_SLACK = timedelta(minutes=1)
BUY_SCOPE = "shop.flash_sale_buy"


# --- create and cancel ----------------------------------------------------------------------


def flash_sale_check(
    *,
    product: Product,
    variant: ProductVariant | None,
    price: int,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
) -> None:
    """The one check of a flash sale's fields (ValidationFailed naming them)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if isinstance(price, bool) or not isinstance(price, int) or price < rules.PRICE_MIN:
        errors["price"] = [f"A whole number of at least {rules.PRICE_MIN}."]
    elif price >= product.price:
        errors["price"] = ["A flash price is below the product's price."]
    stock = variant.stock if variant is not None else product.stock
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= stock:
        errors["quantity"] = [f"From 1 to the units in stock ({stock:,})."]
    if starts_at >= ends_at:
        errors["ends_at"] = ["A sale ends after it starts."]
    elif ends_at - starts_at > timedelta(days=rules.FLASH_SALE_MAX_DAYS):
        errors["ends_at"] = [f"A flash sale lasts at most {rules.FLASH_SALE_MAX_DAYS} days."]
    if starts_at < now - START_SLACK:
        errors["starts_at"] = ["A sale cannot start in the past."]
    elif starts_at > now + timedelta(days=rules.FLASH_SALE_MAX_AHEAD_DAYS):
        errors["starts_at"] = [
            f"Schedule a sale at most {rules.FLASH_SALE_MAX_AHEAD_DAYS} days ahead."
        ]
    if errors:
        raise ValidationFailed(fields=errors)


def flash_sale_create(
    *,
    seller: User,
    product: Product,
    price: int,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    variant: ProductVariant | None = None,
) -> FlashSale:
    """Put ``quantity`` units of ``product`` (or of its ``variant``) on sale
    at ``price`` from ``starts_at`` to ``ends_at``. Only the product's seller
    may (``not_the_seller``), from an open shop; a product has at most one
    sale open at a time (``flash_sale_overlaps``)."""
    if product.shop.owner_id != seller.pk:
        raise NotTheSeller("Only the product's seller can put it on a flash sale.")
    if not product.shop.is_open:
        raise ShopClosed()
    if product.is_hidden:
        raise ValidationFailed(fields={"product": ["A moderator hid this product."]})
    if variant is not None and variant.product_id != product.pk:
        raise ValidationFailed(fields={"variant": ["Not a variant of this product."]})
    flash_sale_check(
        product=product,
        variant=variant,
        price=price,
        quantity=quantity,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    with transaction.atomic():
        # The product's row lock serialises two creates of the same product,
        # so the overlap check below cannot be raced.
        Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").first()
        if flash_sale_open_overlapping(product_id=product.pk, starts_at=starts_at, ends_at=ends_at):
            raise FlashSaleOverlaps()
        sale = FlashSale.objects.create(
            product=product,
            variant=variant,
            price=price,
            quantity=quantity,
            remaining=quantity,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=seller,
        )
        transaction.on_commit(lambda: _publish(sale))
    return sale


def flash_sale_cancel(*, actor: User, sale: FlashSale) -> FlashSale:
    """Cancel a sale that has not ended: its seller, or a shop moderator.
    The gate closes at once; orders already placed stand."""
    if sale.product.shop.owner_id != actor.pk and not is_shop_moderator(actor):
        raise NotTheSeller("Only the product's seller can cancel its flash sale.")
    with transaction.atomic():
        locked = FlashSale.objects.select_for_update().get(pk=sale.pk)
        if locked.cancelled_at is not None or locked.ends_at <= timezone.now():
            raise FlashSaleEnded("This flash sale is already over.")
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        sale.cancelled_at = locked.cancelled_at
        transaction.on_commit(lambda: _publish(sale))
    return sale


def _publish(sale: FlashSale) -> None:
    """The snapshot and the gate follow a committed change of the sale."""
    flash_sale_snapshot_store(sale)
    flash_sale_gate_sync(sale.pk)


# --- the gate and the database ------------------------------------------------------------------


def flash_sale_gate_sync(sale_id: int) -> int:
    """Set the gate of sale ``sale_id`` to the database's ``remaining`` less
    the tickets in flight (taken, not yet an order in the database, not
    older than :data:`TICKET_GRACE_SECONDS`); forget holders whose order was
    released (or never made), so that they may buy again. A cancelled or
    ended sale's gate is closed (0). Returns the units the gate now hands
    out.

    The reads are ordered so that a race can only make the gate *lower*
    than it should be until the next sync, never higher: holders first,
    then the orders among them, then ``remaining``."""
    gate = flash_gate()
    holders = gate.holders(sale_id)
    active = set(
        Order.objects.filter(
            flash_sale_id=sale_id,
            buyer_id__in=[h.buyer_id for h in holders],
            stock_released=False,
        ).values_list("buyer_id", flat=True)
    )
    sale = (
        FlashSale.objects.filter(pk=sale_id)
        .values("remaining", "cancelled_at", "starts_at", "ends_at")
        .first()
    )
    if sale is None:
        return 0
    cancelled = sale["cancelled_at"] is not None
    is_open = not cancelled and sale["ends_at"] > timezone.now()
    # What the HTTP edge (shop.edge) needs to answer not_started / ended.
    meta = f"{sale['starts_at'].timestamp()} {sale['ends_at'].timestamp()} {int(cancelled)}"
    return gate.sync(
        sale_id,
        remaining=sale["remaining"] if is_open else 0,
        active_buyers=active,
        stale_before=time.time() - TICKET_GRACE_SECONDS,
        ttl_seconds=snapshot_ttl(sale["ends_at"]),
        meta=meta,
    )


def flash_sales_gate_sync(*, now: datetime | None = None) -> int:
    """:func:`flash_sale_gate_sync` for every sale on now or ended in the last
    hour (the periodic task). Returns how many were synced."""
    now = now or timezone.now()
    ids = list(
        FlashSale.objects.filter(
            starts_at__lte=now + timedelta(minutes=5), ends_at__gt=now - timedelta(hours=1)
        ).values_list("pk", flat=True)
    )
    for sale_id in ids:
        flash_sale_gate_sync(sale_id)
    return len(ids)


# --- buying -----------------------------------------------------------------------------


def _state_guard(snapshot: FlashSaleSnapshot, now: datetime) -> None:
    if snapshot.cancelled or now >= snapshot.ends_at:
        raise FlashSaleEnded()
    if now < snapshot.starts_at:
        raise FlashSaleNotStarted()


def flash_sale_buy_precheck(*, sale_id: int, idempotency_key: str) -> None:
    """What can be answered before knowing the buyer, from the cache and the
    gate alone (no database query once the snapshot is cached): raises
    ``not_started``, ``ended``, or ``sold_out`` when the gate is empty and
    no ticket was taken with this key (so this cannot be a winner's retry).
    Returns when the request must go on to :func:`flash_sale_buy`."""
    snapshot = flash_sale_snapshot(sale_id)
    _state_guard(snapshot, timezone.now())
    peek = flash_gate().peek(sale_id, idempotency_key)
    if peek.known and peek.left <= 0 and not peek.key_held:
        raise FlashSoldOut()


def flash_sale_admission_release(*, sale_id: int, idempotency_key: str) -> bool:
    """Give back the unit the HTTP edge admitted for a request that failed
    before it became its buyer's ticket (not logged in, refused input);
    nothing when it did (the buy path gives tickets back itself)."""
    return flash_gate().release_admission(sale_id, idempotency_key)


def _ticket(snapshot: FlashSaleSnapshot, buyer: User, key: str) -> Take:
    gate = flash_gate()
    taken = gate.take(snapshot.id, buyer.pk, key)
    if taken is Take.UNKNOWN:
        flash_sale_gate_sync(snapshot.id)
        taken = gate.take(snapshot.id, buyer.pk, key)
    if taken is Take.HELD_OTHER:
        # A ticket under another key: refused while that order stands or its
        # request may still be running; a stale ticket without an order (the
        # order was released, or its request died) is given up, and this
        # request tries again.
        holder = gate.holder(snapshot.id, buyer.pk)
        if (
            holder is not None
            and holder.taken_at < time.time() - TICKET_GRACE_SECONDS
            and not Order.objects.filter(
                flash_sale_id=snapshot.id, buyer=buyer, stock_released=False
            ).exists()
        ):
            gate.give_back(snapshot.id, buyer.pk, holder.key)
            taken = gate.take(snapshot.id, buyer.pk, key)
    if taken is Take.HELD_OTHER:
        raise FlashSaleOnePerBuyer()
    if taken in (Take.SOLD_OUT, Take.UNKNOWN):
        raise FlashSoldOut()
    return taken


def flash_sale_buy(
    *,
    buyer: User,
    sale_id: int,
    idempotency_key: str,
    source: dict[str, int] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Buy one unit of flash sale ``sale_id`` at its price, paid through the
    payment provider: ``(order, replayed)`` where ``order`` is the order's
    API payload, ``pending`` until the provider's callback (its charge is
    asked for once the order is committed:
    ``shop.services.orders.flash_order_place``). The same key replays the
    same order (``replayed``, the first answer); the same key with another
    sale or source is ``idempotency_conflict``. Raises ``not_started``,
    ``ended``, ``sold_out``, ``one_per_buyer``, and what placing the order
    raises (its ticket then goes back)."""
    check_key(idempotency_key)
    snapshot = flash_sale_snapshot(sale_id)
    _state_guard(snapshot, timezone.now())
    taken = _ticket(snapshot, buyer, idempotency_key)
    placed: list[FlashOrderPlaced] = []

    def operation() -> tuple[Entry | None, dict[str, Any]]:
        placed.append(_order_place(buyer=buyer, sale_id=sale_id, source=source))
        order = placed[0]
        return None, order_payload(order.order, viewer=buyer, lines=order.lines)

    try:
        return operation_run_once(
            user=buyer,
            scope=BUY_SCOPE,
            key=idempotency_key,
            params={"flash_sale": sale_id, "source": source or {}},
            operation=operation,
            # The sale's and the product's rows, last: locked for the commit only.
            finish=lambda: placed[0].reserve(),
        )
    except BaseException:
        if taken is Take.TAKEN:
            flash_gate().give_back(sale_id, buyer.pk, idempotency_key)
        raise


def _order_place(*, buyer: User, sale_id: int, source: dict[str, int] | None) -> FlashOrderPlaced:
    sale = (
        FlashSale.objects.select_related("product__shop__owner", "variant")
        .annotate(
            product_has_variants=Exists(ProductVariant.objects.filter(product=OuterRef("product")))
        )
        .filter(pk=sale_id)
        .first()
    )
    if sale is None:
        raise NotFound("No such flash sale.")
    now = timezone.now()
    if sale.cancelled_at is not None or now >= sale.ends_at:
        raise FlashSaleEnded()
    if now < sale.starts_at:
        raise FlashSaleNotStarted()
    return flash_order_place(buyer=buyer, sale=sale, source=source)


# --- live rooms -----------------------------------------------------------------------------

#: How long a process trusts its cached answer to "which sale is pinned in
#: this room" (the tick asks several times a second).
PIN_CACHE_SECONDS = 2


def _room_pin_key(room_id: int) -> str:
    return f"shop:room:{room_id}:flash_pin"


def flash_sale_room_tick(room_id: int) -> list[FlashSaleEvent]:
    """The ``flash_sale`` event of the sale pinned in room ``room_id``
    (``live.extensions.room_tick_events``): its units left by the gate and
    its state; nothing when no sale is pinned. Reads the cache and the gate;
    the database only for the pin every :data:`PIN_CACHE_SECONDS`, and to
    sync a gate that has no counter yet (a sale just pinned)."""
    sale_id = cache.get(_room_pin_key(room_id))
    if sale_id is None:
        sale_id = (
            RoomPin.objects.filter(room_id=room_id, unpinned_at__isnull=True)
            .values_list("flash_sale_id", flat=True)
            .first()
        ) or 0
        cache.set(_room_pin_key(room_id), sale_id, PIN_CACHE_SECONDS)
    if not sale_id:
        return []
    try:
        snapshot = flash_sale_snapshot(sale_id)
    except NotFound:
        return []
    left = flash_gate().left(sale_id)
    if left is None:
        left = flash_sale_gate_sync(sale_id)
    return [
        events.flash_sale(sale_id=sale_id, remaining=max(left, 0), state=snapshot.state(left=left))
    ]


async def flash_sale_room_tick_async(room_id: int) -> list[Mapping[str, Any]]:
    """:func:`flash_sale_room_tick` for the room hub's event loop."""
    return list(await database_sync_to_async(flash_sale_room_tick)(room_id))
