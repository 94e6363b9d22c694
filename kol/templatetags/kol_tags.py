"""Template helpers of the creator pool's pages: percentages, the tier meter,
and the server-rendered SVG charts of a creator's daily stats.

The charts are plain SVG built here (no chart library, no script): a line
with its area for followers, bars for daily interactions, "nice" axis ticks,
a tooltip (``<title>``) on every point, and the same figures as a table for
screen readers (``kol/partials/chart.html``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import template
from django.utils import timezone

from community.badges import Badge
from kol.models import CreatorDailyStat, CreatorProfile, Invitation, Tier
from kol.selectors import badges_of, tier_for, tier_thresholds

register = template.Library()

# The SVG's own coordinate system; it scales to the width of its box.
CHART_WIDTH = 480
CHART_HEIGHT = 200
MARGIN_LEFT = 46
MARGIN_RIGHT = 18
MARGIN_TOP = 12
MARGIN_BOTTOM = 26
Y_INTERVALS = 4
X_LABELS = 5
BAR_FILL = 0.68  # share of a day's slot a bar covers


# --- numbers ------------------------------------------------------------------------


@register.filter
def rate(value: float | None) -> str:
    """An engagement rate (a fraction) as a percentage: 0.0712 -> "7.1%"."""
    number = float(value or 0.0) * 100
    if number and number < 0.1:
        return "<0.1%"
    return f"{number:.1f}%"


@register.filter
def bps(value: int | None) -> str:
    """Basis points as a percentage: 2500 -> "25%", 1250 -> "12.5%"."""
    shown = f"{int(value or 0) / 100:.2f}".rstrip("0").rstrip(".")
    return f"{shown}%"


@register.filter
def signed(value: int | None) -> str:
    """A change with its sign: 1240 -> "+1,240", -35 -> "−35", 0 -> "±0"."""
    number = int(value or 0)
    if number == 0:
        return "±0"
    return f"{'+' if number > 0 else '−'}{abs(number):,}"


@register.filter
def day_label(day: date) -> str:
    """ "Mar 3" (no leading zero, no year)."""
    return f"{day:%b} {day.day}"


def _thousands(value: int) -> str:
    return f"{value:,}"


# --- badges and invitations -----------------------------------------------------------


@register.filter
def creator_badges(creator: CreatorProfile) -> list[Badge]:
    """The verified tick and tier badge of a loaded profile (no query), for
    ``community/partials/badges.html``."""
    return badges_of(username=creator.user.username, tier=creator.tier, verified=creator.verified)


@register.filter
def invitation_state(invitation: Invitation) -> str:
    """The state to show: open, accepted, declined or expired (an invitation
    past its ``expires_at`` is expired before the periodic task marks it)."""
    if invitation.status == Invitation.Status.SENT:
        return "open" if invitation.expires_at > timezone.now() else "expired"
    return str(invitation.status)


# --- tiers -------------------------------------------------------------------------


@dataclass(frozen=True)
class TierProgress:
    tier: str
    label: str
    next_tier: str | None
    next_label: str
    next_at: int | None  # followers where the next tier starts
    missing: int  # followers still needed
    percent: int  # 0..100 of the way from this tier's start to the next's


def tier_progress(followers: int) -> TierProgress:
    """Where ``followers`` sits between its tier and the next one (from the
    thresholds in ``settings.SPROUT_KOL_TIERS``)."""
    followers = max(int(followers), 0)
    tier = tier_for(followers)
    starts = dict(tier_thresholds())
    starts[Tier.NANO.value] = 0
    above = sorted((minimum, name) for name, minimum in starts.items() if minimum > followers)
    if not above:
        return TierProgress(tier, Tier(tier).label, None, "", None, 0, 100)
    next_at, next_tier = above[0]
    start = starts[tier]
    span = max(next_at - start, 1)
    percent = min(100, max(0, math.floor((followers - start) * 100 / span)))
    return TierProgress(
        tier=tier,
        label=Tier(tier).label,
        next_tier=next_tier,
        next_label=Tier(next_tier).label,
        next_at=next_at,
        missing=next_at - followers,
        percent=percent,
    )


@register.inclusion_tag("kol/partials/tier_meter.html")
def tier_meter(followers: int) -> dict[str, Any]:
    """The tier badge with a progress bar to the next tier."""
    return {"progress": tier_progress(followers)}


# --- charts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    pos: float  # where its grid line is (y) or its day's centre (x)
    label: str
    x: float  # where its label is written
    y: float
    anchor: str = "middle"


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    day: date
    value: int
    label: str  # the tooltip: "Mar 3: 1,204 followers"


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int
    label: str


@dataclass
class Chart:
    """Everything ``kol/partials/chart.html`` draws."""

    slug: str
    title: str
    desc: str
    kind: str  # "line" or "bars"
    unit: str  # "followers", "interactions"
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: float = MARGIN_LEFT
    right: float = CHART_WIDTH - MARGIN_RIGHT
    top: float = MARGIN_TOP
    bottom: float = CHART_HEIGHT - MARGIN_BOTTOM
    points: list[ChartPoint] = field(default_factory=list)
    bars: list[ChartBar] = field(default_factory=list)
    line: str = ""  # the polyline's points attribute
    area: str = ""  # the path under the line
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def last(self) -> ChartPoint | None:
        return self.points[-1] if self.points else None

    @property
    def marks(self) -> list[ChartPoint] | list[ChartBar]:
        """The days drawn: points of a line, or bars."""
        return self.bars if self.kind == "bars" else self.points

    @property
    def is_empty(self) -> bool:
        return not self.marks


def nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5 × 10^k that is at least ``raw`` (at least 1:
    the charts count whole things)."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return int(multiple * power)
    return int(10 * power)  # pragma: no cover (10 × power always qualifies)


def value_range(values: Sequence[int], *, from_zero: bool) -> tuple[int, int, int]:
    """The y axis as ``(low, high, step)``: ``Y_INTERVALS`` steps of a nice
    size that hold every value; from zero for bars, around the values for a
    line (10,200 to 10,450 followers would be a flat line from zero)."""
    top = max(values, default=0)
    bottom = 0 if from_zero else min(values, default=0)
    if not from_zero and top == bottom:
        step = nice_step(max(top / 50, 1))
        low = max(0, (top // step - 2) * step)
        return low, low + step * Y_INTERVALS, step
    step = nice_step((top - bottom) / Y_INTERVALS)
    while True:
        low = (bottom // step) * step
        if low + step * Y_INTERVALS >= top:
            return low, low + step * Y_INTERVALS, step
        step = nice_step(step + 1)


def tick_label(value: int, step: int) -> str:
    """A y-axis label as short as the step allows: 10,250 by steps of 50 is
    "10.25k", by steps of 1,000 "10k"."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= limit:
            decimals = min(3, max(0, math.ceil(math.log10(limit / step)))) if step < limit else 0
            shown = f"{value / limit:.{decimals}f}"
            if "." in shown:
                shown = shown.rstrip("0").rstrip(".")
            return f"{shown}{suffix}"
    return str(value)


def build_chart(
    *,
    slug: str,
    title: str,
    unit: str,
    kind: str,
    start: date,
    end: date,
    series: Sequence[tuple[date, int]],
    desc: str = "",
) -> Chart:
    """A chart of one value per day from ``start`` to ``end`` (inclusive):
    each day has a slot of equal width, days without a value are gaps (not
    zeros), and the x axis always spans the whole window."""
    chart = Chart(slug=slug, title=title, desc=desc, kind=kind, unit=unit)
    days = max((end - start).days + 1, 1)
    slot = (chart.right - chart.left) / days
    shown = sorted((day, int(value)) for day, value in series if start <= day <= end)
    low, high, step = value_range([value for _, value in shown], from_zero=kind == "bars")
    span = max(high - low, 1)

    def x_of(day: date) -> float:
        return round(chart.left + ((day - start).days + 0.5) * slot, 2)

    def y_of(value: int) -> float:
        return round(chart.bottom - (value - low) / span * (chart.bottom - chart.top), 2)

    for index in range(Y_INTERVALS + 1):
        value = low + index * step
        y = y_of(value)
        chart.y_ticks.append(
            Tick(
                pos=y,
                label=tick_label(value, step),
                x=chart.left - 8,
                y=round(y + 4, 2),
                anchor="end",
            )
        )
    label_days = sorted({round(i * (days - 1) / (X_LABELS - 1)) for i in range(X_LABELS)})
    for offset in label_days:
        day = start + timedelta(days=offset)
        x = x_of(day)
        chart.x_ticks.append(Tick(pos=x, label=day_label(day), x=x, y=chart.bottom + 18))

    for day, value in shown:
        label = f"{day_label(day)}: {_thousands(value)} {unit}"
        if kind == "bars":
            width = round(max(slot * BAR_FILL, 1.0), 2)
            top = y_of(value)
            chart.bars.append(
                ChartBar(
                    x=round(x_of(day) - width / 2, 2),
                    y=top,
                    width=width,
                    height=round(chart.bottom - top, 2),
                    day=day,
                    value=value,
                    label=label,
                )
            )
        else:
            chart.points.append(
                ChartPoint(x=x_of(day), y=y_of(value), day=day, value=value, label=label)
            )
    if chart.points:
        chart.line = " ".join(f"{p.x},{p.y}" for p in chart.points)
        first, last = chart.points[0], chart.points[-1]
        chart.area = (
            f"M{first.x},{chart.bottom} "
            + " ".join(f"L{p.x},{p.y}" for p in chart.points)
            + f" L{last.x},{chart.bottom} Z"
        )
    return chart


@dataclass
class StatsCharts:
    """The two charts of a creator's performance, and the rows of the table
    that says the same for screen readers."""

    days: int
    start: date
    end: date
    followers: Chart
    interactions: Chart
    rows: list[CreatorDailyStat]
    total_interactions: int
    follower_change: int

    @property
    def has_data(self) -> bool:
        return bool(self.rows)

    @property
    def last_followers(self) -> int:
        return self.rows[-1].followers if self.rows else 0


def interactions_of(stat: CreatorDailyStat) -> int:
    return stat.likes_received + stat.collects_received + stat.comments_received


def stats_charts(stats: Sequence[CreatorDailyStat], *, days: int, end: date) -> StatsCharts:
    """Followers and daily interactions (likes + collects + comments) of the
    ``days`` days ending on ``end``, from the creator's daily stats."""
    start = end - timedelta(days=days - 1)
    rows = [stat for stat in stats if start <= stat.date <= end]
    rows.sort(key=lambda stat: stat.date)
    total = sum(interactions_of(stat) for stat in rows)
    change = rows[-1].followers - rows[0].followers if rows else 0
    if rows:
        first, last = rows[0], rows[-1]
        sign = "+" if change >= 0 else "−"
        follower_desc = (
            f"Followers from {first.followers:,} on {day_label(first.date)} to "
            f"{last.followers:,} on {day_label(last.date)} ({sign}{abs(change):,})."
        )
        busiest = max(rows, key=interactions_of)
        interaction_desc = (
            f"{total:,} likes, collects and comments in {days} days; the busiest day was "
            f"{day_label(busiest.date)} with {interactions_of(busiest):,}."
        )
    else:
        follower_desc = interaction_desc = f"No stats for the last {days} days yet."
    return StatsCharts(
        days=days,
        start=start,
        end=end,
        followers=build_chart(
            slug="followers",
            title=f"Followers over the last {days} days",
            unit="followers",
            kind="line",
            start=start,
            end=end,
            series=[(stat.date, stat.followers) for stat in rows],
            desc=follower_desc,
        ),
        interactions=build_chart(
            slug="interactions",
            title=f"Daily likes, collects and comments over the last {days} days",
            unit="interactions",
            kind="bars",
            start=start,
            end=end,
            series=[(stat.date, interactions_of(stat)) for stat in rows],
            desc=interaction_desc,
        ),
        rows=rows,
        total_interactions=total,
        follower_change=change,
    )


@register.inclusion_tag("kol/partials/chart.html")
def stats_chart(chart: Chart, caption: str = "") -> dict[str, Any]:
    """One chart as accessible SVG (``role="img"`` with its title and
    description)."""
    return {"chart": chart, "caption": caption}


@register.filter
def interactions(stat: CreatorDailyStat) -> int:
    """Likes + collects + comments a creator received on one day."""
    return interactions_of(stat)
