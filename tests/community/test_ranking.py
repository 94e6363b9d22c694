"""The discover feed's hot score (community.ranking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from community import ranking

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def score(likes: int = 0, collects: int = 0, comments: int = 0, at: datetime = NOON) -> float:
    return ranking.hot_score(likes=likes, collects=collects, comments=comments, published_at=at)


def test_engagement_weighs_collects_and_comments_above_likes() -> None:
    assert ranking.engagement(likes=1, collects=0, comments=0) == 1
    assert ranking.engagement(likes=0, collects=1, comments=0) == 2
    assert ranking.engagement(likes=0, collects=0, comments=1) == 3
    assert score(comments=1) > score(collects=1) > score(likes=1) > score()


def test_more_engagement_ranks_higher_at_the_same_time() -> None:
    scores = [score(likes=n) for n in (0, 1, 5, 50, 5000)]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


def test_newer_note_ranks_higher_with_the_same_engagement() -> None:
    assert score(likes=3, at=NOON + timedelta(minutes=5)) > score(likes=3)


def test_one_decay_later_is_worth_one_order_of_magnitude_of_engagement() -> None:
    # log10(1 + 9) == 1: nine points of engagement equal one day of freshness.
    assert score(likes=9) == pytest.approx(score(at=NOON + timedelta(days=1)), abs=1e-6)


@override_settings(SPROUT_RANK_DECAY_SECONDS=3600)
def test_decay_follows_the_setting() -> None:
    assert score(likes=9) == pytest.approx(score(at=NOON + timedelta(hours=1)), abs=1e-6)


def test_negative_counts_never_break_the_score() -> None:
    assert score(likes=-5) == score()


def test_engagement_has_diminishing_returns() -> None:
    first_ten = score(likes=10) - score()
    next_ten = score(likes=1000) - score(likes=990)
    assert first_ten > 100 * next_ten


@override_settings(SPROUT_RANK_BOOST_FOLLOWED_CREATOR=2.0, SPROUT_RANK_BOOST_FOLLOWED_TOPIC=0.25)
def test_boosts_come_from_settings() -> None:
    assert ranking.boost_creator() == 2.0
    assert ranking.boost_topic() == 0.25
