"""The creator pool's side of payouts: which agency takes what share of a
creator's payout (the hook ``wallet.selectors.payout_run_plan`` calls through
``wallet.extensions.payout_splitter``), and the reads behind the studio's
earnings panel and the agency dashboard.

The wallet owns the money; the pool owns who represents whom. Agencies reach
the wallet only as ``agency:<id>`` keys with a name and a share in basis
points, frozen on each payout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound, PermissionDenied
from core.money import Money, currency
from kol.models import Agency, AgencyMembership
from wallet import selectors as wallet_selectors
from wallet.models import Payout

RECENT_PAYOUTS = 12
AGENCY_PAYOUTS = 50


def agency_key(agency: Agency | int) -> str:
    """The wallet's key of an agency (its ``agency_payable`` owner, and
    ``Payout.agency_key``)."""
    return f"agency:{agency if isinstance(agency, int) else agency.pk}"


def agency_split(user_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """``{user id: (agency key, agency name, share in basis points)}`` for the
    creators among ``user_ids`` who have a current agency (one query)."""
    rows = AgencyMembership.objects.filter(
        creator__user_id__in=list(user_ids), ended_at__isnull=True
    ).values_list("creator__user_id", "agency_id", "agency__name", "share_bps")
    return {
        user_id: (agency_key(agency_id), name, int(share_bps))
        for user_id, agency_id, name, share_bps in rows
    }


@dataclass(frozen=True)
class PayoutLine:
    """A payout with its amounts ready to print."""

    payout: Payout
    gross: Money
    agency_amount: Money
    net: Money
    commission: Money

    @property
    def owed(self) -> Money:
        """What the creator is owed: net plus commission."""
        return Money(self.net.amount + self.commission.amount, self.net.currency)


def payout_lines(payouts: QuerySet[Payout], *, limit: int) -> list[PayoutLine]:
    return [
        PayoutLine(
            payout=p,
            gross=Money(int(p.gross), p.currency),
            agency_amount=Money(int(p.agency_amount), p.currency),
            net=Money(int(p.net), p.currency),
            commission=Money(int(p.commission), p.currency),
        )
        for p in payouts[:limit]
    ]


# --- the studio ----------------------------------------------------------------------


@dataclass(frozen=True)
class StudioEarnings:
    """A creator's earnings panel: coins waiting to be paid and what they are
    worth (split as a payout would split them now), what is owed from
    payouts made, and the latest payouts."""

    coins: int
    value: Money
    agency_name: str
    agency_share_bps: int
    agency_amount: Money
    net: Money
    threshold: int
    owed: Money
    payouts: list[PayoutLine]
    # Affiliate commission on orders (the shop's; zero without it): pending
    # delivery, and earned but not paid out yet (paid with the coins).
    commission_pending: Money
    commission_earned: Money

    @property
    def has_commission(self) -> bool:
        return bool(
            self.commission_pending.amount
            or self.commission_earned.amount
            or any(line.payout.commission for line in self.payouts)
        )

    @property
    def coins_to_threshold(self) -> int:
        return max(0, self.threshold - self.coins)

    @property
    def pending(self) -> list[PayoutLine]:
        return [line for line in self.payouts if line.payout.status == Payout.Status.PENDING]

    @property
    def reviewed(self) -> list[PayoutLine]:
        return [line for line in self.payouts if line.payout.status != Payout.Status.PENDING]


def studio_earnings(user: Any) -> StudioEarnings:
    """The studio's earnings panel for ``user`` (a creator)."""
    coins = wallet_selectors.earnings_for([user.pk]).get(user.pk, 0)
    split = agency_split([user.pk]).get(user.pk)
    name, share = (split[1], split[2]) if split else ("", 0)
    priced = wallet_selectors.payout_quote(
        coins, at_rate=wallet_selectors.payout_rate(), agency_share_bps=share
    )
    cur = currency()
    commission_pending, commission_earned = wallet_selectors.commission_for(user)
    return StudioEarnings(
        coins=coins,
        value=Money(priced.gross, cur),
        agency_name=name,
        agency_share_bps=share,
        agency_amount=Money(priced.agency_amount, cur),
        net=Money(priced.net, cur),
        threshold=wallet_selectors.payout_threshold(),
        owed=Money(wallet_selectors.payable_balance(user=user), cur),
        payouts=payout_lines(
            wallet_selectors.payouts_for(creator_ids=[user.pk]), limit=RECENT_PAYOUTS
        ),
        commission_pending=Money(commission_pending, cur),
        commission_earned=Money(commission_earned, cur),
    )


# --- the agency dashboard -------------------------------------------------------------


def agency_managed_list(user: Any) -> QuerySet[Agency]:
    """The agencies ``user`` manages (``Agency.managers``), by name."""
    if not getattr(user, "is_authenticated", False):
        return Agency.objects.none()
    return Agency.objects.filter(managers=user).order_by("name")


def agency_for_manager(user: Any, *, slug: str = "") -> tuple[Agency, list[Agency]]:
    """The agency a manager asked for (by slug; without one, the first they
    manage) and every agency they manage. A member who manages none gets
    PermissionDenied; an agency they do not manage does not exist for them
    (NotFound)."""
    agencies = list(agency_managed_list(user))
    if not agencies:
        raise PermissionDenied("Only an agency's managers can see its dashboard.")
    if not slug:
        return agencies[0], agencies
    for agency in agencies:
        if agency.slug == slug:
            return agency, agencies
    raise NotFound("No such agency.")


@dataclass(frozen=True)
class RosterLine:
    """One creator on the roster, their unpaid earnings, what those are worth
    and the agency's part of that at the current share."""

    membership: AgencyMembership
    coins: int
    value: Money
    agency_amount: Money


@dataclass(frozen=True)
class AgencyEarnings:
    agency: Agency
    roster: list[RosterLine]
    coins: int
    value: Money
    agency_amount: Money
    owed: Money
    payouts: list[PayoutLine]


def agency_earnings(agency: Agency) -> AgencyEarnings:
    """An agency's dashboard: its current roster with each creator's unpaid
    earnings and the agency's share of them at today's rate, what the
    platform owes the agency from payouts made, and the payouts that carried
    a share for it (also of creators who left since). A fixed number of
    queries."""
    memberships = list(
        AgencyMembership.objects.filter(agency=agency, ended_at__isnull=True)
        .select_related("creator__user")
        .order_by("creator__user__username")
    )
    balances = wallet_selectors.earnings_for([m.creator.user_id for m in memberships])
    at_rate, cur = wallet_selectors.payout_rate(), currency()
    roster = []
    for membership in memberships:
        coins = balances.get(membership.creator.user_id, 0)
        priced = wallet_selectors.payout_quote(
            coins, at_rate=at_rate, agency_share_bps=membership.share_bps
        )
        roster.append(
            RosterLine(
                membership=membership,
                coins=coins,
                value=Money(priced.gross, cur),
                agency_amount=Money(priced.agency_amount, cur),
            )
        )
    key = agency_key(agency)
    return AgencyEarnings(
        agency=agency,
        roster=roster,
        coins=sum(line.coins for line in roster),
        value=Money(sum(line.value.amount for line in roster), cur),
        agency_amount=Money(sum(line.agency_amount.amount for line in roster), cur),
        owed=Money(wallet_selectors.payable_balance(owner_key=key), cur),
        payouts=payout_lines(
            wallet_selectors.payouts_for(agency_key=key),
            limit=AGENCY_PAYOUTS,
        ),
    )
