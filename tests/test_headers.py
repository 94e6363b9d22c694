"""The Content-Security-Policy every page of the site carries
(django.middleware.csp; the browser pass checks that nothing breaks under
it, tests/browser/test_csp.py), and pages with nothing inline for it to
refuse. ``Cache-Control`` on personal pages: tests/core/test_private_cache.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from community.models import User
from tests.clients import logged_in
from tests.factories import NoteFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db

CSP_HEADER = "Content-Security-Policy"


def policy(response: Any) -> dict[str, list[str]]:
    """The response's CSP as ``{directive: [sources]}``."""
    assert CSP_HEADER in response, f"no CSP on {response.wsgi_request.path}"
    directives: dict[str, list[str]] = {}
    for part in response[CSP_HEADER].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def pages(user: User) -> list[str]:
    """The main pages, each as the people who use them see them."""
    note = NoteFactory(author=user)
    room = RoomFactory(state="scheduled", title="Sunday dumplings")
    return [
        reverse("discover"),
        reverse("note", args=[note.pk]),
        reverse("profile", args=[user.username]),
        reverse("search") + "?q=tea",
        reverse("creators"),
        reverse("login"),
        reverse("signup"),
        room.get_absolute_url(),
        "/api/docs/",
        "/admin/login/",
        "/no-such-page/",
    ]


MEMBER_PAGES = ["discover", "compose", "wallet", "studio", "notifications", "settings_profile"]


def test_every_page_has_a_strict_content_security_policy(pages: list[str], user: User) -> None:
    visitor = Client()
    responses = [visitor.get(path) for path in pages]
    responses += [logged_in(user).get(reverse(name)) for name in MEMBER_PAGES]
    admin = UserFactory(is_staff=True, is_superuser=True)
    responses += [logged_in(admin).get(path) for path in ("/admin/", "/admin/community/note/")]
    responses.append(visitor.get("/api/v1/feed/discover"))

    for response in responses:
        csp = policy(response)
        where = response.wsgi_request.path
        assert csp["default-src"] == ["'self'"], where
        assert "'unsafe-inline'" not in csp["script-src"], where
        assert "'unsafe-eval'" not in csp["script-src"], where
        assert "'unsafe-inline'" not in csp["style-src"], where
        assert csp["object-src"] == ["'none'"], where
        assert csp["base-uri"] == ["'self'"], where
        assert csp["frame-ancestors"] == ["'none'"], where
        assert csp["form-action"] == ["'self'"], where


def test_the_policy_lets_the_live_room_play_its_video_and_open_its_socket(
    user: User,
) -> None:
    room = RoomFactory(state="scheduled")
    csp = policy(Client().get(room.get_absolute_url()))
    hls = re.match(r"https?://[^/]+", settings.SPROUT_LIVE_HLS_BASE_URL)
    assert hls is not None  # the test settings' HLS is another origin (nginx on :8089)

    assert hls.group(0) in csp["connect-src"]  # hls.js fetches playlists and segments
    assert {hls.group(0), "blob:"} <= set(csp["media-src"])  # MediaSource, or native HLS
    assert "blob:" in csp["worker-src"]  # hls.js's transmuxing worker
    assert "'self'" in csp["connect-src"]  # the room's websocket, same host and port


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>")
INLINE_STYLE = re.compile(r"<style\b|\sstyle=")
INLINE_HANDLER = re.compile(r"<[^>]+\s(?:on[a-z]+|hx-on[:\w-]*)=", re.IGNORECASE)


def test_pages_have_no_inline_script_style_or_event_handler(pages: list[str], user: User) -> None:
    visitor = Client()
    rendered = {path: visitor.get(path) for path in pages}
    for name in MEMBER_PAGES:
        rendered[name] = logged_in(user).get(reverse(name))

    for where, response in rendered.items():
        html = response.content.decode()
        if response["Content-Type"].startswith("application/json"):
            continue
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER):
            found = pattern.search(html)
            assert found is None, f"{where}: {html[found.start() : found.start() + 120]!r}"


def test_htmx_is_configured_to_need_no_inline_style_nor_eval(user: User) -> None:
    page = logged_in(user).get(reverse("discover")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    assert config is not None
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)
