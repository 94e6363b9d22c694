"""The wallet's Prometheus metrics (``core.metrics``; contributed in
``WalletConfig.ready``, listed in ``docs/observability.md``): the ledger
reconcile's age, read at scrape time from the recorded runs
(``ReconcileRun``, written by ``wallet.reconcile.ledger_reconcile``) in one
small query, so that every process answers the same, whichever ran it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import TypedDict

from django.db.models import Subquery
from django.utils import timezone
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from wallet.models import ReconcileRun


class LatestRuns(TypedDict):
    finished_at: datetime
    ok: bool
    discrepancies: int
    last_success: datetime | None


def reconcile_runs_latest() -> LatestRuns | None:
    """The newest run, with the finish time of the newest that passed
    (``last_success``: None if none did); None if the ledger was never
    reconciled. One query (the index on ``ok, -finished_at``)."""
    passed = ReconcileRun.objects.filter(ok=True).order_by("-finished_at").values("finished_at")
    row = (
        ReconcileRun.objects.annotate(last_success=Subquery(passed[:1]))
        .order_by("-finished_at")
        .values("finished_at", "ok", "discrepancies", "last_success")
        .first()
    )
    return LatestRuns(**row) if row is not None else None


class LedgerReconcileCollector:
    """``sprout_ledger_reconcile_*``: the age of the last passing run (+Inf
    when none ever passed: an alert until the books are first proven), when
    it finished, and whether the newest run passed and what it found."""

    name = "ledger_reconcile"

    def collect(self) -> Iterator[Metric]:
        latest = reconcile_runs_latest()
        last_success = latest["last_success"] if latest is not None else None
        age = (
            (timezone.now() - last_success).total_seconds()
            if last_success is not None
            else math.inf
        )
        yield GaugeMetricFamily(
            "sprout_ledger_reconcile_age_seconds",
            "Seconds since the last reconcile_ledger run that passed (+Inf: none ever did).",
            value=max(age, 0.0),
        )
        yield GaugeMetricFamily(
            "sprout_ledger_reconcile_last_success_timestamp_seconds",
            "When the last passing reconcile_ledger run finished (Unix time; 0: never).",
            value=last_success.timestamp() if last_success is not None else 0.0,
        )
        if latest is None:
            return
        yield GaugeMetricFamily(
            "sprout_ledger_reconcile_last_run_ok",
            "Whether the newest reconcile_ledger run found the books right (1) or not (0).",
            value=1.0 if latest["ok"] else 0.0,
        )
        yield GaugeMetricFamily(
            "sprout_ledger_reconcile_discrepancies",
            "Discrepancies the newest reconcile_ledger run found.",
            value=float(latest["discrepancies"]),
        )
