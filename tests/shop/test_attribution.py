"""Attribution: what notes and live sessions sold (``shop.selectors.attribution``),
shown beside their traffic in the live session report (API and the host's
page) and in the creator studio."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Note, User
from core.money import money_text
from kol import extensions as kol_extensions
from live.models import LiveSession, Room
from shop.models import Order
from shop.selectors import attribution
from tests.clients import api_client, assert_error, logged_in
from tests.factories import (
    CreatorFactory,
    GiftSendFactory,
    HostFactory,
    LiveSessionFactory,
    ModeratorFactory,
    NoteFactory,
    OrderFactory,
    OrderLineFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def sell(
    *,
    note: Note | None = None,
    session: LiveSession | None = None,
    status: str = Order.Status.PAID,
    quantity: int = 1,
    unit_price: int = 5_000,
    commission: int = 500,
    paid_at: Any = None,
) -> Order:
    """An order of one line attributed to ``note`` or ``session``."""
    order = OrderFactory(
        status=status,
        subtotal=unit_price * quantity,
        total=unit_price * quantity,
        paid_at=paid_at or timezone.now(),
    )
    OrderLineFactory(
        order=order,
        source_note=note,
        source_session=session,
        unit_price=unit_price,
        quantity=quantity,
        line_total=unit_price * quantity,
        commission=commission,
        affiliate=(note.author if note else session.room.host if session else None),
    )
    return order


def ended_session(host: User | None = None, **traffic: Any) -> LiveSession:
    room = RoomFactory(host=host or HostFactory(), state=Room.State.ENDED, title="Pancake night")
    return LiveSessionFactory(room=room, **traffic)


# --- the selectors -----------------------------------------------------------------------


def test_only_paid_and_kept_orders_count_as_sales() -> None:
    note = NoteFactory()
    for status in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED):
        sell(note=note, status=status, quantity=2)
    for status in (Order.Status.PENDING, Order.Status.CANCELLED, Order.Status.REFUNDED):
        sell(note=note, status=status, quantity=5)

    figures = attribution.sales_by_note([note.pk])[note.pk]

    assert figures == attribution.SalesFigures(orders=3, units=6, sales=30_000, commission=1_500)


def test_an_order_counts_once_for_a_source_and_only_its_lines_count() -> None:
    note, other_note = NoteFactory(), NoteFactory()
    order = sell(note=note, quantity=1, unit_price=2_000, commission=200)
    OrderLineFactory(
        order=order, source_note=note, unit_price=3_000, quantity=2, line_total=6_000, commission=0
    )
    OrderLineFactory(order=order, source_note=other_note, unit_price=900, line_total=900)
    OrderLineFactory(order=order, unit_price=100, line_total=100)  # no source

    sales = attribution.sales_by_note([note.pk, other_note.pk])

    assert sales[note.pk] == attribution.SalesFigures(
        orders=1, units=3, sales=8_000, commission=200
    )
    assert sales[other_note.pk].orders == 1 and sales[other_note.pk].sales == 900


def test_notes_and_sessions_without_sales_are_absent() -> None:
    assert attribution.sales_by_note([NoteFactory().pk]) == {}
    assert attribution.sales_by_session([ended_session().pk]) == {}
    assert attribution.sales_by_note([]) == {}


def test_conversion_is_orders_per_thousand_of_the_audience() -> None:
    assert attribution.conversion(3, 1_200) == 2.5
    assert attribution.conversion(0, 500) == 0.0
    assert attribution.conversion(4, 0) is None


def test_sales_by_note_and_by_session_cost_one_query_whatever_their_number(
    django_assert_num_queries: Any,
) -> None:
    notes = [NoteFactory() for _ in range(8)]
    sessions = [ended_session() for _ in range(8)]
    for note, session in zip(notes, sessions, strict=True):
        sell(note=note)
        sell(session=session)

    with django_assert_num_queries(1):
        assert len(attribution.sales_by_note(n.pk for n in notes)) == 8
    with django_assert_num_queries(1):
        assert len(attribution.sales_by_session(s.pk for s in sessions)) == 8


def test_a_creators_daily_sales_gather_their_notes_and_sessions() -> None:
    host = HostFactory()
    note = NoteFactory(author=host)
    session = ended_session(host)
    yesterday = timezone.now() - timedelta(days=1)
    sell(note=note, paid_at=yesterday, unit_price=1_000, commission=100)
    sell(session=session, unit_price=2_000, commission=300)
    sell(session=session, status=Order.Status.REFUNDED, unit_price=9_999)
    sell(note=NoteFactory(), unit_price=7_777)  # someone else's note

    days = attribution.creator_daily_sales(host.pk)

    assert [(d.orders, d.sales, d.commission) for d in days] == [(1, 1_000, 100), (1, 2_000, 300)]
    assert days[0].day < days[1].day


def test_session_rows_put_traffic_and_gifts_beside_sales(django_assert_num_queries: Any) -> None:
    host = HostFactory()
    session = ended_session(host, unique_viewers=400, peak_viewers=120, new_followers=7)
    GiftSendFactory(host=host, room_id=session.room_id, session_id=session.pk)
    sell(session=session, quantity=2, unit_price=3_000, commission=600)
    quiet = ended_session(host)
    LiveSession.objects.filter(pk=quiet.pk).update(started_at=timezone.now() - timedelta(hours=5))
    for _ in range(3):
        ended_session(host)

    with django_assert_num_queries(3):
        rows = attribution.creator_session_rows(host.pk)

    row = next(r for r in rows if r.session_id == session.pk)
    assert (row.unique_viewers, row.peak_viewers, row.new_followers) == (400, 120, 7)
    assert row.gift_coins > 0
    assert row.figures == attribution.SalesFigures(orders=1, units=2, sales=6_000, commission=600)
    assert row.conversion == 2.5
    assert rows[-1].session_id == quiet.pk
    assert next(r for r in rows if r.session_id == quiet.pk).conversion is None


# --- the live session report -------------------------------------------------------------


def test_the_session_report_shows_sales_beside_traffic_to_the_host() -> None:
    session = ended_session(unique_viewers=800, peak_viewers=300)
    sell(session=session, quantity=3, unit_price=2_000, commission=900)
    sell(session=session, quantity=1, unit_price=2_000, commission=300)
    sell(session=session, status=Order.Status.REFUNDED)

    response = api_client(session.room.host).get(f"/api/v1/live/sessions/{session.pk}/report")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["traffic"]["unique_viewers"] == 800
    cash = body["cash"]
    assert {"gifts", "coins", "earnings"} <= set(cash)  # live's own, still there
    sold = (cash["orders"], cash["units"], cash["sales"], cash["commission"])
    assert sold == (2, 4, 8_000, 1_200)
    assert cash["conversion"] == 2.5


def test_another_member_cannot_read_a_hosts_session_report() -> None:
    session = ended_session()
    sell(session=session)
    url = f"/api/v1/live/sessions/{session.pk}/report"

    assert_error(api_client(UserFactory()).get(url), 403, "permission_denied")
    assert_error(api_client(HostFactory()).get(url), 403, "permission_denied")
    assert_error(api_client(None).get(url), 401, "unauthenticated")
    # The room's helpers see its traffic, never its cash.
    helper = UserFactory()
    session.room.moderators.add(helper)
    assert api_client(helper).get(url).json()["cash"] is None
    # Staff who see the whole pool do.
    assert api_client(ModeratorFactory()).get(url).json()["cash"]["orders"] == 1


def test_a_running_sessions_conversion_uses_its_viewers_so_far() -> None:
    room = RoomFactory(live=True)
    session = LiveSession.objects.get(room=room)
    sell(session=session)

    cash = api_client(room.host).get(f"/api/v1/live/sessions/{session.pk}/report").json()["cash"]

    assert cash["orders"] == 1
    assert cash["conversion"] is None  # nobody counted yet


def test_the_hosts_report_page_shows_the_sales() -> None:
    session = ended_session(unique_viewers=1_000)
    sell(session=session, quantity=2, unit_price=4_550, commission=910)

    page = logged_in(session.room.host).get(reverse("go_live")).content.decode()

    assert "data-report-sales" in page
    figures = re.search(r"data-report-sales.*?</dl>", page, re.S)
    assert figures is not None
    text = re.sub(r"<[^>]+>", " ", figures.group(0))
    assert "Orders" in text and "Sales" in text and "Commission" in text
    assert "91.00" in text and "9.10" in text and "Orders per 1k viewers" in text


# --- the creator studio ------------------------------------------------------------------


def studio_page(user: User) -> str:
    response = logged_in(user).get(reverse("studio"))
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_studio_shows_cash_beside_traffic_per_note_and_per_session() -> None:
    host = HostFactory()
    CreatorFactory(user=host)
    note = NoteFactory(author=host, title="Tomato tart")
    Note.objects.filter(pk=note.pk).update(view_count=400)
    sell(note=note, quantity=2, unit_price=1_250, commission=250)
    session = ended_session(host, unique_viewers=200, new_followers=9)
    sell(session=session, unit_price=9_900, commission=990)

    page = studio_page(host)

    assert "Sales from your notes and lives" in page
    assert "Tomato tart" in page and "Pancake night" in page
    # The note's row: views, then the shop's columns.
    row = re.search(r"Tomato tart.*?</tr>", page, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells[0] == "400"
    assert cells[-5:] == ["1", "2", money_text(2_500), money_text(250), "2.5"]
    # The session's row: traffic, then cash.
    session_row = re.search(r"Pancake night.*?</tr>", page, re.S)
    assert session_row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', session_row.group(0))
    assert cells == ["200", "9", "0", "1", "1", money_text(9_900), money_text(990), "5"]
    # The chart: accessible SVG, and the same figures as a table.
    assert 'data-chart="sales"' in page
    assert 'aria-labelledby="chart-sales-title chart-sales-desc"' in page
    assert "Sales per day as a table" in page


def test_the_studio_without_sales_says_how_they_come() -> None:
    host = HostFactory()
    CreatorFactory(user=host)
    NoteFactory(author=host)

    page = studio_page(host)

    assert "No sales yet in these 30 days" in page
    assert "No live sessions in the last 30 days" in page
    assert 'data-chart="sales"' not in page


def test_the_studio_shows_no_shop_columns_without_the_shop() -> None:
    host = HostFactory()
    CreatorFactory(user=host)
    NoteFactory(author=host, title="Tomato tart")

    with kol_extensions.studio_sections.override(), kol_extensions.studio_note_columns.override():
        page = studio_page(host)

    assert "Tomato tart" in page
    assert "Sales from your notes and lives" not in page
    assert "Commission" not in page and "attribution.css" not in page


def test_the_studios_queries_do_not_grow_with_notes_and_sessions() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    host = HostFactory()
    CreatorFactory(user=host)

    def add(n: int) -> None:
        for _ in range(n):
            note = NoteFactory(author=host)
            sell(note=note)
            session = ended_session(host)
            sell(session=session)

    add(1)
    client = logged_in(host)
    client.get(reverse("studio"))  # warm the caches of the first request
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("studio"))
    add(6)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("studio"))

    assert len(many.captured_queries) == len(few.captured_queries)


def test_another_member_sees_only_their_own_studio_figures() -> None:
    host = HostFactory()
    CreatorFactory(user=host)
    session = ended_session(host)
    sell(session=session, unit_price=31_400)
    other = UserFactory()
    CreatorFactory(user=other)

    page = studio_page(other)

    assert "Pancake night" not in page and "314.00" not in page


def test_the_studios_wide_tables_scroll_sideways_on_a_phone() -> None:
    host = HostFactory()
    CreatorFactory(user=host)
    NoteFactory(author=host)
    sell(session=ended_session(host))

    page = studio_page(host)

    # Wide tables scroll sideways in a focusable, labelled region.
    assert page.count('class="table-scroll" role="region"') >= 2


# --- the pool's daily stats: the `sales` column ---------------------------------------------


def test_the_daily_stats_sales_column_is_what_the_creators_notes_and_sessions_sold() -> None:
    from kol.models import CreatorDailyStat
    from kol.services import stats_compute_day

    mei, lin, quiet = CreatorFactory(), CreatorFactory(), CreatorFactory()
    lin_host = lin.user
    note = NoteFactory(author=mei.user)
    session = ended_session(host=lin_host)
    day = timezone.now().astimezone(UTC).date()
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    sell(note=note, quantity=2, unit_price=3_000, paid_at=noon)
    sell(session=session, unit_price=9_900, paid_at=noon)
    # Not counted: refunded, the day before, another creator's.
    sell(note=note, status=Order.Status.REFUNDED, paid_at=noon)
    sell(note=note, paid_at=noon - timedelta(days=1))
    result = stats_compute_day(day=day)
    sales = dict(CreatorDailyStat.objects.filter(date=day).values_list("creator_id", "sales"))
    assert sales == {mei.pk: 6_000, lin.pk: 9_900, quiet.pk: 0}
    assert result.rows_written == 3


def test_the_sales_column_costs_one_query_whatever_the_pool(
    django_assert_num_queries: Any,
) -> None:
    day = timezone.now().astimezone(UTC).date()
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    creators = [CreatorFactory() for _ in range(6)]
    for creator in creators:
        sell(note=NoteFactory(author=creator.user), paid_at=noon)
        sell(session=ended_session(host=creator.user), paid_at=noon)
    ids = [c.pk for c in creators]
    with django_assert_num_queries(1):
        figures = attribution.creator_daily_sales_stat(day, ids)
    assert figures == {pk: {"sales": 10_000} for pk in ids}
    assert attribution.creator_daily_sales_stat(day, []) == {}
    assert attribution.creator_daily_sales_stat(day, ids[:2]) == {
        pk: {"sales": 10_000} for pk in ids[:2]
    }
