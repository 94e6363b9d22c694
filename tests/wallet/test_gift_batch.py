"""The batched gift engine (``wallet.services.gifts_send``) against its
contract, on multi-gift batches: answers in request order, partial acceptance
when coins run out, replays and conflicts (in one batch and in later ones),
unknown and withdrawn gifts, stale per-process caches (a gift repriced or
withdrawn by another process, an account row deleted or given to someone
else), retries, a fixed number of statements, and the books balancing
afterwards. Then, on PostgreSQL, batches racing each other from their own
connections. (``gift_send``, a batch of one, is tested in test_gifts.py and
test_gift_concurrency.py.)"""

from __future__ import annotations

import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from tests.factories import UserFactory, fund, gift_catalog, unbalanced_entries
from wallet import rules, selectors
from wallet.models import Account, Entry, Gift, GiftSend, IdempotencyRecord, Line
from wallet.reconcile import reconcile
from wallet.services import gifts as gift_engine
from wallet.services import ledger
from wallet.services.gifts import GiftOutcome, GiftRequest, gifts_send

pytestmark = pytest.mark.django_db

MEMBER = Account.Kind.MEMBER_COINS
EARNINGS = Account.Kind.CREATOR_EARNINGS
PLATFORM = Account.Kind.PLATFORM_COINS
STALE_GIFT = "a cached gift was withdrawn or repriced"


@pytest.fixture(autouse=True)
def _cold_caches() -> Iterator[None]:
    # The caches are per process: ids cached by an earlier test (whose rows
    # were rolled back or truncated) must not decide what this one sees.
    gift_engine.gift_caches_clear()
    yield
    gift_engine.gift_caches_clear()


@pytest.fixture
def catalog() -> dict[str, Gift]:
    return gift_catalog()


@pytest.fixture
def retries(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The reasons the engine gave for running an attempt again, so far."""
    caplog.set_level(logging.INFO, logger="sprout.wallet")

    def reasons() -> list[str]:
        return [r.getMessage() for r in caplog.records if "gift batch attempt" in r.getMessage()]

    return reasons


def req(sender: Any, host: Any, key: str, gift: str = "heart", quantity: int = 1,
        room_id: int = 1, session_id: int | None = None) -> GiftRequest:  # fmt: skip
    return GiftRequest(
        sender=sender,
        host=host,
        gift_slug=gift,
        quantity=quantity,
        idempotency_key=key,
        room_id=room_id,
        session_id=session_id,
    )


def summary(outcomes: Sequence[GiftOutcome]) -> list[tuple[Any, ...]]:
    """Each outcome as ``("sent" | "replayed", coins, balance)`` or
    ``(error code,)``, in order."""
    shown: list[tuple[Any, ...]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            assert not outcome.ok and outcome.result is None
            shown.append((outcome.error.code,))
        else:
            assert outcome.ok and outcome.result is not None
            result = outcome.result
            shown.append(("replayed" if result.replayed else "sent", result.coins, result.balance))
    return shown


def gift_id(outcome: GiftOutcome) -> int:
    return outcome.unwrap().gift_send_id


def earned(user: Any) -> int:
    return selectors.account_balance(ledger.account_get_or_create(EARNINGS, user=user))


def platform_coins() -> int:
    total = Line.objects.filter(account__kind=PLATFORM).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def gift_keys() -> set[tuple[int, str]]:
    return set(IdempotencyRecord.objects.filter(scope="gift").values_list("user_id", "key"))


def assert_books_are_exact() -> None:
    assert unbalanced_entries() == 0
    report = reconcile(fix_rollup=True)
    assert report.ok, report.summary()
    negative = Account.objects.filter(balance__lt=0).exclude(kind__in=Account.MAY_GO_NEGATIVE)
    assert not negative.exists()
    # Every gift is one entry, one send and one key; nothing else was left behind.
    sends = GiftSend.objects.count()
    assert Entry.objects.filter(kind=Entry.Kind.GIFT).count() == sends
    assert IdempotencyRecord.objects.filter(scope="gift").count() == sends


# --- one batch, many senders and hosts ---------------------------------------------------


def test_a_batch_from_several_senders_to_several_hosts_answers_each_in_request_order(
    catalog: dict[str, Gift],
) -> None:
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    h1, h2, h3 = UserFactory(username="h1"), UserFactory(username="h2"), UserFactory(username="h3")
    fund(a, 100)
    fund(b, 200)
    fund(c, 60)
    requests = [
        req(a, h1, "a1", "heart", room_id=1, session_id=10),
        req(b, h2, "b1", "sprout", room_id=2, session_id=20),
        req(c, h3, "c1", "coffee", quantity=2, room_id=3),
        req(a, h2, "a2", "coffee", room_id=2, session_id=20),
        req(b, h1, "b2", "heart", quantity=3, room_id=1, session_id=10),
        req(c, h1, "c2", "rose", room_id=1, session_id=10),
        req(a, h3, "a3", "rose", quantity=5, room_id=3),
    ]

    outcomes = gifts_send(requests)

    assert [o.request for o in outcomes] == requests
    assert summary(outcomes) == [
        ("sent", 5, 95),
        ("sent", 52, 148),
        ("sent", 20, 40),
        ("sent", 10, 85),  # each balance is the sender's right after that gift
        ("sent", 15, 133),
        ("sent", 1, 39),
        ("sent", 5, 80),
    ]
    assert len({gift_id(o) for o in outcomes}) == 7
    for outcome in outcomes:
        request, result = outcome.request, outcome.unwrap()
        row = GiftSend.objects.select_related("gift", "entry").get(pk=result.gift_send_id)
        assert (row.sender, row.host, row.gift.slug) == (
            request.sender,
            request.host,
            request.gift_slug,
        )
        assert (row.quantity, row.coins, row.room_id, row.session_id) == (
            request.quantity,
            result.coins,
            request.room_id,
            request.session_id,
        )
        # The answer carries the new send as gift_send's always did.
        assert result.send == row and result.send is not None
        assert (result.send.entry_id, result.send.gift.slug) == (row.entry_id, row.gift.slug)
        assert (result.send.sender, result.send.host) == (request.sender, request.host)
        assert row.entry.kind == Entry.Kind.GIFT
        assert row.entry.reference == {
            "room_id": request.room_id,
            "session_id": request.session_id,
            "gift": request.gift_slug,
        }
        assert row.entry.memo == f"{request.quantity}× {row.gift.name} to {request.host.username}"
        host_part, platform_part = rules.split_coins(result.coins)
        lines = {
            (line.account.kind, line.account.user_id, line.amount, line.rolled_up)
            for line in row.entry.lines.select_related("account")
        }
        expected: set[tuple[str, int | None, int, bool]] = {
            (MEMBER, request.sender.pk, -result.coins, True),
            (EARNINGS, request.host.pk, host_part, False),
        }
        if platform_part:
            expected.add((PLATFORM, None, platform_part, False))
        assert lines == expected
        record = IdempotencyRecord.objects.get(
            user=request.sender, scope="gift", key=request.idempotency_key
        )
        assert record.entry_id == row.entry_id
        assert record.response == {
            "gift_send_id": row.pk,
            "coins": result.coins,
            "balance": result.balance,
        }

    assert [selectors.coin_balance(m) for m in (a, b, c)] == [80, 133, 39]
    assert [earned(h) for h in (h1, h2, h3)] == [4 + 11 + 1, 37 + 7, 14 + 4]
    assert platform_coins() == 1 + 15 + 6 + 3 + 4 + 0 + 1
    assert_books_are_exact()


def test_coins_for_exactly_three_of_ten_accept_the_first_three_and_leave_the_rest_free(
    catalog: dict[str, Gift],
) -> None:
    short, rich, host = UserFactory(), UserFactory(), UserFactory()
    fund(short, 3 * 10)
    fund(rich, 10 * 5)
    batch: list[GiftRequest] = []
    for n in range(10):  # the two senders interleaved
        batch += [req(short, host, f"s{n}", "coffee"), req(rich, host, f"r{n}", "heart")]

    first = summary(gifts_send(batch))

    assert (
        first[0::2]
        == [("sent", 10, 20), ("sent", 10, 10), ("sent", 10, 0)] + [("insufficient_funds",)] * 7
    )
    assert first[1::2] == [("sent", 5, 45 - 5 * n) for n in range(10)]  # to the last coin
    assert selectors.coin_balance(short) == selectors.coin_balance(rich) == 0
    # Refused gifts left no key behind.
    assert {key for _, key in gift_keys() if key.startswith("s")} == {"s0", "s1", "s2"}

    # Funded again, the same ten: the three replay their first answers, two
    # more go through, the rest are refused again.
    fund(short, 20)
    again = summary(gifts_send(batch[0::2]))

    assert (
        again
        == [
            ("replayed", 10, 20),
            ("replayed", 10, 10),
            ("replayed", 10, 0),
            ("sent", 10, 10),
            ("sent", 10, 0),
        ]
        + [("insufficient_funds",)] * 5
    )
    assert GiftSend.objects.filter(sender=short).count() == 5
    assert selectors.coin_balance(short) == 0
    assert_books_are_exact()


def test_a_cheaper_gift_after_a_refused_one_still_goes_through(
    catalog: dict[str, Gift],
) -> None:
    sender, other, host = UserFactory(), UserFactory(), UserFactory()
    fund(sender, 12)
    fund(other, 5)
    batch = [
        req(sender, host, "1", "coffee"),
        req(sender, host, "2", "heart"),  # 2 coins left: refused
        req(other, host, "o1", "heart"),
        req(sender, host, "3", "rose"),  # cheaper: goes through
        req(sender, host, "4", "rose", quantity=2),  # 1 left: refused
        req(sender, host, "5", "rose"),
        req(sender, host, "6", "rose"),
        req(other, host, "o2", "rose"),
    ]

    assert summary(gifts_send(batch)) == [
        ("sent", 10, 2),
        ("insufficient_funds",),
        ("sent", 5, 0),
        ("sent", 1, 1),
        ("insufficient_funds",),
        ("sent", 1, 0),
        ("insufficient_funds",),
        ("insufficient_funds",),
    ]
    assert selectors.coin_balance(sender) == selectors.coin_balance(other) == 0
    assert earned(host) == 7 + 4 + 1 + 1
    assert_books_are_exact()


def test_refused_requests_are_their_own_outcomes_and_leave_the_others_untouched(
    catalog: dict[str, Gift],
) -> None:
    sender, host = UserFactory(), UserFactory()
    fund(sender, 100)
    Gift.objects.filter(slug="rocket").update(is_active=False)
    batch = [
        req(sender, host, "ok-1", "heart"),
        req(sender, host, "q0", quantity=0),
        req(sender, host, "q100", quantity=100),
        req(sender, host, "has space"),
        req(sender, sender, "self"),
        req(sender, host, "unknown", "no-such-gift"),
        req(sender, host, "withdrawn", "rocket"),
        req(sender, host, "empty", ""),
        req(sender, host, "long", "x" * 41),
        req(sender, host, "ok-2", "coffee", quantity=2),
    ]

    outcomes = gifts_send(batch)

    assert summary(outcomes) == [
        ("sent", 5, 95),
        ("invalid",),
        ("invalid",),
        ("invalid",),
        ("self_action",),
        ("unknown_gift",),
        ("unknown_gift",),
        ("invalid",),  # no slug at all, or one longer than a slug can be:
        ("invalid",),  # the rule's (wallet.rules), as over HTTP and the websocket
        ("sent", 20, 75),
    ]
    with pytest.raises(DomainError) as caught:
        outcomes[4].unwrap()
    assert (caught.value.code, caught.value.status) == ("self_action", 400)
    assert outcomes[5].error is not None and outcomes[5].error.status == 400
    assert gift_keys() == {(sender.pk, "ok-1"), (sender.pk, "ok-2")}
    assert selectors.coin_balance(sender) == 75
    assert_books_are_exact()


def test_requests_refused_by_the_checks_never_touch_the_database(
    catalog: dict[str, Gift],
) -> None:
    sender, host = UserFactory(), UserFactory()
    batch = [
        req(sender, host, "q", quantity=0),
        req(sender, host, "bad key!"),
        req(sender, sender, "self"),
        req(sender, host, "empty", ""),
        req(sender, host, "long", "x" * 41),
    ]
    with CaptureQueriesContext(connection) as queries:
        outcomes = gifts_send(batch)
    codes = [o.error.code for o in outcomes if o.error]
    assert codes == ["invalid", "invalid", "self_action", "invalid", "invalid"]
    assert queries.captured_queries == []
    assert gifts_send([]) == []


# --- keys: replays and conflicts -------------------------------------------------------


def test_replays_in_later_batches_answer_what_was_stored_and_move_nothing(
    catalog: dict[str, Gift],
) -> None:
    a, b, h1, h2 = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    fund(a, 100)
    fund(b, 100)
    first = gifts_send(
        [req(a, h1, "k1", "coffee"), req(b, h2, "k1", "heart", 2), req(a, h2, "k2", "sprout")]
    )
    assert summary(first) == [("sent", 10, 90), ("sent", 10, 90), ("sent", 52, 38)]

    # Later batches: the same keys (same parameters) among new ones, in
    # another order, and a batch of replays only.
    second = gifts_send(
        [req(a, h2, "k2", "sprout"), req(b, h1, "k2", "rose"), req(a, h1, "k1", "coffee")]
    )
    third = gifts_send([req(b, h2, "k1", "heart", 2), req(a, h1, "k1", "coffee")])

    assert summary(second) == [("replayed", 52, 38), ("sent", 1, 89), ("replayed", 10, 90)]
    assert summary(third) == [("replayed", 10, 90), ("replayed", 10, 90)]
    assert gift_id(second[0]) == gift_id(first[2])
    assert gift_id(second[2]) == gift_id(third[1]) == gift_id(first[0])
    assert gift_id(third[0]) == gift_id(first[1])
    assert all(o.unwrap().send is None for o in (second[0], second[2], *third))
    assert GiftSend.objects.count() == 4
    assert selectors.coin_balance(a) == 38 and selectors.coin_balance(b) == 89
    assert_books_are_exact()


@pytest.mark.parametrize(
    "change",
    [{"quantity": 2}, {"gift": "rose"}, {"room_id": 2}, {"host": "other"}],
    ids=["quantity", "gift", "room", "host"],
)
def test_a_key_reused_with_other_parameters_in_a_later_batch_is_refused(
    catalog: dict[str, Gift], change: dict[str, Any]
) -> None:
    sender, other_sender, host, other_host = (UserFactory() for _ in range(4))
    fund(sender, 100)
    fund(other_sender, 100)
    gifts_send([req(sender, host, "once"), req(other_sender, host, "once")])
    options: dict[str, Any] = {"gift": "heart", **change}
    target = other_host if options.pop("host", None) else host

    outcomes = gifts_send(
        [
            req(sender, target, "once", **options),
            req(other_sender, host, "once"),
            req(sender, host, "fresh"),
        ]
    )

    assert summary(outcomes) == [("idempotency_conflict",), ("replayed", 5, 95), ("sent", 5, 90)]
    assert outcomes[0].error is not None and outcomes[0].error.status == 409
    assert GiftSend.objects.count() == 3
    assert selectors.coin_balance(sender) == 90
    assert_books_are_exact()


def test_a_key_repeated_in_one_batch_behaves_as_one_send_after_the_other(
    catalog: dict[str, Gift],
) -> None:
    a, b, host = UserFactory(), UserFactory(), UserFactory()
    fund(a, 100)
    fund(b, 100)
    batch = [
        req(a, host, "twice", "coffee"),
        req(b, host, "twice", "heart"),  # the same key string, another member's
        req(a, host, "twice", "coffee"),  # replays the first
        req(a, host, "other", "rose"),
        req(a, host, "twice", "coffee", quantity=2),  # another request: refused
        req(a, host, "twice", "coffee"),
        req(a, host, "nope-first", "no-such-gift"),  # refused: stores nothing...
        req(a, host, "nope-first", "heart"),  # ...so the key is still free
    ]

    outcomes = gifts_send(batch)

    assert summary(outcomes) == [
        ("sent", 10, 90),
        ("sent", 5, 95),
        ("replayed", 10, 90),
        ("sent", 1, 89),
        ("idempotency_conflict",),
        ("replayed", 10, 90),
        ("unknown_gift",),
        ("sent", 5, 84),
    ]
    assert gift_id(outcomes[0]) == gift_id(outcomes[2]) == gift_id(outcomes[5])
    assert gift_id(outcomes[1]) != gift_id(outcomes[0])
    assert GiftSend.objects.filter(sender=a).count() == 3
    assert selectors.coin_balance(a) == 84 and selectors.coin_balance(b) == 95
    assert_books_are_exact()


def test_a_repeated_key_keeps_request_order_when_its_first_use_was_refused(
    catalog: dict[str, Gift],
) -> None:
    """One send after the other: the castle is refused, the rose under the
    same key then goes through, and the heart after it finds 4 coins."""
    sender, host = UserFactory(), UserFactory()
    fund(sender, 5)

    outcomes = gifts_send(
        [
            req(sender, host, "k1", "castle"),
            req(sender, host, "k1", "rose"),
            req(sender, host, "k2", "heart"),
        ]
    )

    assert summary(outcomes) == [("insufficient_funds",), ("sent", 1, 4), ("insufficient_funds",)]
    assert gift_keys() == {(sender.pk, "k1")}
    assert selectors.coin_balance(sender) == 4
    assert_books_are_exact()


# --- stale per-process caches ----------------------------------------------------------


def test_a_gift_repriced_elsewhere_is_charged_at_its_new_price_on_the_next_batch(
    catalog: dict[str, Gift], retries: Callable[[], list[str]]
) -> None:
    sender, host = UserFactory(), UserFactory()
    fund(sender, 100)
    assert summary(gifts_send([req(sender, host, "warm", "coffee")])) == [("sent", 10, 90)]
    # Another process's admin: no signal reaches this process's catalog.
    Gift.objects.filter(slug="coffee").update(coins=12)
    Gift.objects.filter(slug="heart").update(coins=3)

    outcomes = gifts_send(
        [
            req(sender, host, "c", "coffee", 2),
            req(sender, host, "h", "heart"),
            req(sender, host, "warm", "coffee"),
        ]
    )

    assert summary(outcomes) == [("sent", 24, 66), ("sent", 3, 63), ("replayed", 10, 90)]
    assert sorted(GiftSend.objects.values_list("coins", flat=True)) == [3, 10, 24]
    assert any(STALE_GIFT in reason for reason in retries())
    assert earned(host) == 7 + 17 + 3
    assert_books_are_exact()


@pytest.mark.parametrize(
    ("price", "coins", "expected"),
    [(3, 4, [("sent", 3, 1)]), (12, 11, [("insufficient_funds",)])],
    ids=["cheaper-now-affordable", "dearer-now-unaffordable"],
)
def test_a_refusal_for_want_of_coins_is_not_made_at_a_stale_price(
    catalog: dict[str, Gift],
    retries: Callable[[], list[str]],
    price: int,
    coins: int,
    expected: list[tuple[Any, ...]],
) -> None:
    rich, poor, host = UserFactory(), UserFactory(), UserFactory()
    fund(rich, 100)
    fund(poor, coins)
    gifts_send([req(rich, host, "warm", "heart"), req(rich, host, "warm-2", "coffee")])
    slug = "heart" if price < 5 else "coffee"
    Gift.objects.filter(slug=slug).update(coins=price)

    assert summary(gifts_send([req(poor, host, "k", slug)])) == expected
    assert any(STALE_GIFT in reason for reason in retries())
    assert selectors.coin_balance(poor) == coins - (expected[0][1] if len(expected[0]) > 1 else 0)
    assert_books_are_exact()


def test_a_gift_withdrawn_elsewhere_is_refused_but_its_earlier_keys_replay(
    catalog: dict[str, Gift], retries: Callable[[], list[str]]
) -> None:
    sender, poor, host = UserFactory(), UserFactory(), UserFactory()
    fund(sender, 500)
    fund(poor, 50)
    first = gifts_send([req(sender, host, "r1", "rocket")])
    assert summary(first) == [("sent", 199, 301)]
    Gift.objects.filter(slug="rocket").update(is_active=False)

    outcomes = gifts_send(
        [
            req(sender, host, "r1", "rocket"),  # a retry: replayed
            req(sender, host, "r2", "rocket"),  # a new send: refused
            req(poor, host, "p1", "rocket"),  # unknown, not "insufficient"
            req(sender, host, "h1", "heart"),
        ]
    )

    assert summary(outcomes) == [
        ("replayed", 199, 301),
        ("unknown_gift",),
        ("unknown_gift",),
        ("sent", 5, 296),
    ]
    assert gift_id(outcomes[0]) == gift_id(first[0])
    assert any(STALE_GIFT in reason for reason in retries())
    assert GiftSend.objects.count() == 2
    assert selectors.coin_balance(poor) == 50
    assert_books_are_exact()


def test_a_host_account_deleted_behind_the_cache_is_detected_and_made_again(
    catalog: dict[str, Gift], retries: Callable[[], list[str]]
) -> None:
    poor, sender, host = UserFactory(), UserFactory(), UserFactory()
    fund(sender, 100)
    # A refused gift still resolves (and caches) the host's earnings account.
    assert summary(gifts_send([req(poor, host, "warm")])) == [("insufficient_funds",)]
    cached = Account.objects.get(kind=EARNINGS, user=host)
    cached.delete()

    outcomes = gifts_send([req(sender, host, "1", "heart"), req(sender, host, "2", "coffee")])

    assert summary(outcomes) == [("sent", 5, 95), ("sent", 10, 85)]
    assert any("cached account id is stale" in reason for reason in retries())
    assert Account.objects.filter(kind=EARNINGS, user=host).count() == 1
    assert earned(host) == 4 + 7
    assert_books_are_exact()


def test_a_sender_account_deleted_behind_the_cache_is_detected(
    catalog: dict[str, Gift], retries: Callable[[], list[str]]
) -> None:
    sender, other, host = UserFactory(), UserFactory(), UserFactory()
    assert summary(gifts_send([req(sender, host, "warm")])) == [("insufficient_funds",)]
    cached = Account.objects.get(kind=MEMBER, user=sender)
    fund(other, 10)  # an account made after it: the id is not handed out again
    cached.delete()
    fund(sender, 30)
    assert Account.objects.get(kind=MEMBER, user=sender).pk != cached.pk

    outcomes = gifts_send([req(sender, host, "1", "heart"), req(other, host, "2", "heart")])

    assert summary(outcomes) == [("sent", 5, 25), ("sent", 5, 5)]
    assert any("coin account" in reason for reason in retries())
    assert_books_are_exact()


def test_a_sender_account_given_to_another_member_is_not_debited_for_the_first(
    catalog: dict[str, Gift], retries: Callable[[], list[str]]
) -> None:
    """The cache says the account is ``first``'s; it is ``second``'s now, and
    both send in one batch: each pays from their own coins."""
    first, second, host = UserFactory(), UserFactory(), UserFactory()
    assert summary(gifts_send([req(first, host, "warm")])) == [("insufficient_funds",)]
    moved = Account.objects.get(kind=MEMBER, user=first)
    Account.objects.filter(pk=moved.pk).update(user=second)
    fund(second, 50)  # onto the moved account
    fund(first, 30)  # onto a new one
    assert Account.objects.get(kind=MEMBER, user=second).pk == moved.pk

    outcomes = gifts_send(
        [
            req(first, host, "1", "heart"),
            req(second, host, "1", "coffee"),
            req(first, host, "2", "rose"),
        ]
    )

    assert summary(outcomes) == [("sent", 5, 25), ("sent", 10, 40), ("sent", 1, 24)]
    assert retries()  # the stale id was noticed, not used
    assert selectors.coin_balance(first) == 24 and selectors.coin_balance(second) == 40
    debits = Line.objects.filter(entry__kind=Entry.Kind.GIFT, amount__lt=0)
    assert {(line.account.user_id, line.amount) for line in debits.select_related("account")} == {
        (first.pk, -5),
        (second.pk, -10),
        (first.pk, -1),
    }
    assert_books_are_exact()


# --- cost, size and retries -------------------------------------------------------------


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_batch_costs_seven_statements_whatever_its_size(catalog: dict[str, Gift]) -> None:
    senders = [UserFactory() for _ in range(10)]
    hosts = [UserFactory() for _ in range(3)]
    for sender in senders:
        fund(sender, 1_000)
    # Warm: every account exists and is cached, the catalog is cached.
    warm = [req(s, h, f"warm-{h.pk}") for s in senders for h in hosts]
    assert all(o.ok for o in gifts_send(warm))

    def batch(size: int, prefix: str) -> list[GiftRequest]:
        slugs = ["rose", "heart", "coffee", "sprout"]
        return [req(senders[n % 10], hosts[n % 3], f"{prefix}-{n}", slugs[n % 4],
                    quantity=1 + n % 3, room_id=n % 2) for n in range(size)]  # fmt: skip

    with CaptureQueriesContext(connection) as small:
        assert all(o.ok for o in gifts_send(batch(2, "s")))
    with CaptureQueriesContext(connection) as large:
        assert all(o.ok for o in gifts_send(batch(60, "l")))
    with CaptureQueriesContext(connection) as repeated:
        outcomes = gifts_send([*batch(10, "r"), batch(1, "r")[0]])

    assert len(_statements(small)) == len(_statements(large)) == 7
    # The repeated key starts a second round: one more read, which replays it.
    assert len(_statements(repeated)) == 8 and outcomes[-1].unwrap().replayed
    assert GiftSend.objects.count() == 30 + 2 + 60 + 10
    assert_books_are_exact()


def _rows_read(plan: dict[str, Any], table: str) -> float:
    """Rows a plan's scans of ``table`` read, kept or filtered out, over all
    their loops (EXPLAIN ANALYZE's JSON)."""
    read = 0.0
    if plan.get("Relation Name") == table:
        per_loop = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        read += per_loop * plan["Actual Loops"]
    for child in plan.get("Plans", []):
        read += _rows_read(child, table)
    return read


@pytest.mark.postgres
def test_a_batch_reads_its_stored_answers_by_key_not_every_answer_of_its_senders(
    catalog: dict[str, Gift],
) -> None:
    # Answers are kept for good (a retry must always replay): a member who
    # sent 3,000 gifts has 3,000 records. Matching a batch's keys and users
    # as two lists let PostgreSQL read all of them for every batch the
    # member was in; the batch's (user, key) pairs probe the unique index.
    sender, other, host = UserFactory(), UserFactory(), UserFactory()
    for member in (sender, other):
        fund(member, 1_000)
    IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(user=member, scope=gift_engine.SCOPE, key=f"old-{n}", fingerprint="x")
        for member in (sender, other)
        for n in range(3_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wallet_idempotencyrecord")
    batch = [req(sender, host, f"new-{n}") for n in range(20)]
    batch += [req(other, host, f"old-{n}") for n in range(5)]  # stored: these replay

    with CaptureQueriesContext(connection) as queries:
        outcomes = gifts_send(batch)

    assert [o.error.code for o in outcomes if o.error] == ["idempotency_conflict"] * 5
    (lookup,) = [q for q in _statements(queries) if "FROM wallet_idempotencyrecord" in q
                 or "JOIN wallet_idempotencyrecord" in q]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + lookup)
        (plan,) = cursor.fetchone()[0]
    assert _rows_read(plan["Plan"], "wallet_idempotencyrecord") <= len(batch)


def test_a_fresh_process_reads_a_batchs_uncached_accounts_in_one_query(
    catalog: dict[str, Gift],
) -> None:
    senders = [UserFactory() for _ in range(12)]
    hosts = [UserFactory() for _ in range(3)]
    for sender in senders:
        fund(sender, 1_000)
    assert all(o.ok for o in gifts_send([req(senders[0], h, f"make-{h.pk}") for h in hosts]))
    gift_engine.gift_caches_clear()  # a fresh process: every account exists, none cached

    with CaptureQueriesContext(connection) as queries:
        outcomes = gifts_send([req(s, hosts[n % 3], f"cold-{n}") for n, s in enumerate(senders)])

    assert all(o.ok for o in outcomes)
    lookups = [q for q in _statements(queries) if q.startswith('SELECT "wallet_account"')]
    # The senders' and hosts' accounts in one query, the platform's in another.
    assert len(lookups) == 2
    assert_books_are_exact()


def test_batches_larger_than_max_batch_are_split_and_stay_exact(
    catalog: dict[str, Gift], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gift_engine, "MAX_BATCH", 4)
    sender, other, host = UserFactory(), UserFactory(), UserFactory()
    fund(sender, 30)
    fund(other, 100)
    batch = [req(sender, host, f"c{n}", "coffee") for n in range(5)]
    batch += [req(other, host, f"o{n}", "heart") for n in range(4)]
    batch += [req(sender, host, "c1", "coffee"), req(other, host, "o0", "heart", 2)]

    outcomes = gifts_send(batch)

    assert summary(outcomes) == [
        ("sent", 10, 20), ("sent", 10, 10), ("sent", 10, 0), ("insufficient_funds",),
        ("insufficient_funds",), ("sent", 5, 95), ("sent", 5, 90), ("sent", 5, 85),
        ("sent", 5, 80), ("replayed", 10, 10), ("idempotency_conflict",),
    ]  # fmt: skip
    assert selectors.coin_balance(sender) == 0 and selectors.coin_balance(other) == 80
    assert_books_are_exact()


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlock_rolls_the_attempt_back_whole_and_runs_it_again(
    catalog: dict[str, Gift], monkeypatch: pytest.MonkeyPatch, retries: Callable[[], list[str]]
) -> None:
    a, b, host = UserFactory(), UserFactory(), UserFactory()
    fund(a, 100)
    fund(b, 100)
    real = gift_engine._insert_records
    calls: list[int] = []

    def deadlocked_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # everything else of the attempt is written by now
            raise OperationalError("deadlock detected") from _Deadlock()
        return real(*args, **kwargs)

    monkeypatch.setattr(gift_engine, "_insert_records", deadlocked_once)

    outcomes = gifts_send([req(a, host, "1", "coffee"), req(b, host, "1", "sprout")])

    assert summary(outcomes) == [("sent", 10, 90), ("sent", 52, 48)]
    assert len(calls) == 2 and len(retries()) == 1 and "_Deadlock" in retries()[0]
    assert GiftSend.objects.count() == 2
    assert_books_are_exact()


def test_what_is_not_a_requests_fault_raises_and_sends_nothing(
    catalog: dict[str, Gift], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, host = UserFactory(), UserFactory()
    fund(sender, 100)
    batch = [req(sender, host, "1", "coffee"), req(sender, host, "2", "heart")]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("the server closed the connection")

    with monkeypatch.context() as patch:
        patch.setattr(gift_engine, "_insert_sends", broken)
        with pytest.raises(OperationalError, match="closed"):
            gifts_send(batch)

    def always_again(*args: Any, **kwargs: Any) -> Any:
        raise gift_engine._Again("always", stale=True)

    with monkeypatch.context() as patch:
        patch.setattr(gift_engine, "_insert_sends", always_again)
        with pytest.raises(RuntimeError, match=f"failed {gift_engine.MAX_ATTEMPTS} times"):
            gifts_send(batch)

    assert not GiftSend.objects.exists() and not gift_keys()
    assert not Entry.objects.filter(kind=Entry.Kind.GIFT).exists()
    assert selectors.coin_balance(sender) == 100
    assert summary(gifts_send(batch)) == [("sent", 10, 90), ("sent", 5, 85)]
    assert_books_are_exact()


# --- PostgreSQL: batches racing each other ------------------------------------------------


@dataclass(frozen=True)
class Answer:
    sender_id: int
    key: str
    code: str | None
    gift_send_id: int | None = None
    coins: int | None = None
    balance: int | None = None
    replayed: bool = False


def race(batches_per_thread: list[list[list[GiftRequest]]]) -> list[Answer]:
    """Each thread (its own connection, released together with the others)
    sends its batches one after the other; returns every answer."""
    barrier = threading.Barrier(len(batches_per_thread))
    answers: list[Answer] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(batches: list[list[GiftRequest]]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            mine: list[Answer] = []
            for batch in batches:
                for outcome in gifts_send(batch):
                    request, result = outcome.request, outcome.result
                    if outcome.error is not None:
                        mine.append(Answer(request.sender.pk, request.idempotency_key,
                                           outcome.error.code))  # fmt: skip
                    else:
                        assert result is not None
                        mine.append(Answer(request.sender.pk, request.idempotency_key, None,
                                           result.gift_send_id, result.coins, result.balance,
                                           result.replayed))  # fmt: skip
            with lock:
                answers.extend(mine)
        except BaseException as exc:  # reported by the test, not lost in a thread
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a batch hung"
    assert not failures, failures
    return answers


def by_key(answers: list[Answer]) -> dict[tuple[int, str], list[Answer]]:
    grouped: dict[tuple[int, str], list[Answer]] = defaultdict(list)
    for answer in answers:
        grouped[(answer.sender_id, answer.key)].append(answer)
    return grouped


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_racing_with_overlapping_keys_and_senders_send_each_key_once(
    retries: Callable[[], list[str]],
) -> None:
    gift_catalog()
    hosts = [UserFactory() for _ in range(3)]
    senders = [UserFactory() for _ in range(8)]
    initial = 1_000
    for sender in senders:
        fund(sender, initial)
    slugs = ["rose", "heart", "coffee", "sprout"]
    requests = [
        req(sender, hosts[(i + n) % 3], f"k{n}", slugs[(i * 5 + n) % 4], quantity=1 + n % 3,
            room_id=(i + n) % 3, session_id=n % 2 or None)
        for i, sender in enumerate(senders) for n in range(12)
    ]  # fmt: skip
    rng = random.Random(7)
    threads = 4
    plan: list[list[list[GiftRequest]]] = []
    for t in range(threads):
        batches = []
        for b in range(3):
            # Every request in some batch, about half of them in each batch
            # (so most keys race), a few twice in one batch, all shuffled:
            # senders meet in every order.
            slot = t * 3 + b
            batch = [r for n, r in enumerate(requests) if n % 12 == slot or rng.random() < 0.5]
            batch += rng.sample(batch, 3)
            rng.shuffle(batch)
            batches.append(batch)
        plan.append(batches)

    answers = race(plan)

    assert [a for a in answers if a.code is not None] == []
    grouped = by_key(answers)
    assert len(grouped) == len(requests) == 96
    for key, same in grouped.items():
        assert [a.replayed for a in same].count(False) == 1, (key, same)  # exactly once
        assert len({(a.gift_send_id, a.coins, a.balance) for a in same}) == 1, (key, same)
    assert GiftSend.objects.count() == len(requests)
    assert len(gift_keys()) == len(requests)

    price = {g.slug: g.coins for g in Gift.objects.all()}
    for sender in senders:
        mine = [r for r in requests if r.sender == sender]
        spent = sum(price[r.gift_slug] * r.quantity for r in mine)
        assert selectors.coin_balance(sender) == initial - spent
        # Each gift's stored balance is right after it: one chain per sender.
        firsts = sorted(
            (a for (sender_id, _), same in grouped.items() if sender_id == sender.pk
             for a in same if not a.replayed),
            key=lambda a: -(a.balance or 0),
        )  # fmt: skip
        left = initial
        for answer in firsts:
            left -= answer.coins or 0
            assert answer.balance == left
    for host in hosts:
        mine = [r for r in requests if r.host == host]
        assert earned(host) == sum(rules.split_coins(price[r.gift_slug] * r.quantity)[0]
                                   for r in mine)  # fmt: skip
    assert_books_are_exact()
    # Locks in one order and keys read under them: no deadlock, not even
    # one retried, and no duplicate had to be rolled back.
    assert retries() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_batches_that_overdraw_shared_senders_accept_exactly_what_coins_cover(
    retries: Callable[[], list[str]],
) -> None:
    gift_catalog()
    host = UserFactory()
    senders = [UserFactory() for _ in range(6)]
    for sender in senders:
        fund(sender, 3 * 10)  # three coffees each
    rng = random.Random(11)
    plan: list[list[list[GiftRequest]]] = []
    for t in range(4):
        batch = [req(s, host, f"t{t}-{n}", "coffee") for s in senders for n in range(4)]
        batch += [req(s, host, f"shared-{n}", "coffee") for s in senders for n in range(2)]
        rng.shuffle(batch)
        plan.append([batch])

    answers = race(plan)

    for sender in senders:
        assert selectors.coin_balance(sender) == 0
        assert GiftSend.objects.filter(sender=sender).count() == 3
    for key, same in by_key(answers).items():
        sent = [a for a in same if a.code is None and not a.replayed]
        if sent:  # sent once; its other answers replay it
            assert len(sent) == 1 and all(a.code is None for a in same), (key, same)
            assert {a.gift_send_id for a in same} == {sent[0].gift_send_id}
        else:  # refused everywhere, no key left behind
            assert {a.code for a in same} == {"insufficient_funds"}, (key, same)
            assert key not in gift_keys()
    assert len(gift_keys()) == 3 * len(senders)
    assert_books_are_exact()
    assert retries() == []
