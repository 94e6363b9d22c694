"""The ledger is the only writer of ledger rows, batches included: the gift
engine books its entries through ``wallet.services.ledger``'s batch functions, which
keep ``post``'s rules (balanced entries, debits applied before they are
written) in a fixed number of statements."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory, fund
from wallet import selectors
from wallet.models import Account, Entry, Line
from wallet.services import ledger

pytestmark = pytest.mark.django_db

WALLET = Path(ledger.__file__).resolve().parent
LEDGER_TABLES = re.compile(
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+wallet_(entry|line|account)\b", re.IGNORECASE
)


def _sql_strings(path: Path) -> list[str]:
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_wallet_module_but_the_ledger_writes_ledger_rows_in_sql() -> None:
    writers = {
        path.relative_to(WALLET).as_posix()
        for path in WALLET.rglob("*.py")
        if "migrations" not in path.parts
        and any(LEDGER_TABLES.search(text) for text in _sql_strings(path))
    }
    assert writers == {"ledger.py"}


def _accounts() -> tuple[Account, Account, Account]:
    fan, host = UserFactory(), UserFactory()
    fund(fan, 100)
    return (
        ledger.account_get_or_create(Account.Kind.MEMBER_COINS, user=fan),
        ledger.account_get_or_create(Account.Kind.CREATOR_EARNINGS, user=host),
        ledger.account_get_or_create(Account.Kind.PLATFORM_COINS),
    )


def _line(account: Account, amount: int, *, applied: bool = False) -> ledger.BatchLine:
    return ledger.BatchLine(account.pk, amount, account.kind, account.user_id or 0, applied)


def _entry(*lines: ledger.BatchLine) -> ledger.BatchEntry:
    return ledger.BatchEntry(kind=Entry.Kind.GIFT, memo="test", reference={}, lines=lines)


def test_a_batch_debits_and_appends_in_a_fixed_number_of_statements() -> None:
    coins, earnings, platform = _accounts()
    entries = [
        _entry(_line(coins, -10, applied=True), _line(earnings, 7), _line(platform, 3))
        for _ in range(5)
    ]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        balances = ledger.member_coins_lock({coins.pk: coins.user_id or 0})
        after = ledger.debits_apply({coins.pk: 50}, expected={coins.pk: balances[coins.pk] - 50})
        ids = ledger.entries_append_batch(entries, created_at=timezone.now())
    statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]

    assert len(statements) == 4  # lock, debit, entries, lines: whatever the batch's size
    assert after == {coins.pk: 50}
    assert ids == sorted(ids) and Entry.objects.filter(pk__in=ids).count() == 5
    assert Line.objects.filter(entry_id__in=ids).count() == 15
    assert selectors.coin_balance(coins.user) == 50
    assert selectors.account_balance(earnings) == 35 and selectors.account_balance(platform) == 15


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(lambda c, e, p: (_line(c, -10, applied=True), _line(e, 9)), id="unbalanced"),
        pytest.param(lambda c, e, p: (_line(c, -10), _line(e, 10)), id="debit-not-applied"),
        pytest.param(lambda c, e, p: (_line(e, 0),), id="zero"),
        pytest.param(lambda c, e, p: (), id="empty"),
    ],
)
def test_a_batch_keeps_the_rules_of_a_single_entry(lines: Any) -> None:
    coins, earnings, platform = _accounts()
    with transaction.atomic(), pytest.raises(ValueError):
        ledger.entries_append_batch(
            [_entry(*lines(coins, earnings, platform))], created_at=timezone.now()
        )
    assert not Entry.objects.filter(kind=Entry.Kind.GIFT).exists()


def test_a_line_on_an_account_that_is_not_what_it_says_is_not_written() -> None:
    coins, earnings, _ = _accounts()
    wrong = ledger.BatchLine(earnings.pk, 10, Account.Kind.PLATFORM_COINS, 0)  # a stale id
    with pytest.raises(ledger.BatchRetry) as caught, transaction.atomic():
        ledger.entries_append_batch(
            [_entry(_line(coins, -10, applied=True), wrong)], created_at=timezone.now()
        )
    assert caught.value.stale
    assert not Entry.objects.filter(kind=Entry.Kind.GIFT).exists()


@pytest.mark.django_db(transaction=True)
def test_batches_run_inside_a_transaction_only() -> None:
    coins, _, _ = _accounts()
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        ledger.member_coins_lock({coins.pk: coins.user_id or 0})
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        ledger.debits_apply({coins.pk: 1}, expected={coins.pk: 100})
