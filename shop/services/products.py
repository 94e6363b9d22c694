"""Sellers' writes: a product is created (opening the member's shop with
its first one) and changed by its seller only. Limits: ``shop.rules``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from community.models import User
from core.images import PreparedImage, prepare_uploads, random_name
from shop import rules
from shop.errors import (
    ImagesRequired,
    NotTheSeller,
    ShopClosed,
    TooManyImages,
    ValidationFailed,
)
from shop.models import Product, ProductImage, ProductVariant, Shop


def product_fields_check(fields: dict[str, Any]) -> None:
    """The one check of a product's fields (whichever are given), for the
    services; the serializers declare the same bounds from ``shop.rules``."""
    errors: dict[str, list[str]] = {}
    if "title" in fields:
        title = str(fields["title"]).strip()
        if not title:
            errors["title"] = ["Give the product a title."]
        elif len(title) > rules.TITLE_MAX_LENGTH:
            errors["title"] = [f"Keep the title within {rules.TITLE_MAX_LENGTH} characters."]
    if "description" in fields and len(fields["description"]) > rules.DESCRIPTION_MAX_LENGTH:
        errors["description"] = [
            f"Keep the description within {rules.DESCRIPTION_MAX_LENGTH:,} characters."
        ]
    bounds = {
        "price": (rules.PRICE_MIN, rules.PRICE_MAX),
        "stock": (0, rules.STOCK_MAX),
        "commission_bps": (0, rules.COMMISSION_BPS_MAX),
    }
    for name, (low, high) in bounds.items():
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = [f"A whole number from {low:,} to {high:,}."]
    if errors:
        raise ValidationFailed(fields=errors)


def _variants_check(variants: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    cleaned: list[tuple[str, int]] = []
    seen: set[str] = set()
    for name, stock in variants:
        name = name.strip()
        if not name or len(name) > rules.VARIANT_NAME_MAX_LENGTH or name in seen:
            raise ValidationFailed(
                fields={
                    "variants": [
                        f"Each variant needs its own name of 1 to "
                        f"{rules.VARIANT_NAME_MAX_LENGTH} characters."
                    ]
                }
            )
        if (
            isinstance(stock, bool)
            or not isinstance(stock, int)
            or not 0 <= stock <= rules.STOCK_MAX
        ):
            raise ValidationFailed(
                fields={"variants": [f"A variant's stock is from 0 to {rules.STOCK_MAX:,}."]}
            )
        seen.add(name)
        cleaned.append((name, stock))
    return cleaned


def _prepare_images(uploads: Sequence[File]) -> list[PreparedImage]:
    if len(uploads) < rules.IMAGES_MIN:
        raise ImagesRequired(fields={"images": [ImagesRequired.message]})
    if len(uploads) > rules.IMAGES_MAX:
        raise TooManyImages(fields={"images": [TooManyImages.message]})
    return prepare_uploads(uploads)


def _image_store(*, product: Product, prepared: PreparedImage, position: int) -> ProductImage:
    """Store a prepared image and enqueue its renditions once the product commits."""
    from shop.tasks import render_product_image

    image = ProductImage(product=product, position=position)
    image.image.save(random_name(prepared.format), ContentFile(prepared.content), save=False)
    # As for note photos: the prepared size is exact, no need to re-measure.
    image.width, image.height = prepared.width, prepared.height
    name = image.image.name or ""
    try:
        image.save()
    except BaseException:
        default_storage.delete(name)
        raise
    image_id = image.pk
    # robust: with the broker down the product is still listed (the original
    # is served until a render runs).
    transaction.on_commit(lambda: render_product_image.delay(image_id), robust=True)
    return image


def _shop_for(seller: User) -> Shop:
    shop, _ = Shop.objects.get_or_create(owner=seller, defaults={"name": seller.username})
    if not shop.is_open:
        raise ShopClosed()
    return shop


def product_create(
    *,
    seller: User,
    title: str,
    price: int,
    stock: int,
    images: Sequence[File],
    description: str = "",
    commission_bps: int = 0,
    open_to_affiliates: bool = False,
    variants: Sequence[tuple[str, int]] = (),
) -> Product:
    """List a product with 1–9 images (in order), opening the seller's shop
    with its first product. A shop a moderator closed lists nothing."""
    product_fields_check(
        {
            "title": title,
            "description": description,
            "price": price,
            "stock": stock,
            "commission_bps": commission_bps,
        }
    )
    cleaned_variants = _variants_check(variants)
    prepared = _prepare_images(images)
    stored: list[str] = []
    try:
        with transaction.atomic():
            shop = _shop_for(seller)
            product = Product.objects.create(
                shop=shop,
                title=title.strip(),
                description=description,
                price=price,
                stock=stock,
                commission_bps=commission_bps,
                open_to_affiliates=open_to_affiliates,
            )
            for position, image in enumerate(prepared):
                row = _image_store(product=product, prepared=image, position=position)
                stored.append(row.image.name or "")
            ProductVariant.objects.bulk_create(
                ProductVariant(product=product, name=name, stock=count)
                for name, count in cleaned_variants
            )
    except BaseException:
        # The files were written before the rows: no row points at them now.
        for name in stored:
            default_storage.delete(name)
        raise
    return product


UPDATABLE = ("title", "description", "price", "stock", "commission_bps", "open_to_affiliates")


def product_update(*, actor: User, product: Product, **changes: Any) -> Product:
    """Change some of a product's fields (``UPDATABLE``; the others are
    ignored when None). Only its seller may, and not while the shop is closed."""
    changes = {k: v for k, v in changes.items() if k in UPDATABLE and v is not None}
    if product.shop.owner_id != actor.pk:
        raise NotTheSeller()
    if not product.shop.is_open:
        raise ShopClosed()
    product_fields_check(changes)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if not changes:
        return product
    with transaction.atomic():
        for name, value in changes.items():
            setattr(product, name, value)
        product.save(update_fields=[*changes, "updated_at"])
    return product
