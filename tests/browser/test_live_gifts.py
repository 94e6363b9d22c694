"""Coins and gifts in real browsers: a viewer buys coins and sends gifts in a
live room, the host sees them arrive.

A viewer logs in through the login form, opens the wallet and buys the
300-coin pack (the sandbox provider, the default, completes the charge at
once through its signed callback: nothing is mocked); the balance and the
history show it. A host is live for real (the site in uvicorn, nginx-rtmp and
ffmpeg, as in ``test_live_room``); on the page a host keeps open during a
live, the room itself (opened from the go-live page's "You are live"
banner), the host sees each gift arrive (the animation, the chat line) and
the top gifters appear, then change. The viewer sees the tray's balance drop
and a thank-you. A reload keeps the top gifters on the page and the gift
lines in the chat, in time order with the chat said between them; the go-live
page's report of the running broadcast shows what it brought in gifts; the
ledger reconciles.

Screenshots: artifacts/screenshots/gifts-wallet-1280.png (after the
recharge), gifts-tray-1280.png (the tray open, a gift picked),
gifts-sent-1280.png (the viewer's thank-you and new balance),
gifts-host-1280.png (the host's room: the gift's animation and the top
gifters), gifts-host-reloaded-1280.png and gifts-go-live-report-1280.png.
Last, the database drops a gift's connection mid-way: the page retries it
with the same key and it is booked once.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from community.models import User
from live import services
from live.models import Room
from live.selectors import session_gift_earnings
from live.services import room_create
from tests.browser import test_live_room as live_room
from tests.browser.catalog import default_gift_catalog
from tests.browser.test_live_room import Site, open_context, publish, screenshot_host, shoot
from tests.factories import UserFactory
from tests.faults import next_gift_loses_its_connection
from wallet import selectors
from wallet.models import Gift, GiftSend
from wallet.reconcile import reconcile

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

#: The fixture of the live room's test: the site in uvicorn on the test
#: database, and nginx-rtmp calling it back.
site = live_room.site


def log_in(page: Any, site: Site, user: User, next_path: str) -> None:
    page.goto(f"{site.url}/login?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}{next_path}")


def wait_until_live(room: Room, *, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        room.refresh_from_db()
        if room.state == Room.State.LIVE:
            return
        time.sleep(0.25)
    pytest.fail(f"the room did not go live in {seconds:.0f} s (state {room.state})")


def freeze_animations(page: Any, at: float = 0.3) -> None:
    """Hold every running CSS animation at ``at`` of its course (a gift's
    burst is fully drawn by then), for a screenshot."""
    page.evaluate(
        """(at) => document.getAnimations().forEach((a) => {
            const duration = Number(a.effect?.getComputedTiming().duration) || 0;
            a.pause();
            if (duration) a.currentTime = duration * at;
        })""",
        at,
    )


def resume_animations(page: Any) -> None:
    page.evaluate("document.getAnimations().forEach((a) => a.play())")


def test_a_viewer_recharges_and_sends_gifts_and_the_host_sees_them(  # type: ignore[no-untyped-def]
    site, browser
):
    from playwright.sync_api import expect

    default_gift_catalog()  # a data migration's, flushed by earlier transactional tests
    rocket = Gift.objects.get(slug="rocket")  # the default catalog: 199 coins, tier 3
    heart = Gift.objects.get(slug="heart")  # 5 coins, tier 1
    host = screenshot_host()
    viewer_user = UserFactory(username="dumpling_fan", display_name="Dumpling Fan")

    # --- the viewer buys coins on the wallet page ----------------------------------
    viewer = open_context(browser, site, user=None)
    log_in(viewer, site, viewer_user, "/wallet")
    expect(viewer.locator("[data-wallet-coins]")).to_have_text("0")
    expect(viewer.locator(".wallet-sandbox")).to_have_text("Sandbox: nothing is charged")
    viewer.locator("label[for=pack-300]").click()
    expect(viewer.locator("#pack-300")).to_be_checked()
    viewer.get_by_role("button", name="Buy coins").click()
    viewer.wait_for_url(f"{site.url}/wallet")
    expect(viewer.locator(".toast--success")).to_contain_text("300 coins added to your wallet.")
    expect(viewer.locator("[data-wallet-coins]")).to_have_text("300")
    recharge_row = viewer.locator(".ledger-row", has_text="Recharge")
    expect(recharge_row).to_have_count(1)
    expect(recharge_row.locator(".ledger-amount")).to_have_text("+300")
    shoot(viewer, "gifts-wallet-1280")
    assert selectors.coin_balance(viewer_user) == 300

    # --- the host goes live ------------------------------------------------------------
    room = room_create(host=host, title="Dumplings from scratch")
    _, key = services.stream_key_rotate(host=host)
    publisher = publish(f"rtmp://127.0.0.1:{site.rtmp_port}/ingest", key, seconds=90)
    try:
        wait_until_live(room)

        # The host keeps the room open during the live, from the go-live page.
        studio = open_context(browser, site, user=host)
        studio.goto(f"{site.url}/live/studio")
        banner = studio.locator(".golive-banner--live")
        expect(banner).to_contain_text("You are live: Dumplings from scratch")
        banner.get_by_role("link", name="Open the room").click()
        studio.wait_for_url(f"{site.url}/live/{room.pk}/")
        expect(studio.locator("[data-conn]")).to_have_text("Connected")
        expect(studio.get_by_role("button", name="End live")).to_be_visible()
        host_board = studio.locator("[data-leaderboard]")
        expect(host_board).to_be_hidden()  # no gift yet

        # --- the viewer opens the room and the gift tray ----------------------------------
        viewer.goto(f"{site.url}/live/{room.pk}/")
        stage = viewer.locator("[data-live-room]")
        expect(stage).to_have_attribute("data-view", "live", timeout=40_000)
        expect(viewer.locator("[data-conn]")).to_have_text("Connected")
        toggle = viewer.locator("[data-gifts-toggle]")
        expect(toggle).to_be_visible()  # the catalog loaded
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        tray = viewer.locator("[data-gift-tray]")
        expect(tray).to_be_visible()
        expect(tray.locator("[data-gift-balance]")).to_have_text("300")
        expect(tray.locator(".gift-option")).to_have_count(
            Gift.objects.filter(is_active=True).count()
        )
        option = tray.locator(".gift-option", has_text=rocket.name)
        expect(option.locator(".gift-price")).to_have_text("199 coins")
        option.click()
        send = tray.locator("[data-gift-send]")
        expect(send).to_have_text("Send · 199 coins")
        expect(send).to_be_enabled()
        viewer.wait_for_function("() => document.querySelector('video').currentTime > 1")
        shoot(viewer, "gifts-tray-1280")

        # --- sent: acknowledged to the viewer, seen by the host ---------------------------
        send.click()
        status = tray.locator("[data-gift-status]")
        expect(status).to_have_text("Sent Rocket. Thank you!")
        expect(tray.locator("[data-gift-balance]")).to_have_text("101")
        expect(viewer.locator("[data-gift-layer] .gift-burst")).to_be_visible()
        freeze_animations(viewer)
        shoot(viewer, "gifts-sent-1280")
        resume_animations(viewer)

        burst = studio.locator("[data-gift-layer] .gift-burst")
        expect(burst).to_contain_text("Dumpling Fan sent Rocket ×1")
        freeze_animations(studio)
        line = studio.locator(".chat-list .msg--gift", has_text="Rocket")
        expect(line).to_have_text(f"Dumpling Fan sent {rocket.emoji} Rocket ×1")
        expect(host_board).to_be_visible(timeout=15_000)
        first = host_board.locator("[data-leaderboard-list] li")
        expect(first).to_have_count(1)
        expect(first).to_contain_text("Dumpling Fan")
        expect(first.locator(".coins")).to_have_text("199")
        studio.wait_for_function("() => document.querySelector('video').currentTime > 1")
        shoot(studio, "gifts-host-1280")
        resume_animations(studio)

        # A line of chat between the two gifts.
        composer = viewer.locator("#chat-text")
        composer.fill("What a rocket!")
        composer.press("Enter")
        expect(studio.locator(".chat-list .msg", has_text="What a rocket!")).to_be_visible()

        # A second gift: five hearts. The host's top gifters change.
        tray.locator(".gift-option", has_text=heart.name).click()
        tray.locator(".gift-qty-item", has_text="×5").click()
        expect(send).to_have_text("Send · 25 coins")
        send.click()
        expect(status).to_have_text("Sent Heart ×5. Thank you!")
        expect(tray.locator("[data-gift-balance]")).to_have_text("76")
        expect(
            studio.locator(".chat-list .msg--gift", has_text=f"sent {heart.emoji} Heart ×5")
        ).to_contain_text("Dumpling Fan")
        expect(first.locator(".coins")).to_have_text("224")

        # The top gifters are on the page as soon as it opens, not only after
        # the next gift.
        studio.reload()
        expect(studio.locator("[data-conn]")).to_have_text("Connected")
        expect(host_board).to_be_visible()
        expect(first).to_contain_text("Dumpling Fan")
        expect(first.locator(".coins")).to_have_text("224")
        # The chat keeps its gift lines, in time order with what was said.
        lines = studio.locator(".chat-list .msg--gift, .chat-list .msg[data-id]")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_have_text(f"Dumpling Fan sent {rocket.emoji} Rocket ×1")
        expect(lines.nth(1)).to_contain_text("What a rocket!")
        expect(lines.nth(2)).to_have_text(f"Dumpling Fan sent {heart.emoji} Heart ×5")
        shoot(studio, "gifts-host-reloaded-1280")

        # The go-live page's report of this broadcast counts the gifts.
        studio.goto(f"{site.url}/live/studio")
        report = studio.locator(".report", has_text="Dumplings from scratch")
        expect(report).to_contain_text("live now")
        cash = report.locator("[data-report-cash]")
        expect(cash.locator("div", has_text="Gifts").locator("dd")).to_have_text("6")
        expect(cash.locator("div", has_text="Coins").locator("dd")).to_have_text("224")
        expect(cash.locator("div", has_text="Paying viewers").locator("dd")).to_have_text("1")
        earned = session_gift_earnings(GiftSend.objects.filter(room_id=room.pk)[0].session_id or 0)
        assert 0 < earned < 224  # the platform's share is off
        expect(report.locator(".report-earnings")).to_have_text(
            f"{earned} coins to your earnings, after the platform’s share."
        )
        shoot(studio, "gifts-go-live-report-1280")

        # The database drops the next gift's connection mid-way: the server
        # answers "try again", and the page sends it again with the same
        # key, once, without the viewer doing anything.
        with next_gift_loses_its_connection() as attempts:
            tray.locator(".gift-option", has_text=heart.name).click()
            tray.locator(".gift-qty-item", has=viewer.locator("input[value='1']")).click()
            send.click()
            expect(status).to_have_text("Sent Heart. Thank you!", timeout=15_000)
            expect(tray.locator("[data-gift-balance]")).to_have_text("71")
            assert attempts() == 2  # one lost, one booked
    finally:
        publisher.kill()
        publisher.wait()

    # The books: two gifts, the viewer's coins, a ledger that reconciles.
    sends = GiftSend.objects.filter(room_id=room.pk, sender=viewer_user).order_by("pk")
    assert [(s.gift.slug, s.quantity, s.coins) for s in sends] == [
        ("rocket", 1, 199),
        ("heart", 5, 25),
        ("heart", 1, 5),
    ]
    assert selectors.coin_balance(viewer_user) == 71
    books = reconcile()
    assert books.ok, books.summary()

    for tab in (viewer, studio):
        assert tab.js_errors == []
        assert tab.csp_violations == []
        tab.context.close()
