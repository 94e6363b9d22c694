"""The one table at the end of ``make bench``: every goal figure of issues
10, 12, 13 and 14 beside its goal, met or missed, in one run.

Each bench script prints its own tables and, where it computes a goal
figure, hands it to :func:`bench.common.record`, which appends a JSON line to
the file ``SPROUT_BENCH_RESULTS`` names. The Makefile names a fresh file per
run (``.bench/results-<UTC time>.jsonl``) and calls this script three ways:

    .venv/bin/python bench/report.py begin            # commit, load average at start
    .venv/bin/python bench/report.py ran 1 bench/feed.py   # a script's exit status
    .venv/bin/python bench/report.py [--results FILE]  # the table; exit 1 unless all met

The table lists every goal of :data:`GOALS` in that order, whether or not
its script recorded it ("not measured" counts as missed: a script that
crashed must not read as a pass), then any other figure recorded, then the
scripts' exit statuses (a script also exits 1 for goals of its own outside
these issues, and that fails the run too), the commit and the machine's load
average at the start and the end: on a shared 2-core machine a figure is
read with the load it was measured under.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS_ENV, append_result  # noqa: E402


@dataclass(frozen=True)
class Goal:
    figure: str  # the key the script records it under
    issue: int
    label: str
    goal: str  # shown when the figure is missing; the script's own text otherwise
    script: str


GOALS: tuple[Goal, ...] = (
    Goal("feed.discover", 13, "discover feed, member, page 20", ">= 50% of hello-world req/s",
         "feed.py"),
    Goal("feed.following", 13, "following feed, member, page 20", ">= 50% of hello-world req/s",
         "feed.py"),
    Goal("feed.topic", 13, "topic feed (hot), member, page 20", ">= 50% of hello-world req/s",
         "feed.py"),
    Goal("feed.profile", 13, "profile notes, member, page 20", ">= 50% of hello-world req/s",
         "feed.py"),
    Goal("feed.search", 13, "search results, member, page 20", ">= 50% of hello-world req/s",
         "feed.py"),
    Goal("feed.queries", 13, "feeds: SQL queries per page, sizes 5-100", "<= 8 at every size",
         "feed.py"),
    Goal("gifts.http.rate", 13, "gift over HTTP (the endpoint's service, in process)",
         ">= 1,000 gifts/s", "gifts.py"),
    Goal("gifts.http.raw", 13, "gift over HTTP vs raw SQL", ">= 50% of raw", "gifts.py"),
    Goal("gifts.websocket.raw", 13, "gift over the websocket vs raw SQL", ">= 100% of raw",
         "gifts.py"),
    Goal("gifts.books", 13, "gift books after every path", "exact, reconcile passes",
         "gifts.py"),
    Goal("live.devserver.p99", 13, "live room under make run's server, 2,000 viewers",
         "p99 < 250 ms", "live_fanout.py"),
    Goal("thumbnails.ratio", 13, "thumbnails, 12 MP JPEG -> 3 WebP sizes", "<= 0.5x pyvips",
         "thumbnails.py"),
    Goal("flash.orders", 10, "flash sale: orders, 2,000 buyers for 100 units", "exactly 100",
         "flash_sale.py"),
    Goal("flash.p99", 10, "flash sale: buy request p99", "< 500 ms", "flash_sale.py"),
    Goal("flash.sold_out", 10, "flash sale: sold_out answers vs hello-world",
         ">= 50% of hello-world req/s", "flash_sale.py"),
    Goal("cluster.p99", 12, "room of 4,000 viewers on 2 processes: p99", "< 250 ms",
         "live_fanout.py"),
    Goal("cluster.cost", 12, "2 processes: CPU per chat event vs one process",
         "<= 1.20x (within 20%)", "live_fanout.py"),
    Goal("abr.broadcast.speed", 14, "ABR: one broadcast's exec_push ffmpeg (src + renditions)",
         ">= 0.95x real time", "abr.py"),
    Goal("abr.broadcast.fit", 14, "ABR broadcasts in half of SPROUT_LIVE_ABR_MIN_CORES cores",
         ">= 2", "abr.py"),
)  # fmt: skip


@dataclass
class Run:
    """What one results file holds."""

    figures: dict[str, dict[str, Any]]  # the last record of each figure
    scripts: list[dict[str, Any]]  # exit statuses, in order
    begin: dict[str, Any] | None


@dataclass(frozen=True)
class Row:
    issue: str
    label: str
    measured: str
    goal: str
    verdict: str
    detail: str
    met: bool


def read_run(lines: Iterable[str]) -> Run:
    run = Run(figures={}, scripts=[], begin=None)
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        kind = entry.get("kind")
        if kind == "figure":
            run.figures[entry["figure"]] = entry
        elif kind == "script":
            run.scripts.append(entry)
        elif kind == "begin":
            run.begin = entry
    return run


def format_value(value: float, unit: str) -> str:
    """A ratio as a percentage (``%``) or a factor (``x``); otherwise the
    number, thousands grouped, with its unit."""
    if unit == "%":
        return f"{value:.0%}"
    if unit == "x":
        return f"{value:.2f}x"
    number = f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2f}"
    return f"{number} {unit}".rstrip()


def rows(run: Run) -> list[Row]:
    """Every goal of :data:`GOALS` in order, then the other figures recorded."""
    out = []
    known = {goal.figure for goal in GOALS}
    for goal in GOALS:
        entry = run.figures.get(goal.figure)
        if entry is None:
            issue, nothing = str(goal.issue), f"bench/{goal.script} recorded nothing"
            out.append(Row(issue, goal.label, "not measured", goal.goal, "MISSED", nothing, False))
            continue
        out.append(_row(str(goal.issue), goal.label, entry))
    for figure, entry in run.figures.items():
        if figure not in known:
            out.append(_row("-", figure, entry))
    return out


def _row(issue: str, label: str, entry: dict[str, Any]) -> Row:
    met = bool(entry["met"])
    load = entry.get("load") or [float("nan")]
    detail = "; ".join(filter(None, [entry.get("detail", ""), f"load {load[0]:.1f}"]))
    return Row(
        issue,
        label,
        format_value(entry["value"], entry.get("unit", "")),
        entry["goal"],
        "met" if met else "MISSED",
        detail,
        met,
    )


def verdict(run: Run) -> tuple[bool, str]:
    """(every goal met and every script passed, the sentence that says so)."""
    table = rows(run)
    missed = [row for row in table if not row.met]
    failed = [s for s in run.scripts if s["exit"] != 0]
    if not missed and not failed:
        return True, f"every goal met ({len(table)} figures, {len(run.scripts)} scripts passed)"
    parts = []
    if missed:
        parts.append(f"{len(missed)} of {len(table)} goal figures missed or not measured")
    if failed:
        names = ", ".join(f"{s['command']} ({s['exit']})" for s in failed)
        parts.append(f"scripts that exited non-zero: {names}")
    return False, "; ".join(parts)


def render(run: Run, *, commit: str, load_now: tuple[float, ...]) -> str:
    """The report as Markdown, to paste into docs/performance.md."""

    def loads(values: Iterable[float]) -> str:
        return " ".join(f"{v:.2f}" for v in values)

    lines = []
    if run.begin is not None:
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run.begin["at"]))
        lines.append(
            f"make bench at {run.begin.get('commit', '?')}, started {started}; load average "
            f"(1/5/15 min) at start {loads(run.begin['load'])}, at end {loads(load_now)}"
        )
    else:
        lines.append(f"make bench at {commit}; load average at end {loads(load_now)}")
    lines += ["", "| issue | figure | measured | goal | met | beside it |", "| --- " * 6 + "|"]
    for row in rows(run):
        lines.append(
            f"| {row.issue} | {row.label} | {row.measured} | {row.goal} | {row.verdict} "
            f"| {row.detail} |"
        )
    if run.scripts:
        lines.append("")
        lines.append(
            "scripts: "
            + ", ".join(
                f"{s['command']} {'ok' if s['exit'] == 0 else 'exit ' + str(s['exit'])}"
                for s in run.scripts
            )
        )
    ok, sentence = verdict(run)
    lines += ["", ("OK: " if ok else "NOT MET: ") + sentence]
    return "\n".join(lines)


def git_commit() -> str:
    """The short commit, ``+dirty`` when the work tree has changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return commit + ("+dirty" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", help=f"the results file (default: ${RESULTS_ENV})")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("begin", help="note the commit and load average at the start of a run")
    ran = sub.add_parser("ran", help="note a script's exit status")
    ran.add_argument("exit", type=int)
    ran.add_argument("script", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.results:
        os.environ[RESULTS_ENV] = args.results
    path = os.environ.get(RESULTS_ENV)
    if not path:
        parser.error(f"name the results file with --results or ${RESULTS_ENV}")
    if args.command == "begin":
        append_result("begin", commit=git_commit())
        return 0
    if args.command == "ran":
        append_result("script", command=" ".join(args.script), exit=args.exit)
        return 0
    results = Path(path)
    lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    run = read_run(lines)
    print(f"\n== make bench: the goals of issues 10, 12, 13 and 14 ({results})\n")
    print(render(run, commit=git_commit(), load_now=os.getloadavg()))
    return 0 if verdict(run)[0] else 1


if __name__ == "__main__":
    sys.exit(main())
