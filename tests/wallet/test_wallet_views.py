"""The wallet page: balance, recharge (preset packs and a custom amount) with
a form-carried idempotency key, and the history; only ever the member's own."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.clients import logged_in
from tests.factories import ModeratorFactory, SuperuserFactory, UserFactory
from tests.wallet.factories_core import recharge
from wallet import selectors
from wallet.models import Payment

pytestmark = pytest.mark.django_db

PAGE = "/wallet"
RECHARGE = "/wallet/recharge"


def form_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the form carries an idempotency key"
    return match.group(1)


def test_visitors_are_sent_to_log_in() -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/wallet")
    response = Client().post(RECHARGE, {"pack": "60", "idempotency_key": "k"})
    assert response.status_code == 302
    assert not Payment.objects.exists()


def test_the_page_shows_the_balance_the_packs_and_an_empty_history(user_client) -> None:  # type: ignore[no-untyped-def]
    response = user_client.get(PAGE)
    assert response.status_code == 200
    html = re.sub(r">\s+", ">", response.content.decode())
    assert "<title>Wallet · Sprout</title>" in html
    assert "data-wallet-coins>" in html
    for coins, price in ((60, "$0.60"), (300, "$3.00"), (980, "$9.80"), ("1,980", "$19.80")):
        assert f"</svg>{coins}</span>" in html
        assert price in html
    assert 'value="custom"' in html
    assert "Sandbox: nothing is charged" in html
    assert "Nothing here yet" in html
    assert form_key(html).startswith("web-")
    assert '<a href="/wallet" aria-current="page">' in html  # the account menu's link, lit


def test_buying_a_pack_adds_the_coins_and_shows_them(user_client, user) -> None:  # type: ignore[no-untyped-def]
    key = form_key(user_client.get(PAGE).content.decode())
    response = user_client.post(RECHARGE, {"pack": "300", "idempotency_key": key}, follow=True)
    assert response.redirect_chain == [("/wallet", 302)]
    html = re.sub(r">\s+", ">", response.content.decode())
    assert "300 coins added to your wallet." in html
    assert selectors.coin_balance(user) == 300
    assert "<span>300</span>" in html
    assert "Recharge" in html and "+300" in html
    assert form_key(html) != key  # a fresh form


def test_a_double_submitted_form_is_counted_once(user_client, user) -> None:  # type: ignore[no-untyped-def]
    key = form_key(user_client.get(PAGE).content.decode())
    user_client.post(RECHARGE, {"pack": "980", "idempotency_key": key})
    response = user_client.post(RECHARGE, {"pack": "980", "idempotency_key": key}, follow=True)
    assert "That recharge of 980 coins was already counted, once." in response.content.decode()
    assert Payment.objects.count() == 1
    assert selectors.coin_balance(user) == 980


def test_a_custom_amount_is_bought(user_client, user) -> None:  # type: ignore[no-untyped-def]
    user_client.post(RECHARGE, {"pack": "custom", "custom_coins": "1234", "idempotency_key": "w-1"})
    assert selectors.coin_balance(user) == 1234


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pack": "custom", "custom_coins": ""}, "How many coins?"),
        ({"pack": "custom", "custom_coins": "0"}, "greater than or equal to 1"),
        ({"pack": "custom", "custom_coins": "100001"}, "less than or equal to 100000"),
        ({"pack": "custom", "custom_coins": "2.5"}, "Enter a whole number"),
        ({"pack": "61"}, "Select a valid choice"),
    ],
)
def test_a_bad_amount_shows_the_form_again_and_keeps_its_key(user_client, data, message) -> None:  # type: ignore[no-untyped-def]
    response = user_client.post(RECHARGE, {**data, "idempotency_key": "keep-me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert html.count('class="field-error"') == 1
    assert form_key(html) == "keep-me"
    assert not Payment.objects.exists()


def test_an_old_form_sent_with_another_amount_gets_a_fresh_key(user_client, user) -> None:  # type: ignore[no-untyped-def]
    user_client.post(RECHARGE, {"pack": "60", "idempotency_key": "old"})
    response = user_client.post(RECHARGE, {"pack": "300", "idempotency_key": "old"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This form was already used" in html
    fresh = form_key(html)
    assert fresh != "old"
    user_client.post(RECHARGE, {"pack": "300", "idempotency_key": fresh})
    assert selectors.coin_balance(user) == 360


def test_a_tampered_key_is_refused_politely(user_client) -> None:  # type: ignore[no-untyped-def]
    response = user_client.post(RECHARGE, {"pack": "60", "idempotency_key": "no spaces please"})
    assert response.status_code == 400
    assert "This form is out of date. Reload the page and try again." in response.content.decode()
    assert not Payment.objects.exists()


def test_the_recharge_takes_only_post(user_client) -> None:  # type: ignore[no-untyped-def]
    assert user_client.get(RECHARGE).status_code == 405


def test_the_recharge_form_needs_the_csrf_token(user) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(RECHARGE, {"pack": "60", "idempotency_key": "k"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_the_history_pages_with_htmx(user_client, user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SPROUT_PAGE_SIZE = 2
    for n in range(3):
        recharge(user, 10 + n)
    html = user_client.get(PAGE).content.decode()
    assert "+12" in html and "+11" in html and "+10" not in html
    more = re.search(r'hx-get="([^"]+)"', html)
    assert more
    url = more.group(1).replace("&amp;", "&")
    fragment = user_client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "+10" in body
    assert "<html" not in body
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


def test_another_members_recharge_never_shows_on_my_page(user_client, user) -> None:  # type: ignore[no-untyped-def]
    recharge(UserFactory(), 1980)
    html = re.sub(r">\s+", ">", user_client.get(PAGE).content.decode())
    assert "+1,980" not in html
    assert "<span>0</span>" in html
    assert "Nothing here yet" in html


def test_the_page_costs_a_fixed_number_of_queries(
    user_client, user, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        recharge(user, 10 + n)
    with django_assert_max_num_queries(12):
        response: Any = user_client.get(PAGE)
    assert response.status_code == 200


# --- the admin (read-only ledger) ---------------------------------------------------------------


def test_staff_see_the_ledger_and_payments_read_only(user) -> None:  # type: ignore[no-untyped-def]

    recharge(user, 300)
    payment = Payment.objects.get()
    moderator = ModeratorFactory()
    boss = SuperuserFactory()
    for staff in (moderator, boss):
        client = logged_in(staff)
        for model in ("account", "entry", "line", "payment"):
            assert client.get(f"/admin/wallet/{model}/").status_code == 200
            assert client.get(f"/admin/wallet/{model}/add/").status_code == 403
        page = client.get(f"/admin/wallet/entry/{payment.entry_id}/change/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Coins issued" in html and "Member coins" in html  # its lines, inline
        assert "Save" not in html
        response = client.post(f"/admin/wallet/payment/{payment.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
    assert Payment.objects.count() == 1


def test_members_who_are_not_staff_cannot_see_the_ledger(user_client) -> None:  # type: ignore[no-untyped-def]
    response = user_client.get("/admin/wallet/entry/")
    assert response.status_code == 302
