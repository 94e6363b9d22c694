"""Test data for payouts: creators with earnings, agencies with their
managers, and the books' checks (reviewers are ``ModeratorFactory``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community.models import User
from kol.models import Agency, CreatorProfile
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    CreatorFactory,
    EntryFactory,
    UserFactory,
)
from wallet import selectors
from wallet.models import Account, Entry, Line
from wallet.reconcile import reconcile

# Before the payout tests' periods: a run pays what was earned by its period's end.
EARNED_AT = datetime(2026, 5, 1, 12, tzinfo=UTC)


def earn(user: User, coins: int, *, at: datetime | None = EARNED_AT) -> Entry:
    """Credit ``coins`` to a creator's earnings the way gifts do (an appended
    line, not yet rolled up), issued by the platform (an adjustment entry),
    booked ``at`` that moment (default :data:`EARNED_AT`; None: now)."""
    entry = EntryFactory(user=user, coins=coins, memo=f"test earnings for {user.username}")
    if at is not None:
        book_at(entry, at)
    return entry


def book_at(entry: Entry, at: datetime) -> None:
    """Date an entry and its lines ``at`` that moment (as if booked then)."""
    Entry.objects.filter(pk=entry.pk).update(created_at=at)
    Line.objects.filter(entry=entry).update(created_at=at)


def creator_with(coins: int = 0, *, agency: Agency | None = None, share_bps: int = 0,
                 username: str | None = None) -> CreatorProfile:  # fmt: skip
    """A creator with ``coins`` of earnings, on ``agency``'s roster if given."""
    user = UserFactory(username=username) if username else UserFactory()
    creator = CreatorFactory(user=user)
    if agency is not None:
        AgencyMembershipFactory(agency=agency, creator=creator, share_bps=share_bps)
    if coins:
        earn(creator.user, coins)
    return creator


def agency_with_manager(**fields: Any) -> tuple[Agency, User]:
    agency = AgencyFactory(**fields)
    manager = UserFactory()
    agency.managers.add(manager)
    return agency, manager


def balance(kind: str, *, user: User | None = None, owner_key: str = "") -> int:
    """An account's balance the ledger's way; 0 if it does not exist."""
    lookup: dict[str, Any] = {"kind": kind}
    lookup.update({"user": user} if user is not None else {"user": None, "owner_key": owner_key})
    account = Account.objects.filter(**lookup).first()
    return selectors.account_balance(account) if account else 0


def assert_books_balance() -> None:
    report = reconcile()
    assert report.ok, report.summary()
