"""Orders under concurrency and with a real Celery worker (PostgreSQL pass):

- 200 buyers race through checkout for 10 units: exactly 10 orders, stock
  never below zero, the ledger reconciles;
- the same checkout retried at once with one key makes one order;
- a reservation that times out is released by the worker running the beat
  task ``shop.tasks.release_expired_reservations``.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from shop import errors, services
from shop.models import Order, Product
from tests.factories import ProductFactory, UserFactory, fresh
from tests.services import wait_for
from tests.wallet.factories_core import at_once
from wallet.models import Entry, Payment
from wallet.reconcile import reconcile

BUYERS = 200
UNITS = 10
# PostgreSQL's max_connections (100) is shared with the rest of the machine:
# the buyers start together, and at most this many hold a connection at once.
CONNECTIONS = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hundred_buyers_for_ten_units_make_exactly_ten_orders() -> None:
    product = ProductFactory(stock=UNITS, price=1500)
    buyers = [UserFactory() for _ in range(BUYERS)]
    for buyer in buyers:
        services.cart_item_add(user=buyer, product_id=product.pk)
    gate = threading.BoundedSemaphore(CONNECTIONS)
    lowest: list[int] = []

    def checkout(i: int) -> Any:
        with gate:
            try:
                return services.checkout(user=buyers[i], idempotency_key=f"buy-{i}")
            except errors.InsufficientStock as exc:
                return exc
            finally:
                lowest.append(Product.objects.values_list("stock", flat=True).get(pk=product.pk))
                connection.close()

    results, failures = at_once(BUYERS, checkout)

    assert not failures, failures[:3]
    orders = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, errors.InsufficientStock)]
    assert len(orders) == UNITS and len(refused) == BUYERS - UNITS
    assert {o["status"] for o in orders} == {"paid"}
    assert Order.objects.count() == UNITS
    assert Order.objects.filter(status="paid").count() == UNITS
    assert fresh(product).stock == 0 and min(lowest) >= 0
    assert Payment.objects.filter(status="succeeded").count() == UNITS
    assert Entry.objects.filter(kind=Entry.Kind.ORDER_PAYMENT).count() == UNITS
    report = reconcile()
    assert report.ok, report.findings


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkout_retried_at_once_with_one_key_makes_one_order() -> None:
    product = ProductFactory(stock=5)
    buyer = UserFactory()
    services.cart_item_add(user=buyer, product_id=product.pk, quantity=2)

    results, failures = at_once(
        12, lambda i: services.checkout(user=buyer, idempotency_key="one-key")
    )

    assert not failures, failures[:3]
    assert len({r["id"] for r in results}) == 1
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 11
    assert Order.objects.count() == 1 and fresh(product).stock == 3
    assert reconcile().ok


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER="tests.shop.providers.LaterProvider")
def test_a_reservation_that_times_out_is_released_by_the_worker(celery_worker: Any) -> None:
    from shop.tasks import release_expired_reservations

    product = ProductFactory(stock=4)
    buyer = UserFactory()
    services.cart_item_add(user=buyer, product_id=product.pk, quantity=3)
    order = Order.objects.get(pk=services.checkout(user=buyer, idempotency_key="k")["id"])
    assert order.status == "pending" and fresh(product).stock == 1
    release_expired_reservations.delay()  # not due yet: the worker leaves it alone
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    release_expired_reservations.delay()
    wait_for(
        lambda: Order.objects.filter(pk=order.pk, status="cancelled").exists(),
        what="the worker to release the expired reservation",
    )
    order = fresh(order)
    assert order.stock_released and "expired" in order.cancel_reason
    assert fresh(product).stock == 4
    assert reconcile().ok
