"""The discover feed's ranking.

``hot_score = log10(1 + likes + 2·collects + 3·comments) + published_at / DECAY``

Engagement counts on a log scale, so the tenth like matters more than the
thousandth; time enters linearly, so a note published one ``DECAY`` (a day by
default) later starts one order of magnitude of engagement ahead. This is
Reddit's "hot" trick: decay without rescoring the whole table as time passes,
and a stored, indexable key for keyset pagination.

Personalisation adds a per-viewer boost at read time (``community.selectors.feeds``):
notes by followed creators rank as if published ``BOOST_FOLLOWED_CREATOR``
decays later, notes in followed topics ``BOOST_FOLLOWED_TOPIC`` decays later.

The stored score only ever rises (``services`` keep the maximum): an unlike
does not push a note back below a page boundary a reader has already passed,
so no note is served twice across pages.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings

# Seconds since 2025-01-01 keep the time term small (float precision).
EPOCH = 1_735_689_600
WEIGHT_LIKE = 1
WEIGHT_COLLECT = 2
WEIGHT_COMMENT = 3


def engagement(*, likes: int, collects: int, comments: int) -> int:
    return WEIGHT_LIKE * likes + WEIGHT_COLLECT * collects + WEIGHT_COMMENT * comments


def hot_score(*, likes: int, collects: int, comments: int, published_at: datetime) -> float:
    points = engagement(likes=likes, collects=collects, comments=comments)
    age_term = (published_at.timestamp() - EPOCH) / settings.SPROUT_RANK_DECAY_SECONDS
    return round(math.log10(1 + max(points, 0)) + age_term, 6)


def boost_creator() -> float:
    return float(settings.SPROUT_RANK_BOOST_FOLLOWED_CREATOR)


def boost_topic() -> float:
    return float(settings.SPROUT_RANK_BOOST_FOLLOWED_TOPIC)
