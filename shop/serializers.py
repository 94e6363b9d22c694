"""Shapes of the shop's REST API: input serializers check types and the
bounds of ``shop.rules`` (the services check the same, once more, for every
other caller); output serializers read what the selectors loaded."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.serializers import UserBriefSerializer
from core.money import currency
from shop import rules
from shop.models import FlashSale, Order, Product, ProductImage
from shop.selectors import FLASH_SALE_STATES, Q_MAX_LENGTH, flash_sale_state, product_image_payload
from shop.services import VariantSpec
from wallet.services.idempotency import KEY_HELP, KEY_MAX_LENGTH, KEY_PATTERN


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def product_path(product_id: int) -> str:
    """The product page's path (what every ``url`` of a product points at)."""
    return reverse("product", args=[product_id])


def _price() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=rules.PRICE_MIN,
        max_value=rules.PRICE_MAX,
        help_text="In minor units of the site's currency (`currency`).",
    )


class ProductQueryInput(serializers.Serializer):
    seller = serializers.CharField(required=False, allow_blank=True, max_length=150)
    q = serializers.CharField(required=False, allow_blank=True, max_length=Q_MAX_LENGTH)


class VariantInput(serializers.Serializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="One of the product's variants (PATCH); omit it for a new one.",
    )
    name = serializers.CharField(max_length=rules.VARIANT_NAME_MAX_LENGTH, help_text='"M / Blue"')
    stock = serializers.IntegerField(min_value=0, max_value=rules.STOCK_MAX)


class VariantsField(serializers.ListField):
    """A list of variants: JSON in a JSON body, or one form field holding
    that JSON in a multipart body (where a list of objects has no other
    spelling)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=VariantInput(), max_length=rules.VARIANTS_MAX, **kwargs)

    def get_value(self, dictionary: Any) -> Any:
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            # Multipart: the last value of the field, as DRF reads scalars.
            return dictionary[self.field_name]
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else []
            except ValueError:
                self.fail("not_a_list", input_type="text")
        return super().to_internal_value(data)


def variant_specs(value: list[dict[str, Any]] | None) -> list[VariantSpec] | None:
    if value is None:
        return None
    return [VariantSpec(name=v["name"], stock=v["stock"], id=v.get("id")) for v in value]


VARIANTS_HELP = (
    f"Up to {rules.VARIANTS_MAX} variants `{{id?, name, stock}}` (in multipart, one field "
    "holding them as JSON). A product with variants sells by variant: its `stock` is their sum."
)


class ProductCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=rules.TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=rules.DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
    )
    price = _price()
    stock = serializers.IntegerField(min_value=0, max_value=rules.STOCK_MAX)
    commission_bps = serializers.IntegerField(
        min_value=0, max_value=rules.COMMISSION_BPS_MAX, required=False, default=0
    )
    open_to_affiliates = serializers.BooleanField(required=False, default=False)
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text=f"{rules.IMAGES_MIN}–{rules.IMAGES_MAX} images (multipart), in order.",
    )
    variants = VariantsField(required=False, default=list, help_text=VARIANTS_HELP)


class ProductUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=rules.TITLE_MAX_LENGTH, required=False)
    description = serializers.CharField(
        max_length=rules.DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
    )
    price = serializers.IntegerField(
        min_value=rules.PRICE_MIN, max_value=rules.PRICE_MAX, required=False
    )
    stock = serializers.IntegerField(min_value=0, max_value=rules.STOCK_MAX, required=False)
    commission_bps = serializers.IntegerField(
        min_value=0, max_value=rules.COMMISSION_BPS_MAX, required=False
    )
    open_to_affiliates = serializers.BooleanField(required=False)
    variants = VariantsField(
        required=False,
        help_text=VARIANTS_HELP + " Given, it replaces the list: variants left out are removed.",
    )


class ImageIdsField(serializers.ListField):
    """The ids of a product's images to keep, in order: a JSON list, or in a
    multipart body the field repeated (``keep=4&keep=2``) or one field
    holding the JSON list (``keep=[]`` keeps none)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.IntegerField(min_value=1, max_value=2**62),
            max_length=rules.IMAGES_MAX,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str):
            data = data[0]
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip().startswith("[") else [data]
            except ValueError:
                self.fail("not_a_list", input_type="text")
        return super().to_internal_value(data)


class ProductImagesInput(serializers.Serializer):
    keep = ImageIdsField(
        help_text="The ids of the product's images to keep, in order (the first is the "
        "cover); the others are removed."
    )
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="New images (multipart), added after the kept ones.",
    )


class ProductImageSerializer(serializers.Serializer):
    """An image: its original (``url``) and its renditions, as note photos
    describe theirs (``core.renditions``): ``src`` is the smallest JPEG
    rendition at least 540 px wide (the original until they exist)."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    color = serializers.CharField(help_text="Dominant colour (#rrggbb) once rendered, or ''.")
    src = serializers.SerializerMethodField()
    srcset_webp = serializers.SerializerMethodField()
    srcset_jpeg = serializers.SerializerMethodField()

    def _payload(self, image: ProductImage) -> dict[str, Any]:
        payload: dict[str, Any] | None = getattr(image, "_payload", None)
        if payload is None:
            payload = product_image_payload(image)
            image._payload = payload  # type: ignore[attr-defined]  # src and srcsets share it
        return payload

    def _absolute_srcset(self, srcset: str) -> str:
        request = self.context.get("request")
        parts = (part.rsplit(" ", 1) for part in srcset.split(", ") if part)
        return ", ".join(f"{_absolute(request, url)} {width}" for url, width in parts)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: ProductImage) -> str:
        return _absolute(self.context.get("request"), image.image.url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_src(self, image: ProductImage) -> str:
        return _absolute(self.context.get("request"), self._payload(image)["src"])

    def get_srcset_webp(self, image: ProductImage) -> str:
        return self._absolute_srcset(self._payload(image)["srcset_webp"])

    def get_srcset_jpeg(self, image: ProductImage) -> str:
        return self._absolute_srcset(self._payload(image)["srcset_jpeg"])


class ProductVariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    stock = serializers.IntegerField()


class ShopBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_open = serializers.BooleanField()
    owner = UserBriefSerializer()


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.IntegerField()
    currency = serializers.SerializerMethodField()
    stock = serializers.IntegerField()
    commission_bps = serializers.IntegerField()
    open_to_affiliates = serializers.BooleanField()
    is_hidden = serializers.BooleanField()
    url = serializers.SerializerMethodField()
    seller = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_currency(self, product: Product) -> str:
        return currency()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, product: Product) -> str:
        """The product's page (its sheet), as a note's ``url`` is the note's page."""
        return _absolute(self.context.get("request"), product_path(product.pk))

    @extend_schema_field(UserBriefSerializer)
    def get_seller(self, product: Product) -> dict[str, Any]:
        return dict(UserBriefSerializer(product.shop.owner, context=self.context).data)

    @extend_schema_field(ProductImageSerializer(allow_null=True))
    def get_image(self, product: Product) -> dict[str, Any] | None:
        images = list(product.images.all())  # prefetched, in order
        if not images:
            return None
        return dict(ProductImageSerializer(images[0], context=self.context).data)


class ProductDetailSerializer(ProductSerializer):
    description = serializers.CharField()
    shop = ShopBriefSerializer()
    images = ProductImageSerializer(many=True, source="images.all")
    variants = ProductVariantSerializer(many=True, source="variants.all")
    updated_at = serializers.DateTimeField()


# --- flash sales -------------------------------------------------------------------------


class FlashSaleCreateInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    variant = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )
    price = _price()
    quantity = serializers.IntegerField(min_value=1, max_value=rules.STOCK_MAX)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class FlashSaleQueryInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    state = serializers.ChoiceField(choices=FLASH_SALE_STATES, required=False)


class SourceInput(serializers.Serializer):
    """Where the purchase came from: ``{"note": id}``, ``{"live_session": id}``
    or nothing."""

    note = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    live_session = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) > 1:
            raise serializers.ValidationError("One source at most: a note or a live session.")
        return attrs


class FlashSaleBuyInput(serializers.Serializer):
    idempotency_key = serializers.RegexField(
        KEY_PATTERN,
        max_length=KEY_MAX_LENGTH,
        help_text=f"{KEY_HELP}. Send the same key again to retry the same purchase.",
    )
    # (A field named "source" shadows Field.source in the stubs only: DRF's
    # metaclass takes declared fields off the class.)
    source = SourceInput(required=False, allow_null=True, default=None)  # type: ignore[assignment]


class FlashSaleProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, product: Product) -> str:
        return _absolute(self.context.get("request"), reverse("api-product", args=[product.pk]))


class FlashSaleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = FlashSaleProductSerializer()
    variant = ProductVariantSerializer(allow_null=True)
    price = serializers.IntegerField(help_text="The flash price, in minor units of `currency`.")
    currency = serializers.SerializerMethodField()
    quantity = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Units not sold yet (the database's record).")
    state = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_currency(self, sale: FlashSale) -> str:
        return currency()

    @extend_schema_field(serializers.ChoiceField(choices=FLASH_SALE_STATES))
    def get_state(self, sale: FlashSale) -> str:
        return flash_sale_state(sale)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, sale: FlashSale) -> str:
        return _absolute(self.context.get("request"), reverse("api-flash-sale", args=[sale.pk]))


# --- cart, checkout, orders ---------------------------------------------------------------

ID_MAX = 2**63 - 1


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


class SourceField(serializers.JSONField):
    """``{"note": id}``, ``{"live_session": id}`` or null (checked by
    ``shop.services.source_check``: ``invalid_source``)."""


@extend_schema_field(
    {
        "oneOf": [
            {"type": "object", "properties": {"note": {"type": "integer"}}, "required": ["note"]},
            {
                "type": "object",
                "properties": {"live_session": {"type": "integer"}},
                "required": ["live_session"],
            },
        ],
        "nullable": True,
    }
)
class SourceSchemaField(SourceField):
    pass


class CartItemInput(serializers.Serializer):
    product = _id()
    variant = _id(required=False, allow_null=True, default=None)
    quantity = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=rules.CART_QUANTITY_MAX
    )
    source = SourceSchemaField(required=False, allow_null=True, default=None)  # type: ignore[assignment]


class CartItemUpdateInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=rules.CART_QUANTITY_MAX)


class ShippingInput(serializers.Serializer):
    name = serializers.CharField(
        max_length=rules.SHIP_NAME_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(
        max_length=rules.SHIP_PHONE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    address = serializers.CharField(
        max_length=rules.SHIP_ADDRESS_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class CheckoutInput(serializers.Serializer):
    # The pattern the service checks (wallet.services.idempotency), stated in
    # the schema; the refusal keeps the service's message.
    idempotency_key = serializers.RegexField(
        KEY_PATTERN,
        max_length=KEY_MAX_LENGTH,
        error_messages={"invalid": f"An idempotency key is {KEY_HELP}."},
        help_text=f"{KEY_HELP}; the same key replays the same order.",
    )
    items = serializers.ListField(
        child=_id(),
        required=False,
        allow_null=True,
        default=None,
        max_length=rules.CART_LINES_MAX,
        help_text="Only these cart items (all from one shop); default: the whole cart.",
    )
    shipping = ShippingInput(required=False, allow_null=True, default=None)


class OrderQueryInput(serializers.Serializer):
    # Checked against the statuses by shop.selectors.order_list (no enum component:
    # "status" enums already exist in the schema).
    status = serializers.CharField(required=False, allow_blank=True, max_length=20)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=rules.REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ShipInput(serializers.Serializer):
    tracking = serializers.CharField(
        max_length=rules.TRACKING_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class RefundInput(serializers.Serializer):
    reason = serializers.CharField(max_length=rules.REASON_MAX_LENGTH)


# Output shapes (for the schema: the views answer ``shop.selectors``' payloads).


class CartProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.IntegerField()
    stock = serializers.IntegerField()
    seller = serializers.CharField()
    shop = serializers.DictField()
    buyable = serializers.BooleanField()


class CartItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = CartProductSerializer()
    variant = ProductVariantSerializer(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField()
    line_total = serializers.IntegerField()
    in_stock = serializers.BooleanField()
    source = SourceSchemaField(allow_null=True)  # type: ignore[assignment]
    added_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CartShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    seller = serializers.CharField()
    items = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class CartSerializer(serializers.Serializer):
    items = CartItemSerializer(many=True)
    shops = CartShopSerializer(many=True)
    count = serializers.IntegerField()
    total = serializers.IntegerField()
    currency = serializers.CharField()


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField()
    variant = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    unit_price = serializers.IntegerField()
    quantity = serializers.IntegerField()
    line_total = serializers.IntegerField()
    source = SourceSchemaField(allow_null=True)  # type: ignore[assignment]
    commission = serializers.IntegerField(required=False, help_text="Seller and staff only.")
    affiliate = serializers.IntegerField(
        required=False, allow_null=True, help_text="Seller and staff only."
    )


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(f"`{v}`" for v in Order.Status.values))
    currency = serializers.CharField()
    subtotal = serializers.IntegerField()
    total = serializers.IntegerField()
    shop = serializers.DictField()
    buyer = serializers.CharField()
    flash_sale = serializers.IntegerField(allow_null=True)
    lines = OrderLineSerializer(many=True)
    shipping = ShippingInput()
    tracking = serializers.CharField()
    payment = serializers.DictField(allow_null=True)
    reserved_until = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    refund_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    platform_fee = serializers.IntegerField(required=False, help_text="Seller and staff only.")
    commission = serializers.IntegerField(required=False, help_text="Seller and staff only.")
    seller_amount = serializers.IntegerField(required=False, help_text="Seller and staff only.")


class CheckoutOutput(OrderSerializer):
    replayed = serializers.BooleanField()


# --- products in notes and live rooms -------------------------------------------------------


class PinInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="A product's id.")


class OfferableQueryInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=Q_MAX_LENGTH)
    room = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)


class ProductCardSerializer(serializers.Serializer):
    """A product's brief card (``shop.selectors.product_card``)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.IntegerField()
    currency = serializers.CharField()
    image = serializers.URLField(allow_null=True)
    url = serializers.URLField()


class NoteProductsSerializer(serializers.Serializer):
    products = ProductCardSerializer(many=True)


class ProductCardListSerializer(serializers.Serializer):
    results = ProductCardSerializer(many=True)


class PinnedFlashSaleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    price = serializers.IntegerField()
    remaining = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    state = serializers.CharField(help_text="`scheduled`, `on`, `sold_out` or `ended`.")


class PinnedProductSerializer(ProductCardSerializer):
    flash_sale = PinnedFlashSaleSerializer(allow_null=True)


class RoomPinSerializer(serializers.Serializer):
    pinned_product = PinnedProductSerializer()


class SessionSalesSerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    units = serializers.IntegerField()


class RoomPinStateSerializer(serializers.Serializer):
    pinned_product = PinnedProductSerializer(allow_null=True)
    sales = SessionSalesSerializer(
        allow_null=True,
        help_text="Orders and units of the running session (the host and room moderators "
        "only; null for everyone else).",
    )
