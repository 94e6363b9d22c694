"""The shop's loop in a real browser: a member opens a shop with a first
product (a real JPEG, variants, the upload's progress), another member
adds it to the cart and checks out, the order is in the buyer's history,
the seller ships it, the buyer confirms delivery. Every page is looked at
on a phone (390 px) and a desktop (1280 px): no sideways scroll, and the
controls a finger taps are at least 44 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from community.models import User
from tests.browser.test_post_note import make_jpeg
from tests.clients import logged_in
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.apps("shop"),
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# What a finger taps in the page's content (the header and tab bar are the site's).
TAPPABLE = (
    ".btn, .variant, .seller-row-actions button, .tile-tools button, "
    ".variant-remove, .shop-strip-all, .cart-remove, .order-actions button"
)


def overflow_and_small_targets(page: Any, scope: str) -> tuple[int, list[str]]:
    """How far the page scrolls sideways, and the tappable controls (visible)
    under 44 px in either dimension."""
    return page.evaluate(
        """(selector) => {
          const sideways = document.documentElement.scrollWidth - window.innerWidth;
          const small = [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => {
              const r = el.getBoundingClientRect();
              return r.height < 44 || r.width < 44;
            })
            .map((el) => `${el.className}: ${(el.textContent || "").trim().slice(0, 30)}`);
          return [sideways, small];
        }""",
        ", ".join(f"{scope} {part.strip()}" for part in TAPPABLE.split(",")),
    )


def look(page: Any, screenshot: Any, name: str, scope: str = "main") -> None:
    """Screenshots at both widths, each checked for overflow and for the tap
    targets of the shop's part of the page (``scope``)."""
    for label, size in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        screenshot(f"shop-{name}-{label}")
        sideways, small = overflow_and_small_targets(page, scope)
        assert sideways <= 0, f"{name} at {label}px scrolls sideways by {sideways}px"
        assert not small, f"{name} at {label}px: tap targets under 44px: {small}"
    page.set_viewport_size(DESKTOP)


def log_in(page: Any, base: str, user: User) -> None:
    """Reuse a test client's session cookie in the browser."""
    client = logged_in(user)
    cookie = client.cookies["sessionid"]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])


def test_open_a_shop_sell_ship_and_deliver(  # type: ignore[no-untyped-def]
    live_server, page, screenshot, tmp_path
):
    from playwright.sync_api import expect

    from shop.models import Order, Product  # the shop may be off in other passes

    base = live_server.url
    seller = UserFactory(username="linen_studio")
    buyer = UserFactory(username="tote_lover")

    # --- the seller opens a shop with a first product -------------------------------
    log_in(page, base, seller)
    page.goto(f"{base}/shop/sell/")
    expect(page.get_by_role("heading", name="Open your shop")).to_be_visible()
    look(page, screenshot, "01-open-your-shop")
    page.get_by_role("link", name="Open a shop with a first product").click()
    page.wait_for_url(f"{base}/shop/sell/new")
    expect(page.locator("[data-product-form][data-enhanced]")).to_have_count(1)
    page.set_input_files("[data-file-input]", str(make_jpeg(tmp_path / "tote.jpg")))
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator("[data-photo-count]")).to_have_text("1 / 9")
    page.fill("#id_title", "Undyed linen tote")
    page.fill("#id_description", "Heavy washed linen, inner pocket.\nMachine washable.")
    page.fill("#id_price", "59.90")
    page.fill("#id_commission", "10")
    page.check("#id_open_to_affiliates")
    page.fill("#variant-name-1", "Natural")
    page.fill("#variant-stock-1", "3")
    page.get_by_role("button", name="Add a variant").click()
    page.fill("#variant-name-2", "Charcoal")
    page.fill("#variant-stock-2", "2")
    expect(page.locator("#id_stock")).to_be_disabled()
    expect(page.locator("#id_stock")).to_have_value("5")
    look(page, screenshot, "02-new-product")
    # A bad price is shown next to the field, and the photo is kept.
    page.fill("#id_price", "0")
    page.get_by_role("button", name="Open my shop").click()
    expect(page.locator('[data-error-for="price"]')).to_be_visible()
    expect(page.locator(".tile")).to_have_count(1)
    page.fill("#id_price", "59.90")
    page.get_by_role("button", name="Open my shop").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/shop/products/\d+/$"))
    product = Product.objects.get(title="Undyed linen tote")
    assert (product.price, product.stock, product.commission_bps) == (5990, 5, 1000)
    assert product.images.count() == 1 and product.variants.count() == 2
    expect(page.get_by_text("Your shop is open with its first product.")).to_be_visible()
    look(page, screenshot, "03-product-seller")
    page.goto(f"{base}/shop/sell/")
    expect(page.get_by_text("5 in stock")).to_be_visible()
    look(page, screenshot, "04-seller-products")

    # --- another member finds it and buys it ----------------------------------------------
    log_in(page, base, buyer)
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="New in the shop")).to_be_visible()
    look(page, screenshot, "05-discover-strip", scope=".shop-strip")
    page.goto(f"{base}/shop/")
    look(page, screenshot, "05-browse-all")
    page.get_by_role("link", name="Undyed linen tote").first.click()
    page.wait_for_url(f"{base}/shop/products/{product.pk}/")
    expect(page.locator(".sheet-price")).to_contain_text("59.90")
    look(page, screenshot, "06-product-sheet")
    page.get_by_text("Charcoal").click()
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/shop/"))
    expect(page.get_by_text("“Undyed linen tote” is in your cart.")).to_be_visible()
    page.goto(f"{base}/shop/cart")
    expect(page.get_by_role("link", name="Undyed linen tote")).to_be_visible()
    expect(page.locator(".cart-line-variant")).to_have_text("Charcoal")
    look(page, screenshot, "07-cart")
    page.get_by_role("link", name=re.compile("Check out")).first.click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/shop/checkout/"))
    page.fill("#id_name", "Tote Lover")
    page.fill("#id_phone", "+86 138 0000 0000")
    page.fill("#id_address", "12 Linen Lane, Hangzhou")
    look(page, screenshot, "08-checkout")
    page.get_by_role("button", name=re.compile("Pay")).click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/shop/orders/\d+/$"))
    order = Order.objects.get(buyer=buyer)
    assert order.status == Order.Status.PAID and order.total == 5990
    look(page, screenshot, "09-order-paid")
    page.goto(f"{base}/shop/orders/")
    expect(page.locator(".order-card-lines")).to_contain_text("Undyed linen tote")
    expect(page.locator(".order-status").first).to_contain_text("Paid")
    look(page, screenshot, "10-buyer-orders")

    # --- the seller ships it ---------------------------------------------------------------
    log_in(page, base, seller)
    page.goto(f"{base}/shop/sales/")
    expect(page.get_by_text("Tote Lover")).to_be_visible()
    look(page, screenshot, "11-seller-orders")
    page.fill(f"#tracking-{order.pk}", "SF1234567890")
    page.get_by_role("button", name=re.compile("Mark as shipped")).click()
    expect(page.get_by_text("SF1234567890").first).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.tracking == "SF1234567890"

    # --- the buyer confirms delivery --------------------------------------------------------
    log_in(page, base, buyer)
    page.goto(f"{base}/shop/orders/{order.pk}/")
    expect(page.get_by_text("SF1234567890")).to_be_visible()
    look(page, screenshot, "12-order-shipped")
    page.get_by_role("button", name="Confirm delivery").click()
    expect(page.locator(".order-status").first).to_contain_text("Delivered")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    look(page, screenshot, "13-order-delivered")
    assert not page.js_errors, page.js_errors
    assert not page.csp_violations, page.csp_violations
