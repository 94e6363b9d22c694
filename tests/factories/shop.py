"""Factories of the shop (``shop.models``). They write rows directly: a
product made here has no images unless asked (``ProductImageFactory``), where
``shop.services.product_create`` insists on 1–9."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from shop.models import Product, ProductImage, ProductVariant, Shop
from tests.factories.base import ModelFactory, jpeg_bytes
from tests.factories.community import UserFactory


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
