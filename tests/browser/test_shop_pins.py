"""Products in live rooms and notes, in Chromium.

A host is live (the room and its session as the ingest callback leaves
them: no video is needed, so no nginx-rtmp or ffmpeg); a viewer on a phone
(390 px) has the room open. The host pins a product with a flash sale from
the room page's pin control: without a reload, the product card appears
over the viewer's video with the flash price, a countdown and the units left,
and a joining viewer (1280 px) gets it in their snapshot. The host unpins:
the card goes. Before that, the viewer buys in one tap and sees the order
placed and the units left drop (a second tap: one unit per buyer); the host
sees the order counted on the card. Then a note with product cards: a tap
opens the product sheet (a bottom sheet at 390 px), which closes with its
button and Escape; "Add to cart" and "Buy now" work from it, with the note
as the source.

And the loop of a live sale: a creator pins a brand's product before going
live, a waiting viewer buys it in one tap once the broadcast starts, the
host's card counts it, the ended broadcast's report has its order, units,
sales, commission and conversion, and the brand ships it.

The site runs in uvicorn on the PostgreSQL test database (websockets).
Screenshots: artifacts/screenshots/pin-room-390.png, pin-room-1280.png,
pin-room-host-1280.png, pin-room-bought-390.png,
note-products-390.png, note-products-1280.png, note-product-sheet-390.png,
note-product-sheet-1280.png, live-sale-viewer-390.png, live-sale-host-1280.png,
live-sale-report-1280.png, live-sale-buyer-orders-390.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

if not apps.is_installed("shop"):  # the shop-off pass (SHOP_ENABLED=false)
    pytest.skip("the shop is switched off", allow_module_level=True)

from community import photos
from live.models import LiveSession, Room
from shop.models import CartItem, Order, Product
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_live_room import (
    SERVER,
    Site,
    open_context,
    shoot,
    wait_until_up,
)
from tests.factories import (
    FlashSaleFactory,
    HostFactory,
    NoteFactory,
    NoteProductFactory,
    ProductFactory,
    ProductImageFactory,
    RoomFactory,
    ShopFactory,
    UserFactory,
)
from tests.services import free_port, shared_database_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(transactional_db: Any) -> Iterator[Site]:
    """uvicorn serving the site (pages, API, websockets) on the test database."""
    run_dir = Path(tempfile.mkdtemp(prefix="sprout-pins-browser-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = run_dir / "site.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(base, server, log)
        yield Site(url=base, rtmp_port=0, hls_port=0)  # no video here
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def product_with_image(owner: Any, *, title: str, price: int, seed: int, **fields: Any) -> Product:
    """A product with a photo-like picture and its renditions, as a seller's
    upload leaves it once the render task has run."""
    from shop import services

    product = ProductFactory(shop=ShopFactory(owner=owner), title=title, price=price, **fields)
    image = ProductImageFactory(
        product=product,
        position=0,
        image=ContentFile(photos.generate_demo_photo(seed, 900, 900), name="p.jpg"),
    )
    services.product_image_render(image_id=image.pk)
    return product


def test_a_viewer_sees_the_pinned_product_appear_and_go(site: Site, browser: Any) -> None:
    from playwright.sync_api import expect

    host = HostFactory(username="chef_lin", display_name="Chef Lin")
    room = RoomFactory(host=host, live=True, title="Matcha at home")
    whisk = product_with_image(
        host, title="Bamboo matcha whisk", price=5900, seed=3, description="Hand-cut, 100 prongs."
    )
    product_with_image(host, title="Ceramic matcha bowl", price=12800, seed=5)
    sale = FlashSaleFactory(
        product=whisk,
        price=2900,
        quantity=20,
        remaining=17,
        ends_at=timezone.now() + timedelta(minutes=42),
    )
    viewer_user = UserFactory(username="tea_fan", display_name="Tea Fan")

    viewer = open_context(browser, site, user=viewer_user, phone=True)
    viewer.goto(f"{site.url}/live/{room.pk}/")
    expect(viewer.locator("[data-conn]")).to_have_text("Connected")
    card = viewer.locator("[data-pin-card]")
    expect(card).to_be_hidden()

    studio = open_context(browser, site, user=host)
    studio.goto(f"{site.url}/live/{room.pk}/")
    control = studio.locator("[data-pin-control]")
    expect(control.get_by_role("heading", name="Pin a product")).to_be_visible()
    pin = control.get_by_role("button", name="Pin Bamboo matcha whisk")
    expect(pin).to_be_visible()
    pin.click()
    expect(control.locator("[data-pin-control-status]")).to_contain_text("Pinned")

    # The viewer's card appears at once, with the flash price, the countdown
    # and the units left; it sits above the player's controls.
    expect(card).to_be_visible()
    expect(card.locator("[data-pin-title]")).to_have_text("Bamboo matcha whisk")
    expect(card.locator("[data-pin-price]")).to_contain_text("29.00")
    expect(card.locator("[data-pin-was]")).to_contain_text("59.00")
    expect(card.locator("[data-pin-left]")).to_have_text("17 left")
    expect(card.locator("[data-pin-countdown]")).to_contain_text("ends in 4")
    expect(card.get_by_role("button", name="Buy Bamboo matcha whisk")).to_be_enabled()
    shoot(viewer, "pin-room-390")
    # Over the video, inside the stage, clear of the player's controls (the
    # bottom 48 px: mute and full screen) and of the hearts on the right.
    card_box = card.bounding_box()
    stage_box = viewer.locator(".stage").bounding_box()
    assert card_box and stage_box
    assert card_box["y"] >= stage_box["y"]
    assert card_box["y"] + card_box["height"] <= stage_box["y"] + stage_box["height"] - 48
    assert card_box["x"] + card_box["width"] <= stage_box["x"] + stage_box["width"] - 60

    # A viewer who joins now gets the pin in the room's snapshot.
    late = open_context(browser, site, user=None)
    late.goto(f"{site.url}/live/{room.pk}/")
    expect(late.locator("[data-pin-card]")).to_be_visible()
    expect(late.locator("[data-pin-left]")).to_have_text("17 left")
    shoot(late, "pin-room-1280")
    # The host sees the session's sales on the card.
    expect(studio.locator("[data-pin-sold]")).to_contain_text("0 orders", timeout=10_000)
    shoot(studio, "pin-room-host-1280")

    # One tap buys a unit at the flash price (the live session is its
    # source); the units left drop for everyone on the room's tick, and the
    # host's counter counts the order.
    buy = card.get_by_role("button", name="Buy Bamboo matcha whisk")
    buy.click()
    expect(card.locator("[data-pin-status]")).to_contain_text("Order placed")
    expect(card.locator("[data-pin-left]")).to_have_text("16 left", timeout=10_000)
    expect(late.locator("[data-pin-left]")).to_have_text("16 left", timeout=10_000)
    expect(studio.locator("[data-pin-sold]")).to_contain_text("1 order · 1 unit", timeout=10_000)
    shoot(viewer, "pin-room-bought-390")
    sale.refresh_from_db()
    assert sale.remaining == 16
    order = Order.objects.get(buyer=viewer_user)
    assert order.flash_sale == sale and order.total == 2900
    assert order.lines.get().source_session == LiveSession.objects.get(room=room)
    # A second tap: one unit per buyer, said in the card.
    buy.click()
    expect(card.locator("[data-pin-status]")).to_contain_text("One unit per buyer")

    # Unpinned: the card goes, for everyone.
    control.get_by_role("button", name="Unpin").click()
    expect(card).to_be_hidden()
    expect(late.locator("[data-pin-card]")).to_be_hidden()
    for page in (viewer, studio, late):
        assert page.js_errors == [], page.js_errors
        assert page.csp_violations == [], page.csp_violations
    assert Room.objects.get(pk=room.pk).state == Room.State.LIVE


DESCRIPTION = "\n".join(
    (
        "Ships in 2 days.",
        "Hand-cut bamboo.",
        "100 prongs.",
        "Soak it first.",
        "Whisk in a W.",
        "Dry it standing.",
        "Prongs down.",
        "Out of the sun.",
        "Made in Nara.",
        "Lasts for years.",
        "Gift-boxed.",
        "One per order.",
    )
)


def test_a_note_shows_product_cards_and_opens_the_sheet(site: Site, browser: Any) -> None:
    from playwright.sync_api import expect

    author = UserFactory(username="mei_bakes", display_name="Mei")
    note = NoteFactory(
        author=author, title="My matcha morning", photos=1, body="Whisk in a W, not a circle."
    )
    for seed, (title, price) in enumerate(
        (("Bamboo matcha whisk", 5900), ("Uji matcha, 30 g", 8800))
    ):
        product = product_with_image(
            author, title=title, price=price, seed=seed + 2, description=DESCRIPTION
        )
        NoteProductFactory(note=note, product=product, position=seed)
    reader = UserFactory(username="reader")

    for width, phone in ((390, True), (1280, False)):
        page = open_context(browser, site, user=reader, phone=phone)
        page.goto(f"{site.url}{note.get_absolute_url()}")
        cards = page.locator("[data-note-products]")
        expect(cards.get_by_role("heading", name="In this note")).to_be_visible()
        expect(cards.locator(".product-card")).to_have_count(2)
        shoot(page, f"note-products-{width}")
        cards.locator(".product-card").first.click()
        sheet = page.get_by_role("dialog", name="Bamboo matcha whisk")
        expect(sheet).to_be_visible()
        expect(sheet.get_by_role("button", name="Add to cart")).to_be_visible()
        expect(sheet.get_by_role("button", name="Buy now")).to_be_visible()
        page.wait_for_timeout(400)  # the sheet's slide-in
        box = sheet.bounding_box()
        assert box is not None
        if phone:  # a bottom sheet: the full width, down to the bottom of the screen
            assert box["width"] >= 389 and abs(box["y"] + box["height"] - 844) <= 2
            # Taller than the screen allows: its text scrolls, the buy row stays in view.
            assert sheet.evaluate("(el) => el.scrollHeight > el.clientHeight + 40")
            for scroll in ("0", "el.scrollHeight"):
                sheet.evaluate(f"(el) => {{ el.scrollTop = {scroll}; }}")
                page.wait_for_timeout(100)
                for name in ("Add to cart", "Buy now"):
                    button = sheet.get_by_role("button", name=name).bounding_box()
                    assert button and button["y"] >= 0 and button["y"] + button["height"] <= 844
            sheet.evaluate("(el) => { el.scrollTop = 0; }")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "note-product-sheet-sticky-390.png"))
        shoot(page, f"note-product-sheet-{width}")
        sheet.get_by_role("button", name="Close").click()
        expect(sheet).to_be_hidden()
        cards.locator(".product-card").nth(1).click()
        other = page.get_by_role("dialog", name="Uji matcha, 30 g")
        expect(other).to_be_visible()
        if not phone:
            other.get_by_role("button", name="Add to cart").click()
            expect(other.get_by_role("status")).to_have_text("Added to your cart.")
        page.keyboard.press("Escape")
        expect(other).to_be_hidden()
        if not phone:
            cards.locator(".product-card").first.click()
            sheet.get_by_role("button", name="Buy now").click()
            expect(sheet.get_by_role("status")).to_contain_text("Order placed")
            shoot(page, "note-product-bought-1280")
            line = Order.objects.get(buyer=reader).lines.get()
            assert line.source_note == note and line.product.title == "Bamboo matcha whisk"
            # The cart keeps the other product, with the note as its source.
            assert CartItem.objects.get(user=reader).source_note == note
        if phone:
            # The product's own page: the photos come first on a phone, and
            # the buy buttons are a bar above the tab bar from the start.
            whisk = Product.objects.get(title="Bamboo matcha whisk")
            page.goto(f"{site.url}{whisk.get_absolute_url()}?note={note.pk}")
            for name in ("Add to cart", "Buy now"):
                button = page.get_by_role("button", name=name).bounding_box()
                assert button and button["y"] >= 0 and button["y"] + button["height"] <= 844
            page.screenshot(path=str(SCREENSHOTS / "product-page-buy-bar-390.png"))
        assert page.js_errors == [], page.js_errors
        assert page.csp_violations == [], page.csp_violations
        page.context.close()


def in_a_thread(func: Any, **kwargs: Any) -> Any:
    """Call a service from outside Playwright's event loop (its events are
    published with ``async_to_sync``), on a connection of its own."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def call() -> Any:
        try:
            return func(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def test_the_host_sees_the_sale_in_the_room_and_in_the_session_report(
    site: Site, browser: Any
) -> None:
    """The loop of a live sale, end to end: a creator prepares a room and
    pins a brand's product (open to affiliates) before going live; a viewer
    waiting in the room is on the broadcast when it starts and buys in one
    tap; the host's card counts the order; once the live has ended, the
    go-live page's report of that broadcast has its order, units, sales,
    commission and conversion; the brand ships the order and the buyer's
    history says so."""
    from playwright.sync_api import expect

    from core.money import money_text
    from live.services import session_start
    from shop.selectors.attribution import conversion
    from shop.templatetags.attribution_tags import per_mille

    brand = UserFactory(username="linen_brand", display_name="Linen & Co")
    product_with_image(
        brand,
        title="Undyed linen tote",
        price=5990,
        seed=7,
        stock=5,
        commission_bps=1000,
        open_to_affiliates=True,
    )
    host = HostFactory(username="chef_lin", display_name="Chef Lin")
    room = RoomFactory(host=host, title="Market day haul")  # scheduled: not live yet
    buyer = UserFactory(username="tote_lover", display_name="Tote Lover")

    # The host prepares the room and pins the tote before going live.
    studio = open_context(browser, site, user=host)
    studio.goto(f"{site.url}/live/{room.pk}/")
    control = studio.locator("[data-pin-control]")
    control.get_by_role("button", name="Pin Undyed linen tote").click()
    expect(control.locator("[data-pin-control-status]")).to_contain_text("Pinned")

    # A viewer waits in the room (a phone): the card is there already.
    viewer = open_context(browser, site, user=buyer, phone=True)
    viewer.goto(f"{site.url}/live/{room.pk}/")
    expect(viewer.locator("[data-conn]")).to_have_text("Connected")
    card = viewer.locator("[data-pin-card]")
    expect(card.locator("[data-pin-title]")).to_have_text("Undyed linen tote")
    expect(card).to_have_attribute("data-pin-session", "")

    # The broadcast starts (as the ingest callback starts it): the early pin
    # joins it, and the viewer's card learns its session without a reload.
    session = in_a_thread(session_start, room=room, client_addr="127.0.0.1")
    expect(card).to_have_attribute("data-pin-session", str(session.pk), timeout=15_000)
    buy = card.get_by_role("button", name="Buy Undyed linen tote")
    expect(buy).to_be_enabled()
    buy.click()  # one tap
    expect(card.locator("[data-pin-status]")).to_contain_text("Order placed")
    shoot(viewer, "live-sale-viewer-390")
    order = Order.objects.get(buyer=buyer)
    line = order.lines.get()
    assert line.source_session == session and line.affiliate == host
    assert (order.total, line.commission) == (5990, 599)

    # The host's card counts the sale (polled while a product is pinned).
    studio.reload()
    expect(studio.locator("[data-conn]")).to_have_text("Connected")
    expect(studio.locator("[data-pin-sold]")).to_contain_text(
        "This live: 1 order · 1 unit", timeout=15_000
    )
    shoot(studio, "live-sale-host-1280")

    # The host ends the live; the go-live page's report of it has the sale.
    studio.once("dialog", lambda dialog: dialog.accept())
    studio.get_by_role("button", name="End live").click()
    for _ in range(50):
        if LiveSession.objects.filter(pk=session.pk, ended_at__isnull=False).exists():
            break
        studio.wait_for_timeout(200)
    session.refresh_from_db()
    assert session.ended_at is not None
    studio.goto(f"{site.url}/live/studio")
    report = studio.locator(".report", has_text="Market day haul")
    sales = report.locator("[data-report-sales]")
    expect(sales).to_be_visible()

    def figure(name: str) -> Any:
        label = studio.get_by_text(name, exact=True)
        return sales.locator("div", has=label).locator("dd")

    expect(figure("Orders")).to_have_text("1")
    expect(figure("Units")).to_have_text("1")
    expect(figure("Sales")).to_have_text(money_text(5990))
    expect(figure("Commission")).to_have_text(money_text(599))
    expected = per_mille(conversion(1, session.unique_viewers))
    assert session.unique_viewers >= 1, "the viewer was counted"
    expect(figure("Orders per 1k viewers")).to_have_text(expected)
    shoot(studio, "live-sale-report-1280")

    # The brand ships it; the buyer's history says so.
    seller = open_context(browser, site, user=brand)
    seller.goto(f"{site.url}/shop/sales/")
    seller.fill(f"#tracking-{order.pk}", "SF2026120601")
    seller.get_by_role("button", name=f"Mark as shipped (order #{order.pk})").click()
    expect(seller.get_by_text("SF2026120601").first).to_be_visible()
    viewer.goto(f"{site.url}/shop/orders/")
    row = viewer.locator(".order-card", has_text="Undyed linen tote")
    expect(row.locator(".order-status")).to_contain_text("Shipped")
    shoot(viewer, "live-sale-buyer-orders-390")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.tracking == "SF2026120601"
    for page in (viewer, studio, seller):
        assert page.js_errors == [], page.js_errors
        assert page.csp_violations == [], page.csp_violations


def test_the_seller_changes_a_products_photos(site: Site, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.browser.test_post_note import make_jpeg

    seller = UserFactory(username="linen_studio")
    tote = product_with_image(seller, title="Undyed linen tote", price=5990, seed=11)
    for position, seed in ((1, 12), (2, 13)):
        ProductImageFactory(
            product=tote,
            position=position,
            image=ContentFile(photos.generate_demo_photo(seed, 600, 600), name="p.jpg"),
        )
    first, second, third = tote.images.order_by("position").values_list("pk", flat=True)
    for width, phone in ((390, True), (1280, False)):
        page = open_context(browser, site, user=seller, phone=phone)
        page.goto(f"{site.url}/shop/products/{tote.pk}/edit")
        photos_form = page.locator("#photos")
        expect(photos_form.get_by_role("heading", name="Photos")).to_be_visible()
        expect(photos_form.locator(".photo-row")).to_have_count(3)
        shoot(page, f"product-photos-{width}")
        page.context.close()

    page = open_context(browser, site, user=seller, phone=True)
    page.goto(f"{site.url}/shop/products/{tote.pk}/edit")
    photos_form = page.locator("#photos")
    # The second photo becomes the cover; the third goes; a new one comes last.
    photos_form.get_by_role("button", name="Move photo 2 earlier").click()
    expect(page.get_by_text("The cover is changed.")).to_be_visible()
    photos_form.get_by_role("button", name="Remove photo 3").click()
    expect(page.get_by_text("The photo is removed.")).to_be_visible()
    photos_form.locator("input[type=file]").set_input_files(str(make_jpeg(tmp_path / "new.jpg")))
    photos_form.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("1 photo added.")).to_be_visible()
    expect(photos_form.locator(".photo-row")).to_have_count(3)
    shoot(page, "product-photos-changed-390")
    kept = list(tote.images.order_by("position").values_list("pk", flat=True))
    assert kept[:2] == [second, first] and third not in kept and len(kept) == 3
    assert page.js_errors == [], page.js_errors
    assert page.csp_violations == [], page.csp_violations
