"""Reads of the creator pool's daily stats (``kol.services.stats`` computes
them), and the pool's daily ``gift_income`` from the wallet's gift sends
(a ``kol.extensions.stat_providers`` provider).

``gift_income`` is the coins members paid for the gifts a creator received
that UTC day (before the platform's share: the wallet's ledger holds the
creator's part, ``wallet.rules.split_coins``)."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from kol.models import CreatorDailyStat, CreatorProfile
from wallet.selectors import gift_sends_on


def stats_today() -> date:
    """The current UTC date (stats days are UTC days)."""
    return timezone.now().astimezone(UTC).date()


def stats_recent(creator: CreatorProfile, *, days: int = 30) -> QuerySet[CreatorDailyStat]:
    """The creator's daily stats of the last ``days`` days (today included),
    oldest first."""
    since = stats_today() - timedelta(days=max(days, 1) - 1)
    return CreatorDailyStat.objects.filter(creator=creator, date__gte=since).order_by("date")


def gift_income(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{creator profile id: {"gift_income": coins}}`` for the creators among
    ``creator_ids`` who received gifts on ``day``. One grouped query, whatever
    the pool's size (the ids are matched in Python: a pool of thousands would
    not fit one ``IN`` list on SQLite)."""
    wanted = set(creator_ids)
    if not wanted:
        return {}
    rows = (
        gift_sends_on(day)
        .filter(host__creator__isnull=False)
        .order_by()
        .values("host__creator__id")
        .annotate(coins=Sum("coins"))
        .values_list("host__creator__id", "coins")
    )
    return {
        int(creator_id): {"gift_income": int(coins)}
        for creator_id, coins in rows
        if creator_id in wanted and coins
    }
