"""What a viewer does from the live room itself: follow the host, buy coins
(the top-up sheet, the wallet's packs and recharge API), and what an ended
room shows (its last broadcast's figures, as the report counts them)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Follow
from live import selectors
from live.models import Room
from tests.clients import logged_in
from tests.factories import FollowFactory, RoomFactory, UserFactory
from tests.factories.live import LiveSessionFactory
from wallet import selectors as wallet_selectors

pytestmark = pytest.mark.django_db


def room_config(response: Any) -> dict[str, Any]:
    match = re.search(
        rb'<script id="live-room-config" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert match is not None
    return dict(json.loads(match.group(1)))


def room_page(client: Client, room: Room) -> Any:
    response = client.get(reverse("live_room", args=[room.pk]))
    assert response.status_code == 200
    return response


# --- follow the host -----------------------------------------------------------------


def test_a_member_gets_a_follow_button_that_posts_back_to_the_room() -> None:
    room = RoomFactory(live=True)
    member = UserFactory()
    response = room_page(logged_in(member), room)
    html = response.content.decode()
    assert f'action="{reverse("user_follow", args=[room.host.username])}"' in html
    assert 'name="on" value="1"' in html
    assert f'name="next" value="/live/{room.pk}/"' in html
    assert 'aria-pressed="false"' in html
    config = room_config(response)
    assert config["api"]["follow"] == f"/api/v1/users/{room.host.username}/follow"


def test_a_follower_sees_following() -> None:
    room = RoomFactory(live=True)
    member = UserFactory()
    FollowFactory(follower=member, followee=room.host)
    html = room_page(logged_in(member), room).content.decode()
    assert 'name="on" value="0"' in html
    assert 'aria-pressed="true"' in html
    assert "Following" in html


def test_the_host_has_no_follow_button_in_their_own_room() -> None:
    room = RoomFactory(live=True)
    html = room_page(logged_in(room.host), room).content.decode()
    assert "data-follow" not in html


def test_a_visitor_is_sent_to_log_in_and_back_to_the_room() -> None:
    room = RoomFactory(live=True)
    html = room_page(Client(), room).content.decode()
    assert f'href="/login?next=/live/{room.pk}/" data-follow-login' in html
    assert "data-follow-form" not in html


def test_following_from_the_room_without_javascript_comes_back_to_it() -> None:
    room = RoomFactory(live=True)
    member = UserFactory()
    client = logged_in(member)
    url = reverse("user_follow", args=[room.host.username])
    response = client.post(url, {"on": "1", "next": f"/live/{room.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/live/{room.pk}/"
    assert Follow.objects.filter(follower=member, followee=room.host).exists()
    client.post(url, {"on": "0", "next": f"/live/{room.pk}/"})
    assert not Follow.objects.filter(follower=member, followee=room.host).exists()


def test_the_rooms_follow_api_needs_a_member_and_the_csrf_token() -> None:
    room = RoomFactory(live=True)
    url = f"/api/v1/users/{room.host.username}/follow"
    assert Client().post(url).status_code in (401, 403)
    member = UserFactory()
    strict = logged_in(member)
    strict.handler.enforce_csrf_checks = True
    assert strict.post(url).status_code == 403
    assert not Follow.objects.exists()
    answer = logged_in(member).post(url)
    assert answer.status_code == 200
    assert answer.json() == {"following": True, "follower_count": 1}


def test_the_host_cannot_follow_themselves_from_the_api() -> None:
    room = RoomFactory(live=True)
    answer = logged_in(room.host).post(f"/api/v1/users/{room.host.username}/follow")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "self_action"


# --- top up in the room ------------------------------------------------------------------


def test_a_viewer_gets_the_wallets_packs_in_the_top_up_sheet() -> None:
    room = RoomFactory(live=True)
    response = room_page(logged_in(UserFactory()), room)
    html = response.content.decode()
    assert "data-topup" in html
    for pack in wallet_selectors.recharge_packs():
        assert f'name="coins" value="{pack.coins}" data-price="{pack.price_text}"' in html
    assert f'value="{wallet_selectors.DEFAULT_PACK}" data-price' in html
    assert "Sandbox: nothing is charged." in html
    assert room_config(response)["api"]["recharge"] == "/api/v1/wallet/recharge"


def test_the_wallet_page_offers_the_same_packs() -> None:
    html = logged_in(UserFactory()).get(reverse("wallet")).content.decode()
    for pack in wallet_selectors.recharge_packs():
        assert f'value="{pack.coins}"' in html
        assert pack.price_text in html


def test_the_host_and_visitors_get_no_top_up_sheet() -> None:
    room = RoomFactory(live=True)
    assert "data-topup" not in room_page(logged_in(room.host), room).content.decode()
    assert "data-topup" not in room_page(Client(), room).content.decode()


def test_a_visitor_cannot_recharge() -> None:
    answer = Client().post(
        "/api/v1/wallet/recharge",
        data={"coins": 300, "idempotency_key": uuid.uuid4().hex},
        content_type="application/json",
    )
    assert answer.status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"coins": 0, "idempotency_key": "k-1234567"}, "coins"),
        ({"coins": 100_001, "idempotency_key": "k-1234567"}, "coins"),
        ({"coins": "lots", "idempotency_key": "k-1234567"}, "coins"),
        ({"coins": 300}, "idempotency_key"),
    ],
)
def test_a_bad_top_up_is_refused_with_a_code_and_charges_nothing(
    body: dict[str, Any], field: str
) -> None:
    member = UserFactory()
    answer = logged_in(member).post(
        "/api/v1/wallet/recharge", data=body, content_type="application/json"
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert wallet_selectors.coin_balance(member) == 0


def test_a_top_up_from_the_room_is_counted_once_and_lands_in_the_balance() -> None:
    member = UserFactory()
    client = logged_in(member)
    body = {"coins": 300, "idempotency_key": uuid.uuid4().hex}
    first = client.post("/api/v1/wallet/recharge", data=body, content_type="application/json")
    again = client.post("/api/v1/wallet/recharge", data=body, content_type="application/json")
    assert first.status_code == again.status_code == 201
    assert first.json()["payment"]["status"] == "succeeded"
    assert first.json()["balance"] == 300
    assert again.json()["replayed"] is True
    assert wallet_selectors.coin_balance(member) == 300


# --- an ended room ---------------------------------------------------------------------


def test_an_ended_room_shows_the_figures_of_its_report() -> None:
    session = LiveSessionFactory(hearts=3, peak_viewers=12, unique_viewers=31, chat_messages=40)
    room = session.room
    report = selectors.session_report(session)
    totals = selectors.room_final_totals(room)
    assert totals is not None
    assert totals.hearts == report["traffic"]["hearts"] == 3
    assert totals.viewers == report["traffic"]["unique_viewers"] == 31
    assert totals.peak_viewers == report["traffic"]["peak_viewers"] == 12
    assert totals.gifts == report["cash"]["gifts"] == 0

    response = room_page(logged_in(UserFactory()), room)
    html = response.content.decode()
    assert '<dd data-final="hearts">3</dd>' in html
    assert '<dd data-final="viewers">31</dd>' in html
    assert '<dd data-final="peak_viewers">12</dd>' in html
    assert "Broadcast ended" in html
    config = room_config(response)
    assert config["hearts"] == 3
    assert config["final"]["hearts"] == 3


def test_an_ended_room_shows_its_last_broadcast() -> None:
    older = LiveSessionFactory(hearts=50)
    LiveSessionFactory(room=older.room, hearts=7)
    totals = selectors.room_final_totals(older.room)
    assert totals is not None and totals.hearts == 7


def test_a_live_room_has_no_final_figures() -> None:
    room = RoomFactory(live=True)
    assert selectors.room_final_totals(room) is None
    html = room_page(Client(), room).content.decode()
    assert "data-final-totals hidden" in html
    assert "Connecting…" in html


def test_an_ended_room_that_never_went_live_shows_no_figures() -> None:
    room = RoomFactory(state=Room.State.ENDED)
    assert selectors.room_final_totals(room) is None
    assert "data-final-totals hidden" in room_page(Client(), room).content.decode()
