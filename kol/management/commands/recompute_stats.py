"""``manage.py recompute_stats``: the creators' daily stats for one day or a
range of days, with the same set-based code as the hourly Celery task
(``kol.services.stats_compute_day``).

    manage.py recompute_stats                          # today (UTC)
    manage.py recompute_stats --date 2026-11-24        # one past day
    manage.py recompute_stats --since 2026-11-01       # every day up to today
    manage.py recompute_stats --since 2026-11-01 --date 2026-11-24 --dry-run
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.progress import Progress
from kol import selectors, services

MAX_DAYS = 400
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(option: str, value: str) -> date:
    """A ``YYYY-MM-DD`` argument, or a CommandError naming the option."""
    try:
        if not DATE_PATTERN.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date: use YYYY-MM-DD.") from None


def days_to_compute(*, on: str | None, since: str | None, today: date) -> list[date]:
    """The days asked for, oldest first, or a CommandError saying what is
    wrong with the arguments."""
    last = parse_day("--date", on) if on else today
    first = parse_day("--since", since) if since else last
    for option, day in (("--date", last), ("--since", first)):
        if day > today:
            raise CommandError(
                f"{option} {day.isoformat()} is in the future (today is {today.isoformat()} UTC)."
            )
    if first > last:  # only with --date: a --since after today is in the future
        raise CommandError(f"--since {first.isoformat()} is after --date {last.isoformat()}.")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise CommandError(
            f"{first.isoformat()} to {last.isoformat()} is {count:,} days; recompute at most "
            f"{MAX_DAYS} at a time (run the command again with a later --since)."
        )
    return [first + timedelta(days=n) for n in range(count)]


class Command(BaseCommand):
    help = (
        "Recompute the creators' daily stats (followers, notes, interactions, engagement "
        "rate, tiers) for today, a given day, or every day since a date. Days are UTC."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help="the day to compute (the last day with --since); default: today",
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help=f"compute every day from this one to --date or today (at most {MAX_DAYS} days)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="compute and report, but write nothing",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on stderr"
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        days = days_to_compute(
            on=options["date"], since=options["since"], today=selectors.stats_today()
        )
        if dry_run:
            self.stdout.write("Dry run: the stats are computed, nothing is written.")
        progress = Progress(self.stderr, "stats", len(days), enabled=not options["no_progress"])
        results = []
        for day in days:
            result = services.stats_compute_day(day=day, dry_run=dry_run)
            results.append(result)
            progress.clear()
            self.stdout.write(result.summary())
            progress.advance()
        progress.clear()
        # A dry run leaves the tiers as they were, so every day reports the
        # same pending changes; a real run fixes them on the first day.
        tiers = results[-1].tiers_changed if dry_run else sum(r.tiers_changed for r in results)
        if len(results) > 1:
            rows = sum(len(r.rows) if dry_run else r.rows_written for r in results)
            self.stdout.write(
                f"{len(results)} days: {rows:,} rows{' would be written' if dry_run else ''}, "
                f"{sum(r.queries for r in results)} queries, "
                f"{sum(r.elapsed for r in results):.2f} s"
            )
        if dry_run:
            self.stdout.write(
                f"Dry run: nothing was written ({tiers} tier change(s) would be made)."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Done; {tiers} tier change(s)."))
