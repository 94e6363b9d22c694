"""The ledger reconcile's age on ``/metrics`` (``wallet.metrics``): every run
of ``reconcile_ledger`` (the command, the daily beat task) is recorded, and a
scrape reads the newest in one query, whichever process ran it."""

from __future__ import annotations

import math
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tests.factories import FundedMemberFactory, ReconcileRunFactory
from tests.metrics import sample
from tests.wallet.factories_core import tamper
from wallet.metrics import LedgerReconcileCollector
from wallet.models import Account, ReconcileRun
from wallet.tasks import reconcile_ledger

pytestmark = pytest.mark.django_db


def reconcile_metrics() -> dict[str, float]:
    return {family.name: family.samples[0].value for family in LedgerReconcileCollector().collect()}


def test_a_ledger_never_reconciled_is_infinitely_old() -> None:
    assert reconcile_metrics() == {
        "sprout_ledger_reconcile_age_seconds": math.inf,
        "sprout_ledger_reconcile_last_success_timestamp_seconds": 0.0,
    }


def test_the_command_records_its_run_and_the_age_starts_again() -> None:
    call_command("reconcile_ledger", stdout=StringIO())
    run = ReconcileRun.objects.get()
    assert run.ok and run.discrepancies == 0 and run.seconds >= 0
    got = reconcile_metrics()
    assert 0 <= got["sprout_ledger_reconcile_age_seconds"] < 60
    assert got["sprout_ledger_reconcile_last_success_timestamp_seconds"] == pytest.approx(
        run.finished_at.timestamp()
    )
    assert got["sprout_ledger_reconcile_last_run_ok"] == 1
    assert got["sprout_ledger_reconcile_discrepancies"] == 0


def test_a_failing_run_is_recorded_and_the_age_stays_that_of_the_last_success() -> None:
    member = FundedMemberFactory()
    ReconcileRunFactory(finished_at=timezone.now() - timedelta(hours=3), ok=True, seconds=0.1)
    account = Account.objects.get(user=member, kind=Account.Kind.MEMBER_COINS)
    tamper("UPDATE wallet_account SET balance = balance + 1 WHERE id = %s", [account.pk])
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", stdout=StringIO())
    failed = ReconcileRun.objects.filter(ok=False).get()
    assert failed.discrepancies == 1
    assert f"account {account.pk}" in failed.first_discrepancy
    got = reconcile_metrics()
    assert got["sprout_ledger_reconcile_last_run_ok"] == 0
    assert got["sprout_ledger_reconcile_discrepancies"] == 1
    assert 3 * 3600 <= got["sprout_ledger_reconcile_age_seconds"] < 3 * 3600 + 60


def test_the_daily_task_records_its_run_and_is_on_the_beat_schedule() -> None:
    assert reconcile_ledger.delay().get() is True  # eager in the tests
    assert ReconcileRun.objects.filter(ok=True).count() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-ledger"]
    assert entry["task"] == "wallet.tasks.reconcile_ledger"


def test_a_scrape_reads_the_runs_in_one_query(django_assert_num_queries: Any) -> None:
    for hours in (30, 20, 10):
        ReconcileRunFactory(
            finished_at=timezone.now() - timedelta(hours=hours), ok=hours != 10, seconds=1
        )
    with django_assert_num_queries(1):
        got = reconcile_metrics()
    assert got["sprout_ledger_reconcile_last_run_ok"] == 0
    assert 20 * 3600 <= got["sprout_ledger_reconcile_age_seconds"] < 20 * 3600 + 60


@pytest.mark.django_db(transaction=True)  # the scrape's own thread reads committed rows
def test_metrics_shows_the_age_of_a_run_from_another_process() -> None:
    """The command runs in its own process in production: only its row
    connects the two."""
    ReconcileRunFactory(finished_at=timezone.now() - timedelta(minutes=5), ok=True, seconds=1)
    body = Client(HTTP_HOST="127.0.0.1").get("/metrics").content
    assert sample(body, "sprout_metrics_collector_up", collector="ledger_reconcile") == 1
    age = sample(body, "sprout_ledger_reconcile_age_seconds")
    assert age is not None and 300 <= age < 360
