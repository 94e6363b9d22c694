"""``manage.py run_payouts``: convert creators' earnings into payouts waiting
for approval, the same way the daily Celery task does
(``wallet.services.payout_run_execute``: exactly once per creator and period).
A run pays what was earned (gifts' coins, shop commission) up to the end of
its ``--period-end`` day (UTC) and not paid yet; what was earned after that
waits for a later run. The dry run prints the same figures.

    manage.py run_payouts                            # the run for yesterday (UTC)
    manage.py run_payouts --period-end 2026-11-24
    manage.py run_payouts --dry-run                  # print what it would pay
"""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.money import currency, format_money
from core.progress import Progress
from wallet import selectors, services
from wallet.errors import PayoutRunBusy

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_period_end(value: str | None, *, today: date) -> date:
    """``--period-end`` (default: yesterday), not in the future; CommandError otherwise."""
    if value is None:
        return today - timedelta(days=1)
    try:
        if not DATE_PATTERN.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--period-end {value!r} is not a date: use YYYY-MM-DD.") from None
    if day > today:
        raise CommandError(
            f"--period-end {day.isoformat()} is in the future (today is {today.isoformat()} UTC)."
        )
    return day


def describe(result: services.PayoutResult) -> str:
    """One payout as a line: creator, coins, gross, agency share, net, outcome."""
    q, plan = result.quote, result.plan
    if result.outcome == services.Outcome.ALREADY_PAID:
        return (
            f"@{plan.username}: already paid in this run; {q.coins:,} coins earned since "
            "wait for the next one [already paid]"
        )
    if result.outcome == services.Outcome.BELOW_THRESHOLD:
        return f"@{plan.username}: {q.coins:,} coins, below the threshold now [not paid]"
    agency = (
        f"{plan.agency_name} {q.agency_share_bps / 100:g}% {format_money(q.agency_amount)}"
        if plan.agency_key
        else "no agency"
    )
    return (
        f"@{plan.username}: {q.coins:,} coins x {q.rate.normalize():f} = "
        f"{format_money(q.gross)}; agency: {agency}; "
        f"net {format_money(q.net)}"
        + (f"; commission {format_money(q.commission)}" if q.commission else "")
        + f" [{result.outcome}]"
    )


class Command(BaseCommand):
    help = (
        "Convert creators' earnings up to the period's end, when at least "
        "SPROUT_WALLET_PAYOUT_THRESHOLD coins, into payouts waiting for approval (agency "
        "share split off), once per creator and period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period-end",
            metavar="YYYY-MM-DD",
            help="the day the run closes (UTC); default: yesterday. It pays the earnings "
            "booked up to the end of that day; later ones wait for a later run. Running a "
            "period again pays only creators it has not paid yet",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be paid, write nothing"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.now().astimezone(UTC).date()
        period_end = parse_period_end(options["period_end"], today=today)
        dry_run = bool(options["dry_run"])
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}payout run up to {period_end.isoformat()}; "
            f"threshold {selectors.payout_threshold():,} coins, "
            f"rate {selectors.payout_rate().normalize():f} "
            f"(minor units of {currency()} per coin)."
        )
        progress = Progress(self.stderr, "payouts", enabled=not options["no_progress"])

        def report(done: int, total: int, result: services.PayoutResult) -> None:
            progress.clear()
            self.stdout.write(describe(result))
            progress.show(done, total)

        try:
            result = services.payout_run_execute(
                period_end=period_end, dry_run=dry_run, progress=report
            )
        except PayoutRunBusy as exc:
            raise CommandError(exc.message) from exc
        progress.clear()
        made = result.made
        verb = "would be made" if dry_run else "made"
        total = (
            f"{len(made)} payout(s) {verb}: {result.total('coins'):,} coins, "
            f"gross {format_money(result.total('gross'))}, "
            f"agencies {format_money(result.total('agency_amount'))}, "
            f"net {format_money(result.total('net'))}"
        )
        if result.total("commission"):
            total += f", commission {format_money(result.total('commission'))}"
        skipped = len(result.results) - len(made)
        if skipped:
            total += f" ({skipped} creator(s) skipped: already paid or below the threshold)"
        if dry_run:
            self.stdout.write(f"Total: {total}. Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Total: {total}."))
