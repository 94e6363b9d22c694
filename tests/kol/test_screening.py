"""Screening the creator pool: components, reasons, filters, the live hook,
query counts and stored scores, on crafted stats and notes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Note
from kol import extensions
from kol.errors import ValidationFailed
from kol.models import CreatorProfile
from kol.selectors import NEUTRAL, WEIGHTS, creator_ranking, niche_fit
from kol.services import screening_scores_store
from tests.factories import (
    CreatorDailyStatFactory,
    CreatorFactory,
    NicheFactory,
    NoteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)

LIVE_SCORES: dict[int, float] = {}


def live_scores(creator_ids: list[int]) -> dict[int, float]:
    """The live-performance hook the tests plug into settings."""
    return {pk: LIVE_SCORES[pk] for pk in creator_ids if pk in LIVE_SCORES}


def creator(
    *,
    followers: int = 1_000,
    engagement: float | None = 0.02,
    new_followers: int = 30,
    notes_per_week: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1, 1),
    niches: tuple = (),
    joined: datetime = LONG_AGO,
    username: str | None = None,
) -> CreatorProfile:
    """A creator with a stat history ending on TODAY: ``new_followers`` spread
    over the last 30 days, the latest day carrying ``engagement``, and
    ``notes_per_week[i]`` notes published in week ``i`` before TODAY."""
    extra = {"username": username} if username else {}
    user = UserFactory(follower_count=followers, date_joined=joined, **extra)
    profile = CreatorFactory(user=user, niches=list(niches))
    if engagement is not None:
        CreatorDailyStatFactory(
            creator=profile,
            date=TODAY,
            followers=followers,
            new_followers=new_followers - new_followers // 2,
            engagement_rate=engagement,
        )
        CreatorDailyStatFactory(
            creator=profile,
            date=TODAY - timedelta(days=20),
            followers=followers,
            new_followers=new_followers // 2,
            engagement_rate=engagement / 2,
        )
    for week, count in enumerate(notes_per_week):
        for i in range(count):
            day = TODAY - timedelta(days=7 * week + i % 7)
            NoteFactory(
                author=user,
                photos=0,
                published_at=datetime.combine(day, time(12), tzinfo=UTC),
            )
    return profile


def order(results) -> list[int]:
    return [r.creator.pk for r in results]


def by_creator(results):
    return {r.creator.pk: r for r in results}


def test_weights_add_up_to_one() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert set(WEIGHTS) == {"engagement", "growth", "consistency", "niche", "live"}


def test_creator_with_higher_engagement_ranks_higher() -> None:
    low = creator(engagement=0.02)
    high = creator(engagement=0.071)
    results = creator_ranking(as_of=TODAY)
    assert order(results) == [high.pk, low.pk]
    assert results[0].score > results[1].score
    assert results[0].components["engagement"] == 1.0
    assert results[1].components["engagement"] == 0.0


def test_follower_growth_matters() -> None:
    flat = creator(new_followers=0)
    growing = creator(new_followers=200)
    results = by_creator(creator_ranking(as_of=TODAY))
    assert results[growing.pk].score > results[flat.pk].score
    assert results[flat.pk].components["growth"] == 0.0
    assert "no new followers in 30 days" in results[flat.pk].reasons


def test_growth_is_relative_to_the_audience() -> None:
    big = creator(followers=100_000, new_followers=500)  # +0.5%
    small = creator(followers=2_000, new_followers=300)  # +15%
    assert order(creator_ranking(as_of=TODAY))[0] == small.pk
    assert big.pk in order(creator_ranking(as_of=TODAY))


def test_posting_consistency_matters() -> None:
    steady = creator(notes_per_week=(2, 2, 2, 2, 2, 2, 2, 2))
    burst = creator(notes_per_week=(0, 0, 0, 0, 0, 0, 0, 16))  # same 16 notes, one week
    silent = creator(notes_per_week=())
    results = by_creator(creator_ranking(as_of=TODAY))
    assert results[steady.pk].score > results[burst.pk].score > results[silent.pk].score
    assert "8 of the last 8 weeks" in results[steady.pk].reasons[2]
    assert "1 of the last 8 weeks" in results[burst.pk].reasons[2]
    assert results[silent.pk].reasons[2] == "no notes in the last 8 weeks"


def test_only_published_notes_in_the_window_count() -> None:
    profile = creator(notes_per_week=(1,))
    user = profile.user
    NoteFactory(author=user, photos=0, status=Note.Status.DRAFT, published_at=None)
    NoteFactory(
        author=user,
        photos=0,
        status=Note.Status.HIDDEN,
        published_at=datetime.combine(TODAY, time(9), tzinfo=UTC),
    )
    NoteFactory(  # nine weeks ago: outside the window
        author=user,
        photos=0,
        published_at=datetime.combine(TODAY - timedelta(days=63), time(9), tzinfo=UTC),
    )
    NoteFactory(  # after the screening day
        author=user,
        photos=0,
        published_at=datetime.combine(TODAY + timedelta(days=1), time(9), tzinfo=UTC),
    )
    [result] = creator_ranking(as_of=TODAY)
    assert result.metrics["notes"] == 1
    assert result.metrics["weeks"] == 8
    assert result.reasons[2].endswith("1 of the last 8 weeks")


def test_young_account_is_judged_over_at_least_four_weeks() -> None:
    newcomer = creator(
        notes_per_week=(3, 3),
        joined=datetime.combine(TODAY - timedelta(days=10), time(8), tzinfo=UTC),
    )
    [result] = creator_ranking(as_of=TODAY)
    assert result.creator.pk == newcomer.pk
    assert result.metrics["weeks"] == 4
    assert result.reasons[2].startswith("posts 1.5×/week")
    assert result.reasons[2].endswith("2 of the last 4 weeks")


def test_reasons_name_the_real_numbers() -> None:
    star = creator(
        followers=10_333,
        engagement=0.071,
        new_followers=1_240,
        notes_per_week=(5, 4, 4, 4, 4, 4, 5, 4),  # 34 notes: 4.25 a week
        niches=(NicheFactory(slug="skincare", name="Skincare"),),
    )
    for _ in range(19):
        creator(engagement=0.01, new_followers=10, notes_per_week=(1,))
    results = creator_ranking(as_of=TODAY)
    assert results[0].creator.pk == star.pk
    reasons = results[0].reasons
    assert reasons[0] == "engagement 7.1% (top 5%)"
    assert reasons[1] == "+1,240 followers in 30 days (+12%, top 5%)"
    assert reasons[2] == "posts 4.2×/week (top 5%), 8 of the last 8 weeks"
    assert reasons[3] == "niches: skincare"
    assert reasons[4] == "no live sessions yet"
    assert results[0].metrics["new_followers_30d"] == 1_240
    assert results[0].metrics["engagement_rate"] == pytest.approx(0.071)


def test_reasons_place_the_weak_at_the_bottom() -> None:
    for _ in range(9):
        creator(engagement=0.05)
    weak = creator(engagement=0.001)
    results = by_creator(creator_ranking(as_of=TODAY))
    assert results[weak.pk].reasons[0] == "engagement 0.1% (bottom 10%)"


def test_creator_without_stats_is_ranked_with_plain_reasons() -> None:
    creator(engagement=None, notes_per_week=())
    [result] = creator_ranking(as_of=TODAY)
    assert result.reasons[:3] == [
        "no engagement figures yet",
        "no new followers in 30 days",
        "no notes in the last 8 weeks",
    ]
    assert result.components["engagement"] == 0.0


def test_stats_after_the_screening_day_are_ignored() -> None:
    profile = creator(engagement=0.02, new_followers=40)
    CreatorDailyStatFactory(
        creator=profile,
        date=TODAY + timedelta(days=1),
        followers=1_000,
        new_followers=900,
        engagement_rate=0.5,
    )
    [result] = creator_ranking(as_of=TODAY)
    assert result.metrics["engagement_rate"] == pytest.approx(0.02)
    assert result.metrics["new_followers_30d"] == 40


def test_niche_keeps_only_creators_who_list_it() -> None:
    skincare = NicheFactory(slug="skincare", name="Skincare")
    travel = NicheFactory(slug="travel", name="Travel")
    in_niche = creator(niches=(skincare,))
    creator(niches=(travel,), engagement=0.5)
    creator(niches=())
    results = creator_ranking(niche="skincare", as_of=TODAY)
    assert order(results) == [in_niche.pk]
    assert results[0].reasons[3] == "niche: skincare"
    assert results[0].components["niche"] == 1.0


def test_niche_fit_favours_the_focused_creator() -> None:
    skincare = NicheFactory(slug="skincare", name="Skincare")
    others = [NicheFactory(slug=f"other-{i}", name=f"Other {i}") for i in range(3)]
    generalist = creator(niches=(skincare, *others), followers=5_000, new_followers=0)
    focused = creator(niches=(skincare,), followers=1_000, new_followers=0)
    results = creator_ranking(niche="skincare", as_of=TODAY)
    assert order(results) == [focused.pk, generalist.pk]
    assert by_creator(results)[generalist.pk].components["niche"] == pytest.approx(0.5)
    assert by_creator(results)[generalist.pk].reasons[3] == "niche: skincare (and 3 others)"


def test_niche_fit_values() -> None:
    skincare = NicheFactory(slug="skincare")
    assert niche_fit(["skincare"], skincare) == 1.0
    assert niche_fit(["travel"], skincare) == 0.0
    assert niche_fit([], skincare) == 0.0
    assert niche_fit(["skincare", "travel", "pets", "baking"], skincare) == pytest.approx(0.5)
    assert niche_fit(["travel"], None) == NEUTRAL
    assert niche_fit([], None) == NEUTRAL


def test_without_a_niche_niche_fit_is_neutral_for_everyone() -> None:
    creator(niches=(NicheFactory(slug="skincare"),))
    creator(niches=())
    results = creator_ranking(as_of=TODAY)
    assert {r.components["niche"] for r in results} == {NEUTRAL}
    assert results[1].reasons[3] in {"no niches listed", "niches: skincare"}


def test_unknown_or_inactive_niche_is_refused() -> None:
    NicheFactory(slug="retired", is_active=False)
    for slug in ("no-such-niche", "retired"):
        with pytest.raises(ValidationFailed) as caught:
            creator_ranking(niche=slug, as_of=TODAY)
        assert "niche" in caught.value.fields


def test_min_followers_filter() -> None:
    creator(followers=999)
    kept = creator(followers=1_000)
    assert order(creator_ranking(min_followers=1_000, as_of=TODAY)) == [kept.pk]
    with pytest.raises(ValidationFailed):
        creator_ranking(min_followers=-1, as_of=TODAY)


def test_inactive_members_are_not_ranked() -> None:
    gone = creator()
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    kept = creator()
    assert order(creator_ranking(as_of=TODAY)) == [kept.pk]


def test_top_cuts_the_list_after_ranking_the_whole_pool() -> None:
    profiles = [creator(engagement=0.01 * (i + 1)) for i in range(5)]
    results = creator_ranking(top=2, as_of=TODAY)
    assert order(results) == [profiles[4].pk, profiles[3].pk]
    assert results[0].reasons[0] == "engagement 5.0% (top 20%)"  # of the whole pool of 5


def test_ties_go_to_the_larger_audience_then_the_older_profile() -> None:
    first = creator(followers=1_000, new_followers=0)
    second = creator(followers=1_000, new_followers=0)
    bigger = creator(followers=1_200, new_followers=0)
    results = creator_ranking(as_of=TODAY)
    assert len({r.score for r in results}) == 1
    assert order(results) == [bigger.pk, first.pk, second.pk]
    assert order(creator_ranking(as_of=TODAY)) == order(results)


def test_live_performance_hook_changes_the_ranking(settings) -> None:  # type: ignore[no-untyped-def]
    a = creator(followers=2_000, new_followers=0)
    b = creator(followers=1_000, new_followers=0)
    assert order(creator_ranking(as_of=TODAY)) == [a.pk, b.pk]
    assert {r.components["live"] for r in creator_ranking(as_of=TODAY)} == {NEUTRAL}

    LIVE_SCORES.clear()
    LIVE_SCORES.update({b.pk: 0.9, a.pk: 0.2})
    try:
        with extensions.live_performance.override(live_scores):
            results = creator_ranking(as_of=TODAY)
    finally:
        LIVE_SCORES.clear()
    assert order(results) == [b.pk, a.pk]
    assert results[0].reasons[4] == "live performance 90/100"
    assert results[1].components["live"] == pytest.approx(0.2)


def test_live_hook_values_are_clamped_and_unknown_creators_neutral(settings) -> None:  # type: ignore[no-untyped-def]
    a = creator()
    b = creator()
    LIVE_SCORES.update({a.pk: 7.0})
    try:
        with extensions.live_performance.override(live_scores):
            results = by_creator(creator_ranking(as_of=TODAY))
    finally:
        LIVE_SCORES.clear()
    assert results[a.pk].components["live"] == 1.0
    assert results[b.pk].components["live"] == NEUTRAL
    assert results[b.pk].reasons[4] == "no live sessions yet"


def test_score_is_the_weighted_sum_of_components() -> None:
    creator(engagement=0.03)
    creator(engagement=0.01)
    for result in creator_ranking(as_of=TODAY):
        expected = 100 * sum(WEIGHTS[k] * v for k, v in result.components.items())
        assert result.score == pytest.approx(expected, abs=0.06)
        assert 0 <= result.score <= 100


def _count_queries(n: int) -> int:
    skincare = NicheFactory(slug="skincare")
    for i in range(n):
        creator(engagement=0.01 + i / 1000, niches=(skincare,), notes_per_week=(1, 0, 2))
    with CaptureQueriesContext(connection) as captured:
        results = creator_ranking(niche="skincare", min_followers=10, as_of=TODAY)
    assert len(results) == n
    return len(captured)


def test_query_count_does_not_grow_with_the_pool() -> None:
    # With whatever live-performance hook is registered (its queries are
    # its own, but they must not grow either).
    small = _count_queries(3)
    CreatorProfile.objects.all().delete()
    large = _count_queries(30)
    assert small == large


def test_screening_itself_reads_in_six_queries(settings) -> None:  # type: ignore[no-untyped-def]
    # The niche, the pool with its latest stat, niches, 30-day stats, 8-week
    # notes, the returned profiles with their users.
    with extensions.live_performance.override(None):
        assert _count_queries(3) == 6
        CreatorProfile.objects.all().delete()
        assert _count_queries(30) == 6


def test_store_scores_writes_score_reasons_and_time() -> None:
    high = creator(engagement=0.08)
    low = creator(engagement=0.01)
    results = creator_ranking(as_of=TODAY)
    before = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        assert screening_scores_store(results) == 2
    assert len(captured) <= 2
    high.refresh_from_db()
    low.refresh_from_db()
    assert high.score == results[0].score
    assert high.score_reasons == results[0].reasons
    assert high.scored_at is not None and high.scored_at >= before
    assert low.score == results[1].score < high.score
    assert screening_scores_store([]) == 0


def test_empty_pool_gives_an_empty_ranking() -> None:
    UserFactory()
    assert creator_ranking(as_of=TODAY) == []
    assert creator_ranking() == []
