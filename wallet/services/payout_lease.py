"""Who is paying a payout run right now: a lease with a heartbeat.

One worker pays a run at a time. The worker that starts or resumes a run
takes its lease (``PayoutRun.holder``) with one conditional UPDATE, and
renews it (``PayoutRun.heartbeat_at``) before each creator. A run whose
lease nobody renewed for ``SPROUT_WALLET_PAYOUT_LEASE_SECONDS`` (60 by
default) is *stalled*: its worker died (SIGKILL, out of memory, a lost
host). :func:`payout_runs_resume_stalled`, on the beat schedule every minute, hands
each stalled run to a new task, which pays whom the dead worker had not.
So a run interrupted by a killed worker finishes a minute or two later,
not after the broker's visibility timeout (an hour), and a run whose
worker is alive is never taken over.

The holder is the Celery task's id. When the broker hands the very task
back after its worker died (``reject_on_worker_lost`` at once; the
visibility timeout later), the redelivery takes its own lease back without
waiting. The sweep takes the lease on behalf of the task it enqueues (under
a fresh task id), so the next sweeps leave the run to that task while it
starts; a task that finds the run held by someone else alive does nothing.

Exactly-once does not rest on the lease. Each creator is paid in a
transaction of its own that checks for the run's payout under the
creator's row lock (``wallet.services.payouts``): a worker that stalls past its
lease and wakes up beside its successor pays nobody twice, and it stops at
its next renewal, which fails.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wallet.errors import PayoutRunBusy
from wallet.models import PayoutRun
from wallet.selectors.payouts import payout_lease_seconds

logger = logging.getLogger(__name__)


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=payout_lease_seconds())


@dataclass(frozen=True)
class RunLease:
    """The lease of one run, held by ``holder``."""

    run_id: int
    holder: str

    def renew(self) -> bool:
        """Renew the heartbeat; False when the lease is no longer ours (the
        run was handed to another worker while this one stalled)."""
        mine = PayoutRun.objects.filter(pk=self.run_id, holder=self.holder)
        return bool(mine.update(heartbeat_at=timezone.now()))

    def finish(self) -> None:
        """Mark the run finished and let the lease go."""
        PayoutRun.objects.filter(pk=self.run_id, holder=self.holder).update(
            finished_at=timezone.now(), holder="", heartbeat_at=None
        )

    def release(self) -> None:
        """Let the lease go without finishing (the run failed): the next
        sweep resumes it."""
        PayoutRun.objects.filter(pk=self.run_id, holder=self.holder).update(
            holder="", heartbeat_at=None
        )


def payout_run_claim(run: PayoutRun, *, holder: str | None = None) -> RunLease:
    """Take the lease of ``run`` for ``holder`` (a fresh token by default):
    when nobody holds it, its holder went quiet for longer than the lease,
    or ``holder`` already holds it (a redelivery of the same task). Raises
    ``PayoutRunBusy`` when someone else alive holds it."""
    holder = holder or uuid.uuid4().hex
    now = timezone.now()
    taken = (
        PayoutRun.objects.filter(pk=run.pk)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=_cutoff(now)) | Q(holder=holder))
        .update(holder=holder, heartbeat_at=now)
    )
    if not taken:
        raise PayoutRunBusy()
    return RunLease(run_id=run.pk, holder=holder)


def payout_runs_resume_stalled() -> list[date]:
    """Hand every unfinished run whose lease expired to a new
    ``run_scheduled_payouts`` task, enqueued once the transaction commits,
    and return their periods. The sweep takes the lease for the task it
    enqueues, so running it again, at once or concurrently, enqueues
    nothing more until that lease expires in turn."""
    from wallet.tasks import run_scheduled_payouts  # tasks import this module

    now = timezone.now()
    cutoff = _cutoff(now)
    # Without a heartbeat, a run counts from its start: its worker died
    # before taking the lease, or let it go when the run failed.
    stalled = Q(finished_at__isnull=True) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    resumed = []
    for run in PayoutRun.objects.filter(stalled).order_by("period_end"):
        task_id = str(uuid.uuid4())
        taken = PayoutRun.objects.filter(stalled, pk=run.pk).update(
            holder=task_id, heartbeat_at=now
        )
        if not taken:
            continue  # resumed by a concurrent sweep, or its holder came back
        logger.warning(
            "Resuming payout run %s (up to %s): its worker went quiet at %s",
            run.pk,
            run.period_end.isoformat(),
            run.heartbeat_at.isoformat() if run.heartbeat_at else "its start",
        )
        transaction.on_commit(
            partial(
                run_scheduled_payouts.apply_async,
                args=(run.period_end.isoformat(),),
                task_id=task_id,
            )
        )
        resumed.append(run.period_end)
    return resumed
