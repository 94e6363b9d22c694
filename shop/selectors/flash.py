"""Reads of flash sales: their state, the cached snapshot the buy path and
the live rooms' ticks read instead of the database, and the seller's list.

A sale's state is computed, never stored: ``scheduled`` before its start,
``on`` while units are left, ``sold_out`` when none are, ``ended`` after its
end or once cancelled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from community.models import User
from shop.errors import NotFound
from shop.gate import flash_gate
from shop.models import FlashSale
from shop.selectors.products import product_list

type FlashSaleState = Literal["scheduled", "on", "sold_out", "ended"]
FLASH_SALE_STATES: tuple[FlashSaleState, ...] = ("scheduled", "on", "sold_out", "ended")

# The snapshot outlives the sale by a day (late retries still read it).
SNAPSHOT_KEEP_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class FlashSaleSnapshot:
    """What the buy path needs to know about a sale without the database.
    Everything in it is fixed once the sale exists, except ``cancelled``:
    a cancel rewrites the snapshot and closes the gate."""

    id: int
    product_id: int
    variant_id: int | None
    seller_id: int
    price: int
    quantity: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool

    def state(self, *, left: int, now: datetime | None = None) -> FlashSaleState:
        return flash_sale_state_of(
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            cancelled=self.cancelled,
            left=left,
            now=now,
        )


def flash_sale_state_of(
    *,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    left: int,
    now: datetime | None = None,
) -> FlashSaleState:
    """The one definition of a sale's state."""
    now = now or timezone.now()
    if cancelled or now >= ends_at:
        return "ended"
    if now < starts_at:
        return "scheduled"
    if left <= 0:
        return "sold_out"
    return "on"


def flash_sale_state(sale: FlashSale, *, now: datetime | None = None) -> FlashSaleState:
    """The state of ``sale`` by the database's record."""
    return flash_sale_state_of(
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        cancelled=sale.cancelled_at is not None,
        left=sale.remaining,
        now=now,
    )


def _snapshot_key(sale_id: int) -> str:
    return f"shop:flash:{sale_id}:snapshot"


def snapshot_of(sale: FlashSale) -> FlashSaleSnapshot:
    return FlashSaleSnapshot(
        id=sale.pk,
        product_id=sale.product_id,
        variant_id=sale.variant_id,
        seller_id=sale.product.shop.owner_id,
        price=sale.price,
        quantity=sale.quantity,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        cancelled=sale.cancelled_at is not None,
    )


def snapshot_ttl(ends_at: datetime) -> int:
    """Seconds to keep a sale's snapshot and gate: until a day after its end."""
    return max(int((ends_at + SNAPSHOT_KEEP_AFTER - timezone.now()).total_seconds()), 60)


def flash_sale_snapshot_store(sale: FlashSale) -> FlashSaleSnapshot:
    """Write ``sale``'s snapshot to the cache (on create, cancel, and a miss)."""
    snapshot = snapshot_of(sale)
    cache.set(_snapshot_key(sale.pk), asdict(snapshot), snapshot_ttl(sale.ends_at))
    return snapshot


def flash_sale_snapshot(sale_id: int) -> FlashSaleSnapshot:
    """The sale's snapshot from the cache, loaded from the database (and
    cached) on a miss; ``not_found`` when there is no such sale."""
    cached = cache.get(_snapshot_key(sale_id))
    if cached is not None:
        return FlashSaleSnapshot(**cached)
    sale = FlashSale.objects.select_related("product__shop").filter(pk=sale_id).first()
    if sale is None:
        raise NotFound("No such flash sale.")
    return flash_sale_snapshot_store(sale)


def flash_sale_left(sale_id: int) -> int | None:
    """Units the gate still hands out (None when it has not seen the sale)."""
    return flash_gate().left(sale_id)


def _visible(sales: QuerySet[FlashSale], viewer: Any) -> QuerySet[FlashSale]:
    # A sale is seen by whoever may see its product (hidden products and
    # closed shops: their seller and moderators only).
    return sales.filter(product__in=product_list(viewer=viewer).values("pk"))


def flash_sale_for_viewer(*, sale_id: int, viewer: Any) -> FlashSale:
    """One sale whose product ``viewer`` may see; ``not_found`` otherwise."""
    sale = (
        _visible(FlashSale.objects.filter(pk=sale_id), viewer)
        .select_related("product__shop__owner", "variant")
        .first()
    )
    if sale is None:
        raise NotFound("No such flash sale.")
    return sale


def flash_sale_list(
    *, seller: User, product_id: int | None = None, state: FlashSaleState | None = None
) -> QuerySet[FlashSale]:
    """A seller's flash sales, newest start first (only ``product_id``'s;
    only those in ``state`` at this moment)."""
    sales = FlashSale.objects.filter(product__shop__owner=seller).select_related(
        "product__shop__owner", "variant"
    )
    if product_id is not None:
        sales = sales.filter(product_id=product_id)
    if state is not None:
        sales = sales.filter(flash_sale_state_filter(state))
    return sales


def flash_sale_state_filter(state: FlashSaleState) -> Any:
    """The ``Q`` of sales in ``state`` now (the admin's filter, the list's)."""
    now = timezone.now()
    ended = Q(cancelled_at__isnull=False) | Q(ends_at__lte=now)
    if state == "ended":
        return ended
    if state == "scheduled":
        return ~ended & Q(starts_at__gt=now)
    if state == "sold_out":
        return ~ended & Q(starts_at__lte=now, remaining__lte=0)
    return ~ended & Q(starts_at__lte=now, remaining__gt=0)


def flash_sale_open_overlapping(*, product_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether the product has a sale, not cancelled, whose time overlaps
    ``[starts_at, ends_at)``."""
    return FlashSale.objects.filter(
        product_id=product_id,
        cancelled_at__isnull=True,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists()
