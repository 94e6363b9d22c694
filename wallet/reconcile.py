"""The proof that the books are right (``manage.py reconcile_ledger``).

Each check is one set-based SQL query over the whole ledger (a fixed number
of queries, whatever its size) that lists what breaks a rule, oldest first:

1. structure: every line is on an existing account and entry, every entry has
   lines, every row that points to an entry (payments, gift sends, payouts,
   idempotency records) points to an existing one;
2. double entry: every entry's lines sum to zero, and do so in each unit
   (coins, money) on its own, except entries through ``payout_conversion``,
   the one account where coins become money;
3. balances: every account's stored ``balance`` equals the sum of its
   rolled-up lines, and its derived balance (stored plus appended lines) is
   not below zero unless its kind may be (``Account.MAY_GO_NEGATIVE``);
4. records: a payment has an entry exactly when it succeeded, and that entry
   credits the payer with the coins bought; a gift send's entry is a gift
   that debits the sender what the send says; a payout's entry is a payout
   that debits the creator's earnings by its coins and owes the creator its
   net and the agency its share;
5. per unit: the coins recharges issued and the money they booked as received
   from providers equal what the succeeded recharge payments bought and paid;
6. what the apps above register (``wallet.extensions.reconcile_checks``:
   the shop's orders, stock and commission), in the same discipline.

On PostgreSQL all queries read one snapshot (REPEATABLE READ, READ ONLY)
when not already inside a transaction, so gifts and roll-ups running
meanwhile never show up as a discrepancy.

:func:`reconcile` only reads; :func:`ledger_reconcile` (the command and the
daily beat task ``wallet.tasks.reconcile_ledger``) also records the run
(``ReconcileRun``), whose newest success's age is on ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wallet import services
from wallet.extensions import reconcile_checks
from wallet.models import Account, Entry, Payment, ReconcileRun

#: Discrepancies listed per check (the count covers all of them).
LIST_LIMIT = 20

_COIN_KINDS = (
    Account.Kind.MEMBER_COINS,
    Account.Kind.CREATOR_EARNINGS,
    Account.Kind.PLATFORM_COINS,
    Account.Kind.COIN_ISSUANCE,
)


def _in(values: Sequence[str]) -> str:
    """``%s, %s, ...`` for an ``IN (...)`` of ``values`` (passed as params)."""
    return ", ".join(["%s"] * len(values))


@dataclass(frozen=True)
class Check:
    """One rule: a query listing its offenders (oldest first) and the
    sentence naming one."""

    name: str
    sql: str
    params: tuple[Any, ...]
    describe: Callable[[tuple[Any, ...]], str]


@dataclass
class Finding:
    check: str
    count: int
    examples: list[str]


@dataclass
class Report:
    """What :func:`reconcile` found: the ledger's size and, per check that
    failed, how many offenders and the first few, in check order."""

    entries: int = 0
    lines: int = 0
    accounts: int = 0
    pending_lines: int = 0
    folded_lines: int = 0
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_discrepancy(self) -> str | None:
        return self.findings[0].examples[0] if self.findings else None

    @property
    def discrepancy_count(self) -> int:
        return sum(finding.count for finding in self.findings)

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger OK: {self.entries:,} entries, {self.lines:,} lines, "
                f"{self.accounts:,} accounts"
            )
        more = self.discrepancy_count - 1
        tail = f" (and {more:,} more discrepanc{'y' if more == 1 else 'ies'})" if more else ""
        return f"ledger does not reconcile: {self.first_discrepancy}{tail}"


# The derived and stored balance of every account, for two checks.
_ACCOUNT_TOTALS = """
    SELECT a.id, a.kind, a.balance,
           COALESCE(SUM(CASE WHEN l.rolled_up THEN l.amount ELSE 0 END), 0) AS rolled,
           COALESCE(SUM(CASE WHEN l.rolled_up THEN 0 ELSE l.amount END), 0) AS pending
    FROM wallet_account a LEFT JOIN wallet_line l ON l.account_id = a.id
    GROUP BY a.id, a.kind, a.balance
"""

# The sum of an entry's lines on one member's accounts of one kind.
_LINES_OF = """
    COALESCE((SELECT SUM(l.amount) FROM wallet_line l
              JOIN wallet_account a ON a.id = l.account_id
              WHERE l.entry_id = {entry} AND a.kind = %s AND a.user_id = {user}), 0)
"""


def _lines_of(entry: str, user: str) -> str:
    return _LINES_OF.format(entry=entry, user=user)


def checks() -> list[Check]:
    """Every rule, in the order discrepancies are reported: the wallet's,
    then those of the apps above it (``wallet.extensions.reconcile_checks``)."""
    extra = [check for provider in reconcile_checks for check in provider()]
    return [*_wallet_checks(), *extra]


def _wallet_checks() -> list[Check]:
    kinds = Account.Kind
    may_go_negative = tuple(str(kind) for kind in Account.MAY_GO_NEGATIVE)
    coin_kinds = tuple(str(kind) for kind in _COIN_KINDS)
    succeeded = Payment.Status.SUCCEEDED
    return [
        Check(
            "lines on missing accounts",
            """SELECT l.id, l.account_id FROM wallet_line l
               LEFT JOIN wallet_account a ON a.id = l.account_id
               WHERE a.id IS NULL ORDER BY l.id""",
            (),
            lambda r: f"line {r[0]} is on account {r[1]}, which does not exist",
        ),
        Check(
            "lines of missing entries",
            """SELECT l.id, l.entry_id FROM wallet_line l
               LEFT JOIN wallet_entry e ON e.id = l.entry_id
               WHERE e.id IS NULL ORDER BY l.id""",
            (),
            lambda r: f"line {r[0]} belongs to entry {r[1]}, which does not exist",
        ),
        Check(
            "entries without lines",
            """SELECT e.id FROM wallet_entry e
               WHERE NOT EXISTS (SELECT 1 FROM wallet_line l WHERE l.entry_id = e.id)
               ORDER BY e.id""",
            (),
            lambda r: f"entry {r[0]} has no lines",
        ),
        Check(
            "references to missing entries",
            """SELECT * FROM (
                 SELECT 'payment' AS what, p.id, p.entry_id FROM wallet_payment p
                   LEFT JOIN wallet_entry e ON e.id = p.entry_id
                   WHERE p.entry_id IS NOT NULL AND e.id IS NULL
                 UNION ALL
                 SELECT 'gift send', g.id, g.entry_id FROM wallet_giftsend g
                   LEFT JOIN wallet_entry e ON e.id = g.entry_id WHERE e.id IS NULL
                 UNION ALL
                 SELECT 'payout', o.id, o.entry_id FROM wallet_payout o
                   LEFT JOIN wallet_entry e ON e.id = o.entry_id WHERE e.id IS NULL
                 UNION ALL
                 SELECT 'idempotency record', i.id, i.entry_id FROM wallet_idempotencyrecord i
                   LEFT JOIN wallet_entry e ON e.id = i.entry_id
                   WHERE i.entry_id IS NOT NULL AND e.id IS NULL
               ) t ORDER BY t.what, t.id""",
            (),
            lambda r: f"{r[0]} {r[1]} points to entry {r[2]}, which does not exist",
        ),
        Check(
            "unbalanced entries",
            """SELECT l.entry_id, SUM(l.amount) FROM wallet_line l
               GROUP BY l.entry_id HAVING SUM(l.amount) <> 0 ORDER BY l.entry_id""",
            (),
            lambda r: f"entry {r[0]} does not balance: lines sum to {r[1]}",
        ),
        Check(
            "entries mixing coins and money",
            f"""SELECT l.entry_id,
                      SUM(CASE WHEN a.kind IN ({_in(coin_kinds)}) THEN l.amount ELSE 0 END)
               FROM wallet_line l JOIN wallet_account a ON a.id = l.account_id
               GROUP BY l.entry_id
               HAVING SUM(CASE WHEN a.kind = %s THEN 1 ELSE 0 END) = 0
                  AND SUM(CASE WHEN a.kind IN ({_in(coin_kinds)}) THEN l.amount ELSE 0 END) <> 0
               ORDER BY l.entry_id""",  # noqa: S608  (placeholders only)
            (*coin_kinds, kinds.PAYOUT_CONVERSION, *coin_kinds),
            lambda r: f"entry {r[0]} mixes coins and money: its coin lines sum to {r[1]}",
        ),
        Check(
            "stored balances that differ from the ledger",
            f"""SELECT t.id, t.kind, t.balance, t.rolled FROM ({_ACCOUNT_TOTALS}) t
               WHERE t.balance <> t.rolled ORDER BY t.id""",  # noqa: S608
            (),
            lambda r: (
                f"account {r[0]} ({r[1]}) has a stored balance of {r[2]} "
                f"but its rolled-up lines sum to {r[3]}"
            ),
        ),
        Check(
            "negative balances",
            f"""SELECT t.id, t.kind, t.balance, t.pending FROM ({_ACCOUNT_TOTALS}) t
               WHERE t.kind NOT IN ({_in(may_go_negative)}) AND t.balance + t.pending < 0
               ORDER BY t.id""",  # noqa: S608
            may_go_negative,
            lambda r: (
                f"account {r[0]} ({r[1]}) is below zero: balance {r[2]} "
                f"and appended lines {r[3]} make {r[2] + r[3]}"
            ),
        ),
        Check(
            "succeeded payments without an entry",
            """SELECT p.id FROM wallet_payment p
               WHERE p.status = %s AND p.entry_id IS NULL ORDER BY p.id""",
            (succeeded,),
            lambda r: f"payment {r[0]} succeeded but has no entry",
        ),
        Check(
            "unfinished payments with an entry",
            """SELECT p.id, p.status, p.entry_id FROM wallet_payment p
               WHERE p.status <> %s AND p.entry_id IS NOT NULL ORDER BY p.id""",
            (succeeded,),
            lambda r: f"payment {r[0]} is {r[1]} but has entry {r[2]}",
        ),
        Check(
            "payments whose entry credits other coins",
            f"""SELECT * FROM (
                 SELECT p.id, p.coins, p.entry_id,
                        {_lines_of("p.entry_id", "p.user_id")} AS credited
                 FROM wallet_payment p
                 WHERE p.status = %s AND p.entry_id IS NOT NULL AND p.purpose = %s
               ) t WHERE t.credited <> t.coins ORDER BY t.id""",  # noqa: S608
            (kinds.MEMBER_COINS, succeeded, Payment.RECHARGE),
            lambda r: (
                f"payment {r[0]} bought {r[1]} coins but its entry {r[2]} credits the member {r[3]}"
            ),
        ),
        Check(
            "gift sends whose entry debits other coins",
            f"""SELECT * FROM (
                 SELECT g.id, g.coins, g.entry_id, e.kind,
                        {_lines_of("g.entry_id", "g.sender_id")} AS debited
                 FROM wallet_giftsend g JOIN wallet_entry e ON e.id = g.entry_id
               ) t WHERE t.kind <> %s OR t.debited <> -t.coins ORDER BY t.id""",  # noqa: S608
            (kinds.MEMBER_COINS, Entry.Kind.GIFT),
            lambda r: (
                f"gift send {r[0]} is for {r[1]} coins but its entry {r[2]} ({r[3]}) "
                f"debits the sender {-r[4]}"
            ),
        ),
        Check(
            "payouts whose entry moves other amounts",
            f"""SELECT * FROM (
                 SELECT o.id, o.coins, o.net + o.commission AS due, o.agency_amount,
                        o.entry_id, e.kind,
                        {_lines_of("o.entry_id", "o.creator_id")} AS debited,
                        {_lines_of("o.entry_id", "o.creator_id")} AS owed,
                        COALESCE((SELECT SUM(l.amount) FROM wallet_line l
                                  JOIN wallet_account a ON a.id = l.account_id
                                  WHERE l.entry_id = o.entry_id AND a.kind = %s), 0) AS agency,
                        o.commission,
                        {_lines_of("o.entry_id", "o.creator_id")} AS drained
                 FROM wallet_payout o JOIN wallet_entry e ON e.id = o.entry_id
               ) t
               WHERE t.kind <> %s OR t.debited <> -t.coins OR t.owed <> t.due
                  OR t.agency <> t.agency_amount OR t.drained <> -t.commission
               ORDER BY t.id""",  # noqa: S608
            (
                kinds.CREATOR_EARNINGS,
                kinds.CREATOR_PAYABLE,
                kinds.AGENCY_PAYABLE,
                kinds.COMMISSION_EARNED,
                Entry.Kind.PAYOUT,
            ),
            lambda r: (
                f"payout {r[0]} is for {r[1]} coins, {r[2]} to the creator"
                + (f" (with {r[9]} of commission)" if r[9] else "")
                + f" and {r[3]} to the agency, but its entry {r[4]} ({r[5]}) debits "
                f"{-r[6]} coins"
                + (f" and {-r[10]} of commission" if r[9] or r[10] else "")
                + f" and owes {r[7]} and {r[8]}"
            ),
        ),
        Check(
            "recharges that do not match their payments",
            """SELECT * FROM (
                 SELECT
                   (SELECT COALESCE(SUM(p.coins), 0) FROM wallet_payment p
                      WHERE p.status = %s AND p.purpose = %s) AS bought,
                   (SELECT COALESCE(-SUM(l.amount), 0) FROM wallet_line l
                      JOIN wallet_account a ON a.id = l.account_id
                      JOIN wallet_entry e ON e.id = l.entry_id
                      WHERE e.kind = %s AND a.kind = %s) AS issued,
                   (SELECT COALESCE(SUM(p.amount), 0) FROM wallet_payment p
                      WHERE p.status = %s AND p.purpose = %s) AS paid,
                   (SELECT COALESCE(-SUM(l.amount), 0) FROM wallet_line l
                      JOIN wallet_account a ON a.id = l.account_id
                      JOIN wallet_entry e ON e.id = l.entry_id
                      WHERE e.kind = %s AND a.kind = %s) AS received
               ) t WHERE t.bought <> t.issued OR t.paid <> t.received""",
            (
                succeeded,
                Payment.RECHARGE,
                Entry.Kind.RECHARGE,
                kinds.COIN_ISSUANCE,
                succeeded,
                Payment.RECHARGE,
                Entry.Kind.RECHARGE,
                kinds.PROVIDER_CLEARING,
            ),
            lambda r: (
                f"recharges issued {r[1]} coins and booked {r[3]} received from providers, "
                f"but succeeded payments bought {r[0]} coins for {r[2]}"
            ),
        ),
    ]


def _run(check: Check) -> Finding | None:
    sql = f"SELECT q.*, COUNT(*) OVER () FROM ({check.sql}) q LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        # Plain str for the kinds and statuses (TextChoices members).
        params = [str(p) if isinstance(p, str) else p for p in check.params]
        cursor.execute(sql, [*params, LIST_LIMIT])
        rows = cursor.fetchall()
    if not rows:
        return None
    return Finding(
        check=check.name,
        count=int(rows[0][-1]),
        examples=[check.describe(tuple(row[:-1])) for row in rows],
    )


def _sizes(report: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT COUNT(*) FROM wallet_entry), (SELECT COUNT(*) FROM wallet_line),
                      (SELECT COUNT(*) FROM wallet_account),
                      (SELECT COUNT(*) FROM wallet_line WHERE rolled_up = %s)""",
            [False],
        )
        row = cursor.fetchone()
    assert row is not None
    report.entries, report.lines, report.accounts, report.pending_lines = map(int, row)


def reconcile(*, fix_rollup: bool = False) -> Report:
    """Prove the books (see the module's docstring). With ``fix_rollup``,
    appended lines are first folded into balances (``wallet.services.balances_roll_up``), so
    the stored balances cover the whole ledger."""
    report = Report()
    if fix_rollup:
        report.folded_lines = services.balances_roll_up()
    # Inside a caller's transaction (a test, say) the snapshot is the caller's.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _sizes(report)
        for check in checks():
            report.checks_run.append(check.name)
            finding = _run(check)
            if finding is not None:
                report.findings.append(finding)
    return report


def ledger_reconcile(*, fix_rollup: bool = False) -> Report:
    """Prove the books (:func:`reconcile`) and record the run, passed or
    not: its row is what every process reads for the age of the last proof
    (``wallet.metrics``). A run that raised (the database away) records
    nothing: it proved nothing."""
    started = time.monotonic()
    report = reconcile(fix_rollup=fix_rollup)
    ReconcileRun.objects.create(
        finished_at=timezone.now(),
        ok=report.ok,
        discrepancies=report.discrepancy_count,
        first_discrepancy=report.first_discrepancy or "",
        entries=report.entries,
        seconds=time.monotonic() - started,
    )
    return report
