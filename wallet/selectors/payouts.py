"""Reads of payouts: the configuration, what earnings are worth, who would
be paid in a run for a period, and payouts and what they left owed (the
writes and the money's path are :mod:`wallet.services.payouts`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from community.models import User
from wallet import extensions
from wallet.errors import OwnPayout, PermissionDenied
from wallet.models import Account, Entry, Line, Payout
from wallet.selectors.coins import account_balance

BPS = 10_000
RATE_PLACES = Decimal("0.000001")  # Payout.rate keeps six decimal places
REVIEW_PERMISSION = "wallet.review_payout"


# --- configuration ---------------------------------------------------------------------


def payout_threshold() -> int:
    """The least earnings (coins) that are paid out (``SPROUT_WALLET_PAYOUT_THRESHOLD``)."""
    value = int(getattr(settings, "SPROUT_WALLET_PAYOUT_THRESHOLD", 1_000))
    if value < 1:
        raise ImproperlyConfigured("SPROUT_WALLET_PAYOUT_THRESHOLD must be at least 1 coin")
    return value


def payout_rate() -> Decimal:
    """Minor units of money per coin of earnings (``SPROUT_WALLET_PAYOUT_RATE``,
    a decimal with at most six places, e.g. ``"1"`` or ``"0.95"``)."""
    raw = getattr(settings, "SPROUT_WALLET_PAYOUT_RATE", "1")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ImproperlyConfigured(f"SPROUT_WALLET_PAYOUT_RATE {raw!r} is not a number") from None
    if value <= 0 or value != value.quantize(RATE_PLACES):
        raise ImproperlyConfigured(
            f"SPROUT_WALLET_PAYOUT_RATE {raw!r} must be positive with at most six decimal places"
        )
    return value


# --- amounts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What ``coins`` are worth at ``rate``, split with an agency (see the
    ``wallet.services.payouts`` for the rounding)."""

    coins: int
    rate: Decimal
    gross: int
    agency_share_bps: int
    agency_amount: int
    net: int
    # Affiliate commission (money, already in minor units: not converted, no
    # agency share), paid beside the coins.
    commission: int = 0

    @property
    def owed(self) -> int:
        """What the creator is owed for this payout: net plus commission."""
        return self.net + self.commission


def commission_threshold() -> int:
    """The least commission (minor units) paid out on its own: what the coin
    threshold is worth at the payout rate (at least one minor unit)."""
    return max(
        1,
        int((payout_threshold() * payout_rate()).to_integral_value(rounding=ROUND_FLOOR)),
    )


def payout_quote(
    coins: int, *, at_rate: Decimal, agency_share_bps: int = 0, commission: int = 0
) -> Quote:
    """Convert ``coins`` at ``at_rate`` and split off the agency's share:
    ``gross = floor(coins × rate)``, ``agency = floor(gross × bps / 10,000)``,
    ``net = gross − agency``."""
    if coins < 0:
        raise ValueError("coins must not be negative")
    if not 0 <= agency_share_bps <= BPS:
        raise ValueError(f"an agency share of {agency_share_bps} basis points")
    gross = int((coins * at_rate).to_integral_value(rounding=ROUND_FLOOR))
    agency_amount = gross * agency_share_bps // BPS
    return Quote(
        coins=coins,
        rate=at_rate,
        gross=gross,
        agency_share_bps=agency_share_bps,
        agency_amount=agency_amount,
        net=gross - agency_amount,
        commission=commission,
    )


# --- plans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutPlan:
    """A creator who would be paid now, and how much."""

    creator_id: int
    username: str
    account_id: int | None  # their coin earnings account (None: commission only)
    agency_key: str
    agency_name: str
    quote: Quote
    commission_account_id: int | None = None


def period_cutoff(period_end: date) -> datetime:
    """The end of ``period_end`` (midnight after it, UTC): what is booked from
    then on belongs to later payout runs."""
    return datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=UTC)


def earned_by(balance: int, credited_since: int) -> int:
    """The part of an earnings ``balance`` accrued before a period's end:
    the balance less the credits booked since (never below zero). Payouts
    and refunds debited since count against the oldest earnings first, so
    a run for an older period never pays what a later run paid already.
    Coins a rejected payout gave back are not new earnings: they count as
    earned before (:func:`credits_since` leaves reversals out)."""
    return max(0, balance - credited_since)


def credits_since(
    cutoff: datetime, *, account_ids: Iterable[int], rolled_up_only: bool = False
) -> dict[int, int]:
    """``{account id: credits booked at or after cutoff}`` of these accounts
    (absent: none), payout reversals left out (:func:`earned_by`); with
    ``rolled_up_only``, only the credits already in the accounts' balances
    (the paying side counts them under its row locks, where lines appended
    meanwhile are not in the balance it pays from)."""
    lines = Line.objects.filter(
        account_id__in=list(account_ids), amount__gt=0, created_at__gte=cutoff
    ).exclude(entry__kind=Entry.Kind.PAYOUT_REVERSAL)
    if rolled_up_only:
        lines = lines.filter(rolled_up=True)
    rows = lines.order_by().values("account_id").annotate(total=Sum("amount"))
    return {int(row["account_id"]): int(row["total"]) for row in rows}


def _balance_rows(
    kinds: Iterable[str],
    user_ids: Iterable[int] | None = None,
    *,
    booked_before: datetime | None = None,
) -> list[tuple[int, int, str, int, str]]:
    """``(account id, user id, username, balance, kind)`` of members'
    accounts of these kinds, the balance the ledger's way (rolled-up plus
    appended lines), in one query, by user id. With ``booked_before``, the
    part of it accrued before then (:func:`earned_by`)."""
    accounts = Account.objects.filter(kind__in=list(kinds), user__isnull=False)
    if user_ids is not None:
        accounts = accounts.filter(user_id__in=list(user_ids))
    later = (
        Sum(
            "lines__amount",
            filter=Q(lines__amount__gt=0, lines__created_at__gte=booked_before)
            & ~Q(lines__entry__kind=Entry.Kind.PAYOUT_REVERSAL),
        )
        if booked_before is not None
        else Value(0)
    )
    rows = (
        accounts.annotate(
            pending=Coalesce(Sum("lines__amount", filter=Q(lines__rolled_up=False)), 0),
            later=Coalesce(later, 0),
        )
        .order_by("user_id", "kind")
        .values_list("pk", "user_id", "user__username", "balance", "pending", "later", "kind")
    )
    return [
        (
            int(pk),
            int(user_id),
            str(username),
            earned_by(int(balance) + int(pending), int(later)),
            str(kind),
        )
        for pk, user_id, username, balance, pending, later, kind in rows
    ]


def _earnings_rows(user_ids: Iterable[int] | None = None) -> list[tuple[int, int, str, int]]:
    """``(account id, user id, username, balance)`` of creators' earnings
    accounts (:func:`_balance_rows`)."""
    return [row[:4] for row in _balance_rows([Account.Kind.CREATOR_EARNINGS], user_ids)]


def earnings_for(user_ids: Iterable[int]) -> dict[int, int]:
    """The earnings balance (coins) of each of these members, set-based; a
    member without an earnings account is absent (zero)."""
    return {user_id: coins for _, user_id, _, coins in _earnings_rows(user_ids)}


def payout_run_plan(*, period_end: date) -> list[PayoutPlan]:
    """The payouts a run for ``period_end`` would make now, in creator
    order. A run pays what was earned up to the end of ``period_end`` (UTC)
    and not paid yet: each balance less the credits booked after that
    (:func:`earned_by`); what came later waits for a later run. Due are every
    creator whose earnings so bounded are at least the threshold and worth
    at least one minor unit (converted, with the agency's share from the
    splitter), and every creator whose earned commission so bounded is at
    least :func:`commission_threshold` (paid as it is, beside the coins).
    Each part is paid only when it reaches its own threshold. The paying
    side (``wallet.services.payouts``) computes the same figures under its
    row locks. Reads only (two queries and the splitter's)."""
    least = payout_threshold()
    at_rate = payout_rate()
    least_commission = commission_threshold()
    coins_due: dict[int, tuple[int | None, str, int]] = {}
    commission_due: dict[int, tuple[int | None, str, int]] = {}
    for account_id, user_id, username, amount, kind in _balance_rows(
        [Account.Kind.CREATOR_EARNINGS, Account.Kind.COMMISSION_EARNED],
        booked_before=period_cutoff(period_end),
    ):
        if kind == Account.Kind.CREATOR_EARNINGS and amount >= least:
            coins_due[user_id] = (account_id, username, amount)
        elif kind == Account.Kind.COMMISSION_EARNED and amount >= least_commission:
            commission_due[user_id] = (account_id, username, amount)
    due = sorted(set(coins_due) | set(commission_due))
    splits = extensions.payout_splitter.get()(due) if due else {}
    plans = []
    for user_id in due:
        coins_account_id, username, coins = coins_due.get(user_id, (None, "", 0))
        commission_account_id, commission_username, commission = commission_due.get(
            user_id, (None, "", 0)
        )
        agency_key, agency_name, share_bps = splits.get(user_id, ("", "", 0))
        priced = payout_quote(
            coins, at_rate=at_rate, agency_share_bps=share_bps if agency_key else 0
        )
        if priced.gross == 0:
            coins_account_id, priced = None, payout_quote(0, at_rate=at_rate)
        if priced.gross == 0 and not commission:
            continue
        plans.append(
            PayoutPlan(
                creator_id=user_id,
                username=username or commission_username,
                account_id=coins_account_id,
                agency_key=agency_key if priced.gross else "",
                agency_name=agency_name if priced.gross else "",
                quote=replace(priced, commission=commission),
                commission_account_id=commission_account_id,
            )
        )
    return plans


def commission_for(user: User) -> tuple[int, int]:
    """``(pending, earned)``: a creator's affiliate commission on orders not
    yet delivered, and on delivered ones not yet paid out (minor units; one
    query)."""
    rows = {
        kind: amount
        for _, _, _, amount, kind in _balance_rows(
            [Account.Kind.COMMISSION_PENDING, Account.Kind.COMMISSION_EARNED], [user.pk]
        )
    }
    return rows.get(Account.Kind.COMMISSION_PENDING, 0), rows.get(Account.Kind.COMMISSION_EARNED, 0)


def money_side(currency_code: str) -> str:
    """The owner key of the money side of ``payout_conversion`` (the coins
    side is the platform's account without one)."""
    return f"money:{currency_code}"


def payout_lease_seconds() -> int:
    """How long a payout run's lease lasts without a renewal
    (``SPROUT_WALLET_PAYOUT_LEASE_SECONDS``)."""
    value = int(getattr(settings, "SPROUT_WALLET_PAYOUT_LEASE_SECONDS", 60))
    if value < 1:
        raise ImproperlyConfigured("SPROUT_WALLET_PAYOUT_LEASE_SECONDS must be at least 1")
    return value


# --- review ----------------------------------------------------------------------------


def check_can_review(*, reviewer: Any, payout: Payout) -> None:
    """Reviewers need ``wallet.review_payout`` and may not review their own
    payout."""
    if not getattr(reviewer, "is_authenticated", False) or not reviewer.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied("Only payout reviewers can approve or reject payouts.")
    if reviewer.pk == payout.creator_id:
        raise OwnPayout()


# --- payouts ---------------------------------------------------------------------------


def payouts_for(
    *, creator_ids: Iterable[int] | None = None, agency_key: str | None = None
) -> QuerySet[Payout]:
    """Payouts, newest first, of some creators and/or with one agency's share,
    with their run and creator loaded."""
    payouts = Payout.objects.select_related("run", "creator")
    if creator_ids is not None:
        payouts = payouts.filter(creator_id__in=list(creator_ids))
    if agency_key is not None:
        payouts = payouts.filter(agency_key=agency_key)
    return payouts.order_by("-run__period_end", "-id")


def payable_balance(*, user: User | None = None, owner_key: str = "") -> int:
    """Money owed to a creator (``user``) or an agency (``owner_key``), in
    minor units: what payouts credited and rejections did not take back."""
    kind = Account.Kind.CREATOR_PAYABLE if user is not None else Account.Kind.AGENCY_PAYABLE
    lookup: dict[str, Any] = {"kind": kind}
    lookup.update({"user": user} if user is not None else {"user": None, "owner_key": owner_key})
    account = Account.objects.filter(**lookup).first()
    return account_balance(account) if account is not None else 0
