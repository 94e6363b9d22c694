"""A payout run's lease (``wallet.services.payout_lease``): one worker pays a run at a
time, a run whose worker is alive is never taken over, a run whose worker
went quiet is resumed by the beat sweep, and none of it pays anybody twice.
The same with real Celery workers killed mid-run: test_payout_worker.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.celery import app as celery_app
from tests.factories import PayoutRunFactory
from tests.wallet.factories_payouts import assert_books_balance, creator_with
from wallet import extensions, selectors, services, tasks
from wallet.errors import PayoutRunBusy
from wallet.models import Payout, PayoutRun

pytestmark = pytest.mark.django_db

PERIOD = date(2026, 5, 4)
LEASE = 60


@pytest.fixture(autouse=True)
def _payout_settings(settings: Any) -> Iterator[None]:
    settings.SPROUT_WALLET_PAYOUT_THRESHOLD = 1_000
    settings.SPROUT_WALLET_PAYOUT_RATE = "1"
    settings.SPROUT_WALLET_PAYOUT_TEST_DELAY = 0
    settings.SPROUT_WALLET_PAYOUT_LEASE_SECONDS = LEASE
    with extensions.payout_splitter.override(lambda user_ids: {}):  # nobody has an agency
        yield


def held_run(*, holder: str = "worker-a", quiet_for: float = 0.0) -> PayoutRun:
    """The period's run, unfinished, held by ``holder`` who was last seen
    ``quiet_for`` seconds ago."""
    run, _ = PayoutRun.objects.get_or_create(period_end=PERIOD)
    run.holder = holder
    run.heartbeat_at = timezone.now() - timedelta(seconds=quiet_for)
    run.finished_at = None
    run.save()
    return run


def paid_once(*creators: Any) -> bool:
    return all(Payout.objects.filter(creator=c.user).count() == 1 for c in creators)


def run_of_period() -> PayoutRun:
    return PayoutRun.objects.get(period_end=PERIOD)


# --- one worker at a time ----------------------------------------------------------------


def test_a_run_being_paid_turns_a_second_caller_away() -> None:
    creator = creator_with(1_000)
    held_run(quiet_for=LEASE - 5)

    with pytest.raises(PayoutRunBusy) as busy:
        services.payout_run_execute(period_end=PERIOD)

    assert busy.value.code == "payout_run_busy" and busy.value.status == 409
    assert not Payout.objects.filter(creator=creator.user).exists()
    assert run_of_period().holder == "worker-a"


def test_a_redelivery_of_the_holding_task_takes_its_lease_back_at_once() -> None:
    creator = creator_with(1_000)
    held_run(holder="task-1")  # its worker died a moment ago; the broker gave the task back

    result = services.payout_run_execute(period_end=PERIOD, holder="task-1")

    assert result.end == services.RunEnd.FINISHED
    assert paid_once(creator)


def test_a_run_whose_holder_went_quiet_is_taken_over() -> None:
    creator = creator_with(1_000)
    held_run(quiet_for=LEASE + 1)

    result = services.payout_run_execute(period_end=PERIOD)

    assert result.end == services.RunEnd.FINISHED
    assert paid_once(creator)
    run = run_of_period()
    assert run.finished_at is not None
    assert (run.holder, run.heartbeat_at) == ("", None)  # let go once finished


def test_the_holder_renews_its_heartbeat_before_each_creator() -> None:
    creators = [creator_with(1_000 + n) for n in range(3)]
    long_ago = timezone.now() - timedelta(days=365)
    seen: list[Any] = []

    def progress(done: int, total: int, result: services.PayoutResult) -> None:
        seen.append(run_of_period().heartbeat_at)
        PayoutRun.objects.update(heartbeat_at=long_ago)  # the next creator must renew it

    services.payout_run_execute(period_end=PERIOD, progress=progress)

    assert len(seen) == 3
    assert all(beat is not None and beat > long_ago for beat in seen)
    assert paid_once(*creators)


def test_a_failed_run_lets_its_lease_go() -> None:
    creator_with(1_000)

    def fail(done: int, total: int, result: services.PayoutResult) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        services.payout_run_execute(period_end=PERIOD, progress=fail)

    run = run_of_period()
    assert run.finished_at is None
    assert (run.holder, run.heartbeat_at) == ("", None)
    services.payout_run_execute(period_end=PERIOD)  # a retry is not turned away
    assert run_of_period().finished_at is not None


def test_a_worker_that_stalled_past_its_lease_stops_and_pays_nobody_twice(
    django_capture_on_commit_callbacks: Any,
) -> None:
    creators = [creator_with(1_000 + n) for n in range(4)]
    handed_over: list[list[date]] = []

    def stall_after_the_first(done: int, total: int, result: services.PayoutResult) -> None:
        if done != 1:
            return
        # This worker froze for longer than its lease: the sweep hands the
        # run to a new task, which pays everyone left and finishes.
        PayoutRun.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=LEASE + 1))
        with django_capture_on_commit_callbacks(execute=True):
            handed_over.append(services.payout_runs_resume_stalled())

    stalled = services.payout_run_execute(period_end=PERIOD, progress=stall_after_the_first)

    assert handed_over == [[PERIOD]]
    assert stalled.end == services.RunEnd.HANDED_OVER
    assert [r.outcome for r in stalled.results] == [services.Outcome.PAID]
    assert paid_once(*creators)
    assert run_of_period().finished_at is not None
    assert_books_balance()


# --- the sweep -----------------------------------------------------------------------------


def test_the_sweep_leaves_a_run_whose_worker_is_alive_alone(
    django_capture_on_commit_callbacks: Any,
) -> None:
    creator = creator_with(1_000)
    held_run(quiet_for=LEASE - 5)

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert services.payout_runs_resume_stalled() == []

    assert enqueued == []
    assert run_of_period().holder == "worker-a"
    assert not Payout.objects.filter(creator=creator.user).exists()


def test_the_sweep_resumes_a_run_whose_worker_died_and_it_finishes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = creator_with(1_000)
    services.payout_run_execute(period_end=PERIOD)
    # The worker died after paying the first creator, before the second.
    second = creator_with(2_000)
    held_run(holder="dead-worker", quiet_for=LEASE + 1)

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert tasks.resume_stalled_payout_runs.delay().get() == 1

    assert len(enqueued) == 1
    assert paid_once(first, second)
    run = run_of_period()
    assert run.finished_at is not None and run.holder == ""
    assert_books_balance()


def test_the_sweep_hands_a_stalled_run_to_one_task_only(
    django_capture_on_commit_callbacks: Any,
) -> None:
    creator_with(1_000)
    held_run(holder="dead-worker", quiet_for=LEASE + 1)

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert services.payout_runs_resume_stalled() == [PERIOD]
        assert services.payout_runs_resume_stalled() == []  # the next minute, before it starts

    assert len(enqueued) == 1
    assert run_of_period().holder not in ("", "dead-worker")  # the enqueued task's id


def test_the_sweep_resumes_a_run_left_without_a_heartbeat_once_a_lease_has_passed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    creator = creator_with(1_000)
    run = PayoutRunFactory(period_end=PERIOD)  # its worker died before the lease

    with django_capture_on_commit_callbacks(execute=True):
        assert services.payout_runs_resume_stalled() == []  # it may still be starting
    PayoutRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(seconds=LEASE + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.payout_runs_resume_stalled() == [PERIOD]

    assert paid_once(creator)


def test_the_sweep_ignores_finished_runs() -> None:
    creator_with(1_000)
    services.payout_run_execute(period_end=PERIOD)
    PayoutRun.objects.update(started_at=timezone.now() - timedelta(days=1))

    assert services.payout_runs_resume_stalled() == []


# --- the task, the command, the settings -----------------------------------------------------


def test_a_late_redelivery_of_a_finished_runs_task_does_nothing() -> None:
    creator_with(1_000)
    services.payout_run_execute(period_end=PERIOD)
    latecomer = creator_with(5_000)  # due since; the next period pays them

    counts = tasks.run_scheduled_payouts.delay(PERIOD.isoformat()).get()

    assert counts == {"paid": 0, "already_paid": 0, "finished": 0}
    assert not Payout.objects.filter(creator=latecomer.user).exists()


def test_the_task_finding_a_live_holder_does_nothing() -> None:
    creator = creator_with(1_000)
    held_run()

    assert tasks.run_scheduled_payouts.delay(PERIOD.isoformat()).get() == {"busy": 1}
    assert not Payout.objects.filter(creator=creator.user).exists()


def test_the_command_says_when_another_worker_is_paying_the_run() -> None:
    creator_with(1_000)
    held_run()

    with pytest.raises(CommandError, match="being paid by another worker"):
        call_command("run_payouts", "--period-end", PERIOD.isoformat(), "--no-progress")


def test_the_sweep_is_on_the_beat_schedule_every_minute() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["resume-stalled-payout-runs"]
    assert entry["task"] == tasks.resume_stalled_payout_runs.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == 60.0


@pytest.mark.parametrize("value", [0, -5])
def test_a_lease_shorter_than_a_second_is_refused(settings: Any, value: int) -> None:
    settings.SPROUT_WALLET_PAYOUT_LEASE_SECONDS = value
    with pytest.raises(ImproperlyConfigured):
        selectors.payout_lease_seconds()
