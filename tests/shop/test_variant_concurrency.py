"""A product with variants under real concurrency (PostgreSQL): buyers
racing for one variant's last units through checkout get exactly its
stock, and the product's stock stays the sum of its variants'; the other
variant is untouched. Each thread has its own connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from community.models import User
from core.errors import DomainError
from shop import services
from shop.models import Order, Product, ProductVariant
from tests.factories import ProductFactory, ProductVariantFactory, UserFactory
from wallet.reconcile import reconcile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUYERS = 20
UNITS = 5


def test_buyers_race_for_a_variant() -> None:
    product = ProductFactory(stock=UNITS + 7, price=1000)
    wanted = ProductVariantFactory(product=product, name="M", stock=UNITS)
    other = ProductVariantFactory(product=product, name="L", stock=7)
    buyers = [UserFactory() for _ in range(BUYERS)]
    items = {
        buyer.pk: services.cart_item_add(user=buyer, product_id=product.pk, variant_id=wanted.pk)
        for buyer in buyers
    }
    barrier = threading.Barrier(BUYERS)
    codes: list[str] = []
    lock = threading.Lock()

    def buy(buyer: User) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            try:
                services.checkout(
                    user=buyer,
                    idempotency_key=f"race-{buyer.pk}",
                    items=[items[buyer.pk].pk],
                )
                code = "ok"
            except DomainError as exc:
                code = exc.code
            with lock:
                codes.append(code)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(codes)) == ["insufficient_stock", "ok"], codes
    assert codes.count("ok") == UNITS == Order.objects.filter(status="paid").count()
    assert ProductVariant.objects.get(pk=wanted.pk).stock == 0
    assert ProductVariant.objects.get(pk=other.pk).stock == 7
    assert Product.objects.get(pk=product.pk).stock == 7  # still the sum
    assert reconcile().ok
