import pytest

from shop import services
from shop.models import Order
from tests.factories import NoteFactory, ProductFactory, UserFactory
from wallet.reconcile import reconcile

pytestmark = pytest.mark.django_db


def test_smoke() -> None:
    buyer = UserFactory()
    creator = UserFactory()
    product = ProductFactory(stock=3, price=1000, commission_bps=1000, open_to_affiliates=True)
    note = NoteFactory(author=creator)
    item = services.cart_item_add(user=buyer, product_id=product.pk, quantity=2, source={"note": note.pk})
    out = services.checkout(user=buyer, idempotency_key="k1")
    assert out["status"] == "paid", out
    order = Order.objects.get(pk=out["id"])
    assert order.commission == 200 and order.platform_fee == 100 and order.seller_amount == 1700
    product.refresh_from_db()
    assert product.stock == 1
    report = reconcile()
    assert report.ok, report.findings
    services.order_ship(seller=product.shop.owner, order=order.pk, tracking="X1")
    services.order_deliver(buyer=buyer, order=order.pk)
    assert reconcile().ok, reconcile().findings
    services.order_refund(actor=product.shop.owner, order=order.pk, reason="broken")
    r = reconcile()
    assert r.ok, r.findings
    assert services.checkout(user=buyer, idempotency_key="k1")["replayed"] is True
