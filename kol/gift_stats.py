"""The creator pool's daily ``gift_income``, from the wallet's gift sends
(a ``kol.extensions.stat_providers`` provider; see ``kol.stats``).

``gift_income`` is the coins members paid for the gifts a creator received
that UTC day (before the platform's share: the wallet's ledger holds the
creator's part, ``wallet.rules.split_coins``)."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from wallet.selectors import gift_sends_on


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
