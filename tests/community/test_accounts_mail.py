"""Password reset and e-mail verification (community.services.accounts,
community.views): the links arrive by mail (pytest-django's locmem outbox),
work once, and bad or stale links get a clear page, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from community import services
from community.errors import LinkExpired, LinkInvalid
from community.models import User
from community.services.accounts import EMAIL_VERIFY_SALT, email_verification_token
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link(message: Any) -> str:
    found = re.search(r"https?://\S+", message.body)
    assert found, message.body
    return found.group(0)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# --- e-mail verification ------------------------------------------------------------


def test_signing_up_sends_a_link_that_confirms_the_address(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signup"),
            {"username": "mei", "email": "mei@example.com", "password": "plum-blossom-42"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mei@example.com"]
    assert "Confirm your e-mail" in message.subject
    page = client.get(_path(_link(message)))
    assert page.status_code == 200
    assert "Your e-mail is confirmed" in page.content.decode()
    assert User.objects.get(username="mei").email_verified_at is not None
    # The link can be opened again: still confirmed, nothing changes.
    assert client.get(_path(_link(message))).status_code == 200


def test_registering_over_the_api_sends_the_link_too(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/auth/register",
            {"username": "ren", "email": "ren@example.com", "password": "plum-blossom-42"},
            format="json",
        )
    assert response.status_code == 201
    assert [m.to for m in mail.outbox] == [["ren@example.com"]]


@pytest.mark.parametrize("token", ["nonsense", "a" * 300, "eyJ1Ijo.fake.sig", "%00"])
def test_a_mangled_link_is_a_clear_page(client: Client, token: str) -> None:
    response = client.get(reverse("verify_email", args=["x"]).replace("/x", "/") + token)
    assert response.status_code in (400, 404)
    if token.isalnum() or "." in token:
        assert "could not confirm" in response.content.decode()


def test_a_link_for_an_address_since_changed_verifies_nothing(user: User) -> None:
    token = email_verification_token(user)
    user.email = "new@example.com"
    user.save(update_fields=["email"])
    with pytest.raises(LinkInvalid):
        services.email_verify(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_an_old_link_has_expired(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    token = email_verification_token(user)
    later = timezone.now() + timedelta(days=4)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())  # type: ignore[attr-defined]
    with pytest.raises(LinkExpired):
        services.email_verify(token=token)


def test_a_token_signed_for_something_else_is_refused(user: User) -> None:
    other = signing.dumps({"u": user.pk, "e": user.email.lower()}, salt="another.purpose")
    with pytest.raises(LinkInvalid):
        services.email_verify(token=other)
    not_a_member = signing.dumps({"u": "1", "e": user.email}, salt=EMAIL_VERIFY_SALT)
    with pytest.raises(LinkInvalid):
        services.email_verify(token=not_a_member)


def test_a_member_asks_for_a_new_link_from_settings(
    user_client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    page = user_client.get(reverse("settings_profile")).content.decode()
    assert "not confirmed yet" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("verify_email_resend"), follow=True)
    assert "We sent a new link" in response.content.decode()
    assert len(mail.outbox) == 1
    user_client.get(_path(_link(mail.outbox[0])))
    page = user_client.get(reverse("settings_profile")).content.decode()
    assert "confirmed" in page and "not confirmed yet" not in page
    # Nothing more is sent once confirmed.
    response = user_client.post(reverse("verify_email_resend"), follow=True)
    assert "already verified" in response.content.decode()
    assert len(mail.outbox) == 1


def test_asking_for_a_new_link_needs_a_member_and_a_post(client: Client) -> None:
    assert client.post(reverse("verify_email_resend")).status_code == 302
    assert client.get(reverse("verify_email_resend")).status_code == 405


# --- password reset -----------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_e_mail(client: Client) -> None:
    member = UserFactory(email="ana@example.com")
    login = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login
    response = client.post(reverse("password_reset"), {"email": "ANA@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.com"]
    link = _path(_link(mail.outbox[0]))
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "new-plum-blossom-7", "new_password2": "new-plum-blossom-7"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    member.refresh_from_db()
    assert member.check_password("new-plum-blossom-7")
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "does not work any more" in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client) -> None:
    UserFactory(email="ana@example.com")
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", "not-an-address", "a" * 300 + "@x.com", "x\x00@y.com"])
def test_bad_addresses_are_refused_on_the_form(client: Client, email: str) -> None:
    response = client.post(reverse("password_reset"), {"email": email})
    # A NUL byte is refused before the form by the site-wide guard (400).
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert 'class="field-error"' in response.content.decode()
    assert mail.outbox == []


def test_reset_requests_are_limited_per_address(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "auth": "2/h"}
    )
    UserFactory(email="ana@example.com")
    for _ in range(2):
        assert (
            client.post(reverse("password_reset"), {"email": "ana@example.com"}).status_code == 302
        )
    refused = client.post(reverse("password_reset"), {"email": "ana@example.com"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_the_new_password_must_pass_the_validators(client: Client) -> None:
    UserFactory(email="ana@example.com")
    client.post(reverse("password_reset"), {"email": "ana@example.com"})
    form = client.get(_path(_link(mail.outbox[0])), follow=True)
    url = form.redirect_chain[-1][0]
    response = client.post(url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert User.objects.get(email="ana@example.com").check_password(PASSWORD)
