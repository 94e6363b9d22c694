"""Gifts: the catalog, sending (the ledger entry, idempotency, refusals), the
tallies and leaderboards, the HTTP endpoints, the session report's cash
column, the creator pool's gift income, and the admin."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.errors import DomainError
from kol import services as kol_services
from kol.models import CreatorDailyStat
from kol.selectors import gift_income
from live import selectors as live_selectors
from live.models import LiveSession, Room, RoomRestriction
from live.services import gifts as live_gifts
from tests.factories import (
    CreatorFactory,
    GiftFactory,
    UserFactory,
    fund,
    gift_catalog,
    jpeg_bytes,
    unbalanced_entries,
)
from tests.live import RoomEvents, room_events_fixture  # noqa: F401  (fixture)
from wallet import rules, selectors, services
from wallet.models import Account, Entry, Gift, GiftSend, IdempotencyRecord
from wallet.reconcile import reconcile
from wallet.services import GiftResult, ledger

pytestmark = pytest.mark.django_db

DAY = date(2026, 5, 4)


def send(sender: Any, host: Any, *, gift: str = "heart", quantity: int = 1, key: str = "k-1",
         room_id: int = 1, session_id: int | None = None) -> GiftResult:  # fmt: skip
    return services.gift_send(
        sender=sender,
        host=host,
        gift_slug=gift,
        quantity=quantity,
        idempotency_key=key,
        room_id=room_id,
        session_id=session_id,
    )


def code_of(call: Any) -> tuple[str, int]:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code, caught.value.status


def account(kind: str, user: Any = None) -> Account:
    return ledger.account_get_or_create(kind, user=user)


@pytest.fixture
def sender() -> Any:
    member = UserFactory(username="mei")
    fund(member, 100)
    return member


@pytest.fixture
def host() -> Any:
    return UserFactory(username="chef")


@pytest.fixture
def catalog() -> dict[str, Gift]:
    return gift_catalog()


# --- catalog ------------------------------------------------------------------------


def test_the_default_catalog_migration_adds_six_gifts_in_tray_order() -> None:
    Gift.objects.all().delete()
    migration = importlib.import_module("wallet.migrations.0003_gift_catalog")
    migration.add_default_catalog(global_apps, None)
    migration.add_default_catalog(global_apps, None)  # idempotent

    rows = list(selectors.gift_catalog().values_list("slug", "coins", "animation_tier"))
    assert rows == [
        ("rose", 1, 1),
        ("heart", 5, 1),
        ("coffee", 10, 1),
        ("sprout", 52, 2),
        ("rocket", 199, 3),
        ("castle", 520, 3),
    ]
    assert all(gift.emoji for gift in Gift.objects.all())


def test_the_catalog_lists_active_gifts_by_position() -> None:
    Gift.objects.all().delete()
    GiftFactory(slug="castle", position=1)
    GiftFactory(slug="rose", position=2)
    GiftFactory(slug="rocket", position=3, is_active=False)
    assert [g.slug for g in selectors.gift_catalog()] == ["castle", "rose"]


def test_a_gift_payload_carries_what_the_tray_and_the_animation_need() -> None:
    gift = GiftFactory(slug="sprout", name="Sprout", emoji="🌱")
    assert selectors.gift_payload(gift) == {
        "slug": "sprout",
        "name": "Sprout",
        "coins": 52,
        "animation_tier": 2,
        "emoji": "🌱",
        "image": "",
    }


# --- the split --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coins", "host_part", "platform_part"),
    [(1, 1, 0), (3, 3, 0), (4, 3, 1), (5, 4, 1), (10, 7, 3), (52, 37, 15), (199, 140, 59),
     (520, 364, 156), (51_480, 36_036, 15_444)],
)  # fmt: skip
def test_the_platform_share_is_rounded_down_and_the_host_keeps_the_remainder(
    coins: int, host_part: int, platform_part: int
) -> None:
    assert rules.split_coins(coins) == (host_part, platform_part)


def test_the_split_never_loses_or_makes_a_coin() -> None:
    for share in (0, 1, 2_500, 3_000, 3_333, 9_999, 10_000):
        for coins in range(1, 600):
            host_part, platform_part = rules.split_coins(coins, share_bps=share)
            assert host_part + platform_part == coins
            assert host_part >= 0 and platform_part >= 0


def test_a_gift_too_small_for_a_share_gives_the_platform_nothing_by_design() -> None:
    """The documented rounding: the platform's part is rounded down, so the
    host never gets less than their share; a 1-coin rose at 30 % is all the
    host's, a 4-coin gift the first that gives the platform a coin."""
    assert rules.split_coins(1, share_bps=3_000) == (1, 0)
    assert rules.split_coins(3, share_bps=3_000) == (3, 0)
    assert rules.split_coins(4, share_bps=3_000) == (3, 1)
    assert rules.split_coins(10, share_bps=3_000) == (7, 3)


def test_the_platform_share_is_a_setting(settings: Any) -> None:
    settings.SPROUT_WALLET_PLATFORM_SHARE_BPS = 5_000
    assert rules.split_coins(11) == (6, 5)
    settings.SPROUT_WALLET_PLATFORM_SHARE_BPS = 10_001
    with pytest.raises(ValueError, match="0–10000"):
        rules.split_coins(11)


# --- sending ------------------------------------------------------------------------------


def test_a_gift_debits_the_sender_and_appends_the_host_and_platform_parts(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    result = send(sender, host, gift="coffee", quantity=2, key="coffee-1", room_id=7, session_id=3)

    assert result.coins == 20 and result.balance == 80 and result.replayed is False
    sent = GiftSend.objects.get()
    assert result.gift_send_id == sent.pk and result.send == sent
    assert (sent.sender, sent.host, sent.gift.slug) == (sender, host, "coffee")
    assert (sent.quantity, sent.coins, sent.room_id, sent.session_id) == (2, 20, 7, 3)
    assert sent.entry.kind == Entry.Kind.GIFT
    assert sent.entry.reference == {"room_id": 7, "session_id": 3, "gift": "coffee"}
    lines = {line.account.kind: line for line in sent.entry.lines.select_related("account")}
    assert {kind: line.amount for kind, line in lines.items()} == {
        Account.Kind.MEMBER_COINS: -20,
        Account.Kind.CREATOR_EARNINGS: 14,
        Account.Kind.PLATFORM_COINS: 6,
    }
    # The debit is applied now; the credits wait for the roll-up (no hot rows).
    assert lines[Account.Kind.MEMBER_COINS].rolled_up is True
    assert lines[Account.Kind.CREATOR_EARNINGS].rolled_up is False
    assert lines[Account.Kind.PLATFORM_COINS].rolled_up is False
    assert lines[Account.Kind.CREATOR_EARNINGS].account.user == host
    assert lines[Account.Kind.PLATFORM_COINS].account.user is None
    assert selectors.coin_balance(sender) == 80
    assert selectors.account_balance(account(Account.Kind.CREATOR_EARNINGS, host)) == 14
    assert selectors.account_balance(account(Account.Kind.PLATFORM_COINS)) == 6
    report = reconcile(fix_rollup=True)
    assert report.ok, report.summary()
    assert Account.objects.get(kind=Account.Kind.CREATOR_EARNINGS, user=host).balance == 14


def test_a_one_coin_rose_is_all_the_hosts_and_writes_no_zero_line(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    send(sender, host, gift="rose")
    entry = GiftSend.objects.get().entry
    assert sorted(entry.lines.values_list("amount", flat=True)) == [-1, 1]
    assert unbalanced_entries() == 0


def test_a_retried_gift_is_counted_once(sender: Any, host: Any, catalog: dict[str, Gift]) -> None:
    first = send(sender, host, key="same")
    again = send(sender, host, key="same")

    assert again.replayed is True and again.send is None
    assert (again.gift_send_id, again.coins, again.balance) == (first.gift_send_id, 5, 95)
    assert GiftSend.objects.count() == 1
    assert Entry.objects.filter(kind=Entry.Kind.GIFT).count() == 1
    assert selectors.coin_balance(sender) == 95


@pytest.mark.parametrize(
    "change",
    [{"quantity": 2}, {"gift": "rose"}, {"room_id": 2}, {"host": "other"}],
    ids=["quantity", "gift", "room", "host"],
)
def test_a_key_reused_with_other_parameters_is_refused(
    sender: Any, host: Any, catalog: dict[str, Gift], change: dict[str, Any]
) -> None:
    send(sender, host, key="once")
    options: dict[str, Any] = {"key": "once", **change}
    other_host = UserFactory() if options.pop("host", None) else host

    assert code_of(lambda: send(sender, other_host, **options)) == ("idempotency_conflict", 409)
    assert GiftSend.objects.count() == 1
    assert selectors.coin_balance(sender) == 95


def test_keys_belong_to_their_member(host: Any, catalog: dict[str, Gift]) -> None:
    first, second = UserFactory(), UserFactory()
    fund(first, 10)
    fund(second, 10)
    a = send(first, host, key="shared-key")
    b = send(second, host, key="shared-key")
    assert not a.replayed and not b.replayed and a.gift_send_id != b.gift_send_id
    assert selectors.coin_balance(first) == selectors.coin_balance(second) == 5


def test_insufficient_funds_leaves_nothing_behind_and_the_key_free(
    host: Any, catalog: dict[str, Gift]
) -> None:
    poor = UserFactory()
    fund(poor, 4)

    assert code_of(lambda: send(poor, host, key="try")) == ("insufficient_funds", 402)
    assert not GiftSend.objects.exists()
    assert not Entry.objects.filter(kind=Entry.Kind.GIFT).exists()
    assert not IdempotencyRecord.objects.filter(scope="gift").exists()
    assert selectors.coin_balance(poor) == 4

    fund(poor, 1)
    assert send(poor, host, key="try").balance == 0


def test_a_member_who_never_had_coins_cannot_send(host: Any, catalog: dict[str, Gift]) -> None:
    assert code_of(lambda: send(UserFactory(), host)) == ("insufficient_funds", 402)


def test_an_unknown_or_withdrawn_gift_is_refused(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    Gift.objects.filter(slug="rocket").update(is_active=False)
    for slug in ("no-such-gift", "rocket"):
        assert code_of(lambda slug=slug: send(sender, host, gift=slug)) == ("unknown_gift", 400)
    # No slug at all, or longer than any: the request's shape (wallet.rules).
    for slug in ("", "x" * 41):
        assert code_of(lambda slug=slug: send(sender, host, gift=slug)) == ("invalid", 400)
    assert not GiftSend.objects.exists()
    assert not IdempotencyRecord.objects.filter(scope="gift").exists()
    assert selectors.coin_balance(sender) == 100


def test_a_retry_is_replayed_even_after_the_gift_is_withdrawn(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    first = send(sender, host, gift="coffee", key="before")
    Gift.objects.filter(slug="coffee").update(is_active=False)
    again = send(sender, host, gift="coffee", key="before")
    assert again.replayed and again.gift_send_id == first.gift_send_id


@pytest.mark.parametrize("quantity", [0, -1, 100, 1.5, True, "3", None])
def test_the_quantity_is_a_whole_number_from_1_to_99(
    sender: Any, host: Any, catalog: dict[str, Gift], quantity: Any
) -> None:
    assert code_of(lambda: send(sender, host, quantity=quantity)) == ("invalid", 400)


def test_99_is_the_largest_quantity(sender: Any, host: Any, catalog: dict[str, Gift]) -> None:
    assert send(sender, host, gift="rose", quantity=99).coins == 99


@pytest.mark.parametrize("key", ["", "x" * 101, "has space", None, 12])
def test_a_malformed_idempotency_key_is_invalid(
    sender: Any, host: Any, catalog: dict[str, Gift], key: Any
) -> None:
    assert code_of(lambda: send(sender, host, key=key)) == ("invalid", 400)


def test_a_member_cannot_gift_themselves(sender: Any, catalog: dict[str, Gift]) -> None:
    assert code_of(lambda: send(sender, sender)) == ("self_action", 400)


def test_sending_costs_a_fixed_number_of_queries(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    send(sender, host, key="warm-up")  # accounts exist from here on
    with CaptureQueriesContext(connection) as first:
        send(sender, host, key="q-1")
    with CaptureQueriesContext(connection) as second:
        send(sender, host, key="q-2", gift="coffee")
    assert len(first.captured_queries) == len(second.captured_queries) <= 14


# --- tallies and leaderboards -------------------------------------------------------------


def _at(moment: datetime, result: GiftResult) -> None:
    GiftSend.objects.filter(pk=result.gift_send_id).update(created_at=moment)


def test_tallies_per_session_room_and_creator_day(host: Any, catalog: dict[str, Gift]) -> None:
    a, b = UserFactory(), UserFactory()
    fund(a, 1_000)
    fund(b, 1_000)
    _at(datetime(2026, 5, 4, 0, 0, tzinfo=UTC),
        send(a, host, gift="heart", quantity=3, key="1", room_id=1, session_id=10))  # fmt: skip
    _at(datetime(2026, 5, 4, 23, 59, tzinfo=UTC),
        send(b, host, gift="sprout", key="2", room_id=1, session_id=10))  # fmt: skip
    _at(datetime(2026, 5, 5, 0, 0, tzinfo=UTC),
        send(a, host, gift="rose", quantity=2, key="3", room_id=1, session_id=11))  # fmt: skip
    send(a, UserFactory(), gift="coffee", key="4", room_id=2, session_id=12)

    assert live_selectors.session_gift_tally(10) == {"gifts": 4, "coins": 67, "unique_payers": 2}
    assert live_selectors.session_gift_tally(11) == {"gifts": 2, "coins": 2, "unique_payers": 1}
    assert live_selectors.session_gift_tally(99) == {"gifts": 0, "coins": 0, "unique_payers": 0}
    assert live_selectors.room_gift_tally(1) == {"gifts": 6, "coins": 69, "unique_payers": 2}
    assert selectors.host_gift_tally(host, DAY) == {"gifts": 4, "coins": 67, "unique_payers": 2}
    assert selectors.host_gift_tally(host, DAY + timedelta(days=1)) == {
        "gifts": 2,
        "coins": 2,
        "unique_payers": 1,
    }
    # 15 coins of hearts -> 11 for the host; 52 of sprout -> 37.
    assert live_selectors.session_gift_earnings(10) == 48
    assert live_selectors.session_gift_earnings(99) == 0


def test_leaderboards_rank_by_coins_ties_to_the_first_giver(
    host: Any, catalog: dict[str, Gift]
) -> None:
    fans = [UserFactory(username=f"fan{n}", display_name="") for n in range(4)]
    for fan in fans:
        fund(fan, 1_000)
    send(fans[0], host, gift="coffee", key="a", session_id=1)  # 10
    send(fans[1], host, gift="heart", quantity=2, key="b", session_id=1)  # 10, later
    send(fans[2], host, gift="sprout", key="c", session_id=1)  # 52
    send(fans[0], host, gift="rose", key="d", session_id=1)  # 11 in all
    send(fans[3], host, gift="castle", key="e", room_id=1, session_id=2)  # another session

    top = live_selectors.session_top_gifters(1)
    assert [(g.username, g.coins) for g in top] == [("fan2", 52), ("fan0", 11), ("fan1", 10)]
    assert top[0].display_name == "fan2"  # no display name: the username
    assert [g.username for g in live_selectors.session_top_gifters(1, limit=2)] == ["fan2", "fan0"]
    assert live_selectors.room_top_gifters(1)[0].username == "fan3"


def test_a_leaderboard_costs_one_query(host: Any, catalog: dict[str, Gift]) -> None:
    for n in range(5):
        fan = UserFactory()
        fund(fan, 100)
        send(fan, host, key=f"k{n}", session_id=1)
    with CaptureQueriesContext(connection) as ctx:
        assert len(live_selectors.session_top_gifters(1)) == 5
    assert len(ctx.captured_queries) == 1


# --- the creator pool's gift income ---------------------------------------------------------


def test_the_stat_provider_reports_each_creators_gift_income_in_one_query(
    catalog: dict[str, Gift],
) -> None:
    creator, quiet, not_asked = CreatorFactory(), CreatorFactory(), CreatorFactory()
    fan = UserFactory()
    fund(fan, 2_000)
    _at(datetime(2026, 5, 4, 12, tzinfo=UTC), send(fan, creator.user, gift="rocket", key="1"))
    _at(datetime(2026, 5, 4, 13, tzinfo=UTC), send(fan, creator.user, gift="heart", key="2"))
    _at(datetime(2026, 5, 5, 1, tzinfo=UTC), send(fan, creator.user, gift="castle", key="3"))
    _at(datetime(2026, 5, 4, 14, tzinfo=UTC), send(fan, not_asked.user, gift="rose", key="4"))

    with CaptureQueriesContext(connection) as ctx:
        income = gift_income(DAY, [creator.pk, quiet.pk])
    assert income == {creator.pk: {"gift_income": 204}}
    assert len(ctx.captured_queries) == 1
    assert gift_income(DAY, []) == {}


def test_daily_stats_gain_gift_income(catalog: dict[str, Gift], settings: Any) -> None:
    creator = CreatorFactory()
    fan = UserFactory()
    fund(fan, 100)
    _at(datetime(2026, 5, 4, 12, tzinfo=UTC), send(fan, creator.user, gift="sprout"))

    kol_services.stats_compute_day(day=DAY)

    assert CreatorDailyStat.objects.get(creator=creator, date=DAY).gift_income == 52


# --- the session report's cash column --------------------------------------------------------


def test_the_session_report_shows_cash_beside_traffic(
    live_room: Room, catalog: dict[str, Gift]
) -> None:
    session = LiveSession.objects.get(room=live_room, ended_at=None)
    a, b = UserFactory(), UserFactory()
    fund(a, 100)
    fund(b, 100)
    for sender, slug, key in ((a, "coffee", "1"), (b, "heart", "2"), (a, "heart", "3")):
        live_gifts.room_gift_send_unpublished(
            sender=sender, room_id=live_room.pk, gift_slug=slug, quantity=1, idempotency_key=key
        )

    report = live_selectors.session_report(LiveSession.objects.get(pk=session.pk))

    gifts = {key: report["cash"][key] for key in ("gifts", "coins", "unique_payers", "earnings")}
    assert gifts == {"gifts": 3, "coins": 20, "unique_payers": 2, "earnings": 15}
    assert "traffic" in report


# --- sending in a room ------------------------------------------------------------------------


def test_a_gift_in_a_room_goes_to_its_host_in_its_open_session(
    sender: Any, live_room: Room, catalog: dict[str, Gift]
) -> None:
    session = LiveSession.objects.get(room=live_room, ended_at=None)
    sent = live_gifts.room_gift_send_unpublished(
        sender=sender, room_id=live_room.pk, gift_slug="sprout", quantity=1, idempotency_key="r"
    )
    row = GiftSend.objects.get()
    assert (row.host, row.room_id, row.session_id) == (live_room.host, live_room.pk, session.pk)
    assert sent.event is not None
    assert sent.event["type"] == "gift" and sent.event["id"] == row.pk
    assert sent.event["gift"]["animation_tier"] == 2
    assert sent.event["user"]["username"] == "mei"
    assert sent.event["coins"] == 52 and sent.event["quantity"] == 1

    again = live_gifts.room_gift_send_unpublished(
        sender=sender, room_id=live_room.pk, gift_slug="sprout", quantity=1, idempotency_key="r"
    )
    assert again.event is None and again.result.gift_send_id == row.pk


@pytest.mark.parametrize("state", [Room.State.SCHEDULED, Room.State.ENDED])
def test_a_room_that_is_not_live_takes_no_gifts(
    sender: Any, catalog: dict[str, Gift], state: str
) -> None:
    live_room = Room.objects.create(host=UserFactory(), title="Later", state=state)
    with pytest.raises(DomainError) as caught:
        live_gifts.room_gift_send_unpublished(
            sender=sender, room_id=live_room.pk, gift_slug="rose", quantity=1, idempotency_key="x"
        )
    assert caught.value.code == "room_not_live"
    assert selectors.coin_balance(sender) == 100


# --- HTTP -----------------------------------------------------------------------------------


def test_the_catalog_endpoint_is_public(catalog: dict[str, Gift], settings: Any) -> None:
    image = SimpleUploadedFile("castle.jpg", jpeg_bytes(), content_type="image/jpeg")
    castle = catalog["castle"]
    castle.image.save("castle.jpg", image)
    Gift.objects.filter(slug="rose").update(is_active=False)

    response = APIClient().get("/api/v1/gifts/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [g["slug"] for g in results] == ["heart", "coffee", "sprout", "rocket", "castle"]
    assert results[0] == {
        "slug": "heart",
        "name": "Heart",
        "coins": 5,
        "animation_tier": 1,
        "emoji": "🎁",
        "image": "",
    }
    assert results[-1]["image"].startswith("http://testserver/media/gifts/")
    assert APIClient().get("/api/v1/gifts").status_code == 200


def gifts_url(live_room: Room) -> str:
    return f"/api/v1/live/rooms/{live_room.pk}/gifts/"


def test_sending_over_http_answers_201_and_replays_the_same_answer(
    sender: Any,
    live_room: Room,
    catalog: dict[str, Gift],
    django_capture_on_commit_callbacks: Any,
    room_events: RoomEvents,
) -> None:
    client = APIClient()
    client.force_authenticate(sender)
    body = {"gift": "coffee", "quantity": 3, "idempotency_key": "http-1"}

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(gifts_url(live_room), body, format="json")
        again = client.post(gifts_url(live_room), body, format="json")

    assert first.status_code == again.status_code == 201
    gift_id = GiftSend.objects.get().pk
    assert first.json() == {"gift_id": gift_id, "coins": 30, "balance": 70, "replayed": False}
    assert again.json() == {"gift_id": gift_id, "coins": 30, "balance": 70, "replayed": True}
    gift_events = [(r, e) for r, e in room_events if e["type"] == "gift"]
    assert len(gift_events) == 1  # the room hears of it once
    assert gift_events[0][0] == live_room.pk and gift_events[0][1]["id"] == gift_id
    boards = [e for _, e in room_events if e["type"] == "leaderboard"]
    assert boards == [
        {
            "type": "leaderboard",
            "top": [
                {"user": {"id": sender.pk, "username": "mei", "display_name": sender.shown_name},
                 "coins": 30}
            ],
        }
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"gift": "castle", "quantity": 1, "idempotency_key": "k"}, 402, "insufficient_funds"),
        ({"gift": "nope", "quantity": 1, "idempotency_key": "k"}, 400, "unknown_gift"),
        ({"gift": "rose", "quantity": 100, "idempotency_key": "k"}, 400, "invalid"),
        ({"gift": "rose", "quantity": 0, "idempotency_key": "k"}, 400, "invalid"),
        ({"gift": "rose", "quantity": 1}, 400, "invalid"),
        ({"gift": "rose", "quantity": 1, "idempotency_key": "has space"}, 400, "invalid"),
        ({"quantity": 1, "idempotency_key": "k"}, 400, "invalid"),
    ],
)
def test_refused_sends_answer_the_error_shape(
    sender: Any,
    live_room: Room,
    catalog: dict[str, Gift],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    client = APIClient()
    client.force_authenticate(sender)
    response = client.post(gifts_url(live_room), body, format="json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not GiftSend.objects.exists()
    assert selectors.coin_balance(sender) == 100


def test_a_key_reused_over_http_with_other_parameters_is_409(
    sender: Any, live_room: Room, catalog: dict[str, Gift]
) -> None:
    client = APIClient()
    client.force_authenticate(sender)
    client.post(gifts_url(live_room), {"gift": "rose", "idempotency_key": "k"}, format="json")
    response = client.post(
        gifts_url(live_room), {"gift": "rose", "quantity": 2, "idempotency_key": "k"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_a_room_that_is_not_live_answers_409_room_not_live(
    sender: Any, catalog: dict[str, Gift]
) -> None:
    live_room = Room.objects.create(host=UserFactory(), title="Soon", state=Room.State.SCHEDULED)
    client = APIClient()
    client.force_authenticate(sender)
    response = client.post(
        gifts_url(live_room), {"gift": "rose", "idempotency_key": "k"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "room_not_live"


def test_unknown_rooms_visitors_and_banned_members_cannot_send(
    sender: Any, live_room: Room, catalog: dict[str, Gift]
) -> None:
    body = {"gift": "rose", "idempotency_key": "k"}
    visitor = APIClient().post(gifts_url(live_room), body, format="json")
    assert visitor.status_code == 401
    assert visitor.json()["error"]["code"] == "unauthenticated"

    client = APIClient()
    client.force_authenticate(sender)
    missing = client.post("/api/v1/live/rooms/999999/gifts/", body, format="json")
    assert missing.status_code == 404
    huge = client.post(f"/api/v1/live/rooms/{10**30}/gifts/", body, format="json")
    assert huge.status_code == 404

    RoomRestriction.objects.create(room=live_room, user=sender, kind=RoomRestriction.Kind.BAN)
    banned = client.post(gifts_url(live_room), body, format="json")
    assert banned.status_code == 403 and banned.json()["error"]["code"] == "banned"
    assert not GiftSend.objects.exists()


def test_the_sender_is_always_the_caller(
    sender: Any, live_room: Room, catalog: dict[str, Gift]
) -> None:
    """There is no way to name another sender: a member spends only their
    own coins, whatever the body says."""
    victim = UserFactory()
    fund(victim, 100)
    client = APIClient()
    client.force_authenticate(sender)
    body = {
        "gift": "coffee",
        "idempotency_key": "k",
        "sender": victim.pk,
        "user": victim.pk,
        "user_id": victim.pk,
        "from": victim.username,
    }

    response = client.post(gifts_url(live_room), body, format="json")

    assert response.status_code == 201
    assert GiftSend.objects.get().sender == sender
    assert selectors.coin_balance(victim) == 100
    assert selectors.coin_balance(sender) == 90


def test_a_member_cannot_replay_another_members_key(
    sender: Any, live_room: Room, catalog: dict[str, Gift]
) -> None:
    client = APIClient()
    client.force_authenticate(sender)
    body = {"gift": "coffee", "idempotency_key": "guessable"}
    mine = client.post(gifts_url(live_room), body, format="json").json()

    other = UserFactory()
    other_client = APIClient()
    other_client.force_authenticate(other)
    theirs = other_client.post(gifts_url(live_room), body, format="json")

    assert theirs.status_code == 402  # their own (empty) wallet, not my answer
    assert theirs.json()["error"]["code"] == "insufficient_funds"
    assert mine["replayed"] is False


def test_the_leaderboard_endpoint_shows_the_current_session(
    live_room: Room, catalog: dict[str, Gift]
) -> None:
    fan = UserFactory(username="topfan")
    fund(fan, 100)
    live_gifts.room_gift_send_unpublished(
        sender=fan, room_id=live_room.pk, gift_slug="coffee", quantity=2, idempotency_key="k"
    )
    response = APIClient().get(f"/api/v1/live/rooms/{live_room.pk}/leaderboard/")
    assert response.status_code == 200
    body = response.json()
    assert body["session_id"] == LiveSession.objects.get(room=live_room).pk
    assert [(e["user"]["username"], e["coins"]) for e in body["top"]] == [("topfan", 20)]

    never_live = Room.objects.create(host=UserFactory(), title="x", state=Room.State.SCHEDULED)
    empty = APIClient().get(f"/api/v1/live/rooms/{never_live.pk}/leaderboard")
    assert empty.json() == {"session_id": None, "top": []}
    assert APIClient().get("/api/v1/live/rooms/999999/leaderboard/").status_code == 404


def test_the_endpoints_are_in_the_schema() -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    assert "/api/v1/gifts/" in paths
    assert any(p.startswith("/api/v1/live/rooms/{") and p.endswith("/gifts/") for p in paths)


# --- admin --------------------------------------------------------------------------------


def test_staff_edit_the_catalog_and_see_sends_read_only(
    sender: Any, host: Any, catalog: dict[str, Gift]
) -> None:
    send(sender, host)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)

    assert client.get("/admin/wallet/gift/").status_code == 200
    castle = catalog["castle"]
    page = client.get(f"/admin/wallet/gift/{castle.pk}/change/")
    assert page.status_code == 200
    for field in ("name", "slug", "coins", "animation_tier", "image", "emoji", "is_active",
                  "position"):  # fmt: skip
        assert f'name="{field}"' in page.content.decode()
    changed = client.post(
        f"/admin/wallet/gift/{castle.pk}/change/",
        {"name": "Big castle", "slug": "castle", "coins": 600, "animation_tier": 3,
         "emoji": "🏰", "is_active": "on", "position": 9},
    )  # fmt: skip
    assert changed.status_code == 302
    castle.refresh_from_db()
    assert (castle.name, castle.coins, castle.position) == ("Big castle", 600, 9)

    assert client.get("/admin/wallet/giftsend/").status_code == 200
    sent = GiftSend.objects.get()
    detail = client.get(f"/admin/wallet/giftsend/{sent.pk}/change/")
    assert detail.status_code == 200 and 'name="quantity"' not in detail.content.decode()
    assert client.get("/admin/wallet/giftsend/add/").status_code == 403
