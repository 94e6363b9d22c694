"""A moderator works the report queue on a phone (390×844): the admin's
queue shows what was reported, the report's page hides it after asking why
(``core.admin.ask_reason``), and its author, in another browser, is told
why and finds the note hidden with that reason."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from community.models import Note, Report
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, ModeratorFactory, NoteFactory, ReportFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
REASON = "Selling followers is spam; please keep notes about your own plants."


def moderators_group() -> None:
    """The Moderators group with the community's moderation permissions, as
    its data migration makes it: the flush after an earlier transactional
    test wipes it out (see tests/browser/catalog.py for why
    serialized_rollback cannot bring it back)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("community.migrations.0002_search_and_moderators")
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    group, _ = Group.objects.get_or_create(name="Moderators")
    for app_label, codename in migration.MODERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def log_in(page: Any, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_path}")


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_a_moderator_hides_a_reported_note_on_a_phone_and_the_author_is_told_why(  # type: ignore[no-untyped-def]
    live_server, browser
):
    from playwright.sync_api import expect

    base = live_server.url
    author = UserFactory(username="rosa", display_name="Rosa")
    note = NoteFactory(author=author, title="Grow 10k followers fast, DM me", photos=1)
    ReportFactory(note=note, reason=Report.Reason.SPAM, detail="Sells followers in every note.")
    moderators_group()
    ModeratorFactory(username="mod")

    moderator = browser.new_context(**PHONE)
    writer = browser.new_context(**PHONE)
    try:
        page = moderator.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base, "mod", "/admin/community/report/")
        # The queue shows what was reported: its cover and its title.
        row = page.locator("#result_list tbody tr").first
        expect(row).to_contain_text("Grow 10k followers fast")
        expect(row.locator("img").first).to_be_visible()
        shot(page, "moderation-queue-phone")
        assert no_sideways_scroll(page) <= 0  # the table scrolls inside its box

        # The report's page: the preview, then the decision.
        row.locator("th a, td a").first.tap()
        page.wait_for_url(lambda url: "/change/" in url)
        expect(page.locator(".field-preview")).to_contain_text("Grow 10k followers fast")
        expect(page.locator(".field-preview img").first).to_be_visible()
        shot(page, "moderation-report-phone")
        assert no_sideways_scroll(page) <= 0
        page.get_by_role("button", name="Hide the content…").tap()

        # core.admin.ask_reason: the reason first; without one the form does not go.
        expect(page.get_by_role("button", name="Hide reported content")).to_be_visible()
        page.get_by_role("button", name="Hide reported content").tap()
        expect(page.locator("textarea[name=reason]:invalid")).to_have_count(1)
        assert Note.objects.get(pk=note.pk).status == Note.Status.PUBLISHED
        page.fill("textarea[name=reason]", REASON)
        shot(page, "moderation-reason-phone")
        assert no_sideways_scroll(page) <= 0
        page.get_by_role("button", name="Hide reported content").tap()
        expect(page.locator(".messagelist")).to_contain_text("1 report closed, its content hidden.")
        shot(page, "moderation-done-phone")
        note.refresh_from_db()
        assert note.status == Note.Status.HIDDEN and note.hidden_reason == REASON

        # The author, in their own browser, is told why.
        mine = writer.new_page()
        mine.set_default_timeout(15_000)
        log_in(mine, base, "rosa", "/notifications")
        item = mine.locator("main").get_by_text(REASON)
        expect(item).to_be_visible()
        shot(mine, "moderation-author-notified-phone")
        assert no_sideways_scroll(mine) <= 0
        mine.goto(f"{base}{note.get_absolute_url()}")
        badge = mine.get_by_role("note").filter(has_text="Hidden by moderators")
        expect(badge).to_contain_text(REASON)
        shot(mine, "moderation-author-note-phone")
        assert no_sideways_scroll(mine) <= 0
    finally:
        writer.close()
        moderator.close()
