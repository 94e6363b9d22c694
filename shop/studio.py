"""The shop's parts of the creator studio (``kol.extensions``) and of the
live session report (``live.extensions``): *cash* beside the *traffic*
those pages already show, registered from ``ShopConfig.ready``.

- :func:`note_columns`: orders, units, sales, commission and conversion
  (orders per 1,000 views) per note of the studio's table of notes, one
  query for the whole table.
- :func:`studio_section`: the last 30 days of the creator's notes and live
  sessions: totals, a chart of sales per day (server-rendered SVG with a
  table of the same figures), and a table of the sessions with their
  traffic (unique viewers, new followers, gift coins) beside their sales.
  Four queries.

The figures are ``shop.selectors.attribution``'s: orders paid and kept
(paid, shipped, delivered); refunded and cancelled ones are left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone

from core.money import ZERO_DECIMAL, currency, money_text
from kol.extensions import StudioColumn, StudioSection
from kol.templatetags.kol_tags import Chart, build_chart, day_label
from shop.selectors import attribution
from shop.templatetags.attribution_tags import per_mille

if TYPE_CHECKING:
    from community.models import Note, User


def note_columns(notes: Sequence[Note]) -> list[StudioColumn]:
    """The studio's per-note cash columns (one query)."""
    sales = attribution.sales_by_note(note.pk for note in notes)
    zero = money_text(0)
    views = {note.pk: note.view_count for note in notes}

    def cells(value: str) -> dict[int, str]:
        return {note.pk: value for note in notes}

    orders, units, takings, commission, conversion = (
        cells("0"),
        cells("0"),
        cells(zero),
        cells(zero),
        {pk: per_mille(attribution.conversion(0, n)) for pk, n in views.items()},
    )
    for note_id, figures in sales.items():
        orders[note_id] = f"{figures.orders:,}"
        units[note_id] = f"{figures.units:,}"
        takings[note_id] = money_text(figures.sales)
        commission[note_id] = money_text(figures.commission)
        conversion[note_id] = per_mille(attribution.conversion(figures.orders, views[note_id]))
    return [
        StudioColumn("orders", "Orders", orders, hint="Paid orders from this note"),
        StudioColumn("units", "Units", units, hint="Units sold from this note"),
        StudioColumn("sales", "Sales", takings, hint="What those units sold for"),
        StudioColumn("commission", "Commission", commission, hint="Your commission on them"),
        StudioColumn("conversion", "Per 1k views", conversion, hint="Orders per 1,000 views"),
    ]


def _major(amount: int) -> int:
    """Minor units as whole major units, for a chart's axis (¥12.34 -> 12)."""
    return amount if currency() in ZERO_DECIMAL else amount // 100


def sales_chart(days: list[attribution.DaySales], *, span: int) -> Chart:
    """Sales per day over the last ``span`` days as bars (whole units of the
    currency on the axis; every bar's tooltip has the exact amount)."""
    end = timezone.localdate()
    start = end - timedelta(days=span - 1)
    total = sum(day.sales for day in days)
    if days:
        best = max(days, key=lambda day: day.sales)
        desc = (
            f"{money_text(total)} in {sum(d.orders for d in days):,} orders over {span} days; "
            f"the best day was {day_label(best.day)} with {money_text(best.sales)}."
        )
    else:
        desc = f"No sales from your notes or live sessions in the last {span} days."
    chart = build_chart(
        slug="sales",
        title=f"Sales per day from your notes and live sessions, last {span} days",
        unit=currency(),
        kind="bars",
        start=start,
        end=end,
        series=[(day.day, _major(day.sales)) for day in days],
        desc=desc,
    )
    exact = {day.day: day for day in days}
    chart.bars = [
        replace(
            bar,
            label=f"{day_label(bar.day)}: {money_text(exact[bar.day].sales)} "
            f"in {exact[bar.day].orders:,} orders",
        )
        for bar in chart.bars
    ]
    return chart


def studio_section(request: HttpRequest, user: User) -> StudioSection | None:
    """The studio's band of sales from the creator's notes and sessions."""
    span = attribution.STUDIO_DAYS
    days = attribution.creator_daily_sales(user.pk, days=span)
    sessions = attribution.creator_session_rows(user.pk, days=span)
    totals = attribution.SalesFigures(
        orders=sum(d.orders for d in days),
        units=sum(d.units for d in days),
        sales=sum(d.sales for d in days),
        commission=sum(d.commission for d in days),
    )
    return StudioSection(
        name="shop_sales",
        template="shop/partials/studio_sales.html",
        context={
            "span": span,
            "totals": totals,
            "days": days,
            "chart": sales_chart(days, span=span),
            "chart_caption": f"Sales per day, in whole {currency()}; exact amounts in the table.",
            "sessions": sessions,
        },
        stylesheets=("css/attribution.css",),
    )
