"""``kol.services.stats``: exact daily figures on crafted data, the engagement rate,
tiers, a fixed number of queries whatever the pool's size, idempotence, the
providers' extension point, and the Celery tasks with their beat entries."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from community.models import Board, Collect, Comment, Follow, Like, Note, User
from config.celery import app as celery_app
from kol import extensions, selectors, services, tasks
from kol.models import CreatorDailyStat, CreatorProfile, Invitation
from tests.factories import (
    CollectFactory,
    CommentFactory,
    CreatorFactory,
    FollowFactory,
    InvitationFactory,
    LikeFactory,
    NoteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def follow(follower: User, creator: CreatorProfile, when: datetime) -> None:
    row = FollowFactory(follower=follower, followee=creator.user)
    Follow.objects.filter(pk=row.pk).update(created_at=when)


def like(user: User, note: Note, when: datetime) -> None:
    row = LikeFactory(user=user, note=note)
    Like.objects.filter(pk=row.pk).update(created_at=when)


def collect(user: User, note: Note, when: datetime) -> None:
    board, _ = Board.objects.get_or_create(owner=user, name=Board.DEFAULT_NAME)
    row = CollectFactory(user=user, note=note, board=board)
    Collect.objects.filter(pk=row.pk).update(created_at=when)


def comment(user: User, note: Note, when: datetime, *, hidden: bool = False) -> None:
    status = Comment.Status.HIDDEN if hidden else Comment.Status.VISIBLE
    row = CommentFactory(note=note, author=user, status=status)
    Comment.objects.filter(pk=row.pk).update(created_at=when)


def note(creator: CreatorProfile, published_at: datetime, status: str = "published") -> Note:
    return NoteFactory(author=creator.user, status=status, published_at=published_at, photos=0)


def stat(creator: CreatorProfile, day: date = DAY) -> CreatorDailyStat:
    return CreatorDailyStat.objects.get(creator=creator, date=day)


@pytest.fixture
def crafted() -> dict[str, CreatorProfile]:
    """A busy creator with interactions inside and just outside the day and
    the 30-day window, a quiet creator, and a member outside the pool."""
    busy, quiet = CreatorFactory(), CreatorFactory()
    fans = UserFactory.create_batch(4)
    f1, f2, f3, f4 = fans
    # Follows: one old, two during the day (first and last second), one the
    # next day (not yet a follower).
    follow(f1, busy, at(DAY - timedelta(days=40)))
    follow(f2, busy, at(DAY, 0, 0, 0))
    follow(f3, busy, at(DAY, 23, 59, 59))
    follow(f4, busy, at(DAY + timedelta(days=1), 0, 0, 0))
    # Notes: one published that day, one five days before, one 31 days
    # before (outside the window), a draft and a hidden note dated that day.
    today_note = note(busy, at(DAY, 10))
    recent_note = note(busy, at(DAY - timedelta(days=5)))
    old_note = note(busy, at(DAY - timedelta(days=31)))
    note(busy, at(DAY, 11), status=Note.Status.DRAFT)
    note(busy, at(DAY, 12), status=Note.Status.HIDDEN)
    # Window edge: 29 days before the day is inside, 30 is outside.
    note(busy, at(DAY - timedelta(days=29), 0, 0, 0))
    note(busy, at(DAY - timedelta(days=30), 23, 59, 59))
    like(f1, today_note, at(DAY, 12))
    like(f3, old_note, at(DAY, 1))
    like(f2, recent_note, at(DAY - timedelta(days=3)))
    like(f4, today_note, at(DAY + timedelta(days=1), 0, 0, 0))
    like(f4, recent_note, at(DAY - timedelta(days=30), 23))
    collect(f1, recent_note, at(DAY, 9))
    collect(f2, old_note, at(DAY - timedelta(days=29), 0, 0, 1))
    comment(f2, today_note, at(DAY, 15))
    comment(f3, today_note, at(DAY, 16), hidden=True)
    comment(f1, recent_note, at(DAY - timedelta(days=40)))
    # A member outside the pool gets no row, whatever they do.
    outsider = UserFactory()
    NoteFactory(author=outsider, published_at=at(DAY), photos=0)
    FollowFactory(follower=f1, followee=outsider)
    return {"busy": busy, "quiet": quiet}


def test_crafted_day_gives_exact_numbers_per_column(crafted: dict[str, CreatorProfile]) -> None:
    result = services.stats_compute_day(day=DAY)

    assert result.creators == 2
    assert result.rows_written == 2
    assert CreatorDailyStat.objects.count() == 2
    busy = stat(crafted["busy"])
    assert busy.followers == 3
    assert busy.new_followers == 2
    assert busy.notes_published == 1
    assert busy.likes_received == 2
    assert busy.collects_received == 1
    assert busy.comments_received == 1
    assert (busy.live_seconds, busy.gift_income, busy.sales) == (0, 0, 0)
    quiet = stat(crafted["quiet"])
    assert (
        quiet.followers, quiet.new_followers, quiet.notes_published, quiet.likes_received,
        quiet.collects_received, quiet.comments_received, quiet.engagement_rate,
    ) == (0, 0, 0, 0, 0, 0, 0.0)  # fmt: skip


def test_engagement_rate_is_window_interactions_per_follower_per_note(
    crafted: dict[str, CreatorProfile],
) -> None:
    services.stats_compute_day(day=DAY)

    # 30-day window: 3 likes (the one 30 days before is out), 2 collects, 1
    # visible comment = 6 interactions; 3 followers; 3 notes published in
    # the window (that day, 5 days and 29 days before).
    assert stat(crafted["busy"]).engagement_rate == pytest.approx(6 / 3 / 3)


def test_engagement_rate_divides_by_one_without_followers_or_notes() -> None:
    creator = CreatorFactory()
    old = note(creator, at(DAY - timedelta(days=100)))
    like(UserFactory(), old, at(DAY, 8))
    like(UserFactory(), old, at(DAY - timedelta(days=2), 8))

    services.stats_compute_day(day=DAY)

    assert stat(creator).engagement_rate == pytest.approx(2.0)


def test_past_day_counts_only_what_existed_by_its_end(crafted: dict[str, CreatorProfile]) -> None:
    services.stats_compute_day(day=DAY - timedelta(days=1))

    before = stat(crafted["busy"], DAY - timedelta(days=1))
    assert before.followers == 1
    assert before.new_followers == 0
    assert before.notes_published == 0


def test_profile_takes_the_latest_days_engagement_rate(crafted: dict[str, CreatorProfile]) -> None:
    busy = crafted["busy"]
    services.stats_compute_day(day=DAY)
    latest = stat(busy).engagement_rate

    services.stats_compute_day(day=DAY - timedelta(days=40))  # an older day, computed later

    busy.refresh_from_db()
    assert busy.engagement_rate == pytest.approx(latest)
    assert stat(busy, DAY - timedelta(days=40)).engagement_rate != pytest.approx(latest)


def test_running_twice_leaves_one_row_per_creator_and_day(
    crafted: dict[str, CreatorProfile],
) -> None:
    first = services.stats_compute_day(day=DAY)
    values = list(CreatorDailyStat.objects.order_by("creator_id").values())

    second = services.stats_compute_day(day=DAY)

    assert first.rows_written == second.rows_written == 2
    again = list(CreatorDailyStat.objects.order_by("creator_id").values())
    assert len(again) == 2
    drop = {"computed_at"}
    for old, new in zip(values, again, strict=True):
        assert {k: v for k, v in old.items() if k not in drop} == {
            k: v for k, v in new.items() if k not in drop
        }


def test_recompute_picks_up_new_activity_for_the_same_day(
    crafted: dict[str, CreatorProfile],
) -> None:
    services.stats_compute_day(day=DAY)
    busy = crafted["busy"]
    extra_note = note(busy, at(DAY, 20))
    like(UserFactory(), extra_note, at(DAY, 21))

    services.stats_compute_day(day=DAY)

    assert stat(busy).notes_published == 2
    assert stat(busy).likes_received == 3
    assert CreatorDailyStat.objects.filter(creator=busy).count() == 1


def test_dry_run_writes_nothing_and_returns_the_rows(crafted: dict[str, CreatorProfile]) -> None:
    busy = crafted["busy"]
    User.objects.filter(pk=busy.user_id).update(follower_count=5_000)

    result = services.stats_compute_day(day=DAY, dry_run=True)

    assert CreatorDailyStat.objects.count() == 0
    busy.refresh_from_db()
    assert busy.tier == "nano"
    assert result.dry_run and result.rows_written == 0
    assert result.creators == 2
    assert result.tiers_changed == 1
    rows = {row["creator_id"]: row for row in result.rows}
    assert rows[busy.pk]["followers"] == 3
    assert rows[busy.pk]["likes_received"] == 2
    assert rows[busy.pk]["engagement_rate"] == pytest.approx(6 / 3 / 3)
    assert ": 2 creators, 2 rows would be written, " in result.summary()


def build_pool(size: int) -> None:
    fan = UserFactory()
    for n in range(size):
        creator = CreatorFactory()
        published = note(creator, at(DAY, 9))
        like(fan, published, at(DAY, 10))
        collect(fan, published, at(DAY, 10))
        comment(fan, published, at(DAY, 11))
        follow(fan, creator, at(DAY, 8))
        if n % 2:
            User.objects.filter(pk=creator.user_id).update(follower_count=n * 1_000)


@extensions.stat_providers.override()  # the pool's own queries (providers: below)
def test_query_count_does_not_grow_with_the_pool() -> None:
    build_pool(3)
    with CaptureQueriesContext(connection) as small:
        few = services.stats_compute_day(day=DAY)
    build_pool(27)
    with CaptureQueriesContext(connection) as large:
        many = services.stats_compute_day(day=DAY)

    assert few.creators == 3
    assert many.creators == 30
    assert len(small.captured_queries) == len(large.captured_queries)
    assert few.queries == many.queries == len(large.captured_queries)
    assert many.queries <= 12  # temp table, upsert, drop, profiles, five tiers, savepoints


def test_query_count_with_providers_does_not_grow_with_the_pool() -> None:
    with extensions.stat_providers.override(live_provider):
        build_pool(3)
        few = services.stats_compute_day(day=DAY)
        build_pool(27)
        many = services.stats_compute_day(day=DAY)

    assert few.queries == many.queries
    assert CreatorDailyStat.objects.filter(live_seconds=1_800).count() == 30


# --- tiers ----------------------------------------------------------------------------

TEST_TIERS = {"micro": 10, "mid": 50, "macro": 200, "mega": 1_000}


@override_settings(SPROUT_KOL_TIERS=TEST_TIERS)
def test_tiers_follow_the_thresholds_and_followers() -> None:
    by_followers = {}
    for followers in (0, 9, 10, 49, 50, 199, 200, 999, 1_000, 5_000):
        creator = CreatorFactory()
        User.objects.filter(pk=creator.user_id).update(follower_count=followers)
        by_followers[followers] = creator

    services.stats_compute_day(day=DAY)

    tiers = {f: CreatorProfile.objects.get(pk=c.pk).tier for f, c in by_followers.items()}
    assert tiers == {
        0: "nano", 9: "nano", 10: "micro", 49: "micro", 50: "mid", 199: "mid",
        200: "macro", 999: "macro", 1_000: "mega", 5_000: "mega",
    }  # fmt: skip


@override_settings(SPROUT_KOL_TIERS=TEST_TIERS)
def test_tier_is_recomputed_when_followers_change() -> None:
    creator = CreatorFactory()
    User.objects.filter(pk=creator.user_id).update(follower_count=60)
    services.stats_compute_day(day=DAY)
    creator.refresh_from_db()
    assert creator.tier == "mid"

    User.objects.filter(pk=creator.user_id).update(follower_count=3)
    result = services.stats_compute_day(day=DAY)

    creator.refresh_from_db()
    assert creator.tier == "nano"
    assert result.tiers_changed == 1


@override_settings(SPROUT_KOL_TIERS=TEST_TIERS)
def test_refresh_tiers_changes_only_wrong_tiers_with_one_update_per_tier() -> None:
    right, wrong = CreatorFactory(), CreatorFactory()
    User.objects.filter(pk=wrong.user_id).update(follower_count=300)

    with CaptureQueriesContext(connection) as ctx:
        changed = services.tiers_refresh()

    assert changed == 1
    assert CreatorProfile.objects.get(pk=wrong.pk).tier == "macro"
    assert CreatorProfile.objects.get(pk=right.pk).tier == "nano"
    assert len(ctx.captured_queries) <= 5
    assert services.tiers_refresh() == 0


# --- providers ------------------------------------------------------------------------

CALLS: list[tuple[date, list[int]]] = []


def live_provider(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    CALLS.append((day, creator_ids))
    return {cid: {"live_seconds": 1_800} for cid in creator_ids}


def wallet_provider(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    return {creator_ids[0]: {"gift_income": 12_345, "live_seconds": 600}, 999_999: {"sales": 1}}


def shop_provider(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    return {creator_ids[-1]: {"sales": 3_000_000_000}}


def bad_provider(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    return {creator_ids[0]: {"followers": 10}}


@extensions.stat_providers.override(live_provider, wallet_provider, shop_provider)
def test_providers_fill_live_seconds_gift_income_and_sales() -> None:
    CALLS.clear()
    first, last = CreatorFactory(), CreatorFactory()

    services.stats_compute_day(day=DAY)

    assert [(DAY, [first.pk, last.pk])] == CALLS
    one, two = stat(first), stat(last)
    assert (one.live_seconds, one.gift_income, one.sales) == (2_400, 12_345, 0)
    assert (two.live_seconds, two.gift_income, two.sales) == (1_800, 0, 3_000_000_000)
    assert CreatorDailyStat.objects.count() == 2  # the unknown creator is ignored


@extensions.stat_providers.override(wallet_provider)
def test_provider_values_are_in_the_dry_run_rows() -> None:
    creator = CreatorFactory()

    result = services.stats_compute_day(day=DAY, dry_run=True)

    assert result.rows[0]["creator_id"] == creator.pk
    assert result.rows[0]["gift_income"] == 12_345
    assert CreatorDailyStat.objects.count() == 0


@extensions.stat_providers.override(bad_provider)
def test_provider_cannot_fill_other_columns() -> None:
    CreatorFactory()

    with pytest.raises(ImproperlyConfigured, match="followers"):
        services.stats_compute_day(day=DAY)
    assert CreatorDailyStat.objects.count() == 0


# --- reads and batches ----------------------------------------------------------------


def test_recent_stats_are_the_last_days_oldest_first() -> None:
    creator, other = CreatorFactory(), CreatorFactory()
    today = selectors.stats_today()
    days = [today - timedelta(days=n) for n in range(40)]
    services.stats_recompute(days=days)

    recent = list(selectors.stats_recent(creator, days=7))

    assert [s.date for s in recent] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    assert {s.creator_id for s in recent} == {creator.pk}
    assert selectors.stats_recent(other).count() == 30


def test_recompute_reports_progress_per_day() -> None:
    CreatorFactory()
    seen: list[tuple[int, int]] = []
    days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]

    results = services.stats_recompute(
        days=days, progress=lambda done, total: seen.append((done, total))
    )

    assert [r.day for r in results] == days
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert CreatorDailyStat.objects.count() == 3


def test_summary_line() -> None:
    result = services.StatsResult(
        day=date(2026, 11, 24), creators=312, rows_written=312, queries=9, elapsed=0.214
    )
    assert result.summary() == "2026-11-24: 312 creators, 312 rows, 9 queries, 0.21 s"


# --- Celery ---------------------------------------------------------------------------


def test_daily_stats_task_computes_yesterday_and_today() -> None:
    creators = CreatorFactory.create_batch(2)
    today = selectors.stats_today()

    written = tasks.compute_daily_stats.delay().get()
    tasks.compute_daily_stats.delay().get()

    assert written == {(today - timedelta(days=1)).isoformat(): 2, today.isoformat(): 2}
    assert CreatorDailyStat.objects.count() == 4
    assert set(CreatorDailyStat.objects.values_list("creator_id", "date")) == {
        (c.pk, d) for c in creators for d in (today, today - timedelta(days=1))
    }


def test_expire_invitations_task_expires_due_invitations() -> None:
    member, other = UserFactory(), UserFactory()
    now = datetime.now(UTC)
    due = InvitationFactory(user=member, expires_at=now - timedelta(minutes=1))
    open_ = InvitationFactory(user=other, expires_at=now + timedelta(days=1))

    expired = tasks.expire_invitations.delay().get()

    assert expired == 1
    due.refresh_from_db()
    open_.refresh_from_db()
    assert due.status == Invitation.Status.EXPIRED
    assert open_.status == Invitation.Status.SENT


def test_beat_schedule_names_registered_tasks() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    for entry in schedule.values():  # what the worker's autodiscovery imports
        importlib.import_module(str(entry["task"]).rsplit(".", 1)[0])

    assert schedule["compute-creator-stats"]["task"] == "kol.tasks.compute_daily_stats"
    assert schedule["expire-host-invitations"]["task"] == "kol.tasks.expire_invitations"
    for name, entry in schedule.items():
        assert entry["task"] in celery_app.tasks, name
