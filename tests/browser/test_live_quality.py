"""A live room with several renditions (ABR) on a phone: nginx-rtmp's
exec_push ffmpeg transcodes the host's stream into tiny renditions and a
master playlist; the room's player plays it and offers the quality choice
(Auto, the source, then each rendition, best first), inside the screen; a
viewer picks the smallest and the video switches to it.

Same servers as ``test_live_room`` (uvicorn on the test database, nginx-rtmp
on free ports), with ``SPROUT_LIVE_ABR=on`` given to both. Needs nginx with
the RTMP module, ffmpeg, Chromium and the vendored hls.js; skipped without
them, a failure under CI=true. Screenshot: artifacts/screenshots/
live-room-quality-390.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from live import services
from tests.browser.test_live_room import open_context, publish, running_site, shoot
from tests.factories import HostFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

TINY = "180p=320x180@300,90p=160x90@100"


def test_a_viewer_on_a_phone_picks_a_lower_quality_of_an_abr_live(browser: Any) -> None:
    from playwright.sync_api import expect

    host = HostFactory()
    _, key = services.stream_key_rotate(host=host)
    room = services.room_create(host=host, title="Three sizes")
    with running_site(SPROUT_LIVE_ABR="on", SPROUT_LIVE_ABR_RENDITIONS=TINY) as site:
        publisher = publish(f"rtmp://127.0.0.1:{site.rtmp_port}/ingest", key, seconds=40)
        try:
            viewer = open_context(browser, site, user=None, phone=True)
            viewer.goto(f"{site.url}/live/{room.pk}/")
            viewer.wait_for_function(
                "() => document.querySelector('video').currentTime > 2", timeout=40_000
            )
            picker = viewer.locator("[data-quality]")
            expect(picker).to_be_visible()
            select = viewer.locator("[data-quality-select]")
            expect(select).to_have_accessible_name("Video quality")
            options = select.locator("option").all_inner_texts()
            assert options[0].startswith("Auto"), options
            assert options[1:] == ["Source", "180p", "90p"], options
            box = picker.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390

            select.select_option(label="90p")
            viewer.wait_for_function(
                "() => document.querySelector('video').videoHeight === 90", timeout=30_000
            )
            expect(select).to_have_value(
                select.locator("option", has_text="90p").get_attribute("value") or ""
            )
            shoot(viewer, "live-room-quality-390")
            assert viewer.js_errors == []
            assert viewer.csp_violations == []
        finally:
            if publisher.poll() is None:
                publisher.kill()
                publisher.wait()
