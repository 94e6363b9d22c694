"""Screening: rank the creator pool for live-host invitations (the scores
are kept on the profiles by ``kol.services.screening_scores_store``).

Five components, each brought to 0–1, combined with :data:`WEIGHTS` into a
score from 0 to 100 (docs/screening.md explains each one and the wording of
the reasons):

``engagement``
    The engagement rate of the creator's latest daily stat on or before the
    screening day (``CreatorDailyStat.engagement_rate``, a 30-day figure).
``growth``
    New followers over the 30 days ending on the screening day, relative to
    the current audience (``users.follower_count``).
``consistency``
    Published notes over the last 8 weeks (fewer if the account is younger,
    never fewer than 4): half the percentile of notes per week, half the
    share of those weeks with at least one note.
``niche``
    Fit to the requested niche: the pool is then only the creators who list
    it, and a creator whose only niche it is fits best (``1 / √niches``).
    With no niche requested, every creator gets the neutral :data:`NEUTRAL`.
``live``
    Past live performance, a 0–1 score per creator from the hook
    ``kol.extensions.live_performance`` (the live app registers it);
    without it, or for a creator it does not know, :data:`NEUTRAL`.

The first three are normalised by percentile rank within the pool being
ranked (robust to outliers; a zero figure earns zero), the last two are
already 0–1 and are used as they are.

Small audiences make noisy rates: 14 likes on a 35-follower account is a
40% engagement rate that says little. So engagement and growth are ranked
*weighed by audience*: engagement is pulled toward the pool's median as if
the creator had ``AUDIENCE_PRIOR`` more followers at the median rate
(``(rate·followers + median·prior) / (followers + prior)``), and growth is
new followers over ``followers + prior``. A creator's own figures are what
the reasons quote; the standing ("top 5%") is that of the weighed figure.
``settings.SPROUT_KOL_SCREENING_AUDIENCE_PRIOR`` sets the prior (default
1,000 followers; the demo scale in ``make run`` uses less).

Reads are set-based: whatever the size of the pool, :func:`creator_ranking`
runs the same six queries (the niche, the pool with each creator's latest
engagement rate, their niches, a 30-day stats aggregate, an 8-week notes
aggregate, then the profiles of the creators it returns), plus the live
hook's own, and scores in Python.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from community.models import Note
from kol import extensions
from kol.errors import ValidationFailed
from kol.models import CreatorDailyStat, CreatorProfile, Niche

#: How much each component counts (they add up to 1; the score is 0–100).
WEIGHTS: dict[str, float] = {
    "engagement": 0.35,
    "growth": 0.20,
    "consistency": 0.20,
    "niche": 0.15,
    "live": 0.10,
}

#: The value of a component nobody can tell apart: niche fit when no niche
#: is requested, live performance without the hook or without sessions.
NEUTRAL = 0.5

GROWTH_DAYS = 30
CONSISTENCY_WEEKS = 8
MIN_CONSISTENCY_WEEKS = 4


@dataclass
class ScreeningResult:
    """One creator's screening: a 0–100 score, its 0–1 components, the
    reasons in plain words and the raw figures behind them."""

    creator: CreatorProfile
    score: float
    components: dict[str, float]
    reasons: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Figures:
    """The raw figures of one creator, before normalisation."""

    creator_id: int
    followers: int
    engagement: float | None  # None: no daily stat yet
    new_followers: int
    growth: float
    weighed_growth: float
    notes: int
    weeks: int
    active_weeks: int
    niche_slugs: list[str]
    niche_names: list[str]
    live: float | None  # None: the hook knows no session of theirs
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    weighed_engagement: float = 0.0

    @property
    def per_week(self) -> float:
        return self.notes / self.weeks


# --- entry points -----------------------------------------------------------------


def creator_ranking(
    *,
    niche: str | None = None,
    min_followers: int = 0,
    top: int | None = None,
    as_of: date | None = None,
) -> list[ScreeningResult]:
    """Rank the active creators of the pool, best first.

    ``niche`` (a :class:`~kol.models.Niche` slug) keeps only the creators who
    list it and scores their fit; ``min_followers`` keeps creators with at
    least that many followers; ``top`` cuts the list (percentiles are still
    taken over the whole pool); ``as_of`` is the screening day (UTC, default
    today) that ends the stats and notes windows. Ties go to the larger
    audience, then to the older profile. A fixed number of queries whatever
    the size of the pool; profiles (with their user) are loaded for the
    returned results only.
    """
    if min_followers < 0:
        raise ValidationFailed(fields={"min_followers": ["Zero or more."]})
    if top is not None and top < 1:
        raise ValidationFailed(fields={"top": ["At least one."]})
    day = as_of or timezone.now().astimezone(UTC).date()
    wanted = _niche(niche) if niche else None

    pool = _pool(niche=wanted, min_followers=min_followers)
    rows = list(
        pool.annotate(latest_engagement=_latest_engagement(day))
        .order_by("pk")
        .values_list(
            "pk", "user_id", "user__follower_count", "user__date_joined", "latest_engagement"
        )
    )
    if not rows:
        return []
    niches = _niches_of(pool)
    new_followers = _new_followers(pool, day=day)
    notes = _notes_by_week(pool, day=day)
    live = _live_performance([row[0] for row in rows])

    figures = []
    for creator_id, user_id, followers, joined, engagement in rows:
        gained = new_followers.get(creator_id, 0)
        weeks_with_notes = notes.get(user_id, [0] * CONSISTENCY_WEEKS)
        weeks = _weeks_observed(joined, day=day, weeks_with_notes=weeks_with_notes)
        figures.append(
            _Figures(
                creator_id=creator_id,
                followers=followers,
                engagement=engagement,
                new_followers=gained,
                growth=gained / max(followers, 1),
                weighed_growth=gained / (max(followers, 0) + audience_prior()),
                notes=sum(weeks_with_notes[:weeks]),
                weeks=weeks,
                active_weeks=sum(1 for n in weeks_with_notes[:weeks] if n),
                niche_slugs=[slug for slug, _ in niches.get(creator_id, [])],
                niche_names=[name.lower() for _, name in niches.get(creator_id, [])],
                live=live.get(creator_id),
            )
        )
    pools = _score(figures, niche=wanted)
    figures.sort(key=lambda f: (-f.score, -f.followers, f.creator_id))
    chosen = figures[:top] if top is not None else figures
    profiles = _profiles(pool, [f.creator_id for f in chosen], whole_pool=len(chosen) == len(rows))
    return [
        ScreeningResult(
            creator=profiles[f.creator_id],
            score=f.score,
            components=f.components,
            reasons=_reasons(f, pools, niche=wanted),
            metrics={**_metrics(f), "pool_size": len(rows)},
        )
        for f in chosen
        if f.creator_id in profiles  # unless deleted in the meantime
    ]


# --- reads (a fixed number of queries) ------------------------------------------------


def _niche(slug: str) -> Niche:
    try:
        return Niche.objects.get(slug=slug, is_active=True)
    except Niche.DoesNotExist:
        raise ValidationFailed(fields={"niche": [f"Unknown niche: {slug!r}."]}) from None


def _pool(*, niche: Niche | None, min_followers: int) -> QuerySet[CreatorProfile]:
    """The creators being ranked: active members, in the niche, with the
    followers asked for."""
    pool = CreatorProfile.objects.filter(user__is_active=True)
    if niche is not None:
        pool = pool.filter(niches=niche)
    if min_followers:
        pool = pool.filter(user__follower_count__gte=min_followers)
    return pool


def _latest_engagement(day: date) -> Subquery:
    """The engagement rate of a creator's latest daily stat on or before ``day``."""
    latest = CreatorDailyStat.objects.filter(creator=OuterRef("pk"), date__lte=day)
    return Subquery(latest.order_by("-date").values("engagement_rate")[:1])


def _profiles(
    pool: QuerySet[CreatorProfile], ids: list[int], *, whole_pool: bool
) -> dict[int, CreatorProfile]:
    """The profiles of the results, with their user, in one query (by the
    pool's own filter when every creator is returned, so no id list grows
    with the pool)."""
    profiles = CreatorProfile.objects.select_related("user")
    if whole_pool:
        profiles = profiles.filter(pk__in=pool.values("pk"))
    else:
        profiles = profiles.filter(pk__in=ids)
    return {profile.pk: profile for profile in profiles}


def _niches_of(pool: QuerySet[CreatorProfile]) -> dict[int, list[tuple[str, str]]]:
    """``{creator id: [(niche slug, name), ...]}`` in the niches' own order."""
    through = CreatorProfile.niches.through
    rows = (
        through.objects.filter(creatorprofile__in=pool.values("pk"))
        .order_by("niche__position", "niche__name")
        .values_list("creatorprofile_id", "niche__slug", "niche__name")
    )
    niches: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for creator_id, slug, name in rows:
        niches[creator_id].append((slug, name))
    return niches


def _new_followers(pool: QuerySet[CreatorProfile], *, day: date) -> dict[int, int]:
    """New followers per creator over the 30 days ending on ``day``."""
    rows = (
        CreatorDailyStat.objects.filter(
            creator__in=pool.values("pk"),
            date__gt=day - timedelta(days=GROWTH_DAYS),
            date__lte=day,
        )
        .values("creator_id")
        .annotate(total=Sum("new_followers"))
        .values_list("creator_id", "total")
    )
    return {creator_id: total or 0 for creator_id, total in rows}


def _week_start(day: date, week: int) -> datetime:
    """Start (UTC midnight) of week ``week`` before ``day``; week 0 ends on
    ``day`` itself."""
    return datetime.combine(day - timedelta(days=7 * week + 6), time.min, tzinfo=UTC)


def _notes_by_week(pool: QuerySet[CreatorProfile], *, day: date) -> dict[int, list[int]]:
    """``{user id: [notes published in week 0, week 1, ...]}``, week 0 being
    the seven days ending on ``day``; published notes only."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    bounds = [end] + [_week_start(day, week) for week in range(CONSISTENCY_WEEKS)]
    per_week = {
        f"w{week}": Count(
            "id", filter=Q(published_at__gte=bounds[week + 1], published_at__lt=bounds[week])
        )
        for week in range(CONSISTENCY_WEEKS)
    }
    rows = (
        Note.objects.filter(
            author_id__in=pool.values("user_id"),
            status=Note.Status.PUBLISHED,
            published_at__gte=bounds[-1],
            published_at__lt=end,
        )
        .order_by()
        .values("author_id")
        .annotate(**per_week)
        .values_list("author_id", *per_week)
    )
    return {row[0]: list(row[1:]) for row in rows}


def _live_performance(creator_ids: list[int]) -> dict[int, float]:
    hook = extensions.live_performance.get()
    if hook is None:
        return {}
    scores: dict[int, float] = {}
    for creator_id, value in dict(hook(creator_ids)).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            scores[int(creator_id)] = min(max(number, 0.0), 1.0)
    return scores


def _weeks_observed(joined_at: datetime, *, day: date, weeks_with_notes: list[int]) -> int:
    """Over how many weeks to judge posting: 8, or the account's age in weeks
    for younger accounts, but never under 4 (a newcomer's one busy week is
    not a habit) and never fewer than the weeks that hold their notes."""
    joined = joined_at.astimezone(UTC).date()
    age_weeks = math.ceil(((day - joined).days + 1) / 7)
    last_with_notes = max((i + 1 for i, n in enumerate(weeks_with_notes) if n), default=0)
    return max(MIN_CONSISTENCY_WEEKS, min(CONSISTENCY_WEEKS, age_weeks), last_with_notes)


# --- scoring (pure Python) -------------------------------------------------------------


class _Percentiles:
    """Percentile ranks within one pool: 0 for the lowest, 1 for the highest,
    ties share their middle rank; a single creator sits at the middle."""

    def __init__(self, values: Sequence[float]) -> None:
        self.sorted = sorted(values)
        self.n = len(values)

    def rank(self, value: float) -> float:
        if self.n < 2:
            return NEUTRAL
        below = bisect_left(self.sorted, value)
        equal = bisect_right(self.sorted, value) - below
        return (below + (equal - 1) / 2) / (self.n - 1)

    def standing(self, value: float) -> str:
        """Where the value stands in the pool: "top 5%", "bottom 20%", or
        "middle" when it is in neither half (a tie across the middle)."""
        below = bisect_left(self.sorted, value)
        above = self.n - bisect_right(self.sorted, value)
        position = above + (self.n - above - below + 1) / 2  # middle rank, 1 = best
        top = position / self.n
        bottom = (self.n - position + 1) / self.n
        if top <= 0.5:
            return f"top {_whole_percent(top)}"
        if bottom <= 0.5:
            return f"bottom {_whole_percent(bottom)}"
        return "middle"


def _whole_percent(share: float) -> str:
    return f"{max(1, round(100 * share))}%"


def niche_fit(niche_slugs: Sequence[str], niche: Niche | None) -> float:
    """1 for a creator whose only niche is the requested one, ``1/√k`` for one
    who lists it among ``k``, 0 for one who does not list it; the neutral
    value for everyone when no niche is requested."""
    if niche is None:
        return NEUTRAL
    if niche.slug not in niche_slugs:
        return 0.0
    return 1 / math.sqrt(len(niche_slugs))


@dataclass
class _Pools:
    """The pool's distributions that percentiles are taken in."""

    engagement: _Percentiles
    growth: _Percentiles
    posting: _Percentiles


def audience_prior() -> int:
    """Followers a creator is assumed to have at the pool's typical rates
    before their own figures count (see the module docstring)."""
    return max(int(getattr(settings, "SPROUT_KOL_SCREENING_AUDIENCE_PRIOR", 1000)), 0)


def _weigh_engagement(figures: list[_Figures]) -> None:
    rates = sorted(f.engagement for f in figures if f.engagement)
    median = rates[len(rates) // 2] if rates else 0.0
    prior = audience_prior()
    for f in figures:
        if f.engagement:
            f.weighed_engagement = (f.engagement * f.followers + median * prior) / max(
                f.followers + prior, 1
            )


def _score(figures: list[_Figures], *, niche: Niche | None) -> _Pools:
    """Fill each creator's components and 0–100 score (rounded to 0.1, the
    precision shown and stored, so that ties are ties)."""
    _weigh_engagement(figures)
    pools = _Pools(
        engagement=_Percentiles([f.weighed_engagement for f in figures]),
        growth=_Percentiles([f.weighed_growth for f in figures]),
        posting=_Percentiles([f.per_week for f in figures]),
    )
    total_weight = sum(WEIGHTS.values())
    for f in figures:
        components = {
            "engagement": pools.engagement.rank(f.weighed_engagement) if f.engagement else 0.0,
            "growth": pools.growth.rank(f.weighed_growth) if f.growth > 0 else 0.0,
            "consistency": (
                (pools.posting.rank(f.per_week) + f.active_weeks / f.weeks) / 2 if f.notes else 0.0
            ),
            "niche": niche_fit(f.niche_slugs, niche),
            "live": NEUTRAL if f.live is None else f.live,
        }
        score = 100 * sum(WEIGHTS[k] * v for k, v in components.items()) / total_weight
        f.score = round(score, 1)
        f.components = {k: round(v, 4) for k, v in components.items()}
    return pools


def _metrics(f: _Figures) -> dict[str, Any]:
    return {
        "followers": f.followers,
        "engagement_rate": f.engagement,
        "new_followers_30d": f.new_followers,
        "growth_rate": round(f.growth, 4),
        "notes": f.notes,
        "notes_per_week": round(f.per_week, 2),
        "active_weeks": f.active_weeks,
        "weeks": f.weeks,
        "niches": f.niche_slugs,
        "live_performance": f.live,
    }


# --- reasons -------------------------------------------------------------------------


def _reasons(f: _Figures, pools: _Pools, *, niche: Niche | None) -> list[str]:
    """One plain sentence per component, in the order of :data:`WEIGHTS`."""
    return [
        _engagement_reason(f, pools.engagement),
        _growth_reason(f, pools.growth),
        _consistency_reason(f, pools.posting),
        _niche_reason(f, niche),
        _live_reason(f),
    ]


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


def _growth_percent(fraction: float) -> str:
    """12% for a big jump, 0.4% for a small one."""
    return f"{100 * fraction:.0f}%" if fraction >= 0.1 else f"{100 * fraction:.1f}%"


def _engagement_reason(f: _Figures, pool: _Percentiles) -> str:
    if f.engagement is None:
        return "no engagement figures yet"
    if not f.engagement:
        return "engagement 0.0%"
    return f"engagement {_percent(f.engagement)} ({pool.standing(f.weighed_engagement)})"


def _growth_reason(f: _Figures, pool: _Percentiles) -> str:
    if not f.new_followers:
        return f"no new followers in {GROWTH_DAYS} days"
    return (
        f"+{f.new_followers:,} followers in {GROWTH_DAYS} days "
        f"(+{_growth_percent(f.growth)}, {pool.standing(f.weighed_growth)})"
    )


def _consistency_reason(f: _Figures, pool: _Percentiles) -> str:
    if not f.notes:
        return f"no notes in the last {f.weeks} weeks"
    return (
        f"posts {f.per_week:.1f}×/week ({pool.standing(f.per_week)}), "
        f"{f.active_weeks} of the last {f.weeks} weeks"
    )


def _niche_reason(f: _Figures, niche: Niche | None) -> str:
    if niche is not None:
        others = len(f.niche_slugs) - 1
        if others <= 0:
            return f"niche: {niche.name.lower()}"
        return f"niche: {niche.name.lower()} (and {others} other{'s' if others > 1 else ''})"
    if not f.niche_slugs:
        return "no niches listed"
    return f"niches: {', '.join(f.niche_names)}"


def _live_reason(f: _Figures) -> str:
    if f.live is None:
        return "no live sessions yet"
    return f"live performance {100 * f.live:.0f}/100"
