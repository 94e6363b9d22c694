"""Payouts: who is paid and how much (threshold, rate, rounding, the agency's
split through the creator pool's hook), running a period again, dry runs,
approval and rejection (the reversal), who may review, the Celery task, the
admin, the studio's earnings panel and the agency dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import DomainError
from kol import selectors as kol_selectors
from kol.models import AgencyMembership
from tests.clients import logged_in
from tests.factories import (
    FundedMemberFactory,
    GiftFactory,
    GiftSendFactory,
    ModeratorFactory,
    PayoutRunFactory,
    UserFactory,
)
from tests.wallet.factories_payouts import (
    agency_with_manager,
    assert_books_balance,
    balance,
    book_at,
    creator_with,
    earn,
)
from wallet import selectors, services, tasks
from wallet.models import Account, Entry, Line, Payout, PayoutRun
from wallet.services import ledger, payouts

pytestmark = pytest.mark.django_db

PERIOD = date(2026, 5, 4)
KINDS = Account.Kind


@pytest.fixture(autouse=True)
def _payout_settings(settings: Any) -> None:
    settings.SPROUT_WALLET_PAYOUT_THRESHOLD = 1_000
    settings.SPROUT_WALLET_PAYOUT_RATE = "0.07"
    settings.SPROUT_CURRENCY = "USD"
    settings.SPROUT_WALLET_PAYOUT_TEST_DELAY = 0


def code_of(call: Any) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def pay(period: date = PERIOD, **kwargs: Any) -> services.PayoutRunResult:
    return services.payout_run_execute(period_end=period, **kwargs)


# --- amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coins", "rate", "bps", "gross", "agency", "net"),
    [
        (1_234, "0.07", 2_500, 86, 21, 65),  # 86.38 -> 86; 21.5 -> 21
        (1_000, "0.07", 0, 70, 0, 70),
        (1_001, "0.07", 10_000, 70, 70, 0),  # 70.07 -> 70, all the agency's
        (99_999, "1", 3_333, 99_999, 33_329, 66_670),  # 33,329.67 -> 33,329
        (7, "0.142857", 5_000, 0, 0, 0),  # 0.999999 -> nothing to pay
    ],
)
def test_quote_rounds_down_once_and_splits_the_gross_exactly(
    coins: int, rate: str, bps: int, gross: int, agency: int, net: int
) -> None:
    quote = selectors.payout_quote(coins, at_rate=Decimal(rate), agency_share_bps=bps)
    assert (quote.gross, quote.agency_amount, quote.net) == (gross, agency, net)
    assert quote.agency_amount + quote.net == quote.gross


def test_a_rate_with_more_than_six_places_is_refused(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.SPROUT_WALLET_PAYOUT_RATE = "0.0000001"
    with pytest.raises(ImproperlyConfigured):
        selectors.payout_rate()


# --- runs ------------------------------------------------------------------------------


def test_only_creators_at_or_above_the_threshold_are_paid() -> None:
    below = creator_with(999)
    at = creator_with(1_000)
    above = creator_with(5_000)

    result = pay()

    paid = {p.creator_id: p for p in Payout.objects.all()}
    assert set(paid) == {at.user_id, above.user_id}
    assert paid[at.user_id].coins == 1_000 and paid[above.user_id].coins == 5_000
    assert balance(KINDS.CREATOR_EARNINGS, user=below.user) == 999
    assert balance(KINDS.CREATOR_EARNINGS, user=at.user) == 0
    assert balance(KINDS.CREATOR_EARNINGS, user=above.user) == 0
    assert [r.outcome for r in result.results] == [services.Outcome.PAID] * 2
    assert PayoutRun.objects.get(period_end=PERIOD).finished_at is not None
    assert_books_balance()


def test_payout_converts_at_the_rate_and_splits_off_the_agency_share() -> None:
    agency, _ = agency_with_manager(name="Bright Sprout Media")
    creator = creator_with(1_234, agency=agency, share_bps=2_500)

    pay()

    payout = Payout.objects.get(creator=creator.user)
    assert (payout.coins, payout.gross, payout.agency_amount, payout.net) == (1_234, 86, 21, 65)
    assert payout.rate == Decimal("0.07")
    assert payout.agency_share_bps == 2_500
    assert payout.agency_key == f"agency:{agency.pk}"
    assert payout.agency_name == "Bright Sprout Media"
    assert payout.currency == "USD"
    assert payout.status == Payout.Status.PENDING
    # The ledger: coins out of earnings into conversion, money owed to both.
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 0
    assert balance(KINDS.PAYOUT_CONVERSION) == 1_234
    assert balance(KINDS.PAYOUT_CONVERSION, owner_key=selectors.money_side("USD")) == -86
    assert balance(KINDS.CREATOR_PAYABLE, user=creator.user) == 65
    assert balance(KINDS.AGENCY_PAYABLE, owner_key=f"agency:{agency.pk}") == 21
    entry = payout.entry
    assert entry.kind == Entry.Kind.PAYOUT
    assert sorted(entry.lines.values_list("amount", flat=True)) == [-1_234, -86, 21, 65, 1_234]
    assert_books_balance()


def test_creator_without_an_agency_keeps_the_whole_gross() -> None:
    creator = creator_with(2_000)

    pay()

    payout = Payout.objects.get(creator=creator.user)
    assert (payout.gross, payout.agency_amount, payout.net) == (140, 0, 140)
    assert payout.agency_key == payout.agency_name == ""
    assert not payout.entry.lines.filter(account__kind=KINDS.AGENCY_PAYABLE).exists()
    assert payout.entry.lines.count() == 4


def test_an_ended_agency_membership_takes_no_share() -> None:
    agency, _ = agency_with_manager()
    creator = creator_with(2_000, agency=agency, share_bps=2_000)
    AgencyMembership.objects.filter(creator=creator).update(ended_at=timezone.now())

    pay()

    payout = Payout.objects.get(creator=creator.user)
    assert (payout.agency_key, payout.agency_amount, payout.net) == ("", 0, 140)


def test_agency_split_hook_reads_current_shares_in_one_query() -> None:
    agency, _ = agency_with_manager(name="North Star")
    members = [creator_with(agency=agency, share_bps=1_000 * n) for n in range(1, 4)]
    loner = creator_with()

    with CaptureQueriesContext(connection) as ctx:
        split = kol_selectors.agency_split([m.user_id for m in members] + [loner.user_id])

    assert len(ctx.captured_queries) == 1
    assert split == {
        m.user_id: (f"agency:{agency.pk}", "North Star", 1_000 * n)
        for n, m in enumerate(members, start=1)
    }


def test_planning_is_set_based(django_assert_max_num_queries: Any) -> None:
    agency, _ = agency_with_manager()
    for n in range(12):
        creator_with(1_000 + n, agency=agency if n % 2 else None, share_bps=1_500)

    with django_assert_max_num_queries(2):
        plans = selectors.payout_run_plan(period_end=PERIOD)

    assert len(plans) == 12


def test_earnings_still_appended_are_rolled_up_and_paid() -> None:
    creator = creator_with(600)
    earn(creator.user, 700)  # two appended credits, neither rolled up
    account = Account.objects.get(kind=KINDS.CREATOR_EARNINGS, user=creator.user)
    assert account.balance == 0

    pay()

    assert Payout.objects.get(creator=creator.user).coins == 1_300
    assert not Line.objects.filter(account=account, rolled_up=False).exists()
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 0


def test_a_payout_worth_nothing_is_not_made(settings: Any) -> None:
    settings.SPROUT_WALLET_PAYOUT_RATE = "0.0001"  # 1,000 coins -> 0.1 of a cent
    creator = creator_with(1_000)

    result = pay()

    assert result.results == []
    assert not Payout.objects.exists()
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 1_000


def test_running_a_period_again_pays_nobody_twice() -> None:
    first = creator_with(1_500)
    second = creator_with(3_000)
    pay()
    earn(first.user, 2_000)  # more earnings after the run

    again = pay()

    assert Payout.objects.filter(creator=first.user).count() == 1
    assert Payout.objects.filter(creator=second.user).count() == 1
    assert [r.outcome for r in again.results] == [services.Outcome.ALREADY_PAID]
    assert again.made == []
    assert balance(KINDS.CREATOR_EARNINGS, user=first.user) == 2_000
    # The next period pays what arrived since.
    pay(PERIOD + timedelta(days=1))
    assert Payout.objects.filter(creator=first.user).count() == 2
    assert balance(KINDS.CREATOR_EARNINGS, user=first.user) == 0
    assert_books_balance()


def test_a_payout_made_behind_the_plans_back_is_not_made_again() -> None:
    creator_with(1_500)
    run = PayoutRunFactory(period_end=PERIOD)
    plan = selectors.payout_run_plan(period_end=PERIOD)[0]
    assert payouts._pay(run, plan).outcome == services.Outcome.PAID

    # A second worker that planned before the first paid finds the payout.
    assert payouts._pay(run, plan).outcome == services.Outcome.ALREADY_PAID
    assert Payout.objects.count() == 1


def test_dry_run_writes_nothing() -> None:
    agency, _ = agency_with_manager()
    creator_with(1_234, agency=agency, share_bps=2_500)
    creator_with(5_000)
    counts = (Entry.objects.count(), Line.objects.count(), Account.objects.count())
    stored = list(Account.objects.order_by("pk").values_list("balance", flat=True))

    with CaptureQueriesContext(connection) as ctx:
        result = pay(dry_run=True)

    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert (Entry.objects.count(), Line.objects.count(), Account.objects.count()) == counts
    assert list(Account.objects.order_by("pk").values_list("balance", flat=True)) == stored
    assert not PayoutRun.objects.exists() and not Payout.objects.exists()
    assert [r.outcome for r in result.results] == [services.Outcome.WOULD_PAY] * 2
    assert (result.total("coins"), result.total("gross")) == (6_234, 86 + 350)
    assert (result.total("agency_amount"), result.total("net")) == (21, 65 + 350)


def test_dry_run_of_a_period_already_run_reports_who_was_paid() -> None:
    creator = creator_with(1_500)
    pay()
    earn(creator.user, 1_000)

    result = pay(dry_run=True)

    assert [r.outcome for r in result.results] == [services.Outcome.ALREADY_PAID]


def test_progress_is_reported_per_creator() -> None:
    for _ in range(3):
        creator_with(1_000)
    seen: list[tuple[int, int, str]] = []

    pay(progress=lambda done, total, r: seen.append((done, total, r.outcome)))

    assert seen == [(1, 3, "paid"), (2, 3, "paid"), (3, 3, "paid")]


def test_gifts_become_a_payout_and_the_books_balance() -> None:
    """From a recharge through gifts (the platform's 30% taken at sending) to
    the payout: the creator is paid for exactly the coins they kept."""
    castle = GiftFactory(slug="castle", coins=520)
    fan = FundedMemberFactory(coins=5_200)
    agency, _ = agency_with_manager()
    host = creator_with(agency=agency, share_bps=2_000)
    GiftSendFactory.create_batch(10, sender=fan, host=host.user, gift=castle, room_id=1)
    kept = 10 * (520 - 520 * 3_000 // 10_000)  # 3,640 coins

    pay(PERIOD)  # the gifts were sent after that period: for a later run
    assert not Payout.objects.exists()
    pay(timezone.now().astimezone(UTC).date())  # today's run

    payout = Payout.objects.get(creator=host.user)
    assert payout.coins == kept
    assert (payout.gross, payout.agency_amount, payout.net) == (254, 50, 204)
    assert balance(KINDS.PLATFORM_COINS) == 5_200 - kept
    assert_books_balance()


# --- the period's end -------------------------------------------------------------------

END = datetime.combine(PERIOD + timedelta(days=1), time.min, tzinfo=UTC)  # PERIOD's end, UTC


def commission(user: Any, cents: int, *, at: datetime) -> None:
    """Commission (money) released to ``user`` as a delivered order's is
    (the shop books it; here an adjustment from the provider's clearing), ``at``."""
    with transaction.atomic():
        entry = ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            postings=[
                ledger.Posting(ledger.account_get_or_create(KINDS.PROVIDER_CLEARING), -cents),
                ledger.Posting(
                    ledger.account_get_or_create(KINDS.COMMISSION_EARNED, user=user), cents
                ),
            ],
            memo="test commission",
        )
    book_at(entry, at)


def test_a_run_pays_what_was_earned_by_the_end_of_its_period() -> None:
    creator = creator_with(1_500)
    earn(creator.user, 500, at=END - timedelta(microseconds=1))  # the period's last moment
    earn(creator.user, 1_200, at=END)  # the next day's first
    commission(creator.user, 90, at=END - timedelta(hours=1))
    commission(creator.user, 300, at=END + timedelta(hours=1))

    result = pay(PERIOD)

    payout = Payout.objects.get(creator=creator.user)
    assert (payout.coins, payout.commission) == (2_000, 90)
    assert result.made[0].quote.coins == 2_000
    # What came after the period's end waits for the next run.
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 1_200
    assert balance(KINDS.COMMISSION_EARNED, user=creator.user) == 300
    pay(PERIOD + timedelta(days=1))
    later = Payout.objects.filter(creator=creator.user).latest("id")
    assert (later.coins, later.commission) == (1_200, 300)
    assert later.run.period_end == PERIOD + timedelta(days=1)
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 0
    assert balance(KINDS.COMMISSION_EARNED, user=creator.user) == 0
    assert_books_balance()


def test_earnings_over_the_threshold_only_after_the_period_are_not_paid_in_it() -> None:
    creator = creator_with(600)
    earn(creator.user, 900, at=END + timedelta(hours=3))

    assert selectors.payout_run_plan(period_end=PERIOD) == []
    assert pay(PERIOD).made == []
    assert pay(PERIOD + timedelta(days=1)).made[0].quote.coins == 1_500


def test_a_run_for_an_older_period_pays_only_the_older_part_then_the_later_run_the_rest() -> None:
    agency, _ = agency_with_manager()
    creator = creator_with(1_400, agency=agency, share_bps=2_000)  # before PERIOD
    earn(creator.user, 2_600, at=END + timedelta(hours=20))  # during the next day
    older, newer = PERIOD, PERIOD + timedelta(days=1)

    first = pay(older)
    second = pay(newer)

    assert [r.quote.coins for r in first.made] == [1_400]
    assert [r.quote.coins for r in second.made] == [2_600]
    assert [p.run.period_end for p in Payout.objects.order_by("id")] == [older, newer]
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 0
    assert_books_balance()


def test_an_older_period_run_after_a_later_one_pays_nothing_twice() -> None:
    creator = creator_with(1_400)
    earn(creator.user, 2_600, at=END + timedelta(hours=20))
    pay(PERIOD + timedelta(days=1))  # pays all 4,000
    earn(creator.user, 1_100, at=END + timedelta(days=2))  # earned after both periods

    assert pay(PERIOD).made == []  # its 1,400 went out in the later run already
    assert Payout.objects.get(creator=creator.user).coins == 4_000
    assert balance(KINDS.CREATOR_EARNINGS, user=creator.user) == 1_100
    assert_books_balance()


def test_coins_a_rejected_payout_gave_back_count_as_earned_before() -> None:
    creator = creator_with(1_500)
    pay(PERIOD)
    payout = Payout.objects.get(creator=creator.user)
    # The reversal is booked now, long after PERIOD: still the coins of before.
    services.payout_reject(reviewer=ModeratorFactory(), payout=payout, reason="Checking gifts")

    assert [r.quote.coins for r in pay(PERIOD + timedelta(days=1)).made] == [1_500]


def test_dry_run_shows_the_figures_the_run_pays() -> None:
    agency, _ = agency_with_manager()
    creators = [
        creator_with(1_300, agency=agency if n % 2 else None, share_bps=1_500) for n in range(4)
    ]
    for n, creator in enumerate(creators):
        earn(creator.user, 700 * (n + 1), at=END + timedelta(hours=n))
        commission(creator.user, 50 + 40 * n, at=END - timedelta(hours=n + 1))
        commission(creator.user, 999, at=END + timedelta(minutes=5))

    planned = {r.plan.creator_id: r.quote for r in pay(PERIOD, dry_run=True).made}
    paid = {r.plan.creator_id: r.quote for r in pay(PERIOD).made}

    assert planned == paid
    assert {q.coins for q in paid.values()} == {1_300}
    assert sorted(q.commission for q in paid.values()) == [0, 90, 130, 170]  # 50 < 70 cents
    assert {
        p.creator_id: (p.coins, p.gross, p.agency_amount, p.net, p.commission)
        for p in Payout.objects.all()
    } == {
        creator_id: (q.coins, q.gross, q.agency_amount, q.net, q.commission)
        for creator_id, q in planned.items()
    }


# --- review ----------------------------------------------------------------------------


def one_payout(coins: int = 2_000, **kwargs: Any) -> Payout:
    creator = creator_with(coins, **kwargs)
    pay()
    return Payout.objects.get(creator=creator.user)


def test_a_reviewer_approves_a_pending_payout() -> None:
    payout = one_payout()
    reviewer = ModeratorFactory()

    approved = services.payout_approve(reviewer=reviewer, payout=payout)

    payout.refresh_from_db()
    assert approved.status == payout.status == Payout.Status.APPROVED
    assert payout.reviewed_by == reviewer and payout.reviewed_at is not None
    assert balance(KINDS.CREATOR_PAYABLE, user=payout.creator) == 140  # still owed


def test_rejecting_reverses_the_payout_and_restores_the_earnings() -> None:
    agency, _ = agency_with_manager()
    payout = one_payout(1_234, agency=agency, share_bps=2_500)
    creator = payout.creator

    services.payout_reject(reviewer=ModeratorFactory(), payout=payout, reason="Suspicious gifts")

    payout.refresh_from_db()
    assert payout.status == Payout.Status.REJECTED and payout.reason == "Suspicious gifts"
    assert balance(KINDS.CREATOR_EARNINGS, user=creator) == 1_234
    assert balance(KINDS.CREATOR_PAYABLE, user=creator) == 0
    assert balance(KINDS.AGENCY_PAYABLE, owner_key=f"agency:{agency.pk}") == 0
    assert balance(KINDS.PAYOUT_CONVERSION) == 0
    assert balance(KINDS.PAYOUT_CONVERSION, owner_key=selectors.money_side("USD")) == 0
    reversal = Entry.objects.get(kind=Entry.Kind.PAYOUT_REVERSAL)
    assert reversal.reference == {"payout": payout.pk, "reverses": payout.entry_id}
    assert_books_balance()
    # The same period does not pay again; the next one does.
    pay()
    assert Payout.objects.filter(creator=creator).count() == 1
    pay(PERIOD + timedelta(days=1))
    assert Payout.objects.filter(creator=creator, status=Payout.Status.PENDING).count() == 1


def test_a_member_cannot_review_payouts() -> None:
    payout = one_payout()
    member = UserFactory()

    assert (
        code_of(lambda: services.payout_approve(reviewer=member, payout=payout))
        == "permission_denied"
    )
    assert (
        code_of(lambda: services.payout_reject(reviewer=member, payout=payout, reason="no"))
        == "permission_denied"
    )
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PENDING


def test_a_reviewer_cannot_review_their_own_payout() -> None:
    reviewer = ModeratorFactory()
    creator = creator_with(2_000)
    creator.user.groups.add(*reviewer.groups.all())
    pay()
    payout = Payout.objects.get(creator=creator.user)
    own_reviewer = type(creator.user).objects.get(pk=creator.user_id)

    assert (
        code_of(lambda: services.payout_approve(reviewer=own_reviewer, payout=payout))
        == "own_payout"
    )
    assert (
        code_of(lambda: services.payout_reject(reviewer=own_reviewer, payout=payout, reason="x"))
        == "own_payout"
    )


def test_a_payout_is_reviewed_once() -> None:
    payout = one_payout()
    reviewer = ModeratorFactory()
    services.payout_approve(reviewer=reviewer, payout=payout)

    assert code_of(lambda: services.payout_approve(reviewer=reviewer, payout=payout)) == (
        "payout_already_reviewed"
    )
    assert code_of(
        lambda: services.payout_reject(reviewer=reviewer, payout=payout, reason="late")
    ) == ("payout_already_reviewed")
    assert not Entry.objects.filter(kind=Entry.Kind.PAYOUT_REVERSAL).exists()


# --- Celery ----------------------------------------------------------------------------


def test_the_task_runs_the_period_it_is_given() -> None:
    creator = creator_with(1_000)

    tasks.run_scheduled_payouts.delay(PERIOD.isoformat())

    assert Payout.objects.get(creator=creator.user).run.period_end == PERIOD


def test_the_scheduled_task_fixes_yesterday_and_enqueues_it_on_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    creator = creator_with(1_000)
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.run_scheduled_payouts.delay()
        assert not Payout.objects.exists()  # nothing before the commit

    assert len(callbacks) == 1
    assert Payout.objects.get(creator=creator.user).run.period_end == yesterday


def test_the_task_is_acked_late_and_on_the_beat_schedule() -> None:
    task = tasks.run_scheduled_payouts
    assert task.acks_late is True and task.reject_on_worker_lost is True
    entry = django_settings.CELERY_BEAT_SCHEDULE["run-creator-payouts"]
    assert entry["task"] == task.name == "wallet.tasks.run_scheduled_payouts"


# --- admin -----------------------------------------------------------------------------


def staff_reviewer() -> Any:
    reviewer = ModeratorFactory()
    return reviewer, logged_in(reviewer)


def test_admin_approves_selected_payouts() -> None:
    payout = one_payout()
    _, client = staff_reviewer()

    response = client.post(
        "/admin/wallet/payout/", {"action": "approve", "_selected_action": [payout.pk]}
    )

    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED


def test_admin_rejects_with_a_reason_and_reverses() -> None:
    payout = one_payout()
    _, client = staff_reviewer()
    url = "/admin/wallet/payout/"

    asked = client.post(url, {"action": "reject", "_selected_action": [payout.pk]})
    assert asked.status_code == 200 and b"Reason" in asked.content
    asked_text = asked.content.decode()
    assert f"#{payout.pk}</a> to {payout.creator.username}" in asked_text
    assert f'name="_selected_action" value="{payout.pk}"' in asked_text
    done = client.post(
        url,
        {"action": "reject", "_selected_action": [payout.pk], "apply": "yes", "reason": "Fraud"},
    )

    assert done.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.reason) == (Payout.Status.REJECTED, "Fraud")
    assert balance(KINDS.CREATOR_EARNINGS, user=payout.creator) == 2_000


def test_admin_changelist_and_own_payout_refusal() -> None:
    reviewer, client = staff_reviewer()
    creator = creator_with(2_000, username="selfpaid")
    creator.user.groups.add(*reviewer.groups.all())
    creator.user.is_staff = True
    creator.user.save(update_fields=["is_staff"])
    pay()
    payout = Payout.objects.get(creator=creator.user)
    own = logged_in(creator.user)

    assert client.get("/admin/wallet/payout/").status_code == 200
    assert client.get(f"/admin/wallet/payout/{payout.pk}/change/").status_code == 200
    own.post("/admin/wallet/payout/", {"action": "approve", "_selected_action": [payout.pk]})
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PENDING


# --- the studio ------------------------------------------------------------------------


def test_studio_shows_earnings_and_payouts_with_their_status() -> None:
    agency, _ = agency_with_manager(name="Lumen Agency")
    creator = creator_with(1_234, agency=agency, share_bps=2_500)
    pay()
    payout = Payout.objects.get(creator=creator.user)
    services.payout_approve(reviewer=ModeratorFactory(), payout=payout)
    earn(creator.user, 500)
    pay(PERIOD + timedelta(days=1))  # 500 < threshold: nothing
    earn(creator.user, 900)
    pay(PERIOD + timedelta(days=2))  # 1,400 coins: pending
    earn(creator.user, 321)
    client = logged_in(creator.user)

    response = client.get("/studio/")

    assert response.status_code == 200
    earnings = response.context["earnings"]
    assert (earnings.coins, earnings.value.amount) == (321, 22)  # 22.47 -> 22
    assert earnings.coins_to_threshold == 679
    assert (earnings.agency_amount.amount, earnings.net.amount) == (5, 17)
    assert earnings.owed.amount == 65 + 74  # approved 65 + pending 98 - 24 agency
    assert [line.payout.status for line in earnings.payouts] == ["pending", "approved"]
    html = response.content.decode()
    assert 'id="earnings"' in html and "Waiting for approval" in html and "Approved" in html
    assert "0.22\u00a0USD" in html and "Lumen Agency" in html


def test_studio_earnings_of_a_creator_who_never_earned() -> None:
    creator = creator_with()
    client = logged_in(creator.user)

    response = client.get("/studio/")

    assert response.status_code == 200
    assert response.context["earnings"].coins == 0
    assert "No payouts yet" in response.content.decode()


def test_studio_shows_only_the_creators_own_payouts() -> None:
    mine = creator_with(1_000)
    theirs = creator_with(2_000)
    pay()
    client = logged_in(mine.user)

    lines = client.get("/studio/").context["earnings"].payouts

    assert [line.payout.creator_id for line in lines] == [mine.user_id]
    assert theirs.user_id not in {line.payout.creator_id for line in lines}


# --- the agency dashboard ----------------------------------------------------------------


def test_agency_manager_sees_the_rosters_earnings_and_payouts() -> None:
    agency, manager = agency_with_manager(name="Bright Sprout Media")
    paid = creator_with(1_234, agency=agency, share_bps=2_500, username="paidcreator")
    waiting = creator_with(400, agency=agency, share_bps=1_000, username="waitingcreator")
    creator_with(3_000, username="outsider")  # no agency
    pay()
    client = logged_in(manager)

    response = client.get("/agency/")

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.agency == agency
    by_name = {line.membership.creator.user.username: line for line in dashboard.roster}
    assert set(by_name) == {"paidcreator", "waitingcreator"}
    assert by_name["waitingcreator"].coins == 400
    assert by_name["waitingcreator"].value.amount == 28
    assert by_name["waitingcreator"].agency_amount.amount == 2
    assert by_name["paidcreator"].coins == 0
    assert [line.payout.creator_id for line in dashboard.payouts] == [paid.user_id]
    assert dashboard.owed.amount == 21
    html = response.content.decode()
    assert "@paidcreator" in html and "@waitingcreator" in html and "outsider" not in html
    assert waiting.user.shown_name in html


def test_agency_page_keeps_payouts_of_creators_who_left() -> None:
    agency, manager = agency_with_manager()
    former = creator_with(2_000, agency=agency, share_bps=2_000)
    pay()
    AgencyMembership.objects.filter(creator=former).update(ended_at=timezone.now())
    client = logged_in(manager)

    dashboard = client.get("/agency/").context["dashboard"]

    assert dashboard.roster == []
    assert [line.payout.creator_id for line in dashboard.payouts] == [former.user_id]


def test_a_member_who_manages_no_agency_is_refused() -> None:
    agency, _ = agency_with_manager()
    creator = creator_with(1_000, agency=agency, share_bps=2_000)  # a member of it
    client = logged_in(creator.user)

    assert client.get("/agency/").status_code == 403
    assert client.get(f"/agency/?agency={agency.slug}").status_code == 403


def test_another_agencys_manager_cannot_see_it() -> None:
    agency, _ = agency_with_manager(name="Alpha")
    creator_with(1_500, agency=agency, share_bps=2_000, username="alphacreator")
    other, other_manager = agency_with_manager(name="Beta")
    creator_with(1_100, agency=other, share_bps=1_000, username="betacreator")
    client = logged_in(other_manager)

    assert client.get(f"/agency/?agency={agency.slug}").status_code == 404
    response = client.get("/agency/")
    assert response.context["dashboard"].agency == other
    html = response.content.decode()
    assert "betacreator" in html and "alphacreator" not in html


def test_a_manager_of_two_agencies_picks_one() -> None:
    first, manager = agency_with_manager(name="Aardvark")
    second, _ = agency_with_manager(name="Zebra")
    second.managers.add(manager)
    client = logged_in(manager)

    assert client.get("/agency/").context["dashboard"].agency == first
    response = client.get(f"/agency/?agency={second.slug}")
    assert response.context["dashboard"].agency == second
    assert 'aria-current="page"' in response.content.decode()


def test_the_agency_page_needs_a_login() -> None:
    response = Client().get("/agency/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_agency_page_costs_the_same_queries_for_a_bigger_roster() -> None:
    agency, manager = agency_with_manager()
    client = logged_in(manager)
    creator_with(1_500, agency=agency, share_bps=2_000)
    pay()

    with CaptureQueriesContext(connection) as small:
        client.get("/agency/")
    for _ in range(5):
        creator_with(1_500, agency=agency, share_bps=2_000)
    pay(PERIOD + timedelta(days=1))
    with CaptureQueriesContext(connection) as big:
        client.get("/agency/")

    assert len(big.captured_queries) == len(small.captured_queries)
