"""Reads of the wallet: a member's coins and their own ledger, what a coin
costs, what a recharge may ask for.

Balances are derived the ledger's way (:func:`account_balance`): the
rolled-up ``Account.balance`` plus the lines not yet rolled up, here in one
query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.money import currency, money_text
from wallet.errors import ValidationFailed
from wallet.models import Account, Line, Payment

MIN_RECHARGE_COINS = 1
MAX_RECHARGE_COINS = 100_000
#: The preset packs offered wherever coins are bought (the wallet page, a
#: live room's top-up sheet), in coins; the first pack of ``DEFAULT_PACK`` is
#: preselected.
RECHARGE_PACKS = (60, 300, 980, 1980)
DEFAULT_PACK = 300

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


def ledger_lines_for(user: Any) -> QuerySet[Line]:
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


def account_kind_unit(kind: str) -> str:
    """``coins`` or ``money``: the unit of an account kind's amounts."""
    return "coins" if kind in COIN_KINDS else "money"


def account_balance(account: Account) -> int:
    """The account's true balance: rolled-up plus appended lines."""
    pending = (
        Line.objects.filter(account=account, rolled_up=False).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    stored = Account.objects.filter(pk=account.pk).values_list("balance", flat=True).get()
    return int(stored) + int(pending)


# --- recharges ------------------------------------------------------------------------------


def coin_price() -> int:
    """What one coin costs, in minor units of ``SPROUT_CURRENCY``."""
    return int(settings.SPROUT_WALLET_COIN_PRICE)


@dataclass(frozen=True)
class RechargePack:
    """A preset pack as a page offers it: its coins and what they cost
    (minor units of ``currency``, and as people read it)."""

    coins: int
    price: int
    currency: str
    price_text: str


def recharge_packs() -> list[RechargePack]:
    """The preset packs with their prices (:data:`RECHARGE_PACKS` at
    :func:`coin_price`)."""
    code = currency()
    price = coin_price()
    return [
        RechargePack(
            coins=coins,
            price=coins * price,
            currency=code,
            price_text=money_text(coins * price, code),
        )
        for coins in RECHARGE_PACKS
    ]


def check_recharge_coins(coins: Any) -> int:
    """``coins`` if it is a whole number from 1 to 100,000; ValidationFailed
    (field ``coins``) otherwise."""
    if (
        isinstance(coins, bool)
        or not isinstance(coins, int)
        or not MIN_RECHARGE_COINS <= coins <= MAX_RECHARGE_COINS
    ):
        raise ValidationFailed(
            fields={
                "coins": [
                    f"A whole number of coins from {MIN_RECHARGE_COINS} to {MAX_RECHARGE_COINS:,}."
                ]
            }
        )
    return coins


def payment_payload(payment: Payment) -> dict[str, Any]:
    """A payment as the API shows it (and as idempotent replays store it)."""
    return {
        "id": payment.pk,
        "coins": payment.coins,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
    }
