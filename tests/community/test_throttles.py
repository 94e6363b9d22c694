"""Brute-force limits on the ways into an account (``community.throttles``):
failed log-ins per account and per address on ``/login``, ``/admin/login/``
and the API's token endpoint, counted together; sign-ups per address on
``/signup`` and the API's register endpoint, counted together. A locked
account does not get in with the right password either.

The rate is the API's ``auth`` scope; the test settings relax it, so each
test sets its own (as the API's throttle tests do)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from community.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"
LIMIT = 3
LOCKED = "Too many attempts; try again in 60 minutes."


@pytest.fixture(autouse=True)
def auth_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "auth": f"{LIMIT}/h"},
    )


@pytest.fixture
def member() -> User:
    return UserFactory(username="mei")


@pytest.fixture
def staff() -> User:
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


def client_from(address: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login", {"username": username, "password": password})


def admin_log_in(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- /login ---------------------------------------------------------------------------------


def test_the_right_password_does_not_get_in_once_the_account_is_locked(member: User) -> None:
    client = client_from()
    for _ in range(LIMIT):
        failed = log_in(client, "mei", WRONG)
        assert failed.status_code == 200
        assert "Please enter a correct username and password" in failed.content.decode()

    refused = log_in(client, "mei", PASSWORD)

    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert not logged_in(client)


def test_the_account_is_locked_from_every_address(member: User) -> None:
    for n in range(LIMIT):
        log_in(client_from(f"198.51.100.{n}"), "MEI", WRONG)  # usernames ignore case

    elsewhere = client_from("192.0.2.99")
    assert log_in(elsewhere, "mei", PASSWORD).status_code == 429
    assert not logged_in(elsewhere)


def test_an_address_guessing_many_accounts_is_locked(member: User) -> None:
    client = client_from()
    for n in range(LIMIT):
        log_in(client, f"someone{n}", WRONG)

    assert log_in(client, "mei", PASSWORD).status_code == 429
    assert not logged_in(client)
    # The account itself is not locked: its owner elsewhere gets in.
    owner = client_from("192.0.2.10")
    assert log_in(owner, "mei", PASSWORD).status_code == 302
    assert logged_in(owner)


def test_a_few_failures_do_not_stop_the_owner(member: User) -> None:
    client = client_from()
    for _ in range(LIMIT - 1):
        log_in(client, "mei", WRONG)
    assert log_in(client, "mei", PASSWORD).status_code == 302
    assert logged_in(client)


# --- /admin/login/ ------------------------------------------------------------------------


def test_the_admin_login_is_locked_the_same_way(staff: User) -> None:
    client = client_from()
    for _ in range(LIMIT):
        assert admin_log_in(client, "boss", WRONG).status_code == 200

    refused = admin_log_in(client, "boss", PASSWORD)

    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # still to the login page


def test_failures_count_whichever_door_they_knock_on(staff: User) -> None:
    api = APIClient(REMOTE_ADDR="198.51.100.1")
    api.post("/api/v1/auth/token", {"username": "boss", "password": WRONG}, format="json")
    log_in(client_from("198.51.100.2"), "boss", WRONG)
    admin_log_in(client_from("198.51.100.3"), "boss", WRONG)

    client = client_from("198.51.100.4")
    assert admin_log_in(client, "boss", PASSWORD).status_code == 429
    assert log_in(client, "boss", PASSWORD).status_code == 429
    assert not logged_in(client)


# --- the API's token endpoint -----------------------------------------------------------------


def test_the_token_endpoint_refuses_a_locked_account_with_the_error_shape(member: User) -> None:
    for n in range(LIMIT):
        log_in(client_from(f"198.51.100.{n}"), "mei", WRONG)

    response = APIClient(REMOTE_ADDR="192.0.2.50").post(
        "/api/v1/auth/token", {"username": "mei", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"] == LOCKED
    assert 0 < int(response["Retry-After"]) <= 3601
    assert "token" not in body


# --- /signup and the register endpoint ------------------------------------------------------


def sign_up(client: Client, n: int) -> Any:
    return client.post(
        "/signup",
        {
            "username": f"newbie{n}",
            "email": f"newbie{n}@example.com",
            "password": "plum-blossom-42",
        },
    )


def test_signups_from_one_address_are_throttled() -> None:
    for n in range(LIMIT):
        client = client_from()
        assert sign_up(client, n).status_code == 302

    refused = sign_up(client_from(), 99)

    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert not User.objects.filter(username="newbie99").exists()
    # Another address is not held back.
    assert sign_up(client_from("192.0.2.77"), 100).status_code == 302


def test_the_signup_page_and_the_register_endpoint_share_the_count() -> None:
    api = APIClient(REMOTE_ADDR="203.0.113.7")
    for n in range(LIMIT - 1):
        api.post(
            "/api/v1/auth/register",
            {"username": f"api{n}", "email": f"api{n}@example.com", "password": "plum-blossom-42"},
            format="json",
        )
    assert sign_up(client_from(), 1).status_code == 302

    assert sign_up(client_from(), 2).status_code == 429
    response = api.post(
        "/api/v1/auth/register",
        {"username": "api9", "email": "api9@example.com", "password": "plum-blossom-42"},
        format="json",
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert not User.objects.filter(username__in=["newbie2", "api9"]).exists()


# --- the client's address -------------------------------------------------------------------


@pytest.fixture
def proxies(request: pytest.FixtureRequest) -> Iterator[None]:
    """``SPROUT_NUM_PROXIES`` for one test (DRF reloads its settings)."""
    from django.test import override_settings

    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": request.param}
    ):
        assert request.param == api_settings.NUM_PROXIES
        yield


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_address(member: User) -> None:
    assert api_settings.NUM_PROXIES == 0  # the default: no proxy is trusted
    for n in range(LIMIT):
        client = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        log_in(client, f"someone{n}", WRONG)

    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.200")
    assert log_in(client, "mei", PASSWORD).status_code == 429


@pytest.mark.parametrize("proxies", [1], indirect=True)
def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw(
    proxies: None, member: User
) -> None:
    # nginx (REMOTE_ADDR 127.0.0.1) appends the address it saw; whatever the
    # client put before it is ignored.
    for n in range(LIMIT):
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7")
        log_in(client, f"someone{n}", WRONG)

    locked = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert log_in(locked, "mei", PASSWORD).status_code == 429
    neighbour = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert log_in(neighbour, "mei", PASSWORD).status_code == 302
