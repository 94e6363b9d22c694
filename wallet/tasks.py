"""Celery tasks of the wallet: load ids, call a service, nothing else."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from wallet import services
from wallet.reconcile import ledger_reconcile

logger = logging.getLogger("sprout.wallet")


@shared_task(acks_late=True, ignore_result=True)
def roll_up_balances() -> int:
    """Fold appended ledger lines into their accounts' balances (on the beat
    schedule every minute; also worth calling after bulk work). Safe to run
    twice at once or to redeliver: each line is folded exactly once
    (``wallet.services.balances_roll_up``). Returns how many lines it folded."""
    return services.balances_roll_up()


# --- payouts (wallet.services.payouts) ------------------------------------------------------------


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_scheduled_payouts(self: Task, period_end_iso: str | None = None) -> dict[str, int]:
    """Pay out creators' earnings in the run for ``period_end_iso``
    (``YYYY-MM-DD``). Idempotent: a redelivered or repeated task pays nobody
    twice (``wallet.services.payout_run_execute``), which is what makes acks_late and
    reject_on_worker_lost safe here. The task's id holds the run's lease
    (``wallet.services.payout_lease``): a redelivery of this very task takes it back
    at once; any other task finding the run held by a live worker, or
    finished, does nothing.

    The beat schedule calls it without a date: it then fixes the date
    (yesterday, UTC) by enqueueing itself with it, so that a redelivery of the
    dated task, even after midnight, runs the same period. Returns counts."""
    from datetime import UTC, date, timedelta

    from django.utils import timezone

    from wallet.errors import PayoutRunBusy

    if period_end_iso is None:
        yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
        services.payout_run_request(period_end=yesterday)
        return {"scheduled": 1}
    try:
        result = services.payout_run_execute(
            period_end=date.fromisoformat(period_end_iso),
            holder=self.request.id,
            if_unfinished=True,
        )
    except PayoutRunBusy:
        return {"busy": 1}
    return {
        "paid": len(result.made),
        "already_paid": sum(r.outcome == services.Outcome.ALREADY_PAID for r in result.results),
        "finished": int(result.end == services.RunEnd.FINISHED),
    }


@shared_task(acks_late=True, ignore_result=True)
def resume_stalled_payout_runs() -> int:
    """Hand payout runs whose worker died mid-run to new tasks (on the beat
    schedule every minute; ``wallet.services.payout_lease``). Returns how many."""
    return len(services.payout_runs_resume_stalled())


@shared_task(acks_late=True, ignore_result=True)
def reconcile_ledger() -> bool:
    """Prove the books and record the run (on the beat schedule daily;
    ``wallet.reconcile.ledger_reconcile``): ``/metrics`` shows the age of the
    last run that passed and whether the last one did. Reads only, so a
    redelivery is harmless. Returns whether the ledger reconciled; a failure
    is logged with its first discrepancy."""
    report = ledger_reconcile()
    if not report.ok:
        logger.error("%s", report.summary())
    return report.ok
