"""Attribution: the cash a note or a live session brought, beside its traffic.

Every order line carries its source (``source_note`` or ``source_session``,
``shop.models.Source``). These reads sum the lines of orders that were paid
and kept: status ``paid``, ``shipped`` or ``delivered`` (:data:`COUNTED`).
Pending orders (not paid yet), cancelled ones (never paid, or paid and given
back) and refunded ones are left out: a refund reverses the sale and its
commission, so it is not a sale of the note any more.

Figures per source (:class:`SalesFigures`):

- ``orders``: distinct orders with at least one line from the source;
- ``units``: the quantities of those lines;
- ``sales``: their ``line_total`` in minor units of ``SPROUT_CURRENCY``
  (the lines of the source only, not the whole order's total);
- ``commission``: what the lines earned their affiliate (the note's author
  or the session's host);
- ``conversion``: orders per 1,000 of the audience (:func:`conversion`):
  unique viewers for a session, views for a note (``Note.view_count``).

Every function here costs one query whatever the number of notes or
sessions it is asked about (set-based, grouped in the database)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from core.money import currency
from live.models import LiveSession
from live.selectors import room_traffic_counters
from shop.models import Order, OrderLine
from wallet.models import GiftSend

#: The order statuses whose lines count as sales (paid and not given back).
COUNTED = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED)

#: Conversion is orders per this many viewers (or note views).
CONVERSION_PER = 1000

#: How many of a creator's sessions the studio lists, and over how many days.
STUDIO_SESSIONS = 10
STUDIO_DAYS = 30


@dataclass(frozen=True)
class SalesFigures:
    """What one source sold (see the module's docstring)."""

    orders: int = 0
    units: int = 0
    sales: int = 0
    commission: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "orders": self.orders,
            "units": self.units,
            "sales": self.sales,
            "commission": self.commission,
        }


NO_SALES = SalesFigures()


def conversion(orders: int, audience: int) -> float | None:
    """Orders per :data:`CONVERSION_PER` of ``audience`` (viewers, views),
    rounded to one decimal; None when there was no audience to convert."""
    if audience <= 0:
        return None
    return round(orders * CONVERSION_PER / audience, 1)


def counted_lines() -> QuerySet[OrderLine]:
    """The order lines that count as sales (their order paid and kept)."""
    return OrderLine.objects.filter(order__status__in=COUNTED)


def _figures_by(lines: QuerySet[OrderLine], key: str) -> dict[int, SalesFigures]:
    rows = (
        lines.order_by()
        .values(key)
        .annotate(
            n_orders=Count("order_id", distinct=True),
            n_units=Coalesce(Sum("quantity"), 0),
            n_sales=Coalesce(Sum("line_total"), 0),
            n_commission=Coalesce(Sum("commission"), 0),
        )
    )
    return {
        int(row[key]): SalesFigures(
            orders=int(row["n_orders"]),
            units=int(row["n_units"]),
            sales=int(row["n_sales"]),
            commission=int(row["n_commission"]),
        )
        for row in rows
    }


def sales_by_note(note_ids: Iterable[int]) -> dict[int, SalesFigures]:
    """``{note id: SalesFigures}`` of the notes asked about that sold
    something (one query; the others are absent: :data:`NO_SALES`)."""
    ids = sorted(set(note_ids))
    if not ids:
        return {}
    return _figures_by(counted_lines().filter(source_note_id__in=ids), "source_note_id")


def sales_by_session(session_ids: Iterable[int]) -> dict[int, SalesFigures]:
    """``{session id: SalesFigures}`` of the live sessions asked about that
    sold something (one query)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    return _figures_by(counted_lines().filter(source_session_id__in=ids), "source_session_id")


def session_sales(session: LiveSession) -> SalesFigures:
    """What one live session sold."""
    return sales_by_session([session.pk]).get(session.pk, NO_SALES)


def session_audience(session: LiveSession) -> int:
    """The session's unique viewers: its record once ended, the room's live
    counters while it runs."""
    if session.ended_at is None:
        return int(room_traffic_counters(session.room_id).get("unique_viewers", 0))
    return int(session.unique_viewers)


def session_report_cash(session: LiveSession) -> dict[str, Any]:
    """The shop's section of a live session's report
    (``live.extensions.session_report_sections``): ``cash {orders, units,
    sales, commission, conversion}`` beside the gifts, ``sales`` and
    ``commission`` in minor units of ``currency``, ``conversion`` orders per
    1,000 unique viewers (null without viewers). One query (two while the
    session runs: the live counters)."""
    figures = session_sales(session)
    return {
        "cash": {
            **figures.as_dict(),
            "conversion": conversion(figures.orders, session_audience(session)),
            "currency": currency(),
        }
    }


# --- the creator studio -------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """One of a creator's live sessions in the studio: traffic beside cash."""

    session_id: int
    room_id: int
    title: str
    started_at: Any
    ended_at: Any
    unique_viewers: int
    peak_viewers: int
    new_followers: int
    gift_coins: int
    figures: SalesFigures

    @property
    def conversion(self) -> float | None:
        return conversion(self.figures.orders, self.unique_viewers)


def creator_session_rows(
    user_id: int, *, limit: int = STUDIO_SESSIONS, days: int = STUDIO_DAYS
) -> list[SessionRow]:
    """The creator's ended live sessions of the last ``days`` days, newest
    first (at most ``limit``), each with its traffic (unique and peak
    viewers, new followers), its gifts (coins the senders paid) and its
    sales. Three queries: the sessions, their gifts, their sales."""
    since = timezone.now() - timedelta(days=days)
    sessions = list(
        LiveSession.objects.filter(
            room__host_id=user_id, ended_at__isnull=False, started_at__gte=since
        )
        .select_related("room")
        .order_by("-started_at", "-pk")[:limit]
    )
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    coins = dict(
        GiftSend.objects.filter(session_id__in=ids)
        .order_by()
        .values("session_id")
        .annotate(total=Coalesce(Sum("coins"), 0))
        .values_list("session_id", "total")
    )
    sales = sales_by_session(ids)
    return [
        SessionRow(
            session_id=s.pk,
            room_id=s.room_id,
            title=s.room.title,
            started_at=s.started_at,
            ended_at=s.ended_at,
            unique_viewers=s.unique_viewers,
            peak_viewers=s.peak_viewers,
            new_followers=s.new_followers,
            gift_coins=int(coins.get(s.pk, 0)),
            figures=sales.get(s.pk, NO_SALES),
        )
        for s in sessions
    ]


@dataclass(frozen=True)
class DaySales:
    day: date
    orders: int
    units: int
    sales: int
    commission: int


def creator_daily_sales(user_id: int, *, days: int = STUDIO_DAYS) -> list[DaySales]:
    """Per day (of the order's payment, in the site's time zone) over the
    last ``days`` days, what the creator's notes and live sessions sold
    (counted orders only), oldest first; days without sales are absent. One
    query."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        counted_lines()
        .filter(
            Q(source_note__author_id=user_id) | Q(source_session__room__host_id=user_id),
            order__paid_at__date__gte=start,
        )
        .annotate(day=TruncDate("order__paid_at"))
        .order_by()
        .values("day")
        .annotate(
            n_orders=Count("order_id", distinct=True),
            n_units=Coalesce(Sum("quantity"), 0),
            n_sales=Coalesce(Sum("line_total"), 0),
            n_commission=Coalesce(Sum("commission"), 0),
        )
        .order_by("day")
    )
    return [
        DaySales(
            day=row["day"],
            orders=int(row["n_orders"]),
            units=int(row["n_units"]),
            sales=int(row["n_sales"]),
            commission=int(row["n_commission"]),
        )
        for row in rows
        if row["day"] is not None
    ]


def creator_daily_sales_stat(day: date, creator_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{creator profile id: {"sales": minor units}}``: what the notes and
    live sessions of the creators among ``creator_ids`` sold on ``day`` (a
    UTC day, by the order's payment; counted orders only), the ``sales``
    column of the pool's daily stats (a ``kol.extensions.stat_providers``
    provider). One grouped query whatever the pool's size (the ids are
    matched in Python, as ``kol.selectors.gift_income`` does)."""
    wanted = set(creator_ids)
    if not wanted:
        return {}
    start = datetime.combine(day, time.min, tzinfo=UTC)
    rows = (
        counted_lines()
        .filter(order__paid_at__gte=start, order__paid_at__lt=start + timedelta(days=1))
        .annotate(
            creator_id=Coalesce(
                "source_note__author__creator__id", "source_session__room__host__creator__id"
            )
        )
        .filter(creator_id__isnull=False)
        .order_by()
        .values("creator_id")
        .annotate(total=Coalesce(Sum("line_total"), 0))
        .values_list("creator_id", "total")
    )
    return {
        int(creator_id): {"sales": int(total)}
        for creator_id, total in rows
        if creator_id in wanted and total
    }
