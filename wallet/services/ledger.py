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
  (:func:`balances_roll_up`), so a popular host or the platform account is never a
  hot row that every gift in a room waits for
  (``../shared/PERFORMANCE.md``, "Gift ledger");
- **credits that must be spendable at once** (a recharge's coins: only the
  rolled-up ``balance`` can be spent) use ``credit_now``: applied to the
  balance in the same transaction and written already rolled up. Only for
  rows that are not hot (one member's own wallet).

An account's true balance is ``balance + sum(unrolled lines)``
(``wallet.selectors.account_balance``); ``reconcile`` proves the books.

:func:`entry_post` writes one entry through the ORM. The gift engine
(``wallet.services.gifts``) books hundreds of entries a transaction in a fixed
number of statements, with the batch functions at the end of the module:
:func:`member_coins_lock`, :func:`debits_apply` and
:func:`entries_append_batch`, the same three kinds of line in set-based SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import F

from community.models import User
from core import db
from wallet.errors import InsufficientFunds
from wallet.models import Account, Entry, Line


@dataclass(frozen=True)
class Posting:
    """One line of an entry. ``debit_now`` applies a negative amount to the
    balance at once (and fails if that would go below zero); ``credit_now``
    applies a positive amount at once; otherwise the line is appended."""

    account: Account
    amount: int
    debit_now: bool = False
    credit_now: bool = False


def account_get_or_create(kind: str, *, user: User | None = None, owner_key: str = "") -> Account:
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


def entry_post(
    *,
    kind: str,
    postings: Sequence[Posting],
    memo: str = "",
    reference: dict[str, Any] | None = None,
) -> Entry:
    """Write one balanced entry. Must run inside the caller's transaction
    (``transaction.atomic``), which also holds the idempotency record."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.entry_post must run inside transaction.atomic()")
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


def balances_roll_up(*, account_ids: Iterable[int] | None = None, batch: int = 5000) -> int:
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


# --- batches (the gift engine) ----------------------------------------------------------


class BatchRetry(Exception):
    """What a batch took for granted no longer holds: an account id that does
    not name the account its caller took it for (a stale cache), or a
    balance that moved under its lock. Nothing may be kept: roll the
    transaction back and run the batch again (``stale``: with fresh ids)."""

    def __init__(self, reason: str, *, stale: bool) -> None:
        super().__init__(reason)
        self.stale = stale


class BatchLine(NamedTuple):
    """One line of a batched entry (a tuple: a batch makes thousands). Its
    account is named by id, with what the caller takes it for (its kind, and
    its member's user id, 0 for the platform's): a line whose account is not
    that is not written (:class:`BatchRetry`). ``applied``: a debit already
    applied to the balance by :func:`debits_apply` (written rolled up);
    otherwise the line is appended and rolled up later."""

    account_id: int
    amount: int
    account_kind: str
    owner_id: int
    applied: bool = False


class BatchEntry(NamedTuple):
    """One balanced entry of a batch."""

    kind: str
    memo: str
    reference: dict[str, Any]
    lines: tuple[BatchLine, ...]


#: The columns of the lines :func:`entries_append_batch` writes, as the
#: statement reads them (``core.db.rows_source``).
_LINE_COLUMNS = (
    ("entry_id", "bigint"),
    ("account_id", "bigint"),
    ("amount", "bigint"),
    ("rolled_up", "boolean"),
    ("kind", "varchar"),
    ("owner_id", "bigint"),
)


def _in_transaction(what: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"ledger.{what} must run inside transaction.atomic()")


def member_coins_lock(owners: Mapping[int, int]) -> dict[int, int]:
    """``{account id: rolled-up balance}`` of members' coin accounts, given as
    ``{account id: the member's user id}``, locked until the transaction
    ends (in id order on PostgreSQL, so two batches never lock them in
    opposite orders; SQLite's transaction already holds the write lock).
    An id that is not that member's coin account raises
    :class:`BatchRetry` (stale).

    ``FOR NO KEY UPDATE``: what the debit itself takes, so lines appended
    meanwhile on these accounts (their foreign key's share lock) do not wait
    for the batch."""
    _in_transaction("member_coins_lock")
    ids = sorted(owners)
    among, params = db.in_values("id", ids, "bigint")
    lock = " ORDER BY id FOR NO KEY UPDATE" if db.postgres() else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, user_id, balance FROM wallet_account WHERE {among}{lock}",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
    balances: dict[int, int] = {}
    member_coins = str(Account.Kind.MEMBER_COINS)
    for account_id, kind, user_id, balance in rows:
        if kind == member_coins and owners.get(account_id) == user_id:
            balances[account_id] = int(balance)
    if len(balances) != len(ids):
        raise BatchRetry("a cached coin account changed", stale=True)
    return balances


def debits_apply(totals: Mapping[int, int], *, expected: Mapping[int, int]) -> dict[int, int]:
    """``balance -= total`` for each ``{account id: total}``, in one
    statement, each only where the balance stays >= 0; returns each
    account's true balance after it (rolled up plus appended, as
    ``wallet.selectors.account_balance`` reads it). The accounts must be locked
    (:func:`member_coins_lock`), and ``expected`` says what their rolled-up
    balances are once debited; any other balance, or a debit that did not
    apply, raises :class:`BatchRetry`. The debited lines go in with
    ``applied=True``."""
    _in_transaction("debits_apply")
    rows = sorted(totals.items())
    debits, params = db.rows_source("d", (("id", "bigint"), ("amount", "bigint")), rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wallet_account SET balance = wallet_account.balance - d.amount "  # noqa: S608
            f"FROM {debits} "
            "WHERE wallet_account.id = d.id AND wallet_account.balance >= d.amount "
            "RETURNING wallet_account.id, wallet_account.balance, "
            "(SELECT COALESCE(SUM(l.amount), 0) FROM wallet_line l "
            "WHERE l.account_id = wallet_account.id AND l.rolled_up = %s)",
            [*params, False],
        )
        returned = cursor.fetchall()
    after: dict[int, int] = {}
    for account_id, balance, pending in returned:
        if int(balance) != expected[account_id]:
            raise BatchRetry(f"account {account_id} changed under its lock", stale=False)
        after[account_id] = int(balance) + int(pending)
    if len(after) != len(rows):
        raise BatchRetry("a debit did not apply", stale=False)
    return after


def _check_batch_entry(entry: BatchEntry) -> None:
    # entry_post()'s rules, in one pass: batches hold thousands of lines.
    total = 0
    for line in entry.lines:
        amount = line.amount
        if amount < 0:
            if not line.applied and line.account_kind not in Account.MAY_GO_NEGATIVE:
                raise ValueError(f"a debit of account {line.account_id} must be applied first")
        elif amount == 0:
            raise ValueError("a line of zero")
        elif line.applied:
            raise ValueError("only debits are applied by debits_apply")
        total += amount
    if total or not entry.lines:
        raise ValueError(f"unbalanced entry: {[line.amount for line in entry.lines]}")


def entries_append_batch(entries: Sequence[BatchEntry], *, created_at: datetime) -> list[int]:
    """Write ``entries`` and their lines in two statements (each entry
    balanced, as :func:`entry_post` requires); their ids, in order. The lines go in
    through a join on each account's id, kind and owner, so an id that does
    not name the account its line says writes nothing and raises
    :class:`BatchRetry` (stale): roll back and run again."""
    _in_transaction("entries_append_batch")
    for entry in entries:
        _check_batch_entry(entry)
    stamp = connection.ops.adapt_datetimefield_value(created_at)  # SQLite stores text
    source, params = db.rows_source(
        "e",
        (("kind", "varchar"), ("memo", "varchar"), ("reference", "jsonb")),
        [(entry.kind, entry.memo[:200], json.dumps(entry.reference)) for entry in entries],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO wallet_entry (kind, memo, reference, created_at) "  # noqa: S608
            f"SELECT e.kind, e.memo, e.reference, %s FROM {source} RETURNING id",
            [stamp, *params],
        )
        # Ids come from one sequence in insertion order, whatever order
        # RETURNING lists them in.
        entry_ids = sorted(entry_id for (entry_id,) in cursor.fetchall())
        lines = [
            (entry_id, line.account_id, line.amount, line.applied, line.account_kind, line.owner_id)
            for entry_id, entry in zip(entry_ids, entries, strict=True)
            for line in entry.lines
        ]
        count = len(lines)
        source, params = db.rows_source("v", _LINE_COLUMNS, lines)
        cursor.execute(
            "INSERT INTO wallet_line (entry_id, account_id, amount, rolled_up, created_at) "  # noqa: S608
            f"SELECT v.entry_id, v.account_id, v.amount, v.rolled_up, %s FROM {source} "
            "JOIN wallet_account a ON a.id = v.account_id AND a.kind = v.kind "
            "AND COALESCE(a.user_id, 0) = v.owner_id",
            [stamp, *params],
        )
        if cursor.rowcount != count:
            raise BatchRetry("a cached account id is stale", stale=True)
    return entry_ids
