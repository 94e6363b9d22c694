"""Payouts: creators' earnings (coins) converted into money they are owed,
exactly once per creator and payout run, split with their agency, and held
for a reviewer's approval.

Where the money goes
====================
Amounts are integers: coins for coin accounts, minor units (cents) of
``SPROUT_CURRENCY`` for money accounts. Every entry sums to zero, and
so does each unit within it, except that ``payout_conversion`` is where
coins become money (``wallet.reconcile`` checks exactly that).

1. **Recharge** (``wallet.services.recharge``): a member pays ``coins ×
   SPROUT_WALLET_COIN_PRICE`` through the payment provider
   (``provider_clearing -amount``, ``platform_revenue +amount``) and gets the
   coins (``coin_issuance -coins``, ``member_coins +coins``).
2. **Gift** (``wallet.services.gifts``): the sender's coins are debited; the host's
   ``creator_earnings`` get the price minus the platform's share
   (``SPROUT_WALLET_PLATFORM_SHARE_BPS``, default 3,000 = 30%) and
   ``platform_coins`` get the share. *The platform's share is taken there, in
   coins, when the gift is sent*: what sits in ``creator_earnings`` already
   belongs to the creator, and payouts never take the platform's cut again.
3. **Payout** (this module; its reads are ``wallet.selectors.payouts``): a
   creator whose earnings up to the run's period end are at least
   ``SPROUT_WALLET_PAYOUT_THRESHOLD`` coins has them converted at
   ``SPROUT_WALLET_PAYOUT_RATE`` (minor units per coin; by default the
   coin's price, so the creator is paid what the senders paid for the
   creator's part) and the agency's share (from the creator pool, through
   ``wallet.extensions.payout_splitter``) split off. One entry of kind
   ``payout``, the ``Payout``'s::

       coins  creator_earnings (creator)                  -coins   debited at once, conditionally
              payout_conversion (platform)                +coins   the coins leave circulation
       money  payout_conversion (platform, "money:CUR")   -gross   what the platform now owes
              creator_payable (creator)                   +net             credited at once
              agency_payable ("agency:<id>")              +agency_amount   credited at once

   The two sides of ``payout_conversion`` are two accounts, so that each
   keeps one unit: the coins converted so far, and minus the money owed
   for them. Here each unit balances on its own as well.

   Rounding, in this order and only here: ``gross = floor(coins × rate)``,
   ``agency_amount = floor(gross × share_bps / 10,000)``, ``net = gross −
   agency_amount``. So ``net + agency_amount == gross`` to the unit: the
   agency's share is rounded down and the creator keeps the remainder. The
   only thing rounding drops is the fraction of one minor unit in ``coins ×
   rate`` that cannot be paid; it is not booked anywhere (no line carries
   it), so nothing is lost or invented. A payout whose gross would be zero
   is not made: its coins stay with the creator. Lines of zero are left out
   (a creator without an agency has no agency line).
   **Commission** (the shop's affiliate commission on delivered orders,
   ``commission_earned``, already money: ``shop.services.money``) is paid in
   the same payout, as it is: no conversion, no agency share, when it is
   at least the threshold's worth of money (``commission_threshold``)::

       money  commission_earned (creator)                 -commission  debited at once
              creator_payable (creator)                   +commission  (one line with +net)

   A creator may be paid commission alone (``coins`` 0) or coins alone.
4. **Review**: the payout waits (``pending``) for a member with the
   ``wallet.review_payout`` permission who is not its creator. *Approve*
   changes the status only: the payables stay owed until the transfer is
   made outside Sprout. *Reject* writes a ``payout_reversal`` entry, the
   exact negation of the payout's lines: the coins come back to the
   creator's earnings (a later run pays them again) and the payables are
   taken back.

Exactly once
============
A run is identified by its ``period_end`` (``PayoutRun``, UNIQUE) and pays
the earnings (gift earnings and commission) accrued up to the end of that
day (UTC) and not paid yet: each balance less the credits booked after the
period's end, counted under the same row locks that guard the balance
(``wallet.selectors.earned_by``; payouts and refunds booked since count
against the oldest earnings). What was earned after the period's end stays
for the next run, and the plan (``payout_run_plan``, the dry run) shows the
figures the run pays. Each creator is paid in a
transaction of its own that writes its entry and the ``Payout`` together:
after a crash, what committed is complete and what did not left nothing.
Running the same period again (a redelivered Celery task, the command run
twice) skips every creator who already has a payout in the run; two runs at
once serialise on the creator's earnings row and the second sees the first's
payout; and the UNIQUE (run, creator) constraint is the last guard. The
Celery task (``wallet.tasks.run_scheduled_payouts``) is ``acks_late`` and
``reject_on_worker_lost``, and is enqueued with ``transaction.on_commit``
(:func:`payout_run_request`).

Promptly
========
One worker pays a run at a time, under a lease it renews before each
creator (``wallet.services.payout_lease``); a second caller is turned away
(``PayoutRunBusy``) while that worker is alive. When the worker dies
mid-run, a beat task notices the lease expire
(``SPROUT_WALLET_PAYOUT_LEASE_SECONDS``) and hands the run to a new task
within a minute or two, instead of the hour the broker would wait before
delivering the dead worker's task again.

This module sits below the creator pool: it knows agencies only as the
``(key, name, share_bps)`` the splitter returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import wallet.services.ledger as ledger
import wallet.services.payout_lease as payout_lease
from community.models import User
from core.money import currency, format_money
from wallet.errors import PayoutAlreadyReviewed
from wallet.models import Account, Entry, Payout, PayoutRun
from wallet.selectors.payouts import (
    PayoutPlan,
    Quote,
    check_can_review,
    commission_threshold,
    credits_since,
    earned_by,
    money_side,
    payout_quote,
    payout_run_plan,
    payout_threshold,
    period_cutoff,
)

logger = logging.getLogger(__name__)


# --- runs ------------------------------------------------------------------------------


class Outcome(StrEnum):
    PAID = "paid"
    WOULD_PAY = "would pay"
    ALREADY_PAID = "already paid"
    BELOW_THRESHOLD = "below threshold"


@dataclass(frozen=True)
class PayoutResult:
    """What happened to one plan: its outcome and the amounts actually paid
    (the balance may have grown between planning and paying)."""

    plan: PayoutPlan
    outcome: Outcome
    quote: Quote
    payout_id: int | None = None


class RunEnd(StrEnum):
    """How a call of :func:`payout_run_execute` ended."""

    FINISHED = "finished"  # every creator due was paid (or found paid)
    ALREADY_FINISHED = "already finished"  # ``if_unfinished`` and it was: nothing done
    HANDED_OVER = "handed over"  # the lease went to another worker, which finishes
    DRY_RUN = "dry run"


@dataclass
class PayoutRunResult:
    period_end: date
    dry_run: bool
    run_id: int | None
    results: list[PayoutResult] = field(default_factory=list)
    end: RunEnd = RunEnd.FINISHED

    @property
    def made(self) -> list[PayoutResult]:
        """The payouts this call made (or, in a dry run, would make)."""
        return [r for r in self.results if r.outcome in (Outcome.PAID, Outcome.WOULD_PAY)]

    def total(self, name: str) -> int:
        """The sum of one amount (``coins``, ``gross``, ``agency_amount``,
        ``net``, ``commission``) over :attr:`made`."""
        return sum(int(getattr(r.quote, name)) for r in self.made)


Progress = Callable[[int, int, PayoutResult], None]


def payout_run_execute(
    *,
    period_end: date,
    dry_run: bool = False,
    progress: Progress | None = None,
    holder: str | None = None,
    if_unfinished: bool = False,
) -> PayoutRunResult:
    """Pay every creator due (``wallet.selectors.payout_run_plan``) in the run for
    ``period_end``, each in a transaction of its own; safe to call again for
    the same period, at once or after a crash (module docstring). With
    ``dry_run``, report what would be paid and write nothing. ``progress`` is
    called after each creator with (done, total, result).

    The run's lease is taken for ``holder`` (the Celery task's id; a fresh
    token by default): ``PayoutRunBusy`` when another worker is paying it.
    With ``if_unfinished``, a run already finished is left alone (a late
    redelivery of its task); otherwise running it again pays the creators
    who became due since."""
    if dry_run:
        plans = payout_run_plan(period_end=period_end)
        run = PayoutRun.objects.filter(period_end=period_end).first()
        paid = _paid_creators(run, plans)
        result = PayoutRunResult(
            period_end=period_end, dry_run=True, run_id=run.pk if run else None, end=RunEnd.DRY_RUN
        )
        for done, plan in enumerate(plans, start=1):
            outcome = Outcome.ALREADY_PAID if plan.creator_id in paid else Outcome.WOULD_PAY
            result.results.append(PayoutResult(plan=plan, outcome=outcome, quote=plan.quote))
            if progress:
                progress(done, len(plans), result.results[-1])
        return result

    run, _ = PayoutRun.objects.get_or_create(period_end=period_end)
    result = PayoutRunResult(period_end=period_end, dry_run=False, run_id=run.pk)
    if if_unfinished and run.finished_at is not None:
        result.end = RunEnd.ALREADY_FINISHED
        return result
    lease = payout_lease.payout_run_claim(run, holder=holder)
    try:
        _pay_all(run, lease, result, progress)
    except BaseException:
        # Failed, not dead: nobody is paying it any more, so the command may
        # retry it at once, and the sweep resumes it.
        lease.release()
        raise
    if result.end == RunEnd.FINISHED:
        lease.finish()
    return result


def _pay_all(
    run: PayoutRun,
    lease: payout_lease.RunLease,
    result: PayoutRunResult,
    progress: Progress | None,
) -> None:
    """Pay every creator due in ``run`` while ``lease`` holds."""
    plans = payout_run_plan(period_end=run.period_end)
    paid = _paid_creators(run, plans)
    for done, plan in enumerate(plans, start=1):
        if plan.creator_id in paid:
            paid_now = PayoutResult(plan=plan, outcome=Outcome.ALREADY_PAID, quote=plan.quote)
        elif not lease.renew():
            logger.warning(
                "Payout run %s was handed to another worker while this one stalled; stopping",
                run.pk,
            )
            result.end = RunEnd.HANDED_OVER
            return
        else:
            paid_now = _pay(run, plan)
        result.results.append(paid_now)
        if progress:
            progress(done, len(plans), paid_now)
        if done < len(plans):
            _test_delay()


def _paid_creators(run: PayoutRun | None, plans: Sequence[PayoutPlan]) -> set[int]:
    if run is None or not plans:
        return set()
    return set(
        Payout.objects.filter(run=run, creator_id__in=[p.creator_id for p in plans]).values_list(
            "creator_id", flat=True
        )
    )


def _test_delay() -> None:
    """Test hook: ``SPROUT_WALLET_PAYOUT_TEST_DELAY`` seconds between two
    creators (default 0, never set in production), so that a test can kill
    the worker in the middle of a run."""
    delay = float(getattr(settings, "SPROUT_WALLET_PAYOUT_TEST_DELAY", 0) or 0)
    if delay > 0:
        time.sleep(delay)


def _pay(run: PayoutRun, plan: PayoutPlan) -> PayoutResult:
    """Pay one creator in one transaction: fold their appended earnings (and
    commission) into the balances, lock the rows, pay what of it was earned
    by the end of the run's period (each part that reaches its threshold),
    record the payout."""
    try:
        with transaction.atomic():
            ids = [pk for pk in (plan.account_id, plan.commission_account_id) if pk is not None]
            ledger.balances_roll_up(account_ids=ids)
            locked = {
                account.pk: account
                for account in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
            }
            earnings = locked.get(plan.account_id) if plan.account_id is not None else None
            commission_account = (
                locked.get(plan.commission_account_id)
                if plan.commission_account_id is not None
                else None
            )
            # After the lock: a concurrent run of this period has committed or not started.
            if Payout.objects.filter(run=run, creator_id=plan.creator_id).exists():
                return PayoutResult(plan=plan, outcome=Outcome.ALREADY_PAID, quote=plan.quote)
            # What was earned by the period's end: the balance less the
            # credits booked after it, both as of the roll-up under the locks
            # (lines appended since are in neither).
            later = credits_since(
                period_cutoff(run.period_end), account_ids=ids, rolled_up_only=True
            )
            coins = (
                earned_by(int(earnings.balance), later.get(earnings.pk, 0))
                if earnings is not None
                else 0
            )
            commission = (
                earned_by(int(commission_account.balance), later.get(commission_account.pk, 0))
                if commission_account is not None
                else 0
            )
            if commission < commission_threshold():
                commission = 0
            priced = payout_quote(
                coins,
                at_rate=plan.quote.rate,
                agency_share_bps=plan.quote.agency_share_bps,
                commission=commission,
            )
            if coins < payout_threshold() or priced.gross == 0:
                priced = payout_quote(0, at_rate=plan.quote.rate, commission=commission)
            if priced.gross == 0 and priced.commission == 0:
                return PayoutResult(plan=plan, outcome=Outcome.BELOW_THRESHOLD, quote=priced)
            payout = _book(run, plan, earnings, priced, commission_account)
    except IntegrityError:
        if Payout.objects.filter(run=run, creator_id=plan.creator_id).exists():
            return PayoutResult(plan=plan, outcome=Outcome.ALREADY_PAID, quote=plan.quote)
        raise
    return PayoutResult(plan=plan, outcome=Outcome.PAID, quote=priced, payout_id=payout.pk)


def _book(
    run: PayoutRun,
    plan: PayoutPlan,
    earnings: Account | None,
    priced: Quote,
    commission_account: Account | None,
) -> Payout:
    """The payout's entry (module docstring) and its record, inside the
    caller's transaction."""
    cur = currency()
    postings = []
    if priced.coins:
        assert earnings is not None
        postings += [
            ledger.Posting(earnings, -priced.coins, debit_now=True),
            ledger.Posting(
                ledger.account_get_or_create(Account.Kind.PAYOUT_CONVERSION), priced.coins
            ),
            ledger.Posting(
                ledger.account_get_or_create(
                    Account.Kind.PAYOUT_CONVERSION, owner_key=money_side(cur)
                ),
                -priced.gross,
            ),
        ]
    if priced.commission:
        assert commission_account is not None
        postings.append(ledger.Posting(commission_account, -priced.commission, debit_now=True))
    if priced.owed:
        postings.append(
            ledger.Posting(
                ledger.account_get_or_create(
                    Account.Kind.CREATOR_PAYABLE, user=User(pk=plan.creator_id)
                ),
                priced.owed,
                credit_now=True,
            )
        )
    if priced.agency_amount:
        postings.append(
            ledger.Posting(
                ledger.account_get_or_create(
                    Account.Kind.AGENCY_PAYABLE, owner_key=plan.agency_key
                ),
                priced.agency_amount,
                credit_now=True,
            )
        )
    commission_memo = (
        f" and {format_money(priced.commission, cur)} of commission" if priced.commission else ""
    )
    entry = ledger.entry_post(
        kind=Entry.Kind.PAYOUT,
        postings=postings,
        memo=(
            f"Payout up to {run.period_end.isoformat()} to @{plan.username}: "
            f"{priced.coins:,} coins for {format_money(priced.gross, cur)}{commission_memo}"
        ),
        reference={
            "payout_run": run.pk,
            "period_end": run.period_end.isoformat(),
            "creator": plan.creator_id,
        },
    )
    return Payout.objects.create(
        run=run,
        creator_id=plan.creator_id,
        agency_key=plan.agency_key if priced.agency_amount else "",
        agency_name=plan.agency_name[:100] if priced.agency_amount else "",
        coins=priced.coins,
        rate=priced.rate,
        gross=priced.gross,
        agency_share_bps=priced.agency_share_bps,
        agency_amount=priced.agency_amount,
        net=priced.net,
        commission=priced.commission,
        currency=cur,
        entry=entry,
    )


def payout_run_request(*, period_end: date) -> None:
    """Enqueue the payout run for ``period_end`` once the current transaction
    commits (immediately outside one)."""
    from wallet.tasks import run_scheduled_payouts  # tasks import this module

    iso = period_end.isoformat()
    transaction.on_commit(lambda: run_scheduled_payouts.delay(iso))


# --- review ----------------------------------------------------------------------------


def _locked_pending(payout: Payout) -> Payout:
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status != Payout.Status.PENDING:
        raise PayoutAlreadyReviewed()
    return locked


def payout_approve(*, reviewer: Any, payout: Payout) -> Payout:
    """Approve a pending payout (the money stays owed in the payables until
    it is transferred). Raises PermissionDenied, OwnPayout,
    PayoutAlreadyReviewed."""
    check_can_review(reviewer=reviewer, payout=payout)
    with transaction.atomic():
        locked = _locked_pending(payout)
        locked.status = Payout.Status.APPROVED
        locked.reviewed_by = reviewer
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return locked


def payout_reject(*, reviewer: Any, payout: Payout, reason: str) -> Payout:
    """Reject a pending payout and reverse its entry line by line: the coins
    go back to the creator's earnings, the payables are taken back. Raises
    PermissionDenied, OwnPayout, PayoutAlreadyReviewed."""
    check_can_review(reviewer=reviewer, payout=payout)
    with transaction.atomic():
        locked = _locked_pending(payout)
        postings = []
        for line in locked.entry.lines.select_related("account").order_by("id"):
            amount = -int(line.amount)
            # What was debited comes back as an appended credit; what was
            # credited at once (the payables) is taken back with a debit
            # applied, and checked, at once.
            debit_now = amount < 0 and line.account.kind not in Account.MAY_GO_NEGATIVE
            postings.append(ledger.Posting(line.account, amount, debit_now=debit_now))
        ledger.entry_post(
            kind=Entry.Kind.PAYOUT_REVERSAL,
            postings=postings,
            memo=f"Payout #{locked.pk} rejected",
            reference={"payout": locked.pk, "reverses": locked.entry_id},
        )
        locked.status = Payout.Status.REJECTED
        locked.reviewed_by = reviewer
        locked.reviewed_at = timezone.now()
        locked.reason = reason[:200]
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    return locked
