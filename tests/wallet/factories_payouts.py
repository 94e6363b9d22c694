"""Test data for payouts: creators with earnings, agencies, reviewers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from community.models import User
from kol.models import Agency, AgencyMembership, CreatorProfile
from tests.factories import AgencyFactory, CreatorFactory, UserFactory
from wallet import ledger
from wallet.models import Account, Entry
from wallet.reconcile import reconcile


def earn(user: User, coins: int) -> None:
    """Credit ``coins`` to a creator's earnings the way gifts do (an appended
    line, not yet rolled up), issued by the platform (an adjustment entry)."""
    with transaction.atomic():
        ledger.post(
            kind=Entry.Kind.ADJUSTMENT,
            postings=[
                ledger.Posting(ledger.account_for(Account.Kind.COIN_ISSUANCE), -coins),
                ledger.Posting(ledger.account_for(Account.Kind.CREATOR_EARNINGS, user=user), coins),
            ],
            memo=f"test earnings for {user.username}",
        )


def creator_with(coins: int = 0, *, agency: Agency | None = None, share_bps: int = 0,
                 username: str | None = None) -> CreatorProfile:  # fmt: skip
    """A creator with ``coins`` of earnings, on ``agency``'s roster if given."""
    user = UserFactory(username=username) if username else UserFactory()
    creator = CreatorFactory(user=user)
    if agency is not None:
        AgencyMembership.objects.create(agency=agency, creator=creator, share_bps=share_bps)
    if coins:
        earn(creator.user, coins)
    return creator


def agency_with_manager(**fields: Any) -> tuple[Agency, User]:
    agency = AgencyFactory(**fields)
    manager = UserFactory()
    agency.managers.add(manager)
    return agency, manager


def payout_reviewer() -> User:
    """A moderator: the Moderators group holds ``wallet.review_payout``."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Moderators"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def balance(kind: str, *, user: User | None = None, owner_key: str = "") -> int:
    """An account's balance the ledger's way; 0 if it does not exist."""
    lookup: dict[str, Any] = {"kind": kind}
    lookup.update({"user": user} if user is not None else {"user": None, "owner_key": owner_key})
    account = Account.objects.filter(**lookup).first()
    return ledger.balance_of(account) if account else 0


def assert_books_balance() -> None:
    report = reconcile()
    assert report.ok, report.summary()
