"""Test data for gifts: catalog gifts, funded members, live rooms."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Sum

from live.models import LiveSession, Room
from tests.live import make_room
from wallet import services
from wallet.models import Gift, Line

PRICES = {"rose": 1, "heart": 5, "coffee": 10, "sprout": 52, "rocket": 199, "castle": 520}
TIERS = {"rose": 1, "heart": 1, "coffee": 1, "sprout": 2, "rocket": 3, "castle": 3}


def make_gift(slug: str = "heart", *, coins: int | None = None, **fields: Any) -> Gift:
    """A catalog gift (the default catalog's price for its slug unless given)."""
    gift, _ = Gift.objects.update_or_create(
        slug=slug,
        defaults={
            "name": fields.pop("name", slug.title()),
            "coins": coins if coins is not None else PRICES.get(slug, 5),
            "animation_tier": fields.pop("animation_tier", TIERS.get(slug, 1)),
            "emoji": fields.pop("emoji", "🎁"),
            "is_active": fields.pop("is_active", True),
            **fields,
        },
    )
    return gift


def make_catalog() -> dict[str, Gift]:
    return {slug: make_gift(slug, position=n) for n, slug in enumerate(PRICES)}


def fund(user: Any, coins: int) -> None:
    """Give a member coins the way members get them: a sandbox recharge."""
    services.recharge(user=user, coins=coins, idempotency_key=f"fund-{uuid.uuid4().hex}")


def live_room(host: Any = None) -> tuple[Room, LiveSession]:
    room = make_room(host=host)
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
