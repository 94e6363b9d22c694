"""Gifts under real concurrency, on PostgreSQL: many members sending at once
with retries racing their originals, a wallet that can pay for only some of
the gifts sent at once, duplicates of one key at once. Every thread has its
own database connection (closed when it ends), as web and websocket workers
do."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from core.errors import DomainError
from live.models import Room
from live.services import gifts as live_gifts
from tests.factories import RoomFactory, UserFactory, fund, gift_catalog, unbalanced_entries
from wallet import selectors
from wallet.models import Account, Entry, GiftSend, IdempotencyRecord, Line
from wallet.reconcile import reconcile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MEMBERS = 50
GIFTS_EACH = 20
HEART = 5


@dataclass(frozen=True)
class Outcome:
    key: str
    sender_id: int
    gift_id: int | None
    replayed: bool
    balance: int | None
    error: str | None


def run_at_once(jobs: list[list[Callable[[], Outcome]]]) -> list[Outcome]:
    """Run each list of jobs in its own thread, all threads released together
    (each opens its connection first); returns every outcome."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(mine: list[Callable[[], Outcome]]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            results = [job() for job in mine]
            with lock:
                outcomes.extend(results)
        except BaseException as exc:  # reported by the test, not lost in a thread
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a sender thread hung"
    assert not failures, failures
    return outcomes


def gift_job(
    sender: Any, room: Room, key: str, *, gift: str = "heart", quantity: int = 1
) -> Callable[[], Outcome]:
    def job() -> Outcome:
        try:
            sent = live_gifts.room_gift_send_unpublished(
                sender=sender,
                room_id=room.pk,
                gift_slug=gift,
                quantity=quantity,
                idempotency_key=key,
            )
        except DomainError as exc:
            return Outcome(key, sender.pk, None, False, None, exc.code)
        result = sent.result
        return Outcome(key, sender.pk, result.gift_send_id, result.replayed, result.balance, None)

    return job


def assert_books_are_exact() -> None:
    assert unbalanced_entries() == 0
    report = reconcile(fix_rollup=True)
    assert report.ok, report.summary()
    negative = Account.objects.filter(balance__lt=0).exclude(kind__in=Account.MAY_GO_NEGATIVE)
    assert not negative.exists()


def test_fifty_members_sending_twenty_gifts_each_with_retries_count_each_gift_once() -> None:
    gift_catalog()
    rooms = [RoomFactory(live=True) for _ in range(5)]
    members = [UserFactory() for _ in range(MEMBERS)]
    initial = GIFTS_EACH * HEART + 37
    for member in members:
        fund(member, initial)
    rng = random.Random(5)

    # Member i's thread sends their own 20 gifts and retries a third of
    # member i+1's keys with the same key: each retry races its original
    # from another connection.
    jobs: list[list[Callable[[], Outcome]]] = [[] for _ in members]
    retried: set[str] = set()
    for i, member in enumerate(members):
        for n in range(GIFTS_EACH):
            key = f"m{member.pk}-g{n}"
            room = rooms[(i + n) % len(rooms)]
            jobs[i].append(gift_job(member, room, key))
            if n % 3 == 0:
                jobs[(i + 1) % MEMBERS].append(gift_job(member, room, key))
                retried.add(key)
    for mine in jobs:
        rng.shuffle(mine)

    outcomes = run_at_once(jobs)

    assert [o for o in outcomes if o.error] == []
    assert len(outcomes) == MEMBERS * GIFTS_EACH + len(retried)
    assert len(retried) == MEMBERS * 7
    by_key: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_key[outcome.key].append(outcome)
    for key, answers in by_key.items():
        assert len({a.gift_id for a in answers}) == 1, answers  # one gift per key
        assert [a.replayed for a in answers].count(False) == 1, answers
        assert len({a.balance for a in answers}) == 1, answers  # a replay is the same answer
        assert len(answers) == (2 if key in retried else 1)

    assert GiftSend.objects.count() == MEMBERS * GIFTS_EACH
    assert Entry.objects.filter(kind=Entry.Kind.GIFT).count() == MEMBERS * GIFTS_EACH
    assert IdempotencyRecord.objects.filter(scope="gift").count() == MEMBERS * GIFTS_EACH
    sent = Counter(GiftSend.objects.values_list("sender_id", flat=True))
    assert set(sent.values()) == {GIFTS_EACH}
    for member in members:
        assert selectors.coin_balance(member) == initial - GIFTS_EACH * HEART

    gift_lines = Line.objects.filter(entry__kind=Entry.Kind.GIFT)
    debits = gift_lines.filter(amount__lt=0).aggregate(total=Sum("amount"))["total"]
    credits = gift_lines.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"]
    assert -debits == credits == MEMBERS * GIFTS_EACH * HEART
    hosts = gift_lines.filter(account__kind=Account.Kind.CREATOR_EARNINGS)
    platform = gift_lines.filter(account__kind=Account.Kind.PLATFORM_COINS)
    assert hosts.aggregate(total=Sum("amount"))["total"] == MEMBERS * GIFTS_EACH * 4
    assert platform.aggregate(total=Sum("amount"))["total"] == MEMBERS * GIFTS_EACH * 1
    assert_books_are_exact()
    earned = Account.objects.filter(kind=Account.Kind.CREATOR_EARNINGS)
    assert {a.user_id: a.balance for a in earned} == {
        room.host_id: MEMBERS * GIFTS_EACH * 4 // len(rooms) for room in rooms
    }


def test_coins_for_exactly_three_gifts_and_ten_sent_at_once_accept_exactly_three() -> None:
    gift_catalog()
    room = RoomFactory(live=True)
    member = UserFactory()
    fund(member, 3 * 10)

    outcomes = run_at_once([[gift_job(member, room, f"k{n}", gift="coffee")] for n in range(10)])

    accepted = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    assert len(accepted) == 3
    assert [o.error for o in refused] == ["insufficient_funds"] * 7
    assert sorted(o.balance or 0 for o in accepted) == [0, 10, 20]
    assert selectors.coin_balance(member) == 0
    assert GiftSend.objects.count() == 3
    # Refused sends left no key behind: they may be retried once funded.
    assert IdempotencyRecord.objects.filter(scope="gift").count() == 3
    assert_books_are_exact()


def test_one_key_sent_from_ten_connections_at_once_is_one_gift() -> None:
    gift_catalog()
    room = RoomFactory(live=True)
    member = UserFactory()
    fund(member, 100)

    outcomes = run_at_once([[gift_job(member, room, "tap-once", gift="coffee")]] * 10)

    assert {o.error for o in outcomes} == {None}
    assert len({o.gift_id for o in outcomes}) == 1
    assert sorted(o.replayed for o in outcomes) == [False] + [True] * 9
    assert {o.balance for o in outcomes} == {90}
    assert GiftSend.objects.count() == 1
    assert selectors.coin_balance(member) == 90
    assert_books_are_exact()


def test_one_key_with_two_sets_of_parameters_at_once_is_one_gift_and_conflicts() -> None:
    gift_catalog()
    room = RoomFactory(live=True)
    member = UserFactory()
    fund(member, 100)
    jobs = [[gift_job(member, room, "reused", gift="coffee", quantity=1 + n % 2)] for n in range(8)]

    outcomes = run_at_once(jobs)

    winners = [o for o in outcomes if o.error is None]
    assert len({o.gift_id for o in winners}) == 1
    assert {o.error for o in outcomes if o.error} == {"idempotency_conflict"}
    assert len(winners) == 4  # the four with the winning parameters
    send = GiftSend.objects.get()
    assert selectors.coin_balance(member) == 100 - send.coins
    assert_books_are_exact()
