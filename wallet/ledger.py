"""The only writer of the ledger.

Every movement of value is one :class:`~wallet.models.Entry` whose lines sum
to zero. Three kinds of line:

- **debits that can fail** (a member spending coins, a payout draining
  earnings) are applied to the account's ``balance`` at once, with a
  conditional UPDATE (``balance >= amount``) in the same transaction: the
  database refuses to go below zero, concurrent spenders serialise only on
  their own row, and a failed debit raises :class:`InsufficientFunds` before
  anything is written;
- **credits** (a host's earnings, the platform's share) are appended with
  ``rolled_up = False`` and folded into ``balance`` later in batches
  (:func:`roll_up`), so a popular host or the platform account is never a
  hot row that every gift in a room waits for
  (``../shared/PERFORMANCE.md``, "Gift ledger");
- **credits that must be spendable at once** (a recharge's coins: only the
  rolled-up ``balance`` can be spent) use ``credit_now``: applied to the
  balance in the same transaction and written already rolled up. Only for
  rows that are not hot (one member's own wallet).

An account's true balance is ``balance + sum(unrolled lines)``
(:func:`balance_of`); ``reconcile`` proves the books.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum

from community.models import User
from core.errors import DomainError
from wallet.models import Account, Entry, Line


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 402
    message = "Not enough coins: recharge and try again."


@dataclass(frozen=True)
class Posting:
    """One line of an entry. ``debit_now`` applies a negative amount to the
    balance at once (and fails if that would go below zero); ``credit_now``
    applies a positive amount at once; otherwise the line is appended."""

    account: Account
    amount: int
    debit_now: bool = False
    credit_now: bool = False


def account_for(kind: str, *, user: User | None = None, owner_key: str = "") -> Account:
    """The account of this kind for a member, an outside owner, or the platform
    (neither), created on first use."""
    lookup: dict[str, Any] = {"kind": kind}
    if user is not None:
        lookup["user"] = user
    else:
        lookup.update(user=None, owner_key=owner_key)
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:  # created concurrently
        return Account.objects.get(**lookup)


def post(
    *,
    kind: str,
    postings: Sequence[Posting],
    memo: str = "",
    reference: dict[str, Any] | None = None,
) -> Entry:
    """Write one balanced entry. Must run inside the caller's transaction
    (``transaction.atomic``), which also holds the idempotency record."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.post must run inside transaction.atomic()")
    if not postings or sum(p.amount for p in postings) != 0:
        raise ValueError(f"unbalanced entry: {[p.amount for p in postings]}")
    if any(p.amount == 0 for p in postings):
        raise ValueError("a line of zero")
    for posting in postings:
        if (
            posting.amount < 0
            and not posting.debit_now
            and posting.account.kind not in Account.MAY_GO_NEGATIVE
        ):
            # Appended lines are folded in later; a debit must be checked now.
            raise ValueError(f"a debit of {posting.account} must be applied with debit_now")
        if posting.debit_now and posting.amount > 0:
            raise ValueError("debit_now is for negative amounts")
        if posting.credit_now and (posting.amount < 0 or posting.debit_now):
            raise ValueError("credit_now is for positive amounts")
    # Debits first (they can fail: nothing else has been touched then), each
    # group in account order so two entries never lock rows in opposite order.
    for posting in sorted((p for p in postings if p.debit_now), key=lambda p: p.account.pk):
        _apply_debit(posting.account, -posting.amount)
    for posting in sorted((p for p in postings if p.credit_now), key=lambda p: p.account.pk):
        Account.objects.filter(pk=posting.account.pk).update(balance=F("balance") + posting.amount)
    entry = Entry.objects.create(kind=kind, memo=memo[:200], reference=reference or {})
    Line.objects.bulk_create(
        [
            Line(
                entry=entry,
                account=p.account,
                amount=p.amount,
                rolled_up=p.debit_now or p.credit_now,
            )
            for p in postings
        ]
    )
    return entry


def _apply_debit(account: Account, amount: int) -> None:
    """``balance -= amount`` only if it stays >= 0 (for accounts that may go
    negative, unconditionally). Raises InsufficientFunds otherwise."""
    query = Account.objects.filter(pk=account.pk)
    if account.kind not in Account.MAY_GO_NEGATIVE:
        query = query.filter(balance__gte=amount)
    if query.update(balance=F("balance") - amount) != 1:
        raise InsufficientFunds()


def balance_of(account: Account) -> int:
    """The account's true balance: rolled-up plus appended lines."""
    pending = (
        Line.objects.filter(account=account, rolled_up=False).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    stored = Account.objects.filter(pk=account.pk).values_list("balance", flat=True).get()
    return int(stored) + int(pending)


def roll_up(*, account_ids: Iterable[int] | None = None, batch: int = 5000) -> int:
    """Fold appended lines into their accounts' balances, a batch at a time.
    Each batch locks only the lines it takes (SKIP LOCKED on PostgreSQL), so
    two roll-ups never count a line twice. Returns how many lines it folded."""
    folded = 0
    while True:
        with transaction.atomic():
            lines = Line.objects.filter(rolled_up=False)
            if account_ids is not None:
                lines = lines.filter(account_id__in=list(account_ids))
            if connection.features.has_select_for_update_skip_locked:
                lines = lines.select_for_update(skip_locked=True)
            chosen = list(lines.order_by("id").values_list("id", "account_id", "amount")[:batch])
            if not chosen:
                return folded
            totals: dict[int, int] = {}
            for _, account_id, amount in chosen:
                totals[account_id] = totals.get(account_id, 0) + amount
            Line.objects.filter(pk__in=[line_id for line_id, _, _ in chosen]).update(rolled_up=True)
            for account_id, total in sorted(totals.items()):
                Account.objects.filter(pk=account_id).update(balance=F("balance") + total)
            folded += len(chosen)
        if len(chosen) < batch:
            return folded
