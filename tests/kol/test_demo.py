"""``kol.demo``: the creator pool ``manage.py seed_demo`` grows on top of the
demo community (every tier, agencies with their managers, 60 days of stats,
counters that agree with the rows, a stored screening, applications and
invitations), idempotence, ``--dry-run``, ``--creators``, and the
community's discovery of the hook (which skips kol when it is not
installed)."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from community import extensions, ranking
from community.management import demo_plan
from community.models import Follow, Like, Note, Notification, Photo, User
from kol import demo, selectors, services
from kol.models import (
    Agency,
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    RevenueShareChange,
    Tier,
)
from tests.factories import NoteFactory
from tests.shared_rows import seeded_once

pytestmark = pytest.mark.django_db

# Demo-scale thresholds made smaller still, so a test run needs few fans.
TINY_TIERS = {"micro": 4, "mid": 8, "macro": 16, "mega": 32}
POOL_MODELS = (
    CreatorProfile, Agency, AgencyMembership, RevenueShareChange, Application,
    CreatorDailyStat, Invitation, User, Follow, Like, Note, Photo, Notification, Group,
)  # fmt: skip


def shrink(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same shapes as the real seed, at sizes that paint fast.
    monkeypatch.setattr(
        demo_plan, "ASPECTS", (("3:4", 96, 128, 50), ("1:1", 100, 100, 25), ("4:3", 128, 96, 25))
    )
    monkeypatch.setattr(demo, "PHOTO_SIZES", ((96, 128), (100, 100)))
    monkeypatch.setattr(demo, "PHOTO_POOL", 2)
    monkeypatch.setattr(demo, "AVATAR_POOL", 2)
    monkeypatch.setattr(demo, "AVATAR_SIZE", 64)


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    shrink(monkeypatch)
    settings.SPROUT_KOL_TIERS = TINY_TIERS


def seed(*args: str, creators: int = 8) -> tuple[str, str]:
    # Test settings run with DEBUG off, like production: say it is deliberate.
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo",
        "--users", "6", "--notes", "8", "--creators", str(creators), *args,
        "--allow-public-passwords",
        stdout=out,
        stderr=err,
    )  # fmt: skip
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in POOL_MODELS}


@pytest.fixture(scope="class")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    """One default seed for the tests of a class (tests/shared_rows.py): its
    output, and its rows until the class's last test."""
    yield from seeded_once(django_db_blocker, shrink, seed, SPROUT_KOL_TIERS=TINY_TIERS)


class TestOneSeed:
    """What one default seed wrote, read by several tests: seeded once for
    them, each test's own writes rolled back."""

    def test_seed_grows_a_pool_across_every_tier(self, seeded: tuple[str, str]) -> None:
        out, err = seeded

        creators = CreatorProfile.objects.select_related("user")
        assert creators.count() == 8
        assert {c.tier for c in creators} == set(Tier.values)
        assert all(c.tier == selectors.tier_for(c.user.follower_count) for c in creators)
        names = [c.user.username for c in creators]
        assert any(n.startswith("demo_") for n in names)
        assert any(n.startswith(demo.CREATOR_PREFIX) for n in names)
        assert all(c.niches.exists() and c.bio for c in creators)
        for member in User.objects.filter(username__startswith=demo.CREATOR_PREFIX):
            assert member.avatar and member.check_password("sprout-demo")
            notes = Note.objects.filter(author=member, status=Note.Status.PUBLISHED)
            assert 1 <= notes.count() <= 3
            assert all(n.photos.count() == 1 and n.photos.get().renditions for n in notes)
        assert "Creator pool: 8 creators" in out
        assert "agency_bloom" in out
        assert "Creators[" in err and "History [" in err

    def test_demo_members_with_notes_join_the_pool_and_keep_their_notes(
        self, seeded: tuple[str, str]
    ) -> None:
        demo_creators = CreatorProfile.objects.filter(user__username__startswith="demo_")
        assert demo_creators.exists()
        for creator in demo_creators:
            assert creator.user.note_count > 0
            assert not creator.user.is_staff  # the demo moderators stay out of the pool

    def test_every_creator_has_sixty_days_of_stats_that_match_the_follows(
        self, seeded: tuple[str, str]
    ) -> None:
        today = selectors.stats_today()
        for creator in CreatorProfile.objects.select_related("user"):
            history = list(creator.daily_stats.order_by("date"))
            assert [s.date for s in history] == [
                today - timedelta(days=n) for n in range(59, -1, -1)
            ]
            assert history[-1].followers == creator.user.follower_count
            for before, day in itertools.pairwise(history):
                # Follows are only added: each day's growth is its new followers.
                assert day.followers - before.followers == day.new_followers
            end = datetime.combine(history[0].date + timedelta(days=1), time.min, tzinfo=UTC)
            assert (
                history[0].followers
                == Follow.objects.filter(followee=creator.user, created_at__lt=end).count()
            )
            assert all(0 <= s.engagement_rate <= 0.5 for s in history)
            assert creator.engagement_rate == history[-1].engagement_rate
        posted = CreatorDailyStat.objects.filter(notes_published__gt=0).count()
        assert posted > 8  # a rhythm, not one note per creator
        assert CreatorDailyStat.objects.filter(likes_received__gt=0).exists()

    def test_seeded_counters_agree_with_the_rows(self, seeded: tuple[str, str]) -> None:
        for user in User.objects.annotate(
            followers=Count("follower_rel", distinct=True),
            following=Count("following_rel", distinct=True),
        ):
            assert (user.follower_count, user.following_count) == (user.followers, user.following)
            assert user.note_count == user.notes.filter(status=Note.Status.PUBLISHED).count()
        now = timezone.now()
        for note in Note.objects.annotate(n=Count("likes")):
            assert note.like_count == note.n
            assert note.published_at is not None
            assert note.hot_score == ranking.hot_score(
                likes=note.like_count,
                collects=note.collect_count,
                comments=note.comment_count,
                published_at=note.published_at,
            )
            assert all(note.published_at <= like.created_at <= now for like in note.likes.all())
        assert not Follow.objects.filter(created_at__gt=now).exists()
        fans = User.objects.filter(username__startswith=demo.FAN_PREFIX)
        assert fans.exists()
        assert all(f.following_count > 0 for f in fans)

    def test_the_pool_is_screened_and_the_top_is_invited(self, seeded: tuple[str, str]) -> None:
        assert not CreatorProfile.objects.filter(score__isnull=True).exists()
        assert all(len(c.score_reasons) == 5 for c in CreatorProfile.objects.all())
        best = CreatorProfile.objects.order_by("-score", "id").first()
        assert best is not None
        # The live rooms' demo, seeded next, invites more hosts (live.demo).
        accepted = Invitation.objects.get(status=Invitation.Status.ACCEPTED, user_id=best.user_id)
        open_ = Invitation.objects.get(status=Invitation.Status.SENT)
        assert selectors.can_host_live(User.objects.get(pk=accepted.user_id))
        assert not selectors.can_host_live(User.objects.get(pk=open_.user_id))
        # Invited on the screening before any broadcast; screened again once the
        # live part gave the host sessions (kol.demo.screen_demo).
        assert accepted.reasons[:4] == best.score_reasons[:4]
        assert accepted.reasons[4] == "no live sessions yet"
        assert best.score_reasons[4].startswith("live performance")
        assert accepted.invited_by is not None and accepted.invited_by.username == "moderator"

    def test_members_outside_the_pool_have_pending_applications(
        self, seeded: tuple[str, str]
    ) -> None:
        applications = Application.objects.select_related("applicant")
        assert applications.exists()
        for application in applications:
            assert application.status == Application.Status.PENDING
            assert application.niches.exists()
            assert not CreatorProfile.objects.filter(user=application.applicant).exists()
            assert not application.applicant.is_staff

    def test_running_twice_adds_nothing(self, seeded: tuple[str, str]) -> None:
        before = row_counts()

        out, _ = seed()

        assert row_counts() == before
        assert "Creator pool: 0 creators (0 new members, 0 notes), 0 fans, 0 follows" in out

    def test_dry_run_after_a_seed_has_nothing_to_add(self, seeded: tuple[str, str]) -> None:
        before = row_counts()

        out, _ = seed("--dry-run")

        assert row_counts() == before
        assert "would add 0 of 8 creators" in out


def test_agencies_have_staff_managers_and_rosters_at_agreed_shares() -> None:
    seed(creators=60)

    group = Group.objects.get(name=demo.AGENCY_MANAGERS)
    assert Agency.objects.count() == len(demo.AGENCIES)
    for agency in Agency.objects.all():
        manager = agency.managers.get()
        assert manager.username == f"agency_{agency.slug}"
        assert manager.is_staff and not manager.is_superuser
        assert group in manager.groups.all()
        assert manager.check_password("sprout-demo")
    memberships = AgencyMembership.objects.all()
    assert 10 <= memberships.count() <= 35  # about a third of 60
    assert all(1_000 <= m.share_bps <= 4_000 for m in memberships)
    assert all(m.ended_at is None and m.started_at < timezone.now() for m in memberships)
    for membership in memberships:
        history = list(membership.share_changes.order_by("changed_at", "id"))
        assert history[0].old_bps is None
        assert history[-1].new_bps == membership.share_bps
    renegotiated = RevenueShareChange.objects.filter(old_bps__isnull=False)
    assert renegotiated.exists()
    assert all(c.changed_at > c.membership.started_at for c in renegotiated)
    verified = CreatorProfile.objects.filter(verified=True).count()
    assert 1 <= verified <= 15  # about a tenth


def test_simulated_engagement_follows_the_stats_definition() -> None:
    plan = demo.build_pool(
        seed=1,
        community=demo_plan.build_plan(seed=1, users=6, notes=8),
        count=6,
        niche_slugs=["skincare", "travel"],
        ladder=demo.DEMO_TIERS,
    ).creators[-1]
    days = demo.SIMULATED_DAYS
    rows = demo.simulate(plan, followers=[500] * days, posts=[1] * days, rng=random.Random(3))

    settled = [r["engagement_rate"] for r in rows[services.WINDOW_DAYS :]]
    assert min(settled) > 0.5 * plan.engagement * (1 - abs(plan.trend))
    assert max(settled) < 1.5 * plan.engagement * (1 + abs(plan.trend))
    assert all(r["notes_published"] == 1 for r in rows)


def test_a_bigger_second_run_adds_only_the_new_creators() -> None:
    seed(creators=6)
    first = set(CreatorProfile.objects.values_list("user__username", flat=True))
    stats_before = CreatorDailyStat.objects.filter(creator__user__username__in=first).count()

    seed(creators=9)

    assert CreatorProfile.objects.count() == 9
    assert set(CreatorProfile.objects.values_list("user__username", flat=True)) > first
    # The first six keep their history (today's row is recomputed in place).
    assert (
        CreatorDailyStat.objects.filter(creator__user__username__in=first).count() == stats_before
    )


def test_dry_run_writes_nothing() -> None:
    before = row_counts()

    out, _ = seed("--dry-run")

    assert row_counts() == before
    assert "Dry run (creator pool): would add 8 of 8 creators" in out
    assert "Nothing was written" in out


def test_if_empty_leaves_a_site_with_notes_alone() -> None:
    NoteFactory()

    seed("--if-empty")

    assert not CreatorProfile.objects.exists()
    assert not Agency.objects.exists()


def test_no_creators_asked_for_adds_no_pool() -> None:
    out, _ = seed(creators=0)

    assert not CreatorProfile.objects.exists()
    assert "--creators 0" in out


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "--creators must be between 0 and 2000"), ("5000", "between 0 and 2000"),
     ("many", "invalid int value")],
)  # fmt: skip
def test_bad_creator_counts_are_refused_before_anything_is_written(
    value: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        seed(creators=value)  # type: ignore[arg-type]
    assert not User.objects.exists()


def test_production_thresholds_fall_back_to_the_demo_ladder(settings: Any) -> None:
    settings.SPROUT_KOL_TIERS = {"micro": 1_000, "mid": 10_000, "macro": 100_000, "mega": 10**6}
    assert demo.demo_ladder() == (demo.DEMO_TIERS, False)
    settings.SPROUT_KOL_TIERS = TINY_TIERS
    assert demo.demo_ladder() == (TINY_TIERS, True)


def test_the_pool_plan_is_deterministic() -> None:
    community = demo_plan.build_plan(seed=3, users=10, notes=20)

    def pool(seed: int, count: int) -> demo.PoolPlan:
        return demo.build_pool(
            seed=seed,
            community=community,
            count=count,
            niche_slugs=["skincare", "travel", "pets", "books-study"],
            ladder=demo.DEMO_TIERS,
        )

    first = pool(5, 20)
    assert pool(5, 20) == first
    assert pool(6, 20) != first
    # More creators never reshuffle the first ones.
    assert pool(5, 30).creators[:20] == first.creators
    usernames = [c.username for c in first.creators]
    assert len(set(usernames)) == len(usernames)
    new = [c for c in first.creators if c.new_member]
    assert [c.followers for c in new[:5]] == sorted(c.followers for c in new[:5])[::-1]


def test_no_two_notes_of_the_demo_share_a_title() -> None:
    community = demo_plan.build_plan(seed=2024, users=40, notes=160)
    pool = demo.build_pool(
        seed=7,
        community=community,
        count=300,
        niche_slugs=list(demo.CONTENT_FOR_NICHE),
        ladder=demo.DEMO_TIERS,
    )
    titles = [n.title for n in community.notes]
    titles += [note.title for c in pool.creators for note in c.notes]
    assert len(titles) > 500
    assert len({t.casefold() for t in titles}) == len(titles)
    assert not any("(part" in t for t in titles)


def test_pool_notes_get_a_picture_of_their_theme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "PHOTO_POOL", 20)  # the real pool (the tests paint 2)
    assert [demo.pool_subject(k) for k in range(demo.PHOTO_POOL)].count("plants") == 5
    community = demo_plan.build_plan(seed=3, users=10, notes=20)
    pool = demo.build_pool(
        seed=5,
        community=community,
        count=40,
        niche_slugs=["skincare", "plants-garden", "baking", "home-interior"],
        ladder=demo.DEMO_TIERS,
    )
    for creator in pool.creators:
        for note in creator.notes:
            theme = next(
                c for c in demo.CONTENT.values() if any(f"#{t}" in note.body for t in c.topics)
            )
            assert demo.pool_subject(note.photo) == theme.picture


def test_the_apps_add_their_demo_parts_in_order() -> None:
    labels = [part.label for part in extensions.demo_parts]
    assert labels[:2] == ["kol", "live"]  # the pool before the rooms its hosts run
    assert labels[-1] == "screening"  # and the screening after everything it judges


def test_demo_parts_get_the_options_their_arguments_and_a_seeded_stream() -> None:
    calls: list[tuple[int, bool, float]] = []

    def add_arguments(parser: Any) -> None:
        parser.add_argument("--widgets", type=int, default=2)

    def seed_demo(*, command: Any, options: dict[str, Any], rng: random.Random) -> None:
        calls.append((options["widgets"], options["dry_run"], rng.random()))

    with extensions.demo_parts.override(extensions.DemoPart("fake", seed_demo, add_arguments)):
        for _ in range(2):
            call_command(
                "seed_demo", "--users", "6", "--notes", "0", "--widgets", "5", "--dry-run",
                stdout=io.StringIO(),
            )  # fmt: skip
        assert calls[0][:2] == (5, True)
        assert calls[0] == calls[1]  # the same --seed, the same stream

        NoteFactory()
        call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert len(calls) == 2  # --if-empty skipped the parts with everything else


def test_the_community_seeds_without_kol_installed() -> None:
    # kol and the apps built on it (listed after it) go; their tables stay.
    installed = list(django_settings.INSTALLED_APPS)
    without_kol = installed[: installed.index("kol")]
    with override_settings(INSTALLED_APPS=without_kol):
        assert [part.label for part in extensions.demo_parts] == []
        out = io.StringIO()
        call_command(
            "seed_demo", "--users", "6", "--notes", "3", "--allow-public-passwords",
            stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
    assert Note.objects.count() == 3
    assert not CreatorProfile.objects.exists()
    assert "Creator pool" not in out.getvalue()
