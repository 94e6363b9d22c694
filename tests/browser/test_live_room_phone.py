"""The live room on a phone (390x844, touch), in real browsers, with real
video where it matters (the site in uvicorn, nginx-rtmp and ffmpeg, as in
``test_live_room``).

- The room is the screen: a full-screen vertical player without the site's
  header and tab bar, the chat over the video; a message sent shows over the
  video; the gift tray rises as a sheet inside the screen, and once closed
  the chat input is there again.
- Out of coins: a gift opens the top-up sheet in the room; the viewer buys
  coins there (the wallet's sandbox recharge) and sends the gift with one
  tap; the host's room shows it.
- Follow the host from the room (and back); a visitor is sent to log in and
  back; the host has no Follow button in their own room.
- An ended room shows its broadcast's totals (as the report counts them) and
  says the broadcast ended, not "Connected".

Screenshots (artifacts/screenshots/): room-phone-live-390.png,
room-phone-gifts-390.png, room-phone-desktop-1280.png (1280x800),
room-phone-tablet-768.png,
room-phone-topup-390.png, room-phone-topup-paid-390.png, room-phone-topup-1280.png,
room-phone-host-tools-390.png (shop on),
room-phone-gift-host-1280.png, room-phone-follow-390.png,
room-phone-ended-390.png, room-phone-ended-1280.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from community.models import Follow
from live import services
from live.models import LiveSession, Room
from live.services import room_create
from live.services.gifts import room_gift_send_unpublished
from tests.browser import test_live_room as live_room
from tests.browser.catalog import default_gift_catalog
from tests.browser.test_live_gifts import freeze_animations, resume_animations, wait_until_live
from tests.browser.test_live_room import Site, open_context, publish, screenshot_host, shoot
from tests.factories import UserFactory, fund
from tests.factories.live import LiveSessionFactory
from wallet import selectors as wallet_selectors
from wallet.models import Gift, GiftSend

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

site = live_room.site
PHONE = {"width": 390, "height": 844}


def box(page: Any, selector: str) -> dict[str, float]:
    # A pending chat line is replaced by its confirmed copy: ask again.
    for _ in range(20):
        found = page.locator(selector).first.bounding_box()
        if found is not None:
            return dict(found)
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} is not drawn")


def inside_screen(page: Any, selector: str) -> dict[str, float]:
    """The element's box, once it has stopped moving (a sheet rises),
    asserted to lie wholly on the phone's screen."""
    page.wait_for_function(
        "(s) => document.querySelector(s).getAnimations({subtree: true}).every((a) =>"
        " a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity)",
        arg=selector,
    )
    b = box(page, selector)
    assert b["x"] >= -0.5 and b["y"] >= -0.5, (selector, b)
    assert b["x"] + b["width"] <= PHONE["width"] + 0.5, (selector, b)
    assert b["y"] + b["height"] <= PHONE["height"] + 0.5, (selector, b)
    return b


def go_live(site: Site, host: Any, title: str) -> tuple[Room, Any]:
    room = room_create(host=host, title=title)
    _, key = services.stream_key_rotate(host=host)
    publisher = publish(f"rtmp://127.0.0.1:{site.rtmp_port}/ingest", key, seconds=90)
    wait_until_live(room)
    return room, publisher


def test_the_phone_room_is_a_full_screen_player_with_the_chat_over_the_video(  # type: ignore[no-untyped-def]
    site, browser
):
    from playwright.sync_api import expect

    default_gift_catalog()
    host = screenshot_host()
    member = UserFactory(username="dumpling_fan", display_name="Dumpling Fan")
    room, publisher = go_live(site, host, "Dumplings from scratch")
    # Three members gave gifts already: the top gifters, over the video.
    gifters = [("Auntie Mei", "castle"), ("Noodle Ninja", "rocket"), ("Bao Lover", "sprout")]
    for n, (name, slug) in enumerate(gifters):
        gifter = UserFactory(display_name=name)
        fund(gifter, 600)
        room_gift_send_unpublished(sender=gifter, room_id=room.pk, gift_slug=slug, quantity=1,
                                   idempotency_key=f"top-{n}")  # fmt: skip
    try:
        phone = open_context(browser, site, user=member, phone=True)
        phone.goto(f"{site.url}/live/{room.pk}/")
        expect(phone.locator("[data-live-room]")).to_have_attribute(
            "data-view", "live", timeout=40_000
        )
        phone.wait_for_function("() => document.querySelector('video').currentTime > 1")

        # The top three read in full, inside the screen (in one row they
        # had a letter each).
        names = phone.locator("[data-leaderboard-list] li > span:first-of-type")
        expect(names).to_have_text([name for name, _ in gifters])
        inside_screen(phone, "[data-leaderboard]")
        shown = phone.evaluate(
            "() => [...document.querySelectorAll('[data-leaderboard-list] li')]"
            ".map((li) => li.firstElementChild)"
            ".map((e) => [e.textContent, e.scrollWidth - e.clientWidth])"
        )
        assert [(name, clipped) for name, clipped in shown if clipped > 0] == []

        # The room is the screen: no site header, no tab bar, the video covers it.
        expect(phone.locator(".topbar")).to_be_hidden()
        expect(phone.locator(".tabbar")).to_be_hidden()
        stage = box(phone, ".stage")
        assert stage == {"x": 0, "y": 0, "width": 390, "height": 844}
        fit = phone.evaluate("getComputedStyle(document.querySelector('video')).objectFit")
        assert fit == "cover"
        # The top bar: the host, Follow, viewers and a way out.
        top = phone.locator(".room-info")
        expect(top.locator(".room-host")).to_contain_text("Chef Lin")
        expect(top.get_by_role("button", name="Follow Chef Lin")).to_be_visible()
        expect(top.locator(".room-viewers")).to_be_visible()
        expect(top.get_by_role("link", name="Leave the room")).to_be_visible()
        assert inside_screen(phone, ".room-info")["y"] < 80

        # A message sent shows over the lower part of the video.
        composer = phone.locator("#chat-text")
        expect(composer).to_be_enabled(timeout=10_000)
        dock = inside_screen(phone, ".chat-dock")
        assert dock["y"] + dock["height"] == pytest.approx(844, abs=1)
        composer.fill("Those pleats look perfect!")
        composer.press("Enter")
        mine = phone.locator(".chat-list .msg--mine", has_text="Those pleats look perfect!")
        expect(mine).to_be_visible()
        line = inside_screen(phone, ".chat-list .msg--mine")
        assert line["y"] > 844 / 2, "the chat is over the lower part of the video"
        assert line["x"] < 30
        assert phone.evaluate(
            "() => { const r = document.querySelector('.chat-list .msg--mine')"
            ".getBoundingClientRect();"
            " return document.elementsFromPoint(r.x + 5, r.y + r.height / 2)"
            ".some((e) => e.matches('video, .stage')); }"
        ), "the line is drawn over the video"
        for _ in range(3):
            phone.locator("[data-heart]").click()
        expect(phone.locator(".room-host-hearts [data-hearts-total]")).to_have_text(
            "3", timeout=10_000
        )
        shoot(phone, "room-phone-live-390")

        # The gift tray rises inside the screen, over the video.
        toggle = phone.locator("[data-gifts-toggle]")
        expect(toggle).to_be_visible()
        toggle.click()
        tray = phone.locator("[data-gift-tray]")
        expect(tray).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        sheet = inside_screen(phone, "[data-gift-tray]")
        assert sheet["y"] + sheet["height"] == pytest.approx(844, abs=1)
        assert sheet["height"] < 844 * 0.8
        # Focus moved into the tray; the first gift is there to pick.
        assert phone.evaluate(
            "document.querySelector('[data-gift-tray]').contains(document.activeElement)"
        )
        tray.locator(".gift-option").first.click()
        expect(tray.locator("[data-gift-send]")).to_be_enabled()
        shoot(phone, "room-phone-gifts-390")

        # Closed: the chat input is on the screen again, and works.
        tray.get_by_role("button", name="Close the gifts").click()
        expect(tray).to_be_hidden()
        expect(toggle).to_be_focused()
        inside_screen(phone, "#chat-text")
        composer.click()
        composer.fill("Back to the chat")
        composer.press("Enter")
        expect(phone.locator(".chat-list .msg--mine", has_text="Back to the chat")).to_be_visible()
        # Escape closes it too.
        toggle.click()
        expect(tray).to_be_visible()
        phone.keyboard.press("Escape")
        expect(tray).to_be_hidden()
        inside_screen(phone, "#chat-text")

        # The same room on a desktop: the player beside the chat.
        desk = open_context(browser, site, user=member)
        desk.set_viewport_size({"width": 1280, "height": 800})
        desk.goto(f"{site.url}/live/{room.pk}/")
        expect(desk.locator("[data-live-room]")).to_have_attribute(
            "data-view", "live", timeout=40_000
        )
        expect(desk.locator(".topbar")).to_be_visible()
        expect(desk.locator(".chat-list .msg", has_text="Back to the chat")).to_be_visible()
        desk.wait_for_function("() => document.querySelector('video').currentTime > 1")
        shoot(desk, "room-phone-desktop-1280")
        # A tablet without touch keeps the page layout: the player over the chat.
        desk.set_viewport_size({"width": 768, "height": 1024})
        expect(desk.locator(".topbar")).to_be_visible()
        shoot(desk, "room-phone-tablet-768")

        for tab in (phone, desk):
            assert tab.js_errors == []
            assert tab.csp_violations == []
            tab.context.close()
    finally:
        publisher.kill()
        publisher.wait()


def test_a_viewer_out_of_coins_tops_up_in_the_room_and_sends_the_gift(  # type: ignore[no-untyped-def]
    site, browser
):
    from playwright.sync_api import expect

    default_gift_catalog()
    rocket = Gift.objects.get(slug="rocket")  # 199 coins
    host = screenshot_host()
    member = UserFactory(username="dumpling_fan", display_name="Dumpling Fan")
    assert wallet_selectors.coin_balance(member) == 0
    room, publisher = go_live(site, host, "Dumplings from scratch")
    try:
        studio = open_context(browser, site, user=host)
        studio.set_viewport_size({"width": 1280, "height": 800})
        studio.goto(f"{site.url}/live/{room.pk}/")
        expect(studio.locator("[data-conn]")).to_have_text("Connected")

        phone = open_context(browser, site, user=member, phone=True)
        phone.goto(f"{site.url}/live/{room.pk}/")
        expect(phone.locator("[data-live-room]")).to_have_attribute(
            "data-view", "live", timeout=40_000
        )
        expect(phone.locator("[data-conn]")).to_have_text("Connected")
        phone.locator("[data-gifts-toggle]").click()
        tray = phone.locator("[data-gift-tray]")
        tray.locator(".gift-option", has_text=rocket.name).click()
        tray.locator("[data-gift-send]").click()

        # Not enough coins: the top-up sheet, in the room, says what is missing.
        sheet = phone.locator("[data-topup]")
        expect(sheet).to_be_visible()
        expect(tray).to_be_hidden()
        inside_screen(phone, "[data-topup]")
        expect(sheet.locator("[data-topup-need]")).to_have_text(
            "Rocket costs 199 coins: you need 199 coins more."
        )
        # The smallest pack that covers it is chosen.
        expect(sheet.locator("input[name=coins][value='300']")).to_be_checked()
        expect(sheet.locator("[data-topup-send]")).to_be_hidden()
        shoot(phone, "room-phone-topup-390")

        sheet.locator("[data-topup-pay]").click()
        expect(sheet.locator("[data-topup-status]")).to_have_text(
            "300 coins added. Balance: 300 coins."
        )
        expect(sheet.locator("[data-topup-balance]")).to_have_text("300")
        send = sheet.locator("[data-topup-send]")
        expect(send).to_have_text("Send Rocket · 199 coins")
        expect(send).to_be_focused()
        assert wallet_selectors.coin_balance(member) == 300
        assert phone.url == f"{site.url}/live/{room.pk}/"  # never left the room
        shoot(phone, "room-phone-topup-paid-390")

        send.click()
        expect(sheet).to_be_hidden()
        expect(tray).to_be_visible()
        expect(tray.locator("[data-gift-status]")).to_have_text("Sent Rocket. Thank you!")
        expect(tray.locator("[data-gift-balance]")).to_have_text("101")

        # The host's room sees it.
        expect(
            studio.locator(".chat-list .msg--gift", has_text=f"sent {rocket.emoji} Rocket ×1")
        ).to_contain_text("Dumpling Fan")
        expect(studio.locator("[data-leaderboard]")).to_contain_text("Dumpling Fan")
        freeze_animations(studio)
        shoot(studio, "room-phone-gift-host-1280")
        resume_animations(studio)
        sends = GiftSend.objects.filter(room_id=room.pk, sender=member)
        assert [(s.gift.slug, s.coins) for s in sends] == [("rocket", 199)]
        assert wallet_selectors.coin_balance(member) == 101

        # A refused purchase says why, and charges nothing.
        tray.get_by_role("button", name="Top up").click()
        expect(sheet).to_be_visible()
        phone.route(
            "**/api/v1/wallet/recharge",
            lambda route: route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "payments_unavailable", "message": "down"}}',
            ),
        )
        sheet.locator("[data-topup-pay]").click()
        expect(sheet.locator("[data-topup-status]")).to_have_text(
            "Payments are unavailable right now. Try again in a moment."
        )
        expect(sheet.locator("[data-topup-status]")).to_have_attribute("role", "alert")
        assert wallet_selectors.coin_balance(member) == 101

        # On a desktop the top-up rises over the chat.
        desk = open_context(browser, site, user=member)
        desk.set_viewport_size({"width": 1280, "height": 800})
        desk.goto(f"{site.url}/live/{room.pk}/")
        expect(desk.locator("[data-gifts-toggle]")).to_be_visible()
        desk.locator("[data-gifts-toggle]").click()
        desk.locator("[data-gift-tray]").get_by_role("button", name="Top up").click()
        desk_sheet = desk.locator("[data-topup]")
        expect(desk_sheet).to_be_visible()
        expect(desk_sheet.locator("[data-topup-balance]")).to_have_text("101")
        chat_box = desk.locator(".chat").bounding_box()
        sheet_box = desk_sheet.bounding_box()
        assert chat_box and sheet_box
        assert sheet_box["x"] >= chat_box["x"] and sheet_box["width"] <= chat_box["width"]
        shoot(desk, "room-phone-topup-1280")
        desk.context.close()

        for tab in (phone, studio):
            assert tab.js_errors == []
            assert tab.csp_violations == []
            tab.context.close()
    finally:
        publisher.kill()
        publisher.wait()


def test_a_member_follows_the_host_from_the_room(site, browser):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    host = screenshot_host()
    member = UserFactory(username="dumpling_fan", display_name="Dumpling Fan")
    room = room_create(host=host, title="Dumplings from scratch")

    phone = open_context(browser, site, user=member, phone=True)
    phone.goto(f"{site.url}/live/{room.pk}/")
    expect(phone.locator("[data-conn]")).to_have_text("Connected")
    follow = phone.locator("[data-follow]")
    expect(follow).to_have_text("Follow Chef Lin")
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(follow).to_have_text("Following Chef Lin")
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow).to_be_enabled()
    assert Follow.objects.filter(follower=member, followee=host).exists()
    shoot(phone, "room-phone-follow-390")
    phone.reload()
    expect(phone.locator("[data-follow]")).to_have_text("Following Chef Lin")
    phone.locator("[data-follow]").click()
    expect(phone.locator("[data-follow]")).to_have_text("Follow Chef Lin")
    expect(phone.locator("[data-follow]")).to_be_enabled()
    assert not Follow.objects.filter(follower=member, followee=host).exists()

    # A visitor logs in first, and comes back to the room.
    visitor = open_context(browser, site, user=None, phone=True)
    visitor.goto(f"{site.url}/live/{room.pk}/")
    link = visitor.locator("[data-follow-login]")
    expect(link).to_have_attribute("href", f"/login?next=/live/{room.pk}/")

    # The host has no Follow button in their own room.
    own = open_context(browser, site, user=host, phone=True)
    own.goto(f"{site.url}/live/{room.pk}/")
    expect(own.locator(".room-host")).to_be_visible()
    expect(own.locator("[data-follow], [data-follow-login]")).to_have_count(0)
    expect(own.get_by_role("button", name="End live")).to_be_visible()
    # The panels of the apps above for the host (the shop's pin control) are
    # room tools, a sheet on a phone.
    tools = own.locator("[data-sheet-toggle=room-tools]")
    if tools.count():
        tools.click()
        expect(own.locator("#room-tools")).to_be_visible()
        inside_screen(own, "#room-tools")
        shoot(own, "room-phone-host-tools-390")
        own.keyboard.press("Escape")
        expect(own.locator("#room-tools")).to_be_hidden()
        expect(tools).to_be_focused()

    for tab in (phone, visitor, own):
        assert tab.js_errors == []
        assert tab.csp_violations == []
        tab.context.close()


def test_an_ended_room_shows_its_totals_and_says_the_broadcast_ended(  # type: ignore[no-untyped-def]
    site, browser
):
    from playwright.sync_api import expect

    host = screenshot_host()
    session = LiveSessionFactory(
        room__host=host,
        room__title="Dumplings from scratch",
        hearts=3,
        peak_viewers=12,
        unique_viewers=31,
        chat_messages=40,
    )
    room = session.room
    assert LiveSession.objects.filter(room=room).count() == 1
    member = UserFactory(username="dumpling_fan")

    for name, phone in (("390", True), ("1280", False)):
        tab = open_context(browser, site, user=member, phone=phone)
        if not phone:
            tab.set_viewport_size({"width": 1280, "height": 800})
        tab.goto(f"{site.url}/live/{room.pk}/")
        expect(tab.locator("[data-live-room]")).to_have_attribute("data-view", "ended")
        totals = tab.locator("[data-final-totals]")
        expect(totals).to_be_visible()
        expect(totals.locator('[data-final="hearts"]')).to_have_text("3")
        expect(totals.locator('[data-final="viewers"]')).to_have_text("31")
        expect(totals.locator('[data-final="peak_viewers"]')).to_have_text("12")
        expect(totals.locator('[data-final="gifts"]')).to_have_text("0")
        # The hello of an ended room keeps the report's hearts, not zero.
        tab.wait_for_timeout(500)
        expect(tab.locator("[data-hearts-total]").first).to_have_text("3")
        expect(tab.locator("[data-conn]")).to_have_text("Broadcast ended")
        expect(tab.locator("#chat-text")).to_be_disabled()
        shoot(tab, f"room-phone-ended-{name}")
        assert tab.js_errors == []
        assert tab.csp_violations == []
        tab.context.close()
