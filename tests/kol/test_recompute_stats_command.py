"""``manage.py recompute_stats``: which days it computes, its summary and
progress output, ``--dry-run`` changing nothing, and argument errors."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from community.models import User
from kol import selectors
from kol.models import CreatorDailyStat, CreatorProfile
from tests.factories import CreatorFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("recompute_stats", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_default_is_today_with_a_summary_line() -> None:
    CreatorFactory.create_batch(3)
    today = selectors.stats_today()

    out, err = run()

    assert set(CreatorDailyStat.objects.values_list("date", flat=True)) == {today}
    assert CreatorDailyStat.objects.count() == 3
    first = out.splitlines()[0]
    assert first.startswith(f"{today.isoformat()}: 3 creators, 3 rows, ")
    assert first.endswith(" s")
    assert "queries" in first
    assert "1/1" in err  # the progress bar, on stderr


def test_date_computes_that_day_only() -> None:
    creator = CreatorFactory()
    day = selectors.stats_today() - timedelta(days=3)

    run("--date", day.isoformat(), "--no-progress")

    assert list(CreatorDailyStat.objects.values_list("creator_id", "date")) == [(creator.pk, day)]


def test_since_computes_every_day_up_to_today() -> None:
    CreatorFactory.create_batch(2)
    today = selectors.stats_today()

    out, _ = run("--since", (today - timedelta(days=4)).isoformat(), "--no-progress")

    days = sorted(set(CreatorDailyStat.objects.values_list("date", flat=True)))
    assert days == [today - timedelta(days=n) for n in range(4, -1, -1)]
    assert CreatorDailyStat.objects.count() == 10
    assert "5 days: 10 rows" in out


def test_since_with_date_computes_the_range() -> None:
    CreatorFactory()
    out, _ = run("--since", "2026-01-30", "--date", "2026-02-02", "--no-progress")

    days = sorted(CreatorDailyStat.objects.values_list("date", flat=True))
    assert days == [date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2)]
    assert out.count(" creators, ") == 4


@override_settings(SPROUT_KOL_TIERS={"micro": 10, "mid": 50, "macro": 200, "mega": 1_000})
def test_dry_run_changes_nothing() -> None:
    creators = CreatorFactory.create_batch(2)
    User.objects.filter(pk=creators[0].user_id).update(follower_count=500)
    run("--date", "2026-02-01", "--no-progress")  # an existing row to leave alone
    User.objects.filter(pk=creators[1].user_id).update(follower_count=60)
    before = list(CreatorDailyStat.objects.order_by("id").values())
    tiers = list(CreatorProfile.objects.order_by("id").values_list("tier", flat=True))

    out, _ = run("--since", "2026-01-30", "--date", "2026-02-02", "--dry-run", "--no-progress")

    assert list(CreatorDailyStat.objects.order_by("id").values()) == before
    assert list(CreatorProfile.objects.order_by("id").values_list("tier", flat=True)) == tiers
    assert tiers == ["macro", "nano"]
    assert out.startswith("Dry run: the stats are computed, nothing is written.")
    assert "2026-01-30: 2 creators, 2 rows would be written," in out
    assert "4 days: 8 rows would be written," in out
    assert out.rstrip().endswith("Dry run: nothing was written (1 tier change(s) would be made).")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "--date '2026-13-01' is not a date: use YYYY-MM-DD."),
        (["--date", "yesterday"], "is not a date"),
        (["--date", "20260101"], "is not a date"),
        (["--since", "2026-02-30"], "--since '2026-02-30' is not a date"),
        (["--date", "FUTURE"], "is in the future"),
        (["--since", "FUTURE"], "is in the future"),
        (["--since", "2026-02-03", "--date", "2026-02-02"], "is after --date 2026-02-02"),
        (["--since", "2020-01-01", "--date", "2021-12-31"], "731 days; recompute at most 400"),
        (["--since", "2020-01-01"], "recompute at most 400"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    CreatorFactory()
    future = (selectors.stats_today() + timedelta(days=1)).isoformat()
    args = [future if a == "FUTURE" else a for a in args]

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args)
    assert CreatorDailyStat.objects.count() == 0


def test_four_hundred_days_are_allowed() -> None:
    today = selectors.stats_today()
    out, _ = run("--since", (today - timedelta(days=399)).isoformat(), "--dry-run", "--no-progress")
    assert "400 days: 0 rows" in out


def test_since_after_today_names_today() -> None:
    with pytest.raises(CommandError, match="in the future"):
        run("--since", (selectors.stats_today() + timedelta(days=2)).isoformat())


# --- progress output ------------------------------------------------------------------


def test_no_progress_prints_nothing_on_stderr() -> None:
    CreatorFactory()
    _, err = run("--no-progress")
    assert err == ""


def test_help_describes_the_options(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        call_command("recompute_stats", "--help")
    text = capsys.readouterr().out
    for option in ("--date", "--since", "--dry-run", "--no-progress"):
        assert option in text
