"""A broadcast's replay in Chromium, with a real HLS VOD: a 20-second
ffmpeg clip cut in 2-second segments (two renditions and a master
playlist) written into the replays storage, and a session whose chat,
hearts and pinned product happened at known moments.

- On a phone (390x844): the page plays the VOD with hls.js; seeking to 10 s
  shows the chat of that moment (the line said at 9 s, not the one said at
  15 s, never the deleted one), its hearts total and the product pinned
  then; seeking back to 3 s leaves the 2 s line alone, the earlier total,
  no pin. Nothing sticks out sideways, the controls and the quality choice
  (two renditions: "Auto (…)", 180p, 90p) lie inside the screen, and the
  choice switches the rendition.
- The tablet (768) and desktop (1280) layouts, the player beside the chat.
- The watch beacon reaches the server: the replay counts a view.

Screenshots (artifacts/screenshots/): replay-phone-390.png,
replay-phone-seek-3s-390.png, replay-tablet-768.png, replay-desktop-1280.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from live.models import ChatMessage, HeartsMark, LiveSession, Replay, Room
from tests import services
from tests.browser.conftest import SCREENSHOTS
from tests.factories import (
    HostFactory,
    LiveSessionFactory,
    ReplayFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CLIP_SECONDS = 20
RENDITIONS = (("180p", 320, 180, 400_000), ("90p", 160, 90, 150_000))


def ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        services.unavailable("ffmpeg is not installed: apt-get install -y ffmpeg")
    assert found is not None
    return found


def write_vod(token: str) -> None:
    """Two renditions of a 20 s test clip as HLS VOD (2 s segments) under
    ``replays/<token>/``, their master playlist and a poster."""
    storage = storages["replays"]
    base = Path(storage.path(f"replays/{token}"))
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height, bandwidth in RENDITIONS:
        out = base / name
        out.mkdir(parents=True, exist_ok=True)
        clip = f"testsrc=size={width}x{height}:rate=30:duration={CLIP_SECONDS}"
        subprocess.run(
            [
                ffmpeg(), "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", clip,
                "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-profile:v", "main", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
                "-c:a", "aac", "-shortest",
                "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
                "-hls_segment_filename", str(out / "seg%03d.ts"), str(out / "index.m3u8"),
            ],
            check=True,
            timeout=120,
        )  # fmt: skip
        lines += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}",
            f"{name}/index.m3u8",
        ]
    (base / "master.m3u8").write_text("\n".join(lines) + "\n")
    subprocess.run(
        [
            ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", "testsrc=size=320x180:rate=1:duration=1", "-frames:v", "1",
            str(base / "poster.jpg"),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip


def broadcast_with_replay() -> Replay:
    """A 20 s broadcast: chat at 2 s, 9 s and 15 s and a line deleted at 8 s,
    hearts totals at 5 s and 12 s, a product pinned from 6 s to 14 s (with
    the shop), and its ready replay (two renditions)."""
    host = HostFactory(username="mei", display_name="Mei")
    room = RoomFactory(host=host, title="Dumplings from scratch", state=Room.State.ENDED)
    session = LiveSessionFactory(room=room)
    start = timezone.now() - timedelta(hours=1)
    LiveSession.objects.filter(pk=session.pk).update(
        started_at=start, ended_at=start + timedelta(seconds=CLIP_SECONDS)
    )
    session.refresh_from_db()
    viewer = UserFactory(username="lin", display_name="Lin")
    for seconds, text, deleted in (
        (2, "two seconds in", False),
        (8, "a line a moderator deleted", True),
        (9, "nine seconds in", False),
        (15, "fifteen seconds in", False),
    ):
        message = ChatMessage.objects.create(room=room, session=session, user=viewer, text=text)
        ChatMessage.objects.filter(pk=message.pk).update(
            created_at=start + timedelta(seconds=seconds),
            deleted_at=start + timedelta(seconds=seconds + 1) if deleted else None,
        )
    HeartsMark.objects.create(session=session, offset_ms=5_000, total=12)
    HeartsMark.objects.create(session=session, offset_ms=12_000, total=30)
    from django.apps import apps

    if apps.is_installed("shop"):
        from shop.models import RoomPin
        from tests.factories.shop import ProductFactory

        product = ProductFactory(title="Bamboo steamer", shop__owner=host)
        pin = RoomPin.objects.create(room=room, session=session, product=product, pinned_by=host)
        RoomPin.objects.filter(pk=pin.pk).update(
            pinned_at=start + timedelta(seconds=6), unpinned_at=start + timedelta(seconds=14)
        )
    replay: Replay = ReplayFactory(
        session=session,
        ready=True,
        duration_ms=CLIP_SECONDS * 1000,
        expected_renditions=["180p", "90p"],
    )
    Replay.objects.filter(pk=replay.pk).update(
        playlist=f"replays/{replay.token}/master.m3u8",
        renditions=[
            {"name": n, "width": w, "height": h, "bandwidth": b, "playlist": f"{n}/index.m3u8"}
            for n, w, h, b in RENDITIONS
        ],
    )
    replay.refresh_from_db()
    write_vod(replay.token)
    return replay


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def chat_lines(page: Any) -> list[str]:
    return [str(t) for t in page.locator("[data-chat-list] .msg-text").all_inner_texts()]


def seek(page: Any, seconds: int) -> None:
    """Move the seek bar (as a keyboard or a finger does: input events)."""
    page.locator("[data-seek]").fill(str(seconds))
    page.wait_for_function(
        "(s) => { const v = document.querySelector('[data-video]');"
        " return !v.seeking && Math.abs(v.currentTime - s) < 1.5; }",
        arg=seconds,
    )


def inside(page: Any, selector: str, viewport: dict[str, int]) -> None:
    """The element's box, once it stopped moving (a sheet rises), lies wholly
    on the screen."""
    page.wait_for_function(
        "(s) => document.querySelector(s).getAnimations().every((a) => a.playState !== 'running')",
        arg=selector,
    )
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["x"] >= -0.5 and box["y"] >= -0.5, (selector, box)
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, (selector, box)
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, (selector, box)


def test_a_phone_seeks_a_replay_and_sees_the_chat_of_that_moment(  # type: ignore[no-untyped-def]
    live_server, browser
) -> None:
    from playwright.sync_api import expect

    from tests.browser.conftest import watch_csp

    replay = broadcast_with_replay()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server.url}/live/sessions/{replay.session_id}/")
        root = page.locator("[data-replay]")
        expect(root).to_have_attribute("data-view", "live")
        # It plays (muted, as browsers allow), then the viewer pauses it.
        page.wait_for_function("() => document.querySelector('[data-video]').currentTime > 0.5")
        page.locator("[data-play]").click()
        expect(page.locator("[data-play]")).to_have_attribute("aria-pressed", "false")

        seek(page, 10)
        expect(page.locator("[data-chat-list]")).to_contain_text("nine seconds in")
        lines = chat_lines(page)
        assert lines == ["two seconds in", "nine seconds in"], lines
        expect(page.locator(".room-host-hearts [data-hearts-total]")).to_have_text("12")
        if page.locator("[data-pin-card]").count():
            expect(page.locator("[data-pin-card]")).to_be_visible()
            expect(page.locator("[data-pin-title]")).to_have_text("Bamboo steamer")
            inside(page, "[data-pin-card]", PHONE)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        for selector in ("[data-controls]", "[data-seek]", "[data-quality]", "[data-play]"):
            inside(page, selector, PHONE)
        shoot(page, "replay-phone-390")

        seek(page, 3)
        expect(page.locator("[data-chat-list] .msg-text")).to_have_count(1)
        assert chat_lines(page) == ["two seconds in"]
        expect(page.locator(".room-host-hearts [data-hearts-total]")).to_have_text("0")
        if page.locator("[data-pin-card]").count():
            expect(page.locator("[data-pin-card]")).to_be_hidden()
        shoot(page, "replay-phone-seek-3s-390")
        assert "a line a moderator deleted" not in page.content()
        assert "fifteen seconds in" not in page.content()

        # Playing on from 3 s: the 9 s line arrives in time with the video.
        page.locator("[data-play]").click()
        expect(page.locator("[data-chat-list]")).to_contain_text("nine seconds in", timeout=15_000)
        assert "fifteen seconds in" not in chat_lines(page)

        # Two renditions: Auto (saying which it plays), then one by hand.
        quality = page.locator("[data-quality-select]")
        expect(page.locator("[data-quality]")).to_be_visible()
        options = quality.locator("option").all_inner_texts()
        assert options[0].startswith("Auto") and options[1:] == ["180p", "90p"], options
        expect(quality.locator("option").first).to_have_text(re.compile(r"^Auto \((180|90)p\)$"))
        quality.select_option(label="90p")
        page.wait_for_function(
            "() => document.querySelector('[data-video]').videoHeight === 90", timeout=15_000
        )
        # Leaving the page sends the watch time played so far.
        page.goto("about:blank")
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert not errors, errors
    assert not violations, violations
    # The watch time played so far reached the server as the page went away.
    for _ in range(50):
        replay.refresh_from_db()
        if replay.views:
            break
        time.sleep(0.1)
    assert replay.views == 1 and replay.watch_seconds >= 3, (replay.views, replay.watch_seconds)


@pytest.mark.parametrize("width,height", [(768, 1024), (1280, 800)])
def test_the_replay_on_a_tablet_and_a_desktop(  # type: ignore[no-untyped-def]
    live_server, browser, width: int, height: int
) -> None:
    from playwright.sync_api import expect

    replay = broadcast_with_replay()
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server.url}/live/sessions/{replay.session_id}/")
        expect(page.locator("[data-replay]")).to_have_attribute("data-view", "live")
        page.locator("[data-play]").click()
        seek(page, 16)
        expect(page.locator("[data-chat-list]")).to_contain_text("fifteen seconds in")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        inside(page, "[data-controls]", {"width": width, "height": 10_000})
        name = "replay-tablet-768" if width == 768 else "replay-desktop-1280"
        shoot(page, name)
    finally:
        context.close()
    assert not errors, errors


def test_the_host_unpublishes_from_the_phone_s_settings_sheet(  # type: ignore[no-untyped-def]
    live_server, browser
) -> None:
    from playwright.sync_api import expect

    from tests.browser.test_csp import log_in

    replay = broadcast_with_replay()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server.url, replay.session.room.host)
        page.goto(f"{live_server.url}/live/sessions/{replay.session_id}/")
        expect(page.locator("[data-replay]")).to_have_attribute("data-view", "live")
        expect(page.locator("[data-tools]")).to_be_hidden()
        page.locator("[data-tools-toggle]").click()
        expect(page.locator("[data-tools]")).to_be_visible()
        inside(page, "[data-tools]", PHONE)
        expect(page.locator("[data-tools]")).to_contain_text("Published: members can watch it.")
        shoot(page, "replay-phone-host-settings-390")
        page.keyboard.press("Escape")
        expect(page.locator("[data-tools]")).to_be_hidden()
        page.locator("[data-tools-toggle]").click()
        page.locator("[data-publish]").click()
        expect(page.locator(".replay-flag")).to_have_text("Unpublished")
        replay.refresh_from_db()
        assert replay.published is False
        page.locator("[data-tools-toggle]").click()
        page.locator("[data-publish]").click()
        expect(page.locator(".replay-flag")).to_have_count(0)

        # The host's profile lists it; their report and studio count it
        # apart from the live.
        from tests.factories import CreatorFactory

        CreatorFactory(user=replay.session.room.host)
        for path, name, text in (
            (f"/u/{replay.session.room.host.username}/", "replay-profile-390", "Replays"),
            ("/live/studio", "replay-report-390", "Replay watch time"),
            ("/studio/", "replay-studio-390", "Your lives and their replays"),
        ):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main")).to_contain_text(text)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            target = {
                "replay-profile-390": ".profile-replays",
                "replay-report-390": ".report-replay",
            }
            page.locator(target.get(name, "#lives")).scroll_into_view_if_needed()
            shoot(page, name)
    finally:
        context.close()
    assert not errors, errors


def test_the_live_page_lists_replays_on_a_phone(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    replay = broadcast_with_replay()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/live/")
        card = page.locator(".replay-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Dumplings from scratch")
        expect(card.locator(".replay-card-duration")).to_have_text("Length 0:20")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "replay-list-390")
        card.locator("a").click()
        page.wait_for_url(f"**/live/sessions/{replay.session_id}/")
        # The ended room's page leads to its replay too.
        page.goto(f"{live_server.url}/live/{replay.session.room_id}/")
        link = page.locator("[data-replay-link]")
        expect(link).to_be_visible()
        inside(page, "[data-replay-link]", PHONE)
        shoot(page, "room-ended-replay-link-390")
        link.click()
        page.wait_for_url(f"**/live/sessions/{replay.session_id}/")
    finally:
        context.close()
