"""Reads of the wallet: a member's coins and their own ledger; the gift
catalog and tallies of gift sends.

Balances are derived the ledger's way (``wallet.ledger.balance_of``): the
rolled-up ``Account.balance`` plus the lines not yet rolled up, here in one
query each.

Gift tallies speak the wallet's terms: senders, hosts, days, and any set of
:class:`~wallet.models.GiftSend` rows a caller chose. The live app, above,
picks the sends of a room or a session (``live.selectors``): the wallet
stores those ids and never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from community.models import User
from wallet.models import Account, Gift, GiftSend, Line

# The unit of each account kind: coins, or minor units of the money currency.
COIN_KINDS = frozenset(
    {
        Account.Kind.MEMBER_COINS,
        Account.Kind.CREATOR_EARNINGS,
        Account.Kind.PLATFORM_COINS,
        Account.Kind.COIN_ISSUANCE,
    }
)


@dataclass(frozen=True)
class WalletSummary:
    """A member's coins: ``coins`` in all, of which ``pending_coins`` are
    appended credits not yet rolled into the spendable balance (they are
    within a minute, by ``wallet.tasks.roll_up_balances``)."""

    coins: int
    pending_coins: int

    @property
    def spendable_coins(self) -> int:
        return self.coins - self.pending_coins


def _pending_sum() -> Subquery:
    return Subquery(
        Line.objects.filter(account=OuterRef("pk"), rolled_up=False)
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )


def wallet_summary(user: Any) -> WalletSummary:
    """The member's coins (one query; none for a visitor or a member who
    never had coins)."""
    if not getattr(user, "is_authenticated", False):
        return WalletSummary(coins=0, pending_coins=0)
    row = (
        Account.objects.filter(kind=Account.Kind.MEMBER_COINS, user=user)
        .annotate(pending=Coalesce(_pending_sum(), Value(0)))
        .values_list("balance", "pending")
        .first()
    )
    if row is None:
        return WalletSummary(coins=0, pending_coins=0)
    balance, pending = row
    return WalletSummary(coins=int(balance) + int(pending), pending_coins=int(pending))


def coin_balance(user: Any) -> int:
    """The member's coins, rolled up or not (``community.extensions.coin_balance``: the
    ``coins`` of ``/api/v1/me``). One query."""
    return wallet_summary(user).coins


def ledger_of(user: Any) -> QuerySet[Line]:
    """The lines on the member's own accounts (coins, and earnings and
    payables for a creator), with what the list shows: the entry's kind,
    memo and reference and the account's kind. Page it with
    ``community.pagination.keyset`` (newest first, by line id)."""
    if not getattr(user, "is_authenticated", False):
        return Line.objects.none()
    accounts = Account.objects.filter(user=user).values("pk")
    return (
        Line.objects.filter(account__in=Subquery(accounts))
        .select_related("entry", "account")
        .only(
            "id",
            "amount",
            "rolled_up",
            "created_at",
            "entry__id",
            "entry__kind",
            "entry__memo",
            "entry__reference",
            "account__id",
            "account__kind",
        )
    )


def unit_of(kind: str) -> str:
    """``coins`` or ``money``: the unit of an account kind's amounts."""
    return "coins" if kind in COIN_KINDS else "money"


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
