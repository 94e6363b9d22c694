"""Every destination is reachable at phone (390×844, touch) and tablet (768)
widths: the tab bar shows up to 900 px, its "Me" tab opens a page with all
of the account menu (which does not fit the header there), and back."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, NoteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "between": (820, 1180)}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_destination_is_reachable_from_the_tab_bar(  # type: ignore[no-untyped-def]
    live_server, browser, size
):
    from playwright.sync_api import expect

    width, height = SIZES[size]
    member = UserFactory(username="mina", display_name="Mina")
    NoteFactory(author=member, title="Plum jam", photos=1)
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=width < 500
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    try:
        page.goto(f"{base}/login")
        page.fill("#id_username", "mina")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/")

        tabbar = page.get_by_role("navigation", name="Main")
        expect(tabbar).to_be_visible()
        for name in ("Discover", "Following", "Post a note", "Inbox", "Me"):
            expect(tabbar.get_by_role("link", name=name)).to_be_visible()
        # The feeds are one tap away (they are not in the header at this width).
        tabbar.get_by_role("link", name="Following").tap()
        page.wait_for_url(f"{base}/following")

        tabbar.get_by_role("link", name="Me").tap()
        page.wait_for_url(f"{base}/me")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"me-{size}.png"), full_page=True)
        # Everything of the header's account menu is on the page, and works.
        menu_hrefs = page.eval_on_selector_all(
            ".topbar .menu-panel a", "links => links.map(a => a.getAttribute('href'))"
        )
        assert menu_hrefs, "the account menu is empty"
        main = page.locator("main")
        for href in menu_hrefs:
            expect(main.locator(f'a[href="{href}"]').first).to_be_visible()
        for href in menu_hrefs:
            page.goto(f"{base}/me")
            main.locator(f'a[href="{href}"]').first.tap()
            # The destination, or where it sends this member (My shop opens
            # "start selling" for a member without a shop).
            page.wait_for_url(lambda url: not url.endswith("/me"))
            page.wait_for_load_state()
            assert page.url.startswith(base), (href, page.url)
            assert page.locator("main").is_visible()
            # Nothing sticks out sideways (every page fits the screen).
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (href, overflow)
        page.goto(f"{base}/me")
        expect(main.get_by_role("button", name="Log out")).to_be_visible()
        main.get_by_role("button", name="Log out").tap()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")
        ).to_be_visible()
    finally:
        context.close()
