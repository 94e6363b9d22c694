"""Gift data under the names the gift modules import: catalog gifts, funded
members, live rooms, and a check of the books. Thin wrappers over
``tests.factories`` (new tests use the factories and fixtures directly)."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from live.models import LiveSession, Room
from tests.factories import GiftFactory, PaymentFactory, RoomFactory
from tests.factories.wallet import PRICES, TIERS, gift_catalog
from wallet.models import Gift, Line

__all__ = [
    "PRICES",
    "TIERS",
    "fund",
    "live_room",
    "make_catalog",
    "make_gift",
    "unbalanced_entries",
]


def make_gift(slug: str = "heart", *, coins: int | None = None, **fields: Any) -> Gift:
    """A catalog gift (the default catalog's price for its slug unless given)."""
    if coins is not None:
        fields["coins"] = coins
    return GiftFactory(slug=slug, **fields)


make_catalog = gift_catalog


def fund(user: Any, coins: int) -> None:
    """Give a member coins the way members get them: a sandbox recharge."""
    PaymentFactory(user=user, coins=coins)


def live_room(host: Any = None) -> tuple[Room, LiveSession]:
    room = RoomFactory(live=True, **({"host": host} if host is not None else {}))
    return room, LiveSession.objects.get(room=room, ended_at__isnull=True)


def unbalanced_entries() -> int:
    """Entries whose lines do not sum to zero (one query)."""
    return (
        Line.objects.order_by()
        .values("entry_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .count()
    )
