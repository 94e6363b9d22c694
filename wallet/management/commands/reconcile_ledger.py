"""``manage.py reconcile_ledger``: prove the books (wallet.reconcile).

Exits 0 with a one-line summary when every check passes, non-zero naming the
first discrepancy otherwise; ``--verbose`` lists every check and up to 20
discrepancies of each that failed. Reads only, unless ``--fix-rollup``
folds appended lines into balances first. Each run is recorded
(``wallet.models.ReconcileRun``): ``/metrics`` shows the age of the last
one that passed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet.reconcile import LIST_LIMIT, ledger_reconcile


class Command(BaseCommand):
    help = (
        "Prove the ledger: entries balance (in each unit), stored balances match the "
        "lines, nothing is orphaned, payments, gift sends and payouts match their "
        "entries. Exits non-zero naming the first discrepancy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix-rollup",
            action="store_true",
            help="Fold appended lines into account balances (the roll-up) before checking.",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help=f"List every check and up to {LIST_LIMIT} discrepancies of each that fails.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = bool(options["verbose"])
        report = ledger_reconcile(fix_rollup=bool(options["fix_rollup"]))
        if options["fix_rollup"]:
            self.stdout.write(f"rolled up {report.folded_lines:,} appended lines")
        if verbose:
            self.stdout.write(
                f"{report.entries:,} entries, {report.lines:,} lines "
                f"({report.pending_lines:,} not rolled up yet), {report.accounts:,} accounts"
            )
            failed = {finding.check: finding for finding in report.findings}
            for name in report.checks_run:
                finding = failed.get(name)
                if finding is None:
                    self.stdout.write(f"  ok    {name}")
                    continue
                self.stdout.write(f"  FAIL  {name}: {finding.count:,}")
                for example in finding.examples:
                    self.stdout.write(f"          {example}")
                if finding.count > len(finding.examples):
                    self.stdout.write(
                        f"          ... and {finding.count - len(finding.examples):,} more"
                    )
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary()))
