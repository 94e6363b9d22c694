"""A live room in real browsers, with real video.

A host creates a room with a cover on the go-live page and gets a stream key;
a visitor opens the room and sees "Starting soon"; ffmpeg publishes TOOLCHAIN
.md's test stream with that key into nginx-rtmp (scripts/nginx-rtmp on free
ports, calling back the site); without a reload the visitor's page turns
live and hls.js plays it (``video.currentTime`` passes 2 s); a member on a
phone-sized screen chats, sends hearts and a gift from the tray, and the
visitor sees them arrive (and the top gifters); the room shows in Discover's
"Live now"; the host deletes the member's message and mutes them from the
chat; when ffmpeg stops, the visitor's page says the live has ended.

Websockets need an ASGI server sharing the test database: the site runs in
a uvicorn process of its own against the PostgreSQL test database (marked
``postgres``: pytest-django's live server speaks HTTP only, and an in-memory
SQLite database cannot be shared). Needs nginx with the RTMP module, ffmpeg,
Chromium and the vendored hls.js (``make vendor``); skipped without them, a
failure under CI=true. Screenshots: artifacts/screenshots/live-room-1280.png,
live-room-390.png, go-live-1280.png (and go-live-390.png, live-room-soon-1280.png,
live-room-moderator-1280.png, discover-live-now-1280.png,
live-room-ended-1280.png).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from community.models import User
from live.models import ChatMessage, Room
from tests import services as test_services
from tests.browser.catalog import default_gift_catalog
from tests.browser.conftest import SCREENSHOTS, watch_csp
from tests.clients import logged_in
from tests.factories import HostFactory, UserFactory
from tests.services import free_port, shared_database_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
NGINX_SCRIPT = ROOT / "scripts" / "nginx-rtmp"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
HLS_JS = ROOT / "static" / "vendor" / "hls.js" / "hls.min.js"
SECRET = "browser-live-secret"
INSTALL = "apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp ffmpeg"

# The site as production serves it (uvicorn), plus static files as the
# development server would (the test settings do not collect them).
SERVER = """
import sys
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from config.asgi import application
uvicorn.run(ASGIStaticFilesHandler(application), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", lifespan="off")
"""


def require_tools() -> None:
    nginx = test_services.nginx_binary()
    missing = [
        what
        for what, there in (
            ("nginx", nginx is not None),
            ("the nginx RTMP module", os.path.exists(RTMP_MODULE)),
            ("ffmpeg", shutil.which("ffmpeg") is not None),
        )
        if not there
    ]
    if missing:
        test_services.unavailable(f"{', '.join(missing)} missing: {INSTALL}")
    if not HLS_JS.exists():
        test_services.unavailable(f"hls.js is not vendored at {HLS_JS}: run `make vendor`")


@dataclass
class Site:
    url: str
    rtmp_port: int
    hls_port: int


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the site did not start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2):  # noqa: S310 (http://127.0.0.1)
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the site did not answer in 40 s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def site(transactional_db: Any) -> Iterator[Site]:
    """uvicorn serving the site on the test database, and nginx-rtmp calling
    it back; both stopped after the test."""
    with running_site() as running:
        yield running


@contextmanager
def running_site(**extra_env: str) -> Iterator[Site]:
    """The ``site`` fixture's servers, with ``extra_env`` given to both (the
    ABR settings, which Django and nginx's rendered config must agree on)."""
    require_tools()
    run_dir = Path(tempfile.mkdtemp(prefix="sprout-live-browser-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody, when run as root) pass through it
    app_port, rtmp_port, hls_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{app_port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SPROUT_LIVE_INGEST_SECRET": SECRET,
        "SPROUT_LIVE_RTMP_URL": f"rtmp://127.0.0.1:{rtmp_port}/ingest",
        "SPROUT_LIVE_HLS_BASE_URL": f"http://127.0.0.1:{hls_port}/hls",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = run_dir / "site.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(app_port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    nginx_env = {
        **os.environ,
        "SPROUT_NGINX_DIR": str(run_dir / "nginx"),
        "SPROUT_RTMP_PORT": str(rtmp_port),
        "SPROUT_HLS_PORT": str(hls_port),
        "SPROUT_LIVE_CALLBACK_URL": base,
        "SPROUT_LIVE_INGEST_SECRET": SECRET,
        "SPROUT_NGINX_UPDATE_SECONDS": "5",
        **extra_env,
    }
    try:
        wait_until_up(base, server, log)
        started = subprocess.run(
            [str(NGINX_SCRIPT), "start"], env=nginx_env, capture_output=True, text=True, timeout=30
        )
        assert started.returncode == 0, started.stdout + started.stderr
        yield Site(url=base, rtmp_port=rtmp_port, hls_port=hls_port)
    finally:
        subprocess.run([str(NGINX_SCRIPT), "stop"], env=nginx_env, capture_output=True, timeout=30)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if os.environ.get("SPROUT_KEEP_LIVE_LOGS"):
            print(f"logs kept in {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def publish(server: str, key: str, *, seconds: int) -> subprocess.Popen[bytes]:
    """TOOLCHAIN.md's test publisher: 2-second keyframes, H.264 + AAC."""
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-profile:v", "main", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
         "-c:a", "aac", "-t", str(seconds), "-f", "flv", f"{server}/{key}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def cover_file(directory: Path) -> Path:
    """A warm 1600x900 "kitchen" picture for the room's cover."""
    image = Image.new("RGB", (1600, 900), (238, 180, 140))
    draw = ImageDraw.Draw(image)
    for band in range(0, 900, 6):
        draw.line([(0, band), (1600, band)], fill=(240 - band // 12, 170 - band // 20, 120))
    draw.ellipse((520, 170, 1080, 730), fill=(250, 244, 232))
    for x, y in ((700, 360), (820, 330), (760, 470), (880, 450), (660, 500)):
        draw.ellipse(
            (x - 48, y - 34, x + 48, y + 34), fill=(246, 226, 196), outline=(214, 180, 140)
        )
    path = directory / "cover.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    path.write_bytes(buffer.getvalue())
    return path


def screenshot_host() -> User:
    """The host the screenshots show (test_live_gifts.py uses them too)."""
    return HostFactory(username="chef_lin", display_name="Chef Lin")


def open_context(browser: Any, site: Site, *, user: User | None, phone: bool = False) -> Any:
    """A browser context, logged in as ``user`` (a real session cookie) or
    anonymous; page errors are collected in ``page.js_errors``, what the
    Content-Security-Policy refused in ``page.csp_violations``."""
    if phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
            has_touch=True,
        )  # fmt: skip
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
    if user is not None:
        client = logged_in(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site.url}]
        )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.js_errors = []
    page.csp_violations = violations
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_visitor_watches_the_live_and_sees_a_members_chat(  # type: ignore[no-untyped-def]
    site, browser, tmp_path
):
    from playwright.sync_api import expect

    default_gift_catalog()  # an earlier transactional test flushed it
    host = screenshot_host()
    member = UserFactory(username="dumpling_fan", display_name="Dumpling Fan")

    # The host creates a room with a cover and gets a stream key, shown once.
    studio = open_context(browser, site, user=host)
    studio.goto(f"{site.url}/live/studio")
    studio.fill("#id_title", "Dumplings from scratch")
    studio.set_input_files("#id_cover", str(cover_file(tmp_path)))
    studio.get_by_role("button", name="Create room").click()
    expect(studio.locator(".golive-banner")).to_contain_text("goes live when you start streaming")
    studio.get_by_role("button", name="Get a stream key").click()
    key = studio.locator("#stream-key-value").input_value()
    server = studio.locator("#obs-server").input_value()
    assert server == f"rtmp://127.0.0.1:{site.rtmp_port}/ingest"
    expect(studio.locator("#ffmpeg-command")).to_contain_text(f"{server}/{key}")
    shoot(studio, "go-live-1280")
    studio.set_viewport_size({"width": 390, "height": 844})
    shoot(studio, "go-live-390")
    studio.set_viewport_size({"width": 1280, "height": 900})
    room = Room.objects.get(host=host)
    assert room.cover

    # A visitor opens the room before the host streams: starting soon.
    viewer = open_context(browser, site, user=None)
    viewer.goto(f"{site.url}/live/{room.pk}/")
    stage = viewer.locator("[data-live-room]")
    expect(stage).to_have_attribute("data-view", "soon")
    expect(viewer.get_by_text("Starting soon")).to_be_visible()
    expect(viewer.locator("[data-conn]")).to_have_text("Connected")
    expect(viewer.locator(".stage-video")).to_have_attribute("poster", room.cover.url)
    shoot(viewer, "live-room-soon-1280")

    # A member follows along on a phone.
    phone = open_context(browser, site, user=member, phone=True)
    phone.goto(f"{site.url}/live/{room.pk}/")
    expect(phone.locator("[data-conn]")).to_have_text("Connected")

    publisher = publish(server, key, seconds=90)
    try:
        # Live without a reload: room_state, the playlist, then video.
        expect(stage).to_have_attribute("data-view", "live", timeout=40_000)
        viewer.wait_for_function(
            "() => document.querySelector('video').currentTime > 2", timeout=30_000
        )
        expect(viewer.locator(".stage-top .live-badge")).to_be_visible()

        # The member chats; the visitor sees the message arrive.
        composer = phone.locator("#chat-text")
        expect(composer).to_be_enabled(timeout=10_000)
        composer.fill("Hello from the kitchen! Pleats look great")
        expect(phone.locator("[data-counter-for=chat-text]")).to_have_text("41 / 200")
        composer.press("Enter")
        mine = phone.locator(".msg--mine", has_text="Hello from the kitchen!")
        expect(mine).to_have_count(1)
        expect(mine).not_to_have_class(re.compile(r"\bis-pending\b"))
        arrived = viewer.locator(".chat-list .msg", has_text="Hello from the kitchen!")
        expect(arrived).to_be_visible(timeout=10_000)
        expect(arrived.locator(".msg-name")).to_have_text("Dumpling Fan")
        assert ChatMessage.objects.filter(room=room, user=member).count() == 1

        # Hearts: taps batched into frames, totals reach the visitor.
        heart = phone.locator("[data-heart]")
        expect(heart).to_be_enabled()
        for _ in range(6):
            heart.click()
        expect(viewer.locator(".room-actions [data-hearts-total]")).to_have_text(
            "6", timeout=10_000
        )
        expect(viewer.locator(".room-actions [data-viewers]")).not_to_have_text("0", timeout=10_000)

        # A gift from the tray (catalog from the wallet, coins from its
        # sandbox recharge): acknowledged to the sender, announced to the room.
        csrf = phone.locator("[data-live-room]").get_attribute("data-csrf")
        recharged = phone.request.post(
            f"{site.url}/api/v1/wallet/recharge",
            data={"coins": 500, "idempotency_key": uuid.uuid4().hex},
            headers={"X-CSRFToken": csrf or ""},
        )
        assert recharged.ok, recharged.text()
        phone.locator("[data-gifts-toggle]").click()
        tray = phone.locator("[data-gift-tray]")
        expect(tray).to_be_visible()
        first_gift = tray.locator(".gift-option").first
        gift_name = first_gift.locator(".gift-name").inner_text()
        first_gift.click()
        tray.locator("[data-gift-send]").click()
        expect(tray.locator("[data-gift-status]")).to_contain_text(f"Sent {gift_name}")
        expect(tray.locator("[data-gift-balance-line]")).to_be_visible()
        gift_line = viewer.locator(".chat-list .msg--gift", has_text=gift_name)
        expect(gift_line).to_contain_text("Dumpling Fan")
        expect(viewer.locator("[data-leaderboard]")).to_contain_text("Dumpling Fan", timeout=15_000)

        phone.locator("[data-gifts-close]").click()
        expect(tray).to_be_hidden()

        phone.wait_for_function("() => document.querySelector('video').currentTime > 1")
        shoot(viewer, "live-room-1280")
        shoot(phone, "live-room-390")

        # Discover has the room in its "Live now" strip.
        discover = viewer.context.new_page()
        discover.goto(f"{site.url}/")
        card = discover.locator(".live-now .live-card", has_text="Dumplings from scratch")
        expect(card).to_be_visible()
        expect(card.locator("a")).to_have_attribute("href", f"/live/{room.pk}/")
        shoot(discover, "discover-live-now-1280")
        discover.close()

        # The host moderates: deletes the message (gone for everyone), mutes
        # its author (whose composer closes).
        studio.goto(f"{site.url}/live/{room.pk}/")
        studio.on("dialog", lambda dialog: dialog.accept())
        line = studio.locator(".chat-list .msg", has_text="Hello from the kitchen!")
        line.hover()
        line.locator(".msg-mod > summary").click()
        expect(line.get_by_role("button", name="Mute @dumpling_fan")).to_be_visible()
        shoot(studio, "live-room-moderator-1280")
        line.get_by_role("button", name="Delete message").click()
        expect(arrived).to_have_count(0)
        expect(phone.locator(".msg", has_text="Hello from the kitchen!")).to_have_count(0)
        assert ChatMessage.objects.get(room=room, user=member).deleted_at is not None
        composer.fill("One more question")
        composer.press("Enter")
        second = studio.locator(".chat-list .msg", has_text="One more question")
        second.hover()
        second.locator(".msg-mod > summary").click()
        second.get_by_role("button", name="Mute @dumpling_fan").click()
        expect(phone.locator("[data-composer-note]")).to_have_text(
            "A moderator muted you in this room."
        )
        expect(composer).to_be_disabled()
    finally:
        publisher.kill()
        publisher.wait()

    # The publisher is gone: publish-done ends the room; the page says so.
    expect(stage).to_have_attribute("data-view", "ended", timeout=20_000)
    expect(viewer.locator("[data-view-for=ended]")).to_contain_text("This live has ended")
    expect(viewer.locator("#announcer")).to_have_text("This live has ended.")
    expect(viewer.get_by_role("link", name="See Chef Lin’s profile")).to_have_attribute(
        "href", "/u/chef_lin/"
    )
    expect(phone.locator("#chat-text")).to_be_disabled()
    shoot(viewer, "live-room-ended-1280")
    room.refresh_from_db()
    assert room.state == Room.State.ENDED

    for tab in (studio, viewer, phone):
        assert tab.js_errors == []
        # The video from the HLS origin, the websocket, hls.js's worker: all allowed.
        assert tab.csp_violations == []
        tab.context.close()
