"""Writes of screening: keep the latest scores on the profiles (the ranking
itself is a read, ``kol.selectors.creator_ranking``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from kol.models import CreatorProfile
from kol.selectors.screening import ScreeningResult


def screening_scores_store(results: Iterable[ScreeningResult]) -> int:
    """Keep each result on its profile (``score``, ``score_reasons``,
    ``scored_at``) with bulk updates; returns how many profiles changed."""
    now = timezone.now()
    profiles = []
    for result in results:
        profile = result.creator
        profile.score = result.score
        profile.score_reasons = list(result.reasons)
        profile.scored_at = now
        profiles.append(profile)
    if not profiles:
        return 0
    return CreatorProfile.objects.bulk_update(
        profiles, ["score", "score_reasons", "scored_at"], batch_size=500
    )
