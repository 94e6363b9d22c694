"""The wallet API: the caller's coins, recharges and ledger. Every endpoint
is the caller's own (there is no member id in any URL): one member's money
never shows in, or moves, another's wallet."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.wallet.factories_core import recharge
from wallet.models import Account, Entry, Payment
from wallet.services import ledger

pytestmark = pytest.mark.django_db

WALLET = "/api/v1/wallet/"
RECHARGE = "/api/v1/wallet/recharge"
LEDGER = "/api/v1/wallet/ledger/"


def buy(client: APIClient, coins: Any = 300, key: Any = "k-1", path: str = RECHARGE) -> Any:
    return client.post(path, {"coins": coins, "idempotency_key": key}, format="json")


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.mark.parametrize(("method", "path"), [("get", WALLET), ("post", RECHARGE), ("get", LEDGER)])
def test_every_wallet_endpoint_needs_a_member(api, method, path) -> None:  # type: ignore[no-untyped-def]
    response = getattr(api, method)(path, {"coins": 60, "idempotency_key": "k"}, format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "unauthenticated"
    assert not Payment.objects.exists()


def test_a_new_member_has_no_coins(user_api) -> None:  # type: ignore[no-untyped-def]
    response = user_api.get(WALLET)
    assert response.status_code == 200
    assert response.json() == {"coins": 0, "pending_coins": 0, "currency": "USD", "coin_price": 1}


@override_settings(SPROUT_WALLET_COIN_PRICE=10, SPROUT_CURRENCY="CNY")
def test_a_recharge_answers_201_with_the_payment_and_the_balance(user_api, user) -> None:  # type: ignore[no-untyped-def]
    response = buy(user_api, 980)
    assert response.status_code == 201
    payment = Payment.objects.get()
    assert response.json() == {
        "payment": {
            "id": payment.pk,
            "coins": 980,
            "amount": 9800,
            "currency": "CNY",
            "status": "succeeded",
        },
        "balance": 980,
        "replayed": False,
    }
    assert user_api.get(WALLET).json() == {
        "coins": 980,
        "pending_coins": 0,
        "currency": "CNY",
        "coin_price": 10,
    }
    assert user_api.get("/api/v1/me").json()["coins"] == 980


def test_a_retried_recharge_replays_the_first_answer(user_api) -> None:  # type: ignore[no-untyped-def]
    first = buy(user_api, 300, "retry-1")
    second = buy(user_api, 300, "retry-1")
    assert second.status_code == 201
    assert second.json() == {**first.json(), "replayed": True}
    assert Payment.objects.count() == 1
    assert user_api.get(WALLET).json()["coins"] == 300


def test_a_key_reused_for_another_amount_is_409(user_api) -> None:  # type: ignore[no-untyped-def]
    buy(user_api, 300, "reuse-1")
    response = buy(user_api, 60, "reuse-1")
    assert response.status_code == 409
    assert error(response) == {
        "code": "idempotency_conflict",
        "message": "This idempotency key was used with different parameters.",
        "fields": {"idempotency_key": ["Use a new key for a different request."]},
    }
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"coins": 0, "idempotency_key": "k"}, "coins"),
        ({"coins": 100_001, "idempotency_key": "k"}, "coins"),
        ({"coins": "lots", "idempotency_key": "k"}, "coins"),
        ({"coins": True, "idempotency_key": "k"}, "coins"),
        ({"coins": 1.5, "idempotency_key": "k"}, "coins"),
        ({"idempotency_key": "k"}, "coins"),
        ({"coins": 60}, "idempotency_key"),
        ({"coins": 60, "idempotency_key": ""}, "idempotency_key"),
        ({"coins": 60, "idempotency_key": "with space"}, "idempotency_key"),
        ({"coins": 60, "idempotency_key": "x" * 101}, "idempotency_key"),
    ],
)
def test_bad_recharges_answer_400_naming_the_field(user_api, body, field) -> None:  # type: ignore[no-untyped-def]
    response = user_api.post(RECHARGE, body, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"
    assert field in error(response)["fields"]
    assert not Payment.objects.exists()


def test_malformed_json_is_400_not_500(user_api) -> None:  # type: ignore[no-untyped-def]
    response = user_api.post(RECHARGE, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_request"


def test_both_spellings_of_the_recharge_path_work(user_api) -> None:  # type: ignore[no-untyped-def]
    assert buy(user_api, 60, "a-1", RECHARGE).status_code == 201
    assert buy(user_api, 60, "a-2", RECHARGE + "/").status_code == 201
    assert user_api.get("/api/v1/wallet").status_code == 200


def test_token_authentication_works_without_csrf(user) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert buy(client, 60).status_code == 201


def test_session_recharges_need_the_csrf_token(user) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = buy(client, 60)
    assert response.status_code == 403
    assert error(response)["code"] == "csrf_failed"
    assert not Payment.objects.exists()


@override_settings(SPROUT_WALLET_SANDBOX_SECRET="")
def test_an_unconfigured_provider_answers_503(user_api) -> None:  # type: ignore[no-untyped-def]
    response = buy(user_api, 60)
    assert response.status_code == 503
    assert error(response)["code"] == "payments_unavailable"


# --- the ledger ------------------------------------------------------------------------------


def test_the_ledger_lists_the_callers_lines_newest_first(user_api, user) -> None:  # type: ignore[no-untyped-def]
    buy(user_api, 60, "l-1")
    buy(user_api, 300, "l-2")
    response = user_api.get(LEDGER)
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [row["amount"] for row in body["results"]] == [300, 60]
    newest = body["results"][0]
    payment = Payment.objects.order_by("-id").first()
    assert payment is not None
    assert newest == {
        "id": newest["id"],
        "amount": 300,
        "unit": "coins",
        "account": "member_coins",
        "kind": "recharge",
        "entry": payment.entry_id,
        "memo": f"300 coins bought (payment {payment.pk})",
        "reference": newest["reference"],
        "pending": False,
        "created_at": newest["created_at"],
    }
    assert newest["reference"]["payment"] == payment.pk


def test_the_ledger_pages_by_cursor(user_api) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        buy(user_api, 10 + n, f"p-{n}")
    seen: list[int] = []
    url: str | None = LEDGER + "?page_size=2"
    pages = 0
    while url:
        body = user_api.get(url).json()
        seen += [row["amount"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert seen == [14, 13, 12, 11, 10]
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "code"), [("cursor=garbage", "invalid_cursor"), ("page_size=x", "invalid")]
)
def test_bad_ledger_parameters_are_400(user_api, query, code) -> None:  # type: ignore[no-untyped-def]
    response = user_api.get(f"{LEDGER}?{query}")
    assert response.status_code == 400
    assert error(response)["code"] == code


def test_a_creators_ledger_shows_earnings_waiting_for_the_roll_up(user_api, user) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    with transaction.atomic():
        ledger.entry_post(
            kind=Entry.Kind.GIFT,
            postings=[
                ledger.Posting(ledger.account_get_or_create(Account.Kind.COIN_ISSUANCE), -7),
                ledger.Posting(
                    ledger.account_get_or_create(Account.Kind.CREATOR_EARNINGS, user=user), 7
                ),
            ],
            memo="1× Heart from mei",
        )
    row = user_api.get(LEDGER).json()["results"][0]
    assert (row["account"], row["amount"], row["pending"]) == ("creator_earnings", 7, True)
    # Earnings are not coins to spend.
    assert user_api.get(WALLET).json()["coins"] == 0


# --- the other member --------------------------------------------------------------------------


def test_one_members_recharge_never_shows_in_anothers_wallet(user_api, other_api, user) -> None:  # type: ignore[no-untyped-def]
    buy(user_api, 1980, "mine")
    assert other_api.get(WALLET).json()["coins"] == 0
    assert other_api.get(LEDGER).json() == {"results": [], "next": None}
    assert other_api.get("/api/v1/me").json()["coins"] == 0
    assert user_api.get(WALLET).json()["coins"] == 1980


def test_a_key_is_per_member_so_another_cannot_replay_mine(user_api, other_api, other_user) -> None:  # type: ignore[no-untyped-def]
    mine = buy(user_api, 300, "shared-key").json()
    theirs = buy(other_api, 60, "shared-key")
    assert theirs.status_code == 201
    body = theirs.json()
    assert body["replayed"] is False
    assert body["payment"]["id"] != mine["payment"]["id"]
    assert body["balance"] == 60
    assert Payment.objects.get(pk=body["payment"]["id"]).user == other_user


def test_a_cursor_from_another_members_ledger_shows_only_your_own_lines(
    user_api, other_api
) -> None:  # type: ignore[no-untyped-def]
    buy(other_api, 5, "c-x")
    for n in range(3):
        buy(user_api, 100 + n, f"c-{n}")
    cursor = user_api.get(LEDGER + "?page_size=1").json()["next"].split("cursor=")[1]
    rows = other_api.get(f"{LEDGER}?cursor={cursor}").json()["results"]
    assert [row["amount"] for row in rows] == [5]


def test_members_can_recharge_at_the_same_time_without_mixing_wallets() -> None:
    alice, bob = UserFactory(), UserFactory()
    recharge(alice, 60)
    recharge(bob, 300)
    recharge(alice, 1)
    for member, coins in ((alice, 61), (bob, 300)):
        client = APIClient()
        client.force_authenticate(member)
        assert client.get(WALLET).json()["coins"] == coins


def test_the_wallet_endpoints_are_in_the_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    for path in (WALLET, RECHARGE, LEDGER, "/api/v1/wallet/callbacks/{provider}/"):
        assert f"{path}:" in text
    assert "/api/v1/wallet/recharge/:" not in text
