"""The flash sale's buy path (SPEC.md ``POST /api/v1/shop/flash-sales/{id}/buy``):
the state before the database, the gate, the order through
``shop.services.orders.order_place``, idempotency, a refused payment, the
reconcile with the database; on PostgreSQL and Redis, 200 concurrent buyers
for 10 units, and the same race with the embedded gate (no Redis)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import User
from shop import services
from shop.errors import DomainError
from shop.gate import CacheFlashGate, flash_gate, reset_flash_gate
from shop.models import FlashSale, Order
from shop.selectors.flash import flash_sale_snapshot
from tests.clients import assert_error
from tests.factories import FlashSaleFactory, LiveSessionFactory, UserFactory, fresh
from tests.services import wait_for
from wallet.models import IdempotencyRecord, Payment
from wallet.reconcile import reconcile

pytestmark = pytest.mark.django_db

DECLINING = "tests.wallet.factories_core.DecliningProvider"
LATER = "tests.shop.providers.LaterProvider"


@pytest.fixture(autouse=True)
def _gate() -> Any:
    reset_flash_gate()
    yield
    reset_flash_gate()


def buy_url(sale: FlashSale) -> str:
    return f"/api/v1/shop/flash-sales/{sale.pk}/buy"


def payment_of(order: Order) -> Payment:
    return Payment.objects.get(order=order)


@pytest.fixture
def sale(db: Any) -> FlashSale:
    sale: FlashSale = FlashSaleFactory(quantity=2, price=990, product__stock=5)
    return sale


def test_a_buy_answers_a_pending_order_that_is_paid_once_committed(
    user_api: APIClient, user: User, sale: FlashSale, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = user_api.post(buy_url(sale), {"idempotency_key": "buy-1"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    # The answer is the order as committed: its charge is asked for after the
    # commit (the task shop.tasks.charge_order, eager here), and the
    # provider's callback (the sandbox's, at once) makes it paid.
    assert body["status"] == "pending" and body["payment"]["status"] == "pending"
    assert body["total"] == 990 and body["replayed"] is False
    assert body["lines"][0]["unit_price"] == 990 and body["flash_sale"] == sale.pk
    assert len(callbacks) == 1
    order = Order.objects.get(pk=body["id"])
    assert order.status == "paid" and order.payment is not None
    assert order.payment.status == "succeeded" and order.payment_entry is not None
    assert order.buyer == user and order.flash_sale == sale
    assert [(line.quantity, line.unit_price) for line in order.lines.all()] == [(1, 990)]
    assert fresh(sale).remaining == 1
    assert flash_gate().left(sale.pk) == 1
    assert fresh(sale.product).stock == 4
    assert reconcile().ok


def test_the_winners_request_is_a_few_queries_and_one_short_transaction(
    sale: FlashSale, django_capture_on_commit_callbacks: Any
) -> None:
    buyer = UserFactory()
    token = Token.objects.create(user=buyer)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    services.flash_sale_gate_sync(sale.pk)  # as once the sale is on: gate and snapshot cached
    flash_sale_snapshot(sale.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(buy_url(sale), {"idempotency_key": "fast"}, format="json")
    assert response.status_code == 201
    sql = [q["sql"] for q in queries.captured_queries]
    # The token, the key's record (in a savepoint of the transaction), the
    # sale with its product, shop and seller, the payment, the order, its
    # line, the answer stored, then the two hot rows (the sale's units, the
    # product's stock) last, then the commit.
    assert len(sql) <= 13, sql
    hot = [i for i, q in enumerate(sql) if q.startswith("UPDATE") and "remaining" in q]
    assert hot and all(not q.startswith("INSERT") for q in sql[hot[0] :]), sql


def test_the_same_key_replays_the_same_order(user_api: APIClient, sale: FlashSale) -> None:
    first = user_api.post(buy_url(sale), {"idempotency_key": "k-1"}, format="json").json()
    again = user_api.post(buy_url(sale), {"idempotency_key": "k-1"}, format="json")
    assert again.status_code == 201
    assert again.json()["id"] == first["id"] and again.json()["replayed"] is True
    assert Order.objects.count() == 1
    assert fresh(sale).remaining == 1


def test_a_retry_while_the_order_is_pending_replays_it_and_charges_once(
    user_api: APIClient, sale: FlashSale, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER):
        with django_capture_on_commit_callbacks(execute=True):
            first = user_api.post(buy_url(sale), {"idempotency_key": "p"}, format="json").json()
        order = Order.objects.get(pk=first["id"])
        assert order.status == "pending"
        charged_as = payment_of(order).provider_ref
        assert not charged_as.startswith("new:")  # charged, awaiting the provider's callback
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = user_api.post(buy_url(sale), {"idempotency_key": "p"}, format="json")
    assert again.status_code == 201
    assert again.json() == {**first, "replayed": True}
    assert callbacks == []  # a replay asks for no charge
    # A redelivered charge task charges nothing twice.
    assert services.order_charge(order.pk) is False
    assert payment_of(order).provider_ref == charged_as
    assert Order.objects.count() == 1 and fresh(sale).remaining == 1


def test_the_same_key_replays_even_once_sold_out(
    user_api: APIClient, other_api: APIClient, sale: FlashSale
) -> None:
    first = user_api.post(buy_url(sale), {"idempotency_key": "mine"}, format="json").json()
    assert other_api.post(
        buy_url(sale), {"idempotency_key": "theirs"}, format="json"
    ).status_code in (200, 201)
    sold_out = APIClient().post(buy_url(sale), {"idempotency_key": "x"}, format="json")
    assert_error(sold_out, 409, "sold_out")
    again = user_api.post(buy_url(sale), {"idempotency_key": "mine"}, format="json")
    assert again.status_code == 201 and again.json()["id"] == first["id"]


def test_the_same_key_with_other_parameters_is_refused(
    user_api: APIClient, sale: FlashSale
) -> None:
    assert user_api.post(buy_url(sale), {"idempotency_key": "k"}, format="json").status_code in (
        200,
        201,
    )
    session = LiveSessionFactory()
    response = user_api.post(
        buy_url(sale),
        {"idempotency_key": "k", "source": {"live_session": session.pk}},
        format="json",
    )
    assert_error(response, 409, "idempotency_conflict")
    other_sale = FlashSaleFactory(quantity=3)
    assert_error(
        user_api.post(buy_url(other_sale), {"idempotency_key": "k"}, format="json"),
        409,
        "idempotency_conflict",
    )
    # The refused request's ticket went back: the other sale is untouched.
    assert fresh(other_sale).remaining == 3
    assert flash_gate().left(other_sale.pk) == 3
    assert Order.objects.count() == 1


def test_one_unit_per_buyer(user_api: APIClient, sale: FlashSale) -> None:
    assert user_api.post(buy_url(sale), {"idempotency_key": "a"}, format="json").status_code in (
        200,
        201,
    )
    assert_error(
        user_api.post(buy_url(sale), {"idempotency_key": "b"}, format="json"),
        409,
        "one_per_buyer",
    )
    assert fresh(sale).remaining == 1 and flash_gate().left(sale.pk) == 1


def test_nobody_buys_before_the_start_and_it_costs_no_query_once_cached(
    user_api: APIClient,
) -> None:
    sale = FlashSaleFactory(starts_at=timezone.now() + timedelta(minutes=5))
    assert_error(
        user_api.post(buy_url(sale), {"idempotency_key": "early"}, format="json"),
        409,
        "not_started",
    )
    with CaptureQueriesContext(connection) as queries:
        response = user_api.post(buy_url(sale), {"idempotency_key": "early"}, format="json")
    assert_error(response, 409, "not_started")
    assert len(queries) == 0
    assert not Order.objects.exists() and fresh(sale).remaining == sale.quantity


def test_an_ended_or_cancelled_sale_sells_nothing(
    user: User, user_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ended = FlashSaleFactory(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert_error(
        user_api.post(buy_url(ended), {"idempotency_key": "late"}, format="json"), 409, "ended"
    )
    cancelled = FlashSaleFactory()
    assert user_api.get(f"/api/v1/shop/flash-sales/{cancelled.pk}/").status_code in (
        200,
        201,
    )  # snapshot cached
    with django_capture_on_commit_callbacks(execute=True):
        services.flash_sale_cancel(actor=cancelled.product.shop.owner, sale=cancelled)
    assert_error(
        user_api.post(buy_url(cancelled), {"idempotency_key": "c"}, format="json"), 409, "ended"
    )
    assert not Order.objects.exists()


def test_sold_out_answers_make_no_database_query(
    user_api: APIClient, other_api: APIClient, sale: FlashSale
) -> None:
    assert user_api.post(buy_url(sale), {"idempotency_key": "1"}, format="json").status_code in (
        200,
        201,
    )
    assert other_api.post(buy_url(sale), {"idempotency_key": "2"}, format="json").status_code in (
        200,
        201,
    )
    late = UserFactory()
    token = Token.objects.create(user=late)
    token_client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    for client in (token_client, APIClient()):  # logged in by token, and not at all
        with CaptureQueriesContext(connection) as queries:
            response = client.post(buy_url(sale), {"idempotency_key": "late"}, format="json")
        assert_error(response, 409, "sold_out")
        assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
    assert fresh(sale).remaining == 0 and Order.objects.count() == 2


def test_a_refused_payment_gives_the_unit_back_to_the_gate_and_the_database(
    user_api: APIClient, user: User, sale: FlashSale, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=DECLINING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = user_api.post(buy_url(sale), {"idempotency_key": "no"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    # The charge, after the commit, was refused: the order is cancelled, its
    # unit back in the database and in the gate, the buyer's ticket too.
    order = Order.objects.get(pk=response.json()["id"])
    assert order.status == "cancelled" and order.stock_released
    assert fresh(sale).remaining == 2 and flash_gate().left(sale.pk) == 2
    assert flash_gate().holder(sale.pk, user.pk) is None
    assert fresh(sale.product).stock == 5
    # The buyer is free to try again, with a new key.
    with django_capture_on_commit_callbacks(execute=True):
        retry = user_api.post(buy_url(sale), {"idempotency_key": "yes"}, format="json")
    assert retry.status_code == 201
    assert fresh(Order.objects.get(pk=retry.json()["id"])).status == "paid"
    assert fresh(sale).remaining == 1 and flash_gate().left(sale.pk) == 1
    assert reconcile().ok


def test_a_provider_that_takes_no_charges_cancels_the_order_after_the_commit(
    user_api: APIClient, sale: FlashSale, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        override_settings(SPROUT_WALLET_SANDBOX_SECRET=""),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = user_api.post(buy_url(sale), {"idempotency_key": "k"}, format="json")
    assert response.status_code == 201
    order = Order.objects.get(pk=response.json()["id"])
    assert order.status == "cancelled" and payment_of(order).status == "failed"
    assert fresh(sale).remaining == 2 and flash_gate().left(sale.pk) == 2
    assert reconcile().ok


def test_an_order_cancelled_before_its_charge_is_not_charged(
    user: User, user_api: APIClient, sale: FlashSale
) -> None:
    response = user_api.post(buy_url(sale), {"idempotency_key": "k"}, format="json")
    order = Order.objects.get(pk=response.json()["id"])  # its charge not yet run
    services.order_cancel(buyer=user, order=order.pk)
    assert services.order_charge(order.pk) is False
    payment = payment_of(order)
    assert payment.status == "pending" and payment.provider_ref.startswith("new:")
    assert fresh(sale).remaining == 2
    assert reconcile().ok


def test_an_order_that_fails_gives_its_ticket_back(
    user_api: APIClient, sale: FlashSale, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise DomainError("the payment provider is down", code="payments_unavailable")

    monkeypatch.setattr("shop.services.flash.flash_order_place", broken)
    response = user_api.post(buy_url(sale), {"idempotency_key": "k"}, format="json")
    assert_error(response, 400, "payments_unavailable")
    assert flash_gate().left(sale.pk) == 2 and fresh(sale).remaining == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_sale_taken_meanwhile_rolls_the_whole_order_back(
    user_api: APIClient, sale: FlashSale
) -> None:
    # The gate let the buyer through, and the database says no (a gate out
    # of step): the order, its line and payment and the key go with it.
    services.flash_sale_gate_sync(sale.pk)
    FlashSale.objects.filter(pk=sale.pk).update(remaining=0)
    response = user_api.post(buy_url(sale), {"idempotency_key": "k"}, format="json")
    assert_error(response, 409, "sold_out")
    assert not Order.objects.exists() and not IdempotencyRecord.objects.exists()
    assert not Payment.objects.exists()
    assert flash_gate().left(sale.pk) == 2  # the ticket went back
    assert fresh(sale.product).stock == 5


def test_a_released_order_puts_its_unit_back_on_sale_after_the_sync(
    user_api: APIClient,
    other_api: APIClient,
    user: User,
    sale: FlashSale,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order = user_api.post(buy_url(sale), {"idempotency_key": "a"}, format="json").json()
    assert other_api.post(buy_url(sale), {"idempotency_key": "b"}, format="json").status_code in (
        200,
        201,
    )
    services.order_cancel(buyer=user, order=order["id"], reason="changed my mind")
    assert fresh(sale).remaining == 1
    assert flash_gate().left(sale.pk) == 0  # the gate learns it from the sync
    monkeypatch.setattr("shop.services.flash.TICKET_GRACE_SECONDS", -1)
    assert services.flash_sales_gate_sync() >= 1
    assert flash_gate().left(sale.pk) == 1
    # The buyer whose order was released may buy again.
    again = user_api.post(buy_url(sale), {"idempotency_key": "c"}, format="json")
    assert again.status_code == 201 and again.json()["status"] == "pending"
    assert fresh(sale).remaining == 0
    assert reconcile().ok


def test_a_stale_ticket_without_an_order_does_not_lock_its_buyer_out(
    user_api: APIClient, user: User, sale: FlashSale, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.flash_sale_gate_sync(sale.pk)
    flash_gate().take(sale.pk, user.pk, "a-request-that-died")
    assert_error(
        user_api.post(buy_url(sale), {"idempotency_key": "new"}, format="json"),
        409,
        "one_per_buyer",
    )
    monkeypatch.setattr("shop.services.flash.TICKET_GRACE_SECONDS", -1)
    response = user_api.post(buy_url(sale), {"idempotency_key": "new"}, format="json")
    assert response.status_code == 201
    assert fresh(sale).remaining == 1 and flash_gate().left(sale.pk) == 1


def test_the_seller_cannot_buy_their_own_sale(sale: FlashSale) -> None:
    seller = APIClient()
    seller.force_authenticate(sale.product.shop.owner)
    assert_error(
        seller.post(buy_url(sale), {"idempotency_key": "own"}, format="json"), 409, "own_product"
    )
    assert flash_gate().left(sale.pk) == 2


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"idempotency_key": ""},
        {"idempotency_key": "x" * 101},
        {"idempotency_key": "spaces are not allowed"},
        {"idempotency_key": ["k"]},
        {"idempotency_key": "k", "source": {"note": "x"}},
        {"idempotency_key": "k", "source": {"note": 1, "live_session": 2}},
        {"idempotency_key": "k", "source": "note"},
    ],
)
def test_bad_input_is_400(user_api: APIClient, sale: FlashSale, payload: dict[str, Any]) -> None:
    assert_error(user_api.post(buy_url(sale), payload, format="json"), 400, "invalid")
    assert not Order.objects.exists()


def test_a_missing_sale_is_404_and_a_guest_is_401(api: APIClient, sale: FlashSale) -> None:
    response = api.post(
        "/api/v1/shop/flash-sales/999999/buy", {"idempotency_key": "k"}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert api.post(buy_url(sale), {"idempotency_key": "k"}, format="json").status_code == 401


def test_an_unknown_source_is_refused_and_the_ticket_goes_back(
    user_api: APIClient, sale: FlashSale
) -> None:
    response = user_api.post(
        buy_url(sale), {"idempotency_key": "k", "source": {"note": 999_999}}, format="json"
    )
    assert_error(response, 400, "invalid_source")
    assert flash_gate().left(sale.pk) == 2


# --- the race ---------------------------------------------------------------------------------


def _race(sale: FlashSale, buyers: list[User]) -> Counter[str]:
    """Every buyer calls the buy service at once from a thread of its own.

    The sale's snapshot is cached first, as creating it through the service
    does (the factory does not): with a cold cache every thread would read
    the sale from the database at once, each on a connection of its own,
    and 200 of them exceed PostgreSQL's 100. Losers then touch no database.
    """
    flash_sale_snapshot(sale.pk)
    start = threading.Barrier(len(buyers))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def buy(buyer: User) -> None:
        try:
            start.wait()
            try:
                services.flash_sale_buy_precheck(sale_id=sale.pk, idempotency_key=f"k{buyer.pk}")
                order, _ = services.flash_sale_buy(
                    buyer=buyer, sale_id=sale.pk, idempotency_key=f"k{buyer.pk}"
                )
                outcome = str(order["status"])
            except DomainError as exc:
                outcome = exc.code
            with lock:
                outcomes[outcome] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _assert_exactly(sale: FlashSale, outcomes: Counter[str], units: int, buyers: int) -> None:
    # Every winner is answered its order pending; its charge, after the
    # commit (eager Celery here), made it paid.
    assert outcomes["pending"] == units, outcomes
    assert outcomes["sold_out"] == buyers - units, outcomes
    assert Order.objects.filter(flash_sale=sale).count() == units
    assert Order.objects.filter(flash_sale=sale, status="paid").count() == units
    assert Order.objects.filter(flash_sale=sale).values("buyer").distinct().count() == units
    assert fresh(sale).remaining == 0
    assert fresh(sale.product).stock == 50 - units
    assert reconcile().ok


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_buyers_for_10_units_make_exactly_10_orders(settings: Any) -> None:
    # 200 threads in one process: the cache's Redis pool waits for a free
    # connection instead of refusing the 101st (a server has a few threads).
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "OPTIONS": {"pool_class": "redis.BlockingConnectionPool", "max_connections": 50},
        }
    }
    sale = FlashSaleFactory(quantity=10, product__stock=50)
    buyers = UserFactory.create_batch(200)
    services.flash_sale_gate_sync(sale.pk)
    outcomes = _race(sale, buyers)
    _assert_exactly(sale, outcomes, 10, 200)
    assert flash_gate().left(sale.pk) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_embedded_gate_sells_exactly_the_quantity_too() -> None:
    # make run's default: no Redis, the gate in the Django cache under a
    # process lock (the cache here may be Redis: the gate is the process's).
    with override_settings(REDIS_URL=""):
        reset_flash_gate()
        assert isinstance(flash_gate(), CacheFlashGate)
        sale = FlashSaleFactory(quantity=10, product__stock=50)
        # 60, not more: without Redis a loser may read the sale from the
        # database, and every thread holds a connection of its own (the
        # server allows 100, shared with the worker and the test itself).
        buyers = UserFactory.create_batch(60)
        outcomes = _race(sale, buyers)
        _assert_exactly(sale, outcomes, 10, 60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_gate_the_database_alone_still_sells_exactly_the_quantity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A gate that lets everyone through (several processes without Redis,
    # a gate reset mid-sale): FlashSale.remaining's conditional update holds.
    from shop.gate import Take

    class Open(CacheFlashGate):
        def take(self, sale_id: int, buyer_id: int, key: str) -> Take:
            return Take.TAKEN

        def peek(self, sale_id: int, key: str) -> Any:
            return super().peek(-1, key)

    monkeypatch.setattr("shop.services.flash.flash_gate", Open)
    sale = FlashSaleFactory(quantity=5, product__stock=50)
    outcomes = _race(sale, UserFactory.create_batch(40))
    _assert_exactly(sale, outcomes, 5, 40)


# --- with a real Celery worker (the charge after the commit, the reservation's timeout) ---------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_charges_a_flash_order_after_its_commit(celery_worker: Any) -> None:
    sale = FlashSaleFactory(quantity=3, product__stock=10)
    order, replayed = services.flash_sale_buy(
        buyer=UserFactory(), sale_id=sale.pk, idempotency_key="w"
    )
    assert order["status"] == "pending" and not replayed
    wait_for(
        lambda: Order.objects.filter(pk=order["id"], status="paid").exists(),
        what="the worker to charge the order",
    )
    assert fresh(sale).remaining == 2
    assert reconcile().ok


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_flash_order_never_charged_is_released_by_the_worker_when_its_reservation_expires(
    celery_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shop.tasks import charge_order, release_expired_reservations

    monkeypatch.setattr(charge_order, "delay", lambda order_id: None)  # the broker lost it
    sale = FlashSaleFactory(quantity=3, product__stock=10)
    order, _ = services.flash_sale_buy(buyer=UserFactory(), sale_id=sale.pk, idempotency_key="x")
    assert fresh(sale).remaining == 2
    Order.objects.filter(pk=order["id"]).update(
        reserved_until=timezone.now() - timedelta(seconds=1)
    )
    release_expired_reservations.delay()
    wait_for(
        lambda: Order.objects.filter(pk=order["id"], status="cancelled").exists(),
        what="the worker to release the expired reservation",
    )
    assert fresh(sale).remaining == 3 and fresh(sale.product).stock == 10
    # A charge arriving late finds the order cancelled and charges nothing.
    assert services.order_charge(order["id"]) is False
    assert reconcile().ok
