"""A Celery worker SIGKILLed in the middle of the reservation sweep: every
expired order is released exactly once, its units back once.

``shop.tasks.release_expired_reservations`` (beat, every minute) expires each
pending order whose reservation passed in a transaction of its own, under
the order's row lock, as a guarded transition (``pending`` -> ``cancelled``,
and ``stock_released`` set once: ``shop.services.orders``). Here the sweep
releases the first of three expired flash-sale orders, then stops
mid-transaction on the second (its product's row locked by the test: the
order is marked released and its sale's units given back, uncommitted), and
its worker is killed. The broker hands the task (acked late) to a new
worker, which releases the other two: no unit comes back twice, none stays
reserved.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shop import services
from shop.models import FlashSale, Order
from shop.tasks import charge_order, release_expired_reservations
from tests.factories import FlashSaleFactory, UserFactory, fresh
from tests.faults import kill_mid_task, killable_workers  # noqa: F401  (fixture)
from tests.services import wait_for
from wallet.reconcile import reconcile

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

UNITS = 3
STOCK = 10


def test_a_worker_killed_mid_sweep_releases_each_expired_order_once(
    killable_workers: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(charge_order, "delay", lambda order_id: None)  # never paid
    sales = [FlashSaleFactory(quantity=UNITS, product__stock=STOCK) for _ in range(3)]
    orders = []
    for n, sale in enumerate(sales):
        order, _ = services.flash_sale_buy(
            buyer=UserFactory(), sale_id=sale.pk, idempotency_key="k"
        )
        # Due in this order: the sweep takes the oldest reservation first.
        Order.objects.filter(pk=order["id"]).update(
            reserved_until=timezone.now() - timedelta(seconds=30 - 10 * n)
        )
        orders.append(order["id"])
    assert [fresh(sale).remaining for sale in sales] == [UNITS - 1] * 3

    first = killable_workers("first")
    killed_after = kill_mid_task(
        first,
        lock_sql="SELECT id FROM shop_product WHERE id = %s FOR UPDATE",
        params=[sales[1].product_id],
        send=release_expired_reservations.delay,
    )

    def statuses() -> list[str]:
        return [Order.objects.get(pk=pk).status for pk in orders]

    # The first order was released and committed before the kill; the second
    # one's transaction died with the worker.
    wait_for(
        lambda: (
            statuses() == ["cancelled", "pending", "pending"]
            and not Order.objects.get(pk=orders[1]).stock_released
        ),
        timeout=10,
        what="the dead worker's transaction to roll back",
    )
    assert fresh(sales[1]).remaining == UNITS - 1

    restarted = time.monotonic()
    second = killable_workers("second")
    wait_for(
        lambda: statuses() == ["cancelled"] * 3,
        timeout=30,
        what="the redelivered sweep to release the rest",
    )
    redelivered_after = time.monotonic() - restarted
    task_id = first.text().split("release_expired_reservations[", 1)[1].split("]", 1)[0]
    wait_for(
        lambda: f"release_expired_reservations[{task_id}] succeeded" in second.text(),
        timeout=10,
        what="the redelivered task to finish",
    )

    # Each unit back once: the sales whole again, the products' stock whole.
    for sale in sales:
        assert fresh(sale).remaining == UNITS
        assert fresh(sale.product).stock == STOCK
    assert all(Order.objects.get(pk=pk).stock_released for pk in orders)
    # A duplicate delivery (or the next beat) finds nothing to release.
    # Run here, eagerly: a worker pool built earlier in this test process may
    # have set Celery's "never wait on a task" flag, meant for workers.
    assert release_expired_reservations.apply().get(disable_sync_subtasks=False) == 0
    assert FlashSale.objects.filter(remaining=UNITS).count() == 3
    assert reconcile().ok
    print(
        f"\nreservations: killed {killed_after:.2f}s after sending; "
        f"the new worker finished {redelivered_after:.2f}s after it started"
    )
