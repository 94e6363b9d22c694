"""API tokens with their member cached (``core.auth.CachedTokenAuthentication``):
the same answers as DRF's token authentication, one query less once a token
is known, and every change that must take effect at once does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _queries(client: APIClient, url: str = ME) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    return status, len(ctx.captured_queries)


def test_a_known_token_costs_no_query_and_answers_as_its_member() -> None:
    user = UserFactory(username="fig")
    token = Token.objects.create(user=user)
    client = _client(token.key)
    first_status, first = _queries(client)
    again_status, again = _queries(client)
    assert first_status == again_status == 200
    assert again == first - 1
    assert client.get(ME).json()["username"] == "fig"


def test_each_token_is_its_own_members() -> None:
    mine, theirs = UserFactory(username="mine"), UserFactory(username="theirs")
    mine_token = Token.objects.create(user=mine).key
    theirs_token = Token.objects.create(user=theirs).key
    for _ in range(2):
        assert _client(mine_token).get(ME).json()["username"] == "mine"
        assert _client(theirs_token).get(ME).json()["username"] == "theirs"


def test_a_deleted_token_stops_at_once() -> None:
    token = Token.objects.create(user=UserFactory())
    client = _client(token.key)
    assert client.get(ME).status_code == 200
    token.delete()
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_deactivated_member_is_refused_at_once() -> None:
    user = UserFactory()
    client = _client(Token.objects.create(user=user).key)
    assert client.get(ME).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(ME).status_code == 401


def test_a_change_to_the_member_shows_at_once() -> None:
    user = UserFactory(display_name="Before")
    client = _client(Token.objects.create(user=user).key)
    assert client.get(ME).json()["display_name"] == "Before"
    fresh = User.objects.get(pk=user.pk)  # as the admin's form saves it
    fresh.display_name = "After"
    fresh.save()
    assert client.get(ME).json()["display_name"] == "After"


def test_an_unknown_token_is_refused_and_not_remembered() -> None:
    client = _client("0" * 40)
    assert client.get(ME).status_code == 401
    assert client.get(ME).status_code == 401


def test_logging_out_through_the_api_revokes_the_cached_token() -> None:
    user = UserFactory()
    key = Token.objects.create(user=user).key
    client = _client(key)
    assert client.get(ME).status_code == 200
    Token.objects.filter(user=user).delete()  # what a logout does
    assert client.get(ME).status_code == 401


def test_no_secret_is_copied_into_the_cache() -> None:
    from django.core.cache import cache

    from core.auth import _key

    user = UserFactory()
    key = Token.objects.create(user=user).key
    assert _client(key).get(ME).status_code == 200
    entry = cache.get(_key(key))
    assert entry is not None
    assert key not in repr(entry) and user.password not in repr(entry)
    # The hash is still there for what needs it (a deferred field).
    cached_user = _client(key).get(ME).wsgi_request.user
    assert cached_user.check_password("wrong") is False
