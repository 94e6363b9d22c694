"""reconcile_ledger proves the books: it passes on books the services wrote,
and on books tampered with behind the ledger's back (raw SQL; on PostgreSQL
with the triggers bypassed) it fails naming the first discrepancy. Also the
roll-up: appended lines folded exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    FundedMemberFactory,
    GiftFactory,
    GiftSendFactory,
    PayoutRunFactory,
    UserFactory,
)
from tests.wallet.factories_core import at_once, recharge, tamper
from wallet import selectors, services
from wallet.models import Account, Entry, GiftSend, Line, Payment, Payout
from wallet.reconcile import reconcile
from wallet.services import ledger
from wallet.tasks import roll_up_balances

pytestmark = pytest.mark.django_db


@dataclass
class Books:
    alice: Any
    bob: Any
    host: Any
    payment: Payment
    send: GiftSend
    payout: Payout


def pay_out(host: Any, coins: int, *, net: int, agency: int) -> Payout:
    """A payout booked the way wallet.services.payouts books one."""
    with transaction.atomic():
        earnings = ledger.account_get_or_create(Account.Kind.CREATOR_EARNINGS, user=host)
        entry = ledger.entry_post(
            kind=Entry.Kind.PAYOUT,
            postings=[
                ledger.Posting(earnings, -coins, debit_now=True),
                ledger.Posting(ledger.account_get_or_create(Account.Kind.PAYOUT_CONVERSION), coins),
                ledger.Posting(
                    ledger.account_get_or_create(
                        Account.Kind.PAYOUT_CONVERSION, owner_key="money:USD"
                    ),
                    -(net + agency),
                ),
                ledger.Posting(
                    ledger.account_get_or_create(Account.Kind.CREATOR_PAYABLE, user=host),
                    net,
                    credit_now=True,
                ),
                ledger.Posting(
                    ledger.account_get_or_create(Account.Kind.AGENCY_PAYABLE, owner_key="agency:1"),
                    agency,
                    credit_now=True,
                ),
            ],
        )
        return Payout.objects.create(
            run=PayoutRunFactory(period_end=date(2026, 5, 4)),
            creator=host,
            coins=coins,
            rate=Decimal("1.5"),
            gross=net + agency,
            agency_key="agency:1",
            agency_share_bps=1000,
            agency_amount=agency,
            net=net,
            currency="USD",
            entry=entry,
        )


@pytest.fixture
def books() -> Books:
    """Two members who bought coins, gifts to a host, the host paid out."""
    alice, bob = FundedMemberFactory(coins=1000), FundedMemberFactory(coins=1000)
    host = UserFactory()
    GiftFactory(slug="heart", coins=5)
    result = services.gift_send(
        sender=alice, host=host, gift_slug="heart", quantity=2, idempotency_key="g-1",
        room_id=1, session_id=None,
    )  # fmt: skip
    for n in range(3):
        services.gift_send(
            sender=bob, host=host, gift_slug="heart", quantity=4, idempotency_key=f"g-{n}",
            room_id=1, session_id=None,
        )  # fmt: skip
    ledger.balances_roll_up()
    payout = pay_out(host, 40, net=51, agency=9)
    ledger.balances_roll_up()
    return Books(
        alice=alice,
        bob=bob,
        host=host,
        payment=Payment.objects.filter(user=alice).get(),
        send=GiftSend.objects.get(pk=result.gift_send_id),
        payout=payout,
    )


def first_discrepancy() -> str | None:
    return reconcile().first_discrepancy


def line(entry: Entry | int | None, kind: str) -> Line:
    return Line.objects.get(entry=entry, account__kind=kind)


def member_account(user: Any) -> Account:
    return services.coin_account_get_or_create(user)


# --- passing -----------------------------------------------------------------------------


def test_an_empty_ledger_reconciles() -> None:
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().strip() == "ledger OK: 0 entries, 0 lines, 0 accounts"


def test_books_written_by_the_services_reconcile(books: Books) -> None:
    report = reconcile()
    assert report.ok, report.findings
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    entries, lines, accounts = Entry.objects.count(), Line.objects.count(), Account.objects.count()
    assert out.getvalue().strip() == (
        f"ledger OK: {entries:,} entries, {lines:,} lines, {accounts:,} accounts"
    )


def test_appended_lines_waiting_for_the_roll_up_reconcile(books: Books) -> None:
    services.gift_send(
        sender=books.alice, host=books.host, gift_slug="heart", quantity=1, idempotency_key="late",
        room_id=1, session_id=None,
    )  # fmt: skip
    report = reconcile()
    assert report.ok
    assert report.pending_lines == 2


def test_the_summary_groups_thousands() -> None:
    from wallet.reconcile import Report

    assert Report(entries=12_345, lines=37_011, accounts=2_001).summary() == (
        "ledger OK: 12,345 entries, 37,011 lines, 2,001 accounts"
    )


def test_reconciling_costs_a_fixed_number_of_queries(books: Books) -> None:
    with CaptureQueriesContext(connection) as small:
        reconcile()
    for n in range(5):
        recharge(UserFactory(), 60 + n)
    with CaptureQueriesContext(connection) as bigger:
        reconcile()
    # One query per check (the apps above add theirs), and a few around them.
    from wallet.reconcile import checks

    assert len(small.captured_queries) == len(bigger.captured_queries) <= 5 + len(checks())


# --- failing: the first discrepancy, named ----------------------------------------------------


def test_an_unbalanced_entry_is_named(books: Books) -> None:
    issued = line(books.payment.entry, Account.Kind.COIN_ISSUANCE)
    tamper("UPDATE wallet_line SET amount = amount + 5 WHERE id = %s", [issued.pk])
    assert first_discrepancy() == (
        f"entry {books.payment.entry_id} does not balance: lines sum to 5"
    )
    # PostgreSQL checks the entry again when the test's transaction ends.
    tamper("UPDATE wallet_line SET amount = amount - 5 WHERE id = %s", [issued.pk])


def test_the_command_exits_non_zero_naming_the_first_discrepancy(books: Books) -> None:
    issued = line(books.payment.entry, Account.Kind.COIN_ISSUANCE)
    tamper("UPDATE wallet_line SET amount = amount + 5 WHERE id = %s", [issued.pk])
    with pytest.raises(CommandError) as caught:
        call_command("reconcile_ledger", stdout=StringIO())
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert message.startswith(
        f"ledger does not reconcile: entry {books.payment.entry_id} does not balance: "
        "lines sum to 5 (and "
    )
    tamper("UPDATE wallet_line SET amount = amount - 5 WHERE id = %s", [issued.pk])


def test_a_stored_balance_that_drifted_is_named(books: Books) -> None:
    account = member_account(books.bob)
    tamper("UPDATE wallet_account SET balance = balance + 1 WHERE id = %s", [account.pk])
    assert first_discrepancy() == (
        f"account {account.pk} (member_coins) has a stored balance of {account.balance + 1} "
        f"but its rolled-up lines sum to {account.balance}"
    )


def test_an_entry_without_lines_is_named(books: Books) -> None:
    entry = Entry.objects.create(kind=Entry.Kind.ADJUSTMENT)
    assert first_discrepancy() == f"entry {entry.pk} has no lines"


def test_a_line_on_a_missing_account_is_named(books: Books) -> None:
    credited = line(books.payment.entry, Account.Kind.MEMBER_COINS)
    tamper("UPDATE wallet_line SET account_id = 999999 WHERE id = %s", [credited.pk])
    assert first_discrepancy() == f"line {credited.pk} is on account 999999, which does not exist"
    # Foreign keys are checked when the test's transaction ends: put it back.
    tamper(
        "UPDATE wallet_line SET account_id = %s WHERE id = %s", [credited.account_id, credited.pk]
    )


def test_a_payment_pointing_to_a_missing_entry_is_named(books: Books) -> None:
    tamper("UPDATE wallet_payment SET entry_id = 999999 WHERE id = %s", [books.payment.pk])
    assert first_discrepancy() == (
        f"payment {books.payment.pk} points to entry 999999, which does not exist"
    )
    Payment.objects.filter(pk=books.payment.pk).update(entry=books.payment.entry_id)


def test_a_succeeded_payment_without_an_entry_is_named(books: Books) -> None:
    Payment.objects.filter(pk=books.payment.pk).update(entry=None)
    assert first_discrepancy() == f"payment {books.payment.pk} succeeded but has no entry"


def test_a_pending_payment_with_an_entry_is_named(books: Books) -> None:
    Payment.objects.filter(pk=books.payment.pk).update(status=Payment.Status.PENDING)
    assert first_discrepancy() == (
        f"payment {books.payment.pk} is pending but has entry {books.payment.entry_id}"
    )


def test_a_payment_whose_entry_credits_other_coins_is_named(books: Books) -> None:
    Payment.objects.filter(pk=books.payment.pk).update(coins=999)
    assert first_discrepancy() == (
        f"payment {books.payment.pk} bought 999 coins but its entry {books.payment.entry_id} "
        "credits the member 1000"
    )


def test_recharges_whose_money_does_not_match_the_payments_are_named(books: Books) -> None:
    Payment.objects.filter(pk=books.payment.pk).update(amount=1)
    assert first_discrepancy() == (
        "recharges issued 2000 coins and booked 2000 received from providers, "
        "but succeeded payments bought 2000 coins for 1001"
    )


def test_a_gift_send_whose_entry_debits_other_coins_is_named(books: Books) -> None:
    GiftSend.objects.filter(pk=books.send.pk).update(coins=11)
    assert first_discrepancy() == (
        f"gift send {books.send.pk} is for 11 coins but its entry {books.send.entry_id} (gift) "
        "debits the sender 10"
    )


def test_a_payout_whose_entry_moves_other_amounts_is_named(books: Books) -> None:
    assert reconcile().ok
    Payout.objects.filter(pk=books.payout.pk).update(net=52)
    assert first_discrepancy() == (
        f"payout {books.payout.pk} is for 40 coins, 52 to the creator and 9 to the agency, "
        f"but its entry {books.payout.entry_id} (payout) debits 40 coins and owes 51 and 9"
    )


def test_a_negative_balance_is_named(books: Books) -> None:
    account = member_account(books.bob)
    entry = Entry.objects.create(kind=Entry.Kind.ADJUSTMENT)
    # Written behind the ledger's back: an appended debit nobody checked.
    Line.objects.bulk_create(
        [
            Line(entry=entry, account=account, amount=-5000),
            Line(
                entry=entry,
                account=ledger.account_get_or_create(Account.Kind.COIN_ISSUANCE),
                amount=5000,
            ),
        ]
    )
    balance = account.balance
    assert first_discrepancy() == (
        f"account {account.pk} (member_coins) is below zero: balance {balance} "
        f"and appended lines -5000 make {balance - 5000}"
    )


def test_an_entry_mixing_coins_and_money_is_named(books: Books) -> None:
    with transaction.atomic():
        entry = ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            postings=[
                ledger.Posting(ledger.account_get_or_create(Account.Kind.PROVIDER_CLEARING), -5),
                ledger.Posting(member_account(books.alice), 5),
            ],
        )
    assert first_discrepancy() == f"entry {entry.pk} mixes coins and money: its coin lines sum to 5"


def test_verbose_lists_every_check_and_every_discrepancy(books: Books) -> None:
    Payment.objects.filter(pk=books.payment.pk).update(coins=999)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--verbose", stdout=out)
    text = out.getvalue()
    assert "  ok    unbalanced entries" in text
    assert "  FAIL  payments whose entry credits other coins: 1" in text
    assert f"payment {books.payment.pk} bought 999 coins" in text
    assert "  FAIL  recharges that do not match their payments: 1" in text


# --- the roll-up ------------------------------------------------------------------------------


def test_appended_credits_count_at_once_and_are_folded_exactly_once(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 100)
    account = member_account(user)
    with transaction.atomic():
        ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            postings=[
                ledger.Posting(ledger.account_get_or_create(Account.Kind.COIN_ISSUANCE), -50),
                ledger.Posting(account, 50),
            ],
        )
    assert selectors.wallet_summary(user) == selectors.WalletSummary(coins=150, pending_coins=50)
    assert selectors.account_balance(account) == 150
    account.refresh_from_db()
    assert account.balance == 100
    assert reconcile().ok

    pending = Line.objects.filter(rolled_up=False).count()
    assert ledger.balances_roll_up() == pending
    account.refresh_from_db()
    assert account.balance == 150
    assert selectors.wallet_summary(user) == selectors.WalletSummary(coins=150, pending_coins=0)
    assert ledger.balances_roll_up() == 0
    assert reconcile().ok


def test_the_roll_up_works_in_batches_and_per_account(books: Books) -> None:
    for n in range(3):
        services.gift_send(
            sender=books.alice, host=books.host, gift_slug="heart", quantity=1,
            idempotency_key=f"more-{n}", room_id=1, session_id=None,
        )  # fmt: skip
    earnings = ledger.account_get_or_create(Account.Kind.CREATOR_EARNINGS, user=books.host)
    before = selectors.account_balance(earnings)
    assert ledger.balances_roll_up(account_ids=[earnings.pk]) == 3
    assert Line.objects.filter(rolled_up=False).count() == 3  # the platform's parts
    assert ledger.balances_roll_up(batch=2) == 3
    earnings.refresh_from_db()
    assert earnings.balance == before
    assert reconcile().ok


def test_the_roll_up_task_folds_and_fix_rollup_runs_it(books: Books) -> None:
    services.gift_send(
        sender=books.alice, host=books.host, gift_slug="heart", quantity=1, idempotency_key="t-1",
        room_id=1, session_id=None,
    )  # fmt: skip
    assert roll_up_balances.delay().get() == 2
    services.gift_send(
        sender=books.alice, host=books.host, gift_slug="heart", quantity=1, idempotency_key="t-2",
        room_id=1, session_id=None,
    )  # fmt: skip
    out = StringIO()
    call_command("reconcile_ledger", "--fix-rollup", stdout=out)
    assert out.getvalue().startswith("rolled up 2 appended lines\nledger OK: ")
    assert not Line.objects.filter(rolled_up=False).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_roll_ups_never_fold_a_line_twice() -> None:
    senders = FundedMemberFactory.create_batch(4, coins=1000)
    host = UserFactory()
    heart = GiftFactory(slug="heart", coins=5)
    for sender in senders:
        GiftSendFactory.create_batch(30, sender=sender, host=host, gift=heart, room_id=1)
    pending = Line.objects.filter(rolled_up=False).count()
    expected: dict[int, int] = {}
    for account in Account.objects.all():
        expected[account.pk] = selectors.account_balance(account)
    results, errors = at_once(6, lambda i: ledger.balances_roll_up(batch=7))
    assert not errors
    assert sum(results) == pending
    for account in Account.objects.all():
        assert account.balance == expected[account.pk]
    assert reconcile().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_proof_reads_one_snapshot() -> None:
    recharge(UserFactory(), 60)
    with CaptureQueriesContext(connection) as queries:
        report = reconcile()
    assert report.ok
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] != "BEGIN"]
    assert "REPEATABLE READ" in statements[0]
