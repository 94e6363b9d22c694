"""``make bench``'s closing table (``bench/report.py``): every goal of issues
10, 12, 13 and 14 is listed whether or not its script recorded it, and the run
passes only when every goal was met and every script exited 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import common, report


def _figure(figure: str, value: float, *, met: bool = True, unit: str = "%") -> str:
    return json.dumps(
        {
            "kind": "figure",
            "at": 0.0,
            "load": [1.5, 1.0, 0.5],
            "figure": figure,
            "value": value,
            "unit": unit,
            "goal": "the script's goal",
            "met": met,
            "detail": "52 vs 288 req/s",
        }
    )


def _script(command: str, code: int) -> str:
    line = {"kind": "script", "at": 0.0, "load": [1.0], "command": command, "exit": code}
    return json.dumps(line)


def _all_met() -> list[str]:
    return [_figure(goal.figure, 0.6) for goal in report.GOALS]


def test_every_goal_met_and_every_script_passed_is_a_pass() -> None:
    run = report.read_run([*_all_met(), _script("bench/feed.py", 0)])

    ok, sentence = report.verdict(run)

    assert ok
    assert "every goal met" in sentence


def test_a_figure_no_script_recorded_is_listed_as_missed() -> None:
    lines = [line for line in _all_met() if '"feed.following"' not in line]
    run = report.read_run(lines)

    rows = {row.label: row for row in report.rows(run)}
    following = rows["following feed, member, page 20"]

    assert following.measured == "not measured"
    assert following.verdict == "MISSED"
    assert not report.verdict(run)[0]


def test_a_missed_goal_fails_the_run() -> None:
    run = report.read_run([*_all_met(), _figure("flash.p99", 612.0, met=False, unit="ms")])

    table = report.render(run, commit="abc1234", load_now=(2.0, 1.0, 0.5))

    assert "| 10 | flash sale: buy request p99 | 612 ms | the script's goal | MISSED |" in table
    assert table.endswith(f"NOT MET: 1 of {len(report.GOALS)} goal figures missed or not measured")


def test_a_script_that_exited_non_zero_fails_the_run_even_with_its_figures_met() -> None:
    run = report.read_run([*_all_met(), _script("bench/screening.py", 1)])

    ok, sentence = report.verdict(run)

    assert not ok
    assert "bench/screening.py (1)" in sentence


def test_the_table_has_one_row_per_goal_in_order_then_other_figures() -> None:
    run = report.read_run([*_all_met(), _figure("live.hub.p99", 120.0, unit="ms")])

    rows = report.rows(run)

    assert [row.label for row in rows[: len(report.GOALS)]] == [g.label for g in report.GOALS]
    assert rows[-1].label == "live.hub.p99"
    assert rows[0].detail == "52 vs 288 req/s; load 1.5"


def test_the_last_record_of_a_figure_counts() -> None:
    lines = [*_all_met(), _figure("cluster.cost", 1.31, met=False, unit="x")]

    rows = {row.label: row for row in report.rows(report.read_run(lines))}

    assert rows["2 processes: CPU per chat event vs one process"].measured == "1.31x"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.18, "%", "18%"),
        (0.62, "x", "0.62x"),
        (872.4, "ms", "872 ms"),
        (1110.0, "gifts/s", "1,110 gifts/s"),
        (100, "orders", "100 orders"),
        (3.14159, "", "3.14"),
    ],
)
def test_values_are_shown_with_their_unit(value: float, unit: str, shown: str) -> None:
    assert report.format_value(value, unit) == shown


def test_record_appends_a_line_when_a_run_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(common.RESULTS_ENV, str(results))

    common.record("thumbnails.ratio", 0.41, goal="<= 0.5x pyvips", met=True, unit="x")
    common.record("feed.discover", 0.52, goal=">= 50%", met=True, unit="%")

    run = report.read_run(results.read_text().splitlines())
    assert set(run.figures) == {"thumbnails.ratio", "feed.discover"}
    assert run.figures["thumbnails.ratio"]["met"] is True


def test_record_does_nothing_for_a_script_run_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(common.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)

    common.record("thumbnails.ratio", 0.41, goal="<= 0.5x pyvips", met=True, unit="x")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_devserver_design_serves_with_make_runs_command() -> None:
    from bench import live_fanout

    command = live_fanout.dev_server_command(8123)

    assert command[1:5] == ["-m", "uvicorn", "config.asgi:application", "--host"]
    port = command.index("--port")
    assert command[port + 1] == "8123"
    assert "--reload" in command
