"""Idempotency keys (wallet.services.operation_run_once): a retry is counted once,
a key reused with other parameters is refused, a failure leaves the key
free, and concurrent duplicates on PostgreSQL make one payment."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction

from tests.factories import UserFactory
from tests.wallet.factories_core import at_once, recharge
from wallet import services
from wallet.errors import IdempotencyConflict, InsufficientFunds, ValidationFailed
from wallet.models import Account, Entry, IdempotencyRecord, Payment
from wallet.services import ledger
from wallet.services.idempotency import fingerprint, operation_run_once

pytestmark = pytest.mark.django_db


class Counter:
    """An operation that counts its runs and answers with the count."""

    def __init__(self, response: dict[str, Any] | None = None) -> None:
        self.runs = 0
        self.response = response

    def __call__(self) -> tuple[Entry | None, dict[str, Any]]:
        self.runs += 1
        return None, self.response or {"run": self.runs}


def once(user: Any, operation: Any, *, key: str = "k-1", scope: str = "test",
         params: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:  # fmt: skip
    return operation_run_once(
        user=user, scope=scope, key=key, params=params or {"coins": 5}, operation=operation
    )


def test_same_key_and_parameters_replay_the_first_answer(user) -> None:  # type: ignore[no-untyped-def]
    operation = Counter()
    first = once(user, operation)
    second = once(user, operation)
    assert first == ({"run": 1}, False)
    assert second == ({"run": 1}, True)
    assert operation.runs == 1
    assert IdempotencyRecord.objects.get().response == {"run": 1}


def test_parameter_order_does_not_change_the_fingerprint() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert len(fingerprint({})) == 64


def test_same_key_with_other_parameters_is_refused(user) -> None:  # type: ignore[no-untyped-def]
    operation = Counter()
    once(user, operation, params={"coins": 5})
    with pytest.raises(IdempotencyConflict) as caught:
        once(user, operation, params={"coins": 6})
    assert caught.value.code == "idempotency_conflict"
    assert caught.value.status == 409
    assert caught.value.message == "This idempotency key was used with different parameters."
    assert operation.runs == 1


def test_keys_belong_to_one_member_and_one_scope(user, other_user) -> None:  # type: ignore[no-untyped-def]
    operation = Counter()
    assert once(user, operation)[1] is False
    assert once(other_user, operation)[1] is False
    assert once(user, operation, scope="other")[1] is False
    assert operation.runs == 3


@pytest.mark.parametrize(
    "key", ["", "x" * 101, "has space", "ünicode", "semi;colon", "slash/", None, 12, ["k"]]
)
def test_malformed_keys_are_refused(user, key) -> None:  # type: ignore[no-untyped-def]
    operation = Counter()
    with pytest.raises(ValidationFailed) as caught:
        once(user, operation, key=key)
    assert "idempotency_key" in caught.value.fields
    assert operation.runs == 0


@pytest.mark.parametrize("key", ["a", "x" * 100, "web-0f1e2d", "A.b_c:d-9"])
def test_well_formed_keys_are_accepted(user, key) -> None:  # type: ignore[no-untyped-def]
    assert once(user, Counter(), key=key)[1] is False


def test_a_failed_operation_is_not_cached_and_the_key_is_free(user) -> None:  # type: ignore[no-untyped-def]
    attempts: list[int] = []

    def spend() -> tuple[Entry | None, dict[str, Any]]:
        attempts.append(1)
        account = services.coin_account_get_or_create(user)
        entry = ledger.entry_post(
            kind=Entry.Kind.GIFT,
            postings=[
                ledger.Posting(account, -10, debit_now=True),
                ledger.Posting(ledger.account_get_or_create(Account.Kind.PLATFORM_COINS), 10),
            ],
        )
        return entry, {"entry": entry.pk}

    with pytest.raises(InsufficientFunds):
        once(user, spend, params={"coins": 10})
    assert not IdempotencyRecord.objects.exists()
    assert not Entry.objects.exists()
    recharge(user, 10)
    response, replayed = once(user, spend, params={"coins": 10})
    assert replayed is False
    assert len(attempts) == 2
    record = IdempotencyRecord.objects.get(scope="test")
    assert record.entry_id == response["entry"]


def test_the_first_answer_and_its_replays_are_the_same_json(user) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)
    first, _ = once(user, Counter({"at": when, "n": 1}))
    again, replayed = once(user, Counter({"at": "other"}))
    assert replayed is True
    assert first == again == {"at": "2026-05-04T12:30:00Z", "n": 1}


def test_a_replay_inside_an_outer_transaction_leaves_it_usable(user) -> None:  # type: ignore[no-untyped-def]
    once(user, Counter())
    with transaction.atomic():
        assert once(user, Counter())[1] is True
        assert IdempotencyRecord.objects.count() == 1


def test_a_retried_recharge_is_counted_once(user) -> None:  # type: ignore[no-untyped-def]
    first = recharge(user, 300, key="buy-1")
    again = recharge(user, 300, key="buy-1")
    assert again == {**first, "replayed": True}
    assert Payment.objects.count() == 1
    assert services.coin_account_get_or_create(user).balance == 300


# --- concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_recharges_with_one_key_make_one_payment_and_one_entry() -> None:
    member = UserFactory()
    results, errors = at_once(20, lambda i: recharge(member, 980, key="same-key"))
    assert not errors
    assert len(results) == 20
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 19
    assert len({r["payment"]["id"] for r in results}) == 1
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED
    # One coins entry (the payment's) and one money entry.
    assert Entry.objects.filter(kind=Entry.Kind.RECHARGE).count() == 2
    assert services.coin_account_get_or_create(member).balance == 980


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_with_other_parameters_are_refused() -> None:
    member = UserFactory()

    def work(i: int) -> str:
        try:
            result = recharge(member, 60 if i % 2 else 300, key="mixed")
        except IdempotencyConflict:
            return "conflict"
        return "replayed" if result["replayed"] else "charged"

    results, errors = at_once(10, work)
    assert not errors
    assert results.count("charged") == 1
    assert results.count("replayed") == 4
    assert results.count("conflict") == 5
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_waiting_on_a_failing_request_runs_after_it() -> None:
    member = UserFactory()
    claimed = threading.Event()
    outcome: dict[str, Any] = {}

    def failing() -> tuple[Entry | None, dict[str, Any]]:
        claimed.set()
        time.sleep(0.3)  # the duplicate is now waiting on the key's index entry
        raise InsufficientFunds()

    def first() -> None:
        try:
            once(member, failing, key="retry-me")
        except InsufficientFunds as exc:
            outcome["first"] = exc.code
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert claimed.wait(5)
    operation = Counter()
    response, replayed = once(member, operation, key="retry-me")
    thread.join()
    assert outcome["first"] == "insufficient_funds"
    assert (response, replayed) == ({"run": 1}, False)
    assert IdempotencyRecord.objects.get(key="retry-me").response == {"run": 1}
