"""The Content-Security-Policy in a real browser: the main pages, the admin
and the API docs load and work in Chromium without a single violation (the
``securitypolicyviolation`` events and Chromium's console lines), and
without a page error. The live room's video, websocket and hls.js worker
under the policy are checked by test_live_room.py, against real nginx-rtmp."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from community.models import Note, User
from kol import selectors
from kol.models import CreatorDailyStat, CreatorProfile
from tests.clients import logged_in
from tests.factories import PASSWORD, CreatorFactory, NoteFactory, RoomFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, user: User) -> None:
    """The page's context carries ``user``'s session cookie."""
    client = logged_in(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def test_the_main_pages_admin_and_api_docs_raise_no_csp_violation(  # type: ignore[no-untyped-def]
    live_server, page
):
    from playwright.sync_api import expect

    base = live_server.url
    # A superuser who is also a creator and a host: every page shows its all.
    member = UserFactory(username="mei", display_name="Mei", is_staff=True, is_superuser=True)
    creator: CreatorProfile = CreatorFactory(user=member)
    today = selectors.stats_today()
    CreatorDailyStat.objects.bulk_create(
        CreatorDailyStat(creator=creator, date=today - timedelta(days=n), followers=100 + n)
        for n in range(5)
    )
    note: Note = NoteFactory(author=UserFactory(username="chef_lin"), title="Sunday dumplings")
    room = RoomFactory(host=member, title="Dumplings from scratch")
    log_in(page, base, member)

    page.goto(f"{base}/")
    expect(page.locator(".card").first).to_be_visible()

    page.goto(f"{base}/n/{note.pk}/")
    like = page.locator("form[hx-post*='/like'] button").first
    like.click()  # an htmx swap, with its indicator
    expect(page.locator("#announcer")).not_to_be_empty()

    page.goto(f"{base}/compose")
    expect(page.locator("[data-compose][data-enhanced]")).to_have_count(1)

    page.goto(f"{base}{room.get_absolute_url()}")
    expect(page.locator("[data-live-room]")).to_have_attribute("data-view", "soon")

    page.goto(f"{base}/wallet")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(f"{base}/studio/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Creator studio")
    page.get_by_role("link", name="60 days").click()  # an htmx swap and a pushed URL
    expect(page.locator("#performance a[aria-current=true]")).to_have_text("60 days")
    expect(page.locator("svg[data-chart=followers]")).to_be_visible()

    page.goto(f"{base}/creators/{creator.user.username}/")
    expect(page.locator("svg[data-chart=followers]")).to_be_visible()

    page.goto(f"{base}/admin/")
    expect(page.locator("#site-name")).to_contain_text("Sprout administration")
    page.goto(f"{base}/admin/community/note/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto(f"{base}/admin/community/note/{note.pk}/change/")
    expect(page.locator("#note_form")).to_be_visible()

    # Swagger UI runs (its set-up script is a file of its own) and reads the schema.
    page.goto(f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)

    assert page.js_errors == []
    assert page.csp_violations == []


def test_a_visitor_logs_in_without_a_csp_violation(  # type: ignore[no-untyped-def]
    live_server, page
):
    from playwright.sync_api import expect

    base = live_server.url
    UserFactory(username="mei")
    page.goto(f"{base}/login?next=/wallet")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/wallet")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(f"{base}/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()

    assert page.js_errors == []
    assert page.csp_violations == []
