"""Celery tasks of the wallet: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from wallet import ledger


@shared_task(acks_late=True, ignore_result=True)
def roll_up_balances() -> int:
    """Fold appended ledger lines into their accounts' balances (on the beat
    schedule every minute; also worth calling after bulk work). Safe to run
    twice at once or to redeliver: each line is folded exactly once
    (``wallet.ledger.roll_up``). Returns how many lines it folded."""
    return ledger.roll_up()


# --- payouts (wallet.payouts) ------------------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_scheduled_payouts(period_end_iso: str | None = None) -> dict[str, int]:
    """Pay out creators' earnings in the run for ``period_end_iso``
    (``YYYY-MM-DD``). Idempotent: a redelivered or repeated task pays nobody
    twice (``wallet.payouts.run_payouts``), which is what makes acks_late and
    reject_on_worker_lost safe here.

    The beat schedule calls it without a date: it then fixes the date
    (yesterday, UTC) by enqueueing itself with it, so that a redelivery of the
    dated task, even after midnight, runs the same period. Returns counts."""
    from datetime import UTC, date, timedelta

    from django.utils import timezone

    from wallet import payouts

    if period_end_iso is None:
        yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
        payouts.request_payout_run(period_end=yesterday)
        return {"scheduled": 1}
    result = payouts.run_payouts(period_end=date.fromisoformat(period_end_iso))
    return {
        "paid": len(result.made),
        "already_paid": sum(r.outcome == payouts.Outcome.ALREADY_PAID for r in result.results),
    }
