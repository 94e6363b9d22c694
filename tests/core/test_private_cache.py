"""``Cache-Control: private`` on whatever was made for one person
(``core.middleware.PrivateCacheMiddleware``): a member's pages and API
answers are neither shared nor stored, a visitor's page with a form token
is private, a view's own ``no-store`` stays, and static files keep their
public caching."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from community.models import User
from tests.clients import logged_in

pytestmark = pytest.mark.django_db


def directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("wallet", marks=pytest.mark.apps("wallet")),
        "discover",
        pytest.param("studio", marks=pytest.mark.apps("kol")),
        "notifications",
    ],
)
def test_a_members_pages_are_private_and_not_stored(user: User, name: str) -> None:
    response = logged_in(user).get(reverse(name))

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_the_members_api_answers_are_private(user: User) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_a_visitors_page_with_a_form_token_is_private_but_may_be_stored() -> None:
    # base.html gives htmx the visitor's CSRF token: the page varies on Cookie.
    response = Client().get(reverse("discover"))

    assert "Cookie" in response["Vary"]

    assert "private" in directives(response)
    assert "no-store" not in directives(response)


@pytest.mark.apps("live")
def test_a_views_own_no_store_is_kept_as_it_is(host: User) -> None:
    response = logged_in(host).post(reverse("go_live_key"))

    assert "no-store" in directives(response)


@pytest.fixture
def static_files(settings: Any) -> None:
    """whitenoise serving from the finders, as ``collectstatic`` would."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_static_files_keep_their_public_caching_for_members_too(
    static_files: None, user: User
) -> None:
    for client in (Client(), logged_in(user)):
        response = client.get(f"{settings.STATIC_URL}css/base.css")
        assert response.status_code == 200
        assert "private" not in directives(response)
        assert "no-store" not in directives(response)
        assert "Cookie" not in response.get("Vary", "")
