"""The shop's catalog: one shop per member (opened with its first product),
products with their images and variants. Prices are integers in minor units
of ``SPROUT_CURRENCY`` (``core.money``); limits live in ``shop.rules``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

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

    def get_absolute_url(self) -> str:
        return reverse("shop", args=[self.owner.username])


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

    def get_absolute_url(self) -> str:
        return reverse("product", args=[self.pk])


class ProductImage(models.Model):
    """One of a product's 1–9 images, cleaned by ``core.images.prepare_upload``.
    ``renditions`` maps a width (``rules.IMAGE_WIDTHS``) to its WebP and JPEG
    files, as a note photo's do (``core.renditions``, made in the background
    by ``shop.tasks.render_product_image``); until then the original is served."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    image = CleanImageField(upload_to="products/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    color = models.CharField(max_length=7, blank=True, help_text="Dominant colour, #rrggbb.")
    renditions = models.JSONField(default=dict, blank=True)
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


# --- products in notes and live rooms -----------------------------------------------------


class NoteProduct(models.Model):
    """A product tagged on a note by its author (their own product, or one
    open to affiliates). The note shows the tags as product cards, in
    ``position`` order."""

    note = models.ForeignKey("community.Note", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="note_tags")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "product"], name="shop_noteproduct_once"),
        ]
        indexes = [models.Index(fields=["product", "-id"], name="shop_noteproduct_product")]

    def __str__(self) -> str:
        return f"product {self.product_id} on note {self.note_id}"


class FlashSale(models.Model):
    """``quantity`` units of a product at ``price``, from ``starts_at`` to
    ``ends_at``. ``remaining`` is the database's record of the units left
    (the Redis counter is the gate in front of it; ``shop.services.flash``
    reconciles the two)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="flash_sales")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    price = models.BigIntegerField(help_text="The flash price, in minor units.")
    quantity = models.PositiveIntegerField()
    remaining = models.IntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("quantity")),
                name="shop_flashsale_remaining_range",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=rules.PRICE_MIN) & Q(price__lte=rules.PRICE_MAX),
                name="shop_flashsale_price_range",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shop_flashsale_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"flash sale {self.pk} of {self.product_id}"


class RoomPin(models.Model):
    """A product pinned in a live room: one at a time (``unpinned_at`` is
    null for the current pin), kept afterwards as the session's history."""

    room = models.ForeignKey("live.Room", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "live.LiveSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="pins")
    flash_sale = models.ForeignKey(
        FlashSale, null=True, blank=True, on_delete=models.SET_NULL, related_name="pins"
    )
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(auto_now_add=True)
    unpinned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(unpinned_at__isnull=True),
                name="shop_roompin_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"product {self.product_id} pinned in room {self.room_id}"


# --- cart and orders ----------------------------------------------------------------------


class Source(models.Model):
    """Where a purchase came from (attribution): a note, a live session, or
    neither. Abstract: cart items and order lines carry the same fields."""

    source_note = models.ForeignKey(
        "community.Note", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_session = models.ForeignKey(
        "live.LiveSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(source_note__isnull=True) | Q(source_session__isnull=True),
                name="%(app_label)s_%(class)s_one_source",
            ),
        ]


class CartItem(Source):
    """A line of a member's cart. The same product (and variant) is one
    line: adding it again adds to the quantity, and the latest source wins."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Source.Meta):
        ordering = ["-updated_at", "-id"]
        constraints = [
            *Source.Meta.constraints,
            models.UniqueConstraint(
                fields=["user", "product"],
                condition=Q(variant__isnull=True),
                name="shop_cartitem_once",
            ),
            models.UniqueConstraint(
                fields=["user", "product", "variant"],
                condition=Q(variant__isnull=False),
                name="shop_cartitem_variant_once",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_cartitem_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.product_id} in {self.user_id}'s cart"


class Order(models.Model):
    """A buyer's order from one shop. Stock is reserved when it is created
    (``pending``) and released if payment fails or ``reserved_until``
    passes; the money is booked through ``wallet``'s ledger."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_orders"
    )
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    flash_sale = models.ForeignKey(
        FlashSale, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField()
    total = models.BigIntegerField()
    platform_fee = models.BigIntegerField(default=0)
    commission = models.BigIntegerField(default=0)
    seller_amount = models.BigIntegerField(default=0)
    # Shipping details as the buyer gave them at checkout.
    ship_name = models.CharField(max_length=100, blank=True)
    ship_phone = models.CharField(max_length=30, blank=True)
    ship_address = models.CharField(max_length=300, blank=True)
    tracking = models.CharField(max_length=100, blank=True)
    # The payment (wallet) and the ledger entries that booked this order.
    payment = models.OneToOneField(
        "wallet.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    payment_entry = models.ForeignKey(
        "wallet.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_entry = models.ForeignKey(
        "wallet.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_entry = models.ForeignKey(
        "wallet.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_reason = models.CharField(max_length=rules.REASON_MAX_LENGTH, blank=True)
    cancel_reason = models.CharField(max_length=rules.REASON_MAX_LENGTH, blank=True)
    stock_released = models.BooleanField(default=False)
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="shop_order_buyer"),
            models.Index(fields=["shop", "status", "-id"], name="shop_order_shop_status"),
            models.Index(
                fields=["reserved_until"],
                condition=Q(status="pending"),
                name="shop_order_pending_until",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(total__gte=0)
                & Q(platform_fee__gte=0)
                & Q(commission__gte=0)
                & Q(seller_amount__gte=0),
                name="shop_order_amounts_not_negative",
            ),
        ]
        permissions = [("refund_order", "Can refund orders with a reason")]

    def __str__(self) -> str:
        return f"order {self.pk} ({self.status})"


class OrderLine(Source):
    """One product (and variant) of an order, its price and title frozen at
    checkout, with the source that caused it and the commission it earns
    ``affiliate`` (the note's author or the session's host)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=rules.TITLE_MAX_LENGTH + rules.VARIANT_NAME_MAX_LENGTH + 3)
    unit_price = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    line_total = models.BigIntegerField()
    commission_bps = models.IntegerField(default=0)
    commission = models.BigIntegerField(default=0)
    affiliate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(Source.Meta):
        ordering = ["id"]
        constraints = [
            *Source.Meta.constraints,
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_orderline_quantity"),
            models.CheckConstraint(
                condition=Q(commission__gte=0) & Q(commission__lte=models.F("line_total")),
                name="shop_orderline_commission_range",
            ),
        ]
        indexes = [
            models.Index(fields=["source_note"], name="shop_orderline_note"),
            models.Index(fields=["source_session"], name="shop_orderline_session"),
            models.Index(fields=["affiliate"], name="shop_orderline_affiliate"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.title}"
