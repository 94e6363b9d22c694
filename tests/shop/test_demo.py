"""``seed_demo``'s shop part (``shop.demo``): shops of brands and creators,
products with photos and variants tagged in notes and pinned in past live
sessions, a past flash sale, orders in every status attributed to their
notes and sessions, and books that reconcile."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F, Min
from django.utils import timezone

from core.renditions import renditions_exist
from kol import demo as kol_demo
from live.models import LiveSession
from shop import demo
from shop.models import (
    FlashSale,
    NoteProduct,
    Order,
    OrderLine,
    Product,
    ProductImage,
    ProductVariant,
    RoomPin,
    Shop,
)
from shop.selectors import attribution
from tests.factories import NoteFactory
from wallet.models import Account, Entry, Line, Payment

pytestmark = pytest.mark.django_db

MODELS = (Shop, Product, ProductImage, ProductVariant, NoteProduct, RoomPin, FlashSale, Order,
          OrderLine, Payment, Entry, Line)  # fmt: skip


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # The pool's and the shop's demo at sizes that paint fast.
    monkeypatch.setattr(kol_demo, "PHOTO_SIZES", ((96, 128), (100, 100)))
    monkeypatch.setattr(kol_demo, "PHOTO_POOL", 2)
    monkeypatch.setattr(kol_demo, "AVATAR_POOL", 2)
    monkeypatch.setattr(kol_demo, "AVATAR_SIZE", 64)
    monkeypatch.setattr(demo, "PHOTO_SIZE", (96, 96))
    settings.SPROUT_KOL_TIERS = {"micro": 4, "mid": 8, "macro": 16, "mega": 32}


def seed(*args: str, shops: int = 2) -> str:
    # Test settings run with DEBUG off, like production: say it is deliberate.
    out = io.StringIO()
    call_command(
        "seed_demo", "--users", "8", "--notes", "10", "--creators", "8", "--live-hosts", "2",
        "--shops", str(shops), *args, "--allow-public-passwords", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def reconcile() -> str:
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    return out.getvalue()


def test_a_seeded_empty_site_has_shops_sales_and_books_that_reconcile() -> None:
    out = seed("--if-empty")

    assert "Shop: 4 shops" in out
    shops = Shop.objects.select_related("owner")
    assert {s.owner.username for s in shops} >= {"demo_brand_linen", "demo_brand_glow"}
    assert all(1 <= p.images.count() <= 9 for p in Product.objects.all())
    # Every photo rendered as an upload's is (the seed runs in this test's
    # transaction: nothing is left to the task enqueued on commit).
    images = list(ProductImage.objects.all())
    assert images and all(image.color for image in images)
    assert all(renditions_exist(image.renditions) for image in images)
    assert ProductVariant.objects.exists()
    # Products tagged in notes and pinned in past sessions (inside them).
    assert NoteProduct.objects.exists()
    pins = list(RoomPin.objects.select_related("session"))
    assert pins and all(p.session is not None and p.unpinned_at is not None for p in pins)
    for pin in pins:
        assert pin.session is not None and pin.session.ended_at is not None
        assert pin.session.started_at <= pin.pinned_at <= pin.session.ended_at
    # A flash sale in the past, with its orders at its price.
    sale = FlashSale.objects.get()
    assert sale.ends_at < timezone.now()
    flash_orders = Order.objects.filter(flash_sale=sale)
    assert flash_orders.exists()
    held = OrderLine.objects.filter(order__flash_sale=sale).exclude(
        order__status=Order.Status.CANCELLED
    )
    assert sale.remaining == sale.quantity - sum(line.quantity for line in held)
    assert all(line.unit_price == sale.price for line in held)
    # Orders in every status, attributed to notes and sessions.
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == set(Order.Status.values)
    assert OrderLine.objects.filter(source_note__isnull=False).exists()
    assert OrderLine.objects.filter(source_session__isnull=False).exists()
    assert Order.objects.exclude(status=Order.Status.PENDING).filter(paid_at=None).count() == (
        Order.objects.filter(status=Order.Status.CANCELLED, paid_at=None).count()
    )
    now = timezone.now()
    assert not Order.objects.filter(paid_at__gt=now).exists()
    # Money dated with its orders, never changed: entries, lines, accounts.
    assert not Entry.objects.filter(created_at__gt=now).exists()
    assert not Line.objects.exclude(created_at=F("entry__created_at")).exists()
    for account in Account.objects.annotate(first=Min("lines__created_at")):
        assert account.first is None or account.created_at <= account.first
    for order in Order.objects.exclude(payment_entry=None).select_related("payment_entry"):
        assert order.payment_entry is not None and order.payment_entry.created_at == order.paid_at
    # The sessions' reports show their sales.
    sold = attribution.sales_by_session(LiveSession.objects.values_list("pk", flat=True))
    assert sold and all(figures.sales > 0 for figures in sold.values())
    assert "ledger OK" in reconcile()


def test_seeding_again_or_if_empty_adds_nothing() -> None:
    seed()
    before = row_counts()

    assert "the demo shops exist already; nothing to add" in seed()
    seed("--if-empty")

    assert row_counts() == before
    assert "ledger OK" in reconcile()


def test_if_empty_leaves_a_site_with_notes_alone() -> None:
    NoteFactory()

    seed("--if-empty")

    assert not Shop.objects.exists()


def test_dry_run_writes_nothing() -> None:
    out = seed("--dry-run")

    assert "Dry run (shop)" in out
    assert not Shop.objects.exists() and not Order.objects.exists()


def test_no_shops_asked_for_opens_none() -> None:
    out = seed(shops=0)

    assert "Shop: --shops 0, nothing to add." in out
    assert not Shop.objects.exists()


def test_without_the_sandbox_provider_the_catalog_comes_without_orders(settings: Any) -> None:
    settings.SPROUT_WALLET_SANDBOX_SECRET = ""

    out = seed("--live-hosts", "0", shops=1)

    assert "no orders" in out
    assert Product.objects.exists() and not Order.objects.exists()
