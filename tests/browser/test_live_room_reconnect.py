"""The room page survives its socket being dropped by the server (a worker
or its Redis restarting): it reconnects with backoff and jitter, and shows a
chat line said and a gift sent while it was away, once, in their place.

Playwright routes the page's websocket through the test
(``page.route_web_socket``: each socket the page opens is connected to the
real server, frames passing through untouched), which lets the test close
the page's socket as a server going away does (1012, "service restart") and
refuse its reconnects for a while (as a server that is still down), then
let them through. Meanwhile a line is said in the room (it is in the
database, the room's recent buffer); the reconnect's ``hello`` brings it and
the page shows it exactly once, after the line said before, and the line it
already showed is not repeated. A gift sent meanwhile is not in the hello:
the page asks for the room's last gifts when it is back and shows its line
once, between the two chat lines, beside the gift line it had already.
"""

from __future__ import annotations

import re
import time
from itertools import pairwise
from typing import Any

import pytest

from tests.browser import test_live_room as live_room
from tests.browser.test_live_room import open_context
from tests.factories import ChatMessageFactory, FundedMemberFactory, RoomFactory, UserFactory
from tests.factories.wallet import gift_catalog

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

site = live_room.site
REFUSE_SECONDS = 2.0


def test_the_page_reconnects_and_shows_what_was_said_meanwhile_once(  # type: ignore[no-untyped-def]
    site, browser
):
    from playwright.sync_api import expect

    from live.services.gifts import room_gift_send_unpublished

    room = RoomFactory(live=True, title="Dumplings from scratch")
    author = UserFactory(username="dumpling_fan")
    gift_catalog()
    fan = FundedMemberFactory(display_name="Noodle Fan", coins=500)

    def send(slug: str) -> None:
        room_gift_send_unpublished(
            sender=fan, room_id=room.pk, gift_slug=slug, quantity=1, idempotency_key=slug
        )

    send("coffee")
    ChatMessageFactory(room=room, user=author, text="said before the drop")

    sockets: list[Any] = []
    attempts: list[float] = []
    refusing = {"on": False}

    def route(ws: Any) -> None:
        attempts.append(time.monotonic())
        if refusing["on"]:
            ws.close(code=1011, reason="down")  # the server is still away
            return
        ws.connect_to_server()
        sockets.append(ws)

    page = open_context(browser, site, user=None)
    page.route_web_socket("**/ws/live/**", route)
    page.goto(f"{site.url}/live/{room.pk}/")
    conn = page.locator("[data-conn]")
    expect(conn).to_have_text("Connected")
    lines = page.locator("[data-chat-list] .msg-text")
    expect(lines).to_have_text(["said before the drop"])

    # The server goes away: the page's socket is closed under it, and its
    # reconnects are refused for a while.
    refusing["on"] = True
    dropped_at = time.monotonic()
    sockets[-1].close(code=1012, reason="service restart")
    expect(conn).not_to_have_text("Connected")
    send("rose")
    ChatMessageFactory(room=room, user=author, text="said while you were away")
    page.wait_for_timeout(REFUSE_SECONDS * 1000)
    refusing["on"] = False

    expect(conn).to_have_text("Connected", timeout=30_000)
    back_after = time.monotonic() - dropped_at
    expect(lines).to_have_text(["said before the drop", "said while you were away"])
    # The gift sent meanwhile, once, in its place; the one shown before, not again.
    shown = page.locator("[data-chat-list] .msg")
    expect(shown).to_have_text(
        [
            re.compile("Noodle Fan sent 🎁 Coffee ×1"),
            re.compile("said before the drop"),
            re.compile("Noodle Fan sent 🎁 Rose ×1"),
            re.compile("said while you were away"),
        ]
    )
    retries = [b - a for a, b in pairwise(attempts[1:])]
    # It retried while refused (backoff, not a tight loop), and came back.
    assert 2 <= len(attempts) - 1 <= 6, attempts
    assert all(gap >= 0.4 for gap in retries), retries
    print(  # the figures docs/reliability.md records (-s)
        f"\npage: {len(attempts) - 1} reconnect attempts, back {back_after:.1f}s after the drop"
    )
    assert page.js_errors == []
    assert page.csp_violations == []
    page.context.close()
