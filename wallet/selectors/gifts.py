"""Reads of the wallet's gifts: the catalog and tallies of gift sends.

Gift tallies speak the wallet's terms: senders, hosts, days, and any set of
:class:`~wallet.models.GiftSend` rows a caller chose. The live app, above,
picks the sends of a room or a session (``live.selectors``): the wallet
stores those ids and never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import Coalesce

from community.models import User
from wallet.models import Account, Gift, GiftSend, Line

# --- gifts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopGifter:
    """One line of a leaderboard: a sender and the coins they gave."""

    user_id: int
    username: str
    display_name: str
    coins: int


def gift_catalog() -> QuerySet[Gift]:
    """The gifts members can send, in the order the tray shows them."""
    return Gift.objects.filter(is_active=True).order_by("position", "coins", "id")


def gift_payload(gift: Gift) -> dict[str, Any]:
    """A gift as clients see it (the catalog, the room's ``gift`` event).
    ``image`` is the stored image's URL (relative to the site) or ""."""
    return {
        "slug": gift.slug,
        "name": gift.name,
        "coins": gift.coins,
        "animation_tier": gift.animation_tier,
        "emoji": gift.emoji,
        "image": gift.image.url if gift.image else "",
    }


def gift_tally(sends: QuerySet[GiftSend]) -> dict[str, int]:
    """``{gifts, coins, unique_payers}`` of some sends in one aggregate query;
    ``gifts`` counts items (a send of 5 roses is 5 gifts), ``coins`` what the
    senders paid."""
    totals = sends.order_by().aggregate(
        gifts=Coalesce(Sum("quantity"), 0),
        coins=Coalesce(Sum("coins"), 0),
        unique_payers=Count("sender", distinct=True),
    )
    return {name: int(totals[name]) for name in ("gifts", "coins", "unique_payers")}


def gift_earnings(sends: QuerySet[GiftSend]) -> int:
    """The coins some sends credited to their hosts' earnings (the senders'
    coins less the platform's share), read from the ledger in one query."""
    total = Line.objects.filter(
        entry_id__in=sends.order_by().values("entry_id"),
        account__kind=Account.Kind.CREATOR_EARNINGS,
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    return int(total)


def gift_top_senders(sends: QuerySet[GiftSend], limit: int = 10) -> list[TopGifter]:
    """The biggest senders among ``sends`` by coins, in one query; ties go
    to whoever gave first."""
    rows = (
        sends.order_by()
        .values("sender_id", "sender__username", "sender__display_name")
        .annotate(total=Sum("coins"), first=Min("id"))
        .order_by("-total", "first")[:limit]
    )
    return [
        TopGifter(
            user_id=row["sender_id"],
            username=row["sender__username"],
            display_name=row["sender__display_name"] or row["sender__username"],
            coins=int(row["total"]),
        )
        for row in rows
    ]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def gift_sends_on(day: date) -> QuerySet[GiftSend]:
    """The gifts sent on a UTC calendar day (for stats providers, which group
    them as they need in one query)."""
    start, end = _day_bounds(day)
    return GiftSend.objects.filter(created_at__gte=start, created_at__lt=end)


def host_gift_tally(host: User, day: date) -> dict[str, int]:
    """The gifts ``host`` received on a UTC calendar day:
    ``{gifts, coins, unique_payers}`` (coins as paid by the senders, before
    the platform's share)."""
    return gift_tally(gift_sends_on(day).filter(host=host))
