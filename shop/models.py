"""The shop's catalog: one shop per member (opened with its first product),
products with their images and variants. Prices are integers in minor units
of ``SPROUT_CURRENCY`` (``core.money``); limits live in ``shop.rules``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.images import CleanImageField
from shop import rules


class Shop(models.Model):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop"
    )
    name = models.CharField(max_length=rules.SHOP_NAME_MAX_LENGTH)
    is_open = models.BooleanField(default=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=rules.REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("moderate_shop", "Can hide and restore products, close and reopen shops")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(max_length=rules.TITLE_MAX_LENGTH)
    description = models.TextField(max_length=rules.DESCRIPTION_MAX_LENGTH, blank=True)
    price = models.BigIntegerField(help_text="In minor units of SPROUT_CURRENCY.")
    stock = models.IntegerField(default=0)
    commission_bps = models.IntegerField(
        default=0, help_text="The affiliate's commission, in basis points (100 = 1 %)."
    )
    open_to_affiliates = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=rules.REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=rules.PRICE_MIN) & Q(price__lte=rules.PRICE_MAX),
                name="shop_product_price_range",
            ),
            models.CheckConstraint(condition=Q(stock__gte=0), name="shop_product_stock_gte_0"),
            models.CheckConstraint(
                condition=Q(commission_bps__gte=0)
                & Q(commission_bps__lte=rules.COMMISSION_BPS_MAX),
                name="shop_product_commission_range",
            ),
        ]
        indexes = [models.Index(fields=["shop", "-id"], name="shop_product_shop_id")]

    def __str__(self) -> str:
        return self.title


class ProductImage(models.Model):
    """One of a product's 1–9 images, cleaned by ``core.images.prepare_upload``
    (no renditions yet: the original is served)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    image = CleanImageField(upload_to="products/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="shop_productimage_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=rules.VARIANT_NAME_MAX_LENGTH, help_text='"M / Blue"')
    stock = models.IntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="shop_variant_unique_name"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="shop_variant_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name
