"""Payouts are made exactly once even when the worker running them dies,
and a run interrupted that way finishes promptly.

Real Celery workers on the test database and Redis (``tests/celery_worker.py``
starts the session's worker; these tests start, and kill, their own):

- the whole worker is SIGKILLed in the middle of a run, with the broker's
  visibility timeout at an hour: the sweep that beat runs every minute
  (``wallet.services.payout_lease``; here the test runs it, as beat would) finds the
  run's lease expired and hands it to a new task, and a new worker finishes
  the run within seconds; while the first worker was alive, the sweep left
  its run alone;
- the same kill with a short visibility timeout and no sweep: the task,
  acked late, stays unacknowledged in Redis and a new worker gets it again
  and finishes the run (the broker's own redelivery still works);
- the pool process of a prefork worker is SIGKILLed; with
  ``reject_on_worker_lost`` the worker puts the task back at once;
- two runs of one period at once (no worker: two threads): one pays, the
  other is turned away by the lease.

The run is slowed down between creators by the test hook
``SPROUT_WALLET_PAYOUT_TEST_DELAY`` (given to the first worker only), so the
kill lands between two creators' transactions.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from config.celery import app as celery_app
from kol.models import Agency
from tests.factories import PayoutRunFactory
from tests.faults import CeleryWorker
from tests.services import shared_database_url, wait_for
from tests.wallet.factories_payouts import (
    agency_with_manager,
    assert_books_balance,
    balance,
    creator_with,
)
from wallet import selectors, services
from wallet.errors import PayoutRunBusy
from wallet.models import Account, Payout, PayoutRun

PERIOD = date(2026, 5, 4)
KINDS = Account.Kind
VISIBILITY_SECONDS = 3
# Longer than each test waits: no task comes back through the broker's
# visibility timeout in a test that sets it.
AN_HOUR = 3_600
# Payout leases of these tests' workers (and of this process's sweep): more
# than three times the pause between two creators of a slowed-down run.
LEASE_SECONDS = 5
EARNINGS = (1_000, 1_234, 2_500, 4_321, 9_999)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    """Start workers on a queue of this test: ``workers(name, delay=...,
    pool=..., visibility=..., lease=...)``. Tasks the test sends go to that
    queue; every worker still alive is stopped afterwards."""
    queue = f"sprout-payouts-{uuid.uuid4().hex[:8]}"
    started: list[CeleryWorker] = []
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SPROUT_CELERY_QUEUE": queue,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Same payout terms as this process.
        "SPROUT_WALLET_PAYOUT_THRESHOLD": str(selectors.payout_threshold()),
        "SPROUT_WALLET_PAYOUT_RATE": str(selectors.payout_rate()),
    }

    def start(name: str, *, delay: float = 0.0, pool: str = "solo",
              visibility: int = VISIBILITY_SECONDS, lease: int = 60) -> CeleryWorker:  # fmt: skip
        env = {
            **base_env,
            "SPROUT_WALLET_PAYOUT_TEST_DELAY": str(delay),
            "SPROUT_WALLET_PAYOUT_LEASE_SECONDS": str(lease),
            "CELERY_VISIBILITY_TIMEOUT": str(visibility),
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        }
        worker = CeleryWorker(queue=queue, log_path=tmp_path / f"{name}.log", env=env, pool=pool)
        started.append(worker)
        return worker

    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for worker in started:
            worker.stop()


def seed_creators() -> tuple[list[Any], Agency]:
    agency, _ = agency_with_manager()
    creators = [
        creator_with(coins, agency=agency if n % 2 else None, share_bps=2_500)
        for n, coins in enumerate(EARNINGS)
    ]
    return creators, agency


def enqueue_run() -> None:
    with transaction.atomic():
        services.payout_run_request(period_end=PERIOD)  # sent when this commits


def run_finished() -> bool:
    return PayoutRun.objects.filter(period_end=PERIOD, finished_at__isnull=False).exists()


def assert_paid_exactly_once(creators: list[Any], agency: Agency) -> None:
    at_rate = selectors.payout_rate()
    agency_total = 0
    for n, creator in enumerate(creators):
        paid = list(Payout.objects.filter(creator=creator.user))
        assert len(paid) == 1, f"{creator.user.username} has {len(paid)} payouts"
        expected = selectors.payout_quote(
            EARNINGS[n], at_rate=at_rate, agency_share_bps=2_500 * (n % 2)
        )
        payout = paid[0]
        assert (payout.coins, payout.gross, payout.agency_amount, payout.net) == (
            expected.coins,
            expected.gross,
            expected.agency_amount,
            expected.net,
        )
        assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 0
        assert balance(KINDS.CREATOR_PAYABLE, user=creator.user) == expected.net
        agency_total += expected.agency_amount
    assert balance(KINDS.AGENCY_PAYABLE, owner_key=f"agency:{agency.pk}") == agency_total
    assert balance(KINDS.PAYOUT_CONVERSION) == sum(EARNINGS)
    assert Payout.objects.count() == len(creators)
    assert_books_balance()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_was_killed_is_resumed_by_the_sweep_within_seconds(
    workers: Any, settings: Any
) -> None:
    settings.SPROUT_WALLET_PAYOUT_LEASE_SECONDS = LEASE_SECONDS
    creators, agency = seed_creators()
    first = workers("first", delay=1.5, visibility=AN_HOUR, lease=LEASE_SECONDS)

    enqueue_run()
    wait_for(Payout.objects.exists, timeout=30, what="the first payout")
    # The worker is alive and renewing its lease: the sweep leaves its run alone.
    assert services.payout_runs_resume_stalled() == []
    first.kill()

    made_before_kill = Payout.objects.count()
    assert 1 <= made_before_kill < len(creators), made_before_kill
    assert not run_finished()
    second = workers("second", visibility=AN_HOUR, lease=LEASE_SECONDS)
    # What beat does every minute (and, this test being short, every half second).
    wait_for(services.payout_runs_resume_stalled, timeout=30, interval=0.5, what="a stalled run")
    resumed_by = PayoutRun.objects.get(period_end=PERIOD).holder
    wait_for(run_finished, timeout=30, what="the resumed run to finish")

    assert_paid_exactly_once(creators, agency)
    # Logged once the task returns, a moment after the run's commit.
    wait_for(
        lambda: f"run_scheduled_payouts[{resumed_by}] succeeded" in second.text(),
        timeout=10,
        what="the resumed run's success in the log",
    )
    log = second.text()
    # A task of the sweep's, not the dead worker's task back from the broker.
    dead_task = first.text().split("run_scheduled_payouts[", 1)[1].split("]", 1)[0]
    assert dead_task != resumed_by
    assert dead_task not in log


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_run_pays_each_creator_exactly_once(workers: Any) -> None:
    creators, agency = seed_creators()
    first = workers("first", delay=1.5)

    enqueue_run()
    wait_for(Payout.objects.exists, timeout=30, what="the first payout")
    first.kill()

    made_before_kill = Payout.objects.count()
    assert 1 <= made_before_kill < len(creators), made_before_kill
    assert not run_finished()
    second = workers("second")
    wait_for(run_finished, timeout=60, what="the redelivered run to finish")

    assert_paid_exactly_once(creators, agency)
    wait_for(
        lambda: "succeeded" in second.text(),
        timeout=10,
        what="the redelivered run's success in the log",
    )
    log = second.text()
    assert "wallet.tasks.run_scheduled_payouts" in log
    # The second worker got the very task the first one died with.
    task_id = first.text().split("run_scheduled_payouts[", 1)[1].split("]", 1)[0]
    assert task_id in log


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_killed_pool_process_puts_the_task_back_at_once(workers: Any) -> None:
    creators, agency = seed_creators()
    # A visibility timeout of an hour: only reject_on_worker_lost can bring it back.
    worker = workers("prefork", delay=1.5, pool="prefork", visibility=3_600)
    [child] = worker.pool_children()

    enqueue_run()
    wait_for(Payout.objects.exists, timeout=30, what="the first payout")
    os.kill(child, signal.SIGKILL)

    wait_for(run_finished, timeout=60, what="the requeued run to finish")
    assert_paid_exactly_once(creators, agency)
    assert "WorkerLostError" in worker.text()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_period_at_once_pay_each_creator_once(settings: Any) -> None:
    # A run long enough (2 s) that the second caller arrives while it goes on.
    settings.SPROUT_WALLET_PAYOUT_TEST_DELAY = 0.5
    creators, agency = seed_creators()
    PayoutRunFactory(period_end=PERIOD)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            services.payout_run_execute(period_end=PERIOD)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # One took the run's lease and paid everyone; the other was turned away.
    assert [type(e) for e in errors] == [PayoutRunBusy]
    assert_paid_exactly_once(creators, agency)
