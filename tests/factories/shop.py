"""Factories of the shop (``shop.models``). They write rows directly: a
product made here has no images unless asked (``ProductImageFactory``), where
``shop.services.product_create`` insists on 1–9."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from core.money import currency
from shop.models import (
    CartItem,
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
from tests.factories.base import ModelFactory, jpeg_bytes
from tests.factories.community import NoteFactory, UserFactory
from tests.factories.live import RoomFactory


class ShopFactory(ModelFactory[Shop]):
    class Meta:
        model = Shop
        django_get_or_create = ("owner",)

    owner = factory.SubFactory(UserFactory)
    name = factory.LazyAttribute(lambda shop: f"{shop.owner.username}'s shop")


class ProductFactory(ModelFactory[Product]):
    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    title = factory.Sequence(lambda n: f"Linen tote {n}")
    description = "Undyed linen, machine washable."
    price = 5900
    stock = 10
    commission_bps = 1000


class ProductImageFactory(ModelFactory[ProductImage]):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    position = factory.Sequence(lambda n: n)
    image = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(), name="factory.jpg"))


class ProductVariantFactory(ModelFactory[ProductVariant]):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Size {n}")
    stock = 5


class NoteProductFactory(ModelFactory[NoteProduct]):
    """A product tagged on a note (its author's own product by default)."""

    class Meta:
        model = NoteProduct

    note = factory.SubFactory(NoteFactory)
    product = factory.SubFactory(
        ProductFactory,
        shop=factory.LazyAttribute(lambda o: ShopFactory(owner=o.factory_parent.note.author)),
    )
    position = factory.Sequence(lambda n: n)


class FlashSaleFactory(ModelFactory[FlashSale]):
    """A flash sale on now (started a minute ago, ending in an hour)."""

    class Meta:
        model = FlashSale

    product = factory.SubFactory(ProductFactory)
    price = 1990
    quantity = 10
    remaining = factory.LazyAttribute(lambda o: o.quantity)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1, minutes=1))
    created_by = factory.LazyAttribute(lambda o: o.product.shop.owner)


class RoomPinFactory(ModelFactory[RoomPin]):
    """The current pin of a room (``unpinned_at`` unset)."""

    class Meta:
        model = RoomPin

    room = factory.SubFactory(RoomFactory)
    product = factory.SubFactory(ProductFactory)
    pinned_by = factory.LazyAttribute(lambda o: o.room.host)


class CartItemFactory(ModelFactory[CartItem]):
    class Meta:
        model = CartItem

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderFactory(ModelFactory[Order]):
    """An order row as checkout leaves it once paid, without its ledger
    entries (money tests go through ``shop.services``). Give it lines with
    ``OrderLineFactory(order=...)``; totals are not recomputed."""

    class Meta:
        model = Order

    buyer = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)
    status = Order.Status.PAID
    currency = factory.LazyFunction(currency)
    subtotal = 5900
    total = 5900
    paid_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(ModelFactory[OrderLine]):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, shop=factory.SelfAttribute("..order.shop"))
    title = factory.LazyAttribute(lambda o: o.product.title)
    unit_price = factory.LazyAttribute(lambda o: o.product.price)
    quantity = 1
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)
