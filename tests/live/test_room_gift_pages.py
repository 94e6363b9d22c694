"""Gifts on the live pages: the go-live page's report of a broadcast shows
what it brought in gifts (its *cash* column) beside the traffic; the room
page offers the gift tray to members but not to the host (a host cannot gift
themselves), and hands its script the leaderboard's address, so a page
opened mid-live shows the top gifters at once, and the room's last gifts'
address, so a page whose connection was away shows the gifts sent meanwhile
(tests/browser/test_live_gifts.py and test_live_room_reconnect.py drive them
in Chromium)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from community.models import User
from live import services
from live.models import Room
from live.selectors import session_gift_earnings
from live.services import gifts as live_gifts
from tests.clients import logged_in
from tests.factories import FundedMemberFactory, UserFactory
from tests.factories.wallet import gift_catalog
from tests.live.test_views import room_config
from wallet.models import GiftSend

pytestmark = pytest.mark.django_db


def figure(page: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page)
    assert found, f"no {label!r} figure"
    return found.group(1)


def cash_of(page: str) -> str:
    start = page.index("data-report-cash")
    return page[start : page.index("</dl>", start)]


def test_the_report_of_a_running_broadcast_shows_its_gifts(host: User, live_room: Room) -> None:
    gift_catalog()
    fan, other = FundedMemberFactory(coins=500), FundedMemberFactory(coins=500)
    for sender, slug, quantity, key in (
        (fan, "rocket", 1, "a"),
        (fan, "heart", 5, "b"),
        (other, "rose", 3, "c"),
    ):
        live_gifts.room_gift_send_unpublished(
            sender=sender, room_id=live_room.pk, gift_slug=slug, quantity=quantity,
            idempotency_key=key,
        )  # fmt: skip

    page = logged_in(host).get(reverse("go_live")).content.decode()

    report = page[page.index("Latest broadcasts") :]
    assert "live now" in report
    cash = cash_of(report)
    assert figure(cash, "Gifts") == "9"  # items: 1 + 5 + 3
    assert figure(cash, "Coins") == "227"  # 199 + 25 + 3
    assert figure(cash, "Paying viewers") == "2"
    earned = session_gift_earnings(GiftSend.objects.filter(room_id=live_room.pk)[0].session_id or 0)
    assert 0 < earned < 227
    assert f"{earned} coins to your earnings, after the platform’s share." in report


def test_a_broadcast_without_gifts_reports_zeros_and_no_earnings(
    host: User, live_room: Room
) -> None:
    services.session_end(room=live_room, reason="publish_done")

    page = logged_in(host).get(reverse("go_live")).content.decode()

    cash = cash_of(page[page.index("Latest broadcasts") :])
    assert [figure(cash, label) for label in ("Gifts", "Coins", "Paying viewers")] == [
        "0",
        "0",
        "0",
    ]
    assert "to your earnings" not in page


def test_members_get_the_gift_tray_and_the_host_does_not(host: User, live_room: Room) -> None:
    member_page = logged_in(UserFactory()).get(live_room.get_absolute_url()).content.decode()
    assert "data-gifts-toggle" in member_page
    assert "data-gift-tray" in member_page

    host_page = logged_in(host).get(live_room.get_absolute_url()).content.decode()
    assert "data-gifts-toggle" not in host_page
    assert "data-gift-tray" not in host_page
    assert "data-leaderboard" in host_page  # the top gifters are for everyone
    assert "data-end-form" in host_page


def test_the_room_page_hands_its_script_the_leaderboard(
    client: Client, host: User, live_room: Room
) -> None:
    gift_catalog()
    fan = FundedMemberFactory(display_name="Dumpling Fan", coins=100)
    live_gifts.room_gift_send_unpublished(
        sender=fan, room_id=live_room.pk, gift_slug="coffee", quantity=2, idempotency_key="k"
    )

    url = room_config(client.get(live_room.get_absolute_url()))["api"]["leaderboard"]

    assert url == f"/api/v1/live/rooms/{live_room.pk}/leaderboard/"
    board = client.get(url).json()
    assert [(row["user"]["display_name"], row["coins"]) for row in board["top"]] == [
        ("Dumpling Fan", 20)
    ]


def test_the_room_page_hands_its_script_the_rooms_last_gifts(
    client: Client, host: User, live_room: Room
) -> None:
    gift_catalog()
    fan = FundedMemberFactory(username="dumpling_fan", display_name="Dumpling Fan", coins=500)
    sent = [
        live_gifts.room_gift_send_unpublished(
            sender=fan, room_id=live_room.pk, gift_slug=slug, quantity=1, idempotency_key=slug
        )
        for slug in ("coffee", "rose", "rocket")
    ]

    url = room_config(client.get(live_room.get_absolute_url()))["api"]["roomGifts"]

    assert url == f"/api/v1/live/rooms/{live_room.pk}/gifts/"
    response = client.get(url)  # a visitor: the room's events are public
    assert response.status_code == 200
    gifts = response.json()["gifts"]
    # Oldest first, each the websocket's gift event, as the page opens with.
    assert [event["id"] for event in gifts] == [gift.result.gift_send_id for gift in sent]
    assert gifts == room_config(client.get(live_room.get_absolute_url()))["recentGifts"]
    first = gifts[0]
    assert first["type"] == "gift"
    assert first["user"] == {
        "id": fan.pk,
        "username": "dumpling_fan",
        "display_name": "Dumpling Fan",
    }
    assert (first["gift"]["slug"], first["quantity"], first["coins"]) == ("coffee", 1, 10)


def test_the_rooms_last_gifts_of_an_unknown_room_are_a_404(client: Client) -> None:
    for pk in (987654, 0):
        response = client.get(f"/api/v1/live/rooms/{pk}/gifts/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_reading_the_last_gifts_is_not_a_write(live_room: Room) -> None:
    """Sending still needs a member and counts against the writes
    throttle; reading the list is an ordinary read."""
    from rest_framework.test import APIRequestFactory

    from live.api import RoomGiftView

    factory = APIRequestFactory()
    for method, scope in (("get", None), ("post", "writes")):
        view = RoomGiftView()
        view.request = getattr(factory, method)("/")
        assert view.throttle_scope == scope
    response = Client().post(
        f"/api/v1/live/rooms/{live_room.pk}/gifts/",
        {"gift": "coffee", "quantity": 1, "idempotency_key": "k"},
        content_type="application/json",
    )
    assert response.status_code == 401
