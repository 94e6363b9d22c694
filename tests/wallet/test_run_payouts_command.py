"""``manage.py run_payouts``: what it prints, the dry run, the period, errors."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from community.models import User
from tests.wallet.factories_payouts import agency_with_manager, creator_with, earn
from wallet.models import Entry, Line, Payout, PayoutRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _payout_settings(settings: Any) -> None:
    settings.SPROUT_WALLET_PAYOUT_THRESHOLD = 1_000
    settings.SPROUT_WALLET_PAYOUT_RATE = "0.07"
    settings.SPROUT_CURRENCY = "USD"
    settings.SPROUT_WALLET_PAYOUT_TEST_DELAY = 0


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("run_payouts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def yesterday() -> date:
    return timezone.now().astimezone(UTC).date() - timedelta(days=1)


def seed() -> None:
    agency, _ = agency_with_manager(name="Bright Sprout Media")
    creator_with(1_234, agency=agency, share_bps=2_500, username="alice")
    creator_with(5_000, username="bruno")
    creator_with(999, username="carla")  # below the threshold


def test_prints_each_payout_and_a_total() -> None:
    seed()

    out, err = run("--period-end", "2026-05-04")

    lines = out.splitlines()
    assert lines[0].startswith("payout run up to 2026-05-04; threshold 1,000 coins, rate 0.07")
    assert lines[1] == (
        "@alice: 1,234 coins x 0.07 = 0.86 USD; agency: Bright Sprout Media 25% 0.21 USD; "
        "net 0.65 USD [paid]"
    )
    assert lines[2] == (
        "@bruno: 5,000 coins x 0.07 = 3.50 USD; agency: no agency; net 3.50 USD [paid]"
    )
    assert lines[3] == (
        "Total: 2 payout(s) made: 6,234 coins, gross 4.36 USD, agencies 0.21 USD, net 4.15 USD."
    )
    assert "carla" not in out
    assert "payouts [" in err and "2/2" in err  # progress on stderr
    assert Payout.objects.count() == 2
    assert PayoutRun.objects.get().period_end == date(2026, 5, 4)


def test_dry_run_prints_what_it_would_pay_and_writes_nothing() -> None:
    seed()
    entries, lines = Entry.objects.count(), Line.objects.count()

    out, _ = run("--dry-run", "--no-progress")

    assert out.startswith(f"Dry run: payout run up to {yesterday().isoformat()};")
    assert "@alice: 1,234 coins x 0.07 = 0.86 USD" in out and "[would pay]" in out
    assert out.rstrip().endswith(
        "Total: 2 payout(s) would be made: 6,234 coins, gross 4.36 USD, agencies 0.21 USD, "
        "net 4.15 USD. Dry run: nothing was written."
    )
    assert (Entry.objects.count(), Line.objects.count()) == (entries, lines)
    assert not Payout.objects.exists() and not PayoutRun.objects.exists()


def test_defaults_to_yesterday_and_runs_a_period_once() -> None:
    seed()
    run("--no-progress")
    earn(Payout.objects.get(creator__username="bruno").creator, 2_000)

    out, _ = run("--no-progress")

    assert PayoutRun.objects.get().period_end == yesterday()
    assert (
        "@bruno: already paid in this run; 2,000 coins earned since wait for the next one "
        "[already paid]" in out
    )
    assert "Total: 0 payout(s) made" in out and "1 creator(s) skipped" in out
    assert Payout.objects.count() == 2


def test_nothing_to_pay() -> None:
    creator_with(10)

    out, err = run("--period-end", "2026-05-04")

    assert "Total: 0 payout(s) made: 0 coins, gross 0.00 USD" in out
    assert err == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-5-4", "is not a date: use YYYY-MM-DD"),
        ("yesterday", "is not a date: use YYYY-MM-DD"),
        ("2026-02-30", "is not a date: use YYYY-MM-DD"),
    ],
)
def test_refuses_a_malformed_period_end(value: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("--period-end", value)


def test_refuses_a_period_end_in_the_future() -> None:
    tomorrow = (yesterday() + timedelta(days=2)).isoformat()
    with pytest.raises(CommandError, match="is in the future"):
        run("--period-end", tomorrow)
    assert not PayoutRun.objects.exists()


def test_has_help() -> None:
    from wallet.management.commands.run_payouts import Command

    parser = Command().create_parser("manage.py", "run_payouts")
    text = parser.format_help()
    assert "--period-end" in text and "--dry-run" in text and "--no-progress" in text


def test_period_end_bounds_the_earnings_paid_and_the_dry_run_says_the_same() -> None:
    seed()
    bruno = User.objects.get(username="bruno")
    earn(bruno, 4_000, at=datetime(2026, 5, 5, 0, 0, tzinfo=UTC))  # after 2026-05-04

    dry, _ = run("--period-end", "2026-05-04", "--dry-run", "--no-progress")
    out, _ = run("--period-end", "2026-05-04", "--no-progress")

    assert "@bruno: 5,000 coins" in dry and "@bruno: 5,000 coins" in out
    assert dry.splitlines()[1:3] == [
        line.replace("[paid]", "[would pay]") for line in out.splitlines()[1:3]
    ]
    later, _ = run("--period-end", "2026-05-05", "--no-progress")
    assert "@bruno: 4,000 coins" in later and "@alice" not in later
    assert list(
        Payout.objects.filter(creator=bruno).order_by("id").values_list("coins", flat=True)
    ) == [
        5_000,
        4_000,
    ]
