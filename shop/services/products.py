"""Sellers' writes: a product is created (opening the member's shop with
its first one) and changed (its photos too: :func:`product_images_update`),
hidden or shown again by its seller only.
Limits: ``shop.rules``.

Variants: a product with variants sells by its variants' stock, and
``Product.stock`` is kept equal to their sum by every writer, in the same
transaction (:func:`stock_take` and :func:`stock_return` are the writers
for sales), so lists and cards read one column. Its seller changes the
variants' stock, never the product's directly (``stock_from_variants``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from community.models import User
from core.images import PreparedImage, prepare_uploads, random_name
from core.renditions import stored_files_delete
from shop import rules
from shop.errors import (
    HiddenByModerator,
    ImagesRequired,
    NotTheSeller,
    ShopClosed,
    TooManyImages,
    ValidationFailed,
)
from shop.models import OrderLine, Product, ProductImage, ProductVariant, Shop
from shop.services.pins import product_pins_retire
from shop.services.tags import product_cards_forget


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


@dataclass(frozen=True)
class VariantSpec:
    """A variant as a seller gives it: a new one (``id`` None) or a change
    to one of the product's own (``id``)."""

    name: str
    stock: int
    id: int | None = None


def _variants_error(message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(fields={"variants": [message]}, code=code)


def _variants_check(
    variants: Iterable[VariantSpec | tuple[str, int]],
) -> list[VariantSpec]:
    cleaned: list[VariantSpec] = []
    seen: set[str] = set()
    ids: set[int] = set()
    for given in variants:
        spec = given if isinstance(given, VariantSpec) else VariantSpec(*given)
        name = spec.name.strip() if isinstance(spec.name, str) else ""
        if not name or len(name) > rules.VARIANT_NAME_MAX_LENGTH or name.casefold() in seen:
            raise _variants_error(
                f"Each variant needs its own name of 1 to "
                f"{rules.VARIANT_NAME_MAX_LENGTH} characters."
            )
        stock = spec.stock
        if (
            isinstance(stock, bool)
            or not isinstance(stock, int)
            or not 0 <= stock <= rules.STOCK_MAX
        ):
            raise _variants_error(f"A variant's stock is from 0 to {rules.STOCK_MAX:,}.")
        if spec.id is not None:
            if spec.id in ids:
                raise _variants_error("A variant is listed twice.")
            ids.add(spec.id)
        seen.add(name.casefold())
        cleaned.append(VariantSpec(name=name, stock=stock, id=spec.id))
    if len(cleaned) > rules.VARIANTS_MAX:
        raise _variants_error(f"A product has at most {rules.VARIANTS_MAX} variants.")
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
    variants: Iterable[VariantSpec | tuple[str, int]] = (),
) -> Product:
    """List a product with 1–9 images (in order), opening the seller's shop
    with its first product. A shop a moderator closed lists nothing. With
    ``variants``, ``stock`` is ignored: the product's stock is their sum."""
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
    if any(v.id is not None for v in cleaned_variants):
        raise _variants_error("A new product's variants have no ids yet.")
    if cleaned_variants:
        stock = sum(v.stock for v in cleaned_variants)
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
                ProductVariant(product=product, name=v.name, stock=v.stock)
                for v in cleaned_variants
            )
    except BaseException:
        # The files were written before the rows: no row points at them now.
        for name in stored:
            default_storage.delete(name)
        raise
    return product


UPDATABLE = ("title", "description", "price", "stock", "commission_bps", "open_to_affiliates")


def _check_seller(actor: User, product: Product) -> None:
    if product.shop.owner_id != actor.pk:
        raise NotTheSeller()
    if not product.shop.is_open:
        raise ShopClosed()


def product_update(
    *,
    actor: User,
    product: Product,
    variants: Iterable[VariantSpec | tuple[str, int]] | None = None,
    **changes: Any,
) -> Product:
    """Change some of a product's fields (``UPDATABLE``; the others are
    ignored when None) and, given ``variants``, replace its variants with
    them: those with an ``id`` are changed, the others created, the missing
    ones removed (refused, ``variant_has_orders``, for one that was sold:
    set its stock to 0 instead). Only its seller may, and not while the shop
    is closed. A product with variants takes its stock from them
    (``stock_from_variants`` when ``stock`` is given as well)."""
    changes = {k: v for k, v in changes.items() if k in UPDATABLE and v is not None}
    _check_seller(actor, product)
    product_fields_check(changes)
    cleaned = _variants_check(variants) if variants is not None else None
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if not changes and cleaned is None:
        return product
    with transaction.atomic():
        # The row lock orders this change after any sale of the product in flight.
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if cleaned is not None:
            _variants_replace(locked, cleaned)
        has_variants = locked.variants.exists()
        if has_variants and "stock" in changes:
            raise ValidationFailed(
                fields={"stock": ["This product sells by variant: change its variants' stock."]},
                code="stock_from_variants",
            )
        for name, value in changes.items():
            setattr(product, name, value)
        fields = [*changes, "updated_at"]
        if has_variants:
            product.stock = locked.variants.aggregate(total=Sum("stock"))["total"] or 0
            fields.append("stock")
        elif cleaned is not None and "stock" not in changes:
            # Its last variant removed: the product sells on its own again, from what it had.
            product.stock = locked.stock
        product.save(update_fields=list(dict.fromkeys(fields)))
        if changes.get("open_to_affiliates") is False:
            # Other hosts may no longer show it: off their rooms, kept in the seller's.
            product_pins_retire(product_ids=[product.pk], except_host_id=actor.pk)
    return product


def product_images_update(
    *, actor: User, product: Product, keep: Sequence[int], add: Sequence[File] = ()
) -> list[ProductImage]:
    """Set a product's photos after its creation: the ones of ``keep`` (ids
    of its own images, in the order given: the first is the cover), then the
    uploads of ``add`` in order. Its images left out are removed (their
    files and renditions deleted once this commits). The limits are the new
    product's: 1–9 in all (``images_required``, ``too_many_images``), each
    upload validated by content and stripped of its metadata
    (``core.images``), its renditions made in the background. Only its
    seller, while the shop is open. An id that is not one of its images, or
    given twice, is 400 ``invalid`` naming ``keep``."""
    _check_seller(actor, product)
    keep = list(keep)
    current = {image.pk: image for image in product.images.all()}
    if len(set(keep)) != len(keep) or any(pk not in current for pk in keep):
        raise ValidationFailed(fields={"keep": ["Keep only this product's photos, each once."]})
    total = len(keep) + len(add)
    if total < rules.IMAGES_MIN:
        raise ImagesRequired(fields={"images": [ImagesRequired.message]})
    if total > rules.IMAGES_MAX:
        raise TooManyImages(fields={"images": [TooManyImages.message]})
    prepared = prepare_uploads(add) if add else []
    removed = [image for pk, image in current.items() if pk not in keep]
    stored: list[str] = []
    try:
        with transaction.atomic():
            Product.objects.select_for_update().filter(pk=product.pk).first()
            ProductImage.objects.filter(pk__in=[image.pk for image in removed]).delete()
            # Positions are unique per product: park the kept ones past the
            # end first, so any order can be written.
            for position, pk in enumerate(keep):
                ProductImage.objects.filter(pk=pk).update(position=rules.IMAGES_MAX * 2 + position)
            for position, pk in enumerate(keep):
                ProductImage.objects.filter(pk=pk).update(position=position)
            for offset, image in enumerate(prepared):
                row = _image_store(product=product, prepared=image, position=len(keep) + offset)
                stored.append(row.image.name or "")
            Product.objects.filter(pk=product.pk).update(updated_at=timezone.now())
            product_cards_forget([product.pk])  # the first image may be another
            files = [
                name
                for image in removed
                for name in (
                    image.image.name or "",
                    *(n for f in (image.renditions or {}).values() for n in f.values()),
                )
                if name
            ]
            transaction.on_commit(lambda: stored_files_delete(files), robust=True)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return list(ProductImage.objects.filter(product=product).order_by("position", "id"))


def _variants_replace(product: Product, specs: list[VariantSpec]) -> None:
    current = {v.pk: v for v in product.variants.all()}
    unknown = [spec.id for spec in specs if spec.id is not None and spec.id not in current]
    if unknown:
        raise _variants_error(
            f"Variant {unknown[0]} is not one of this product's.", code="invalid_variant"
        )
    kept = {spec.id for spec in specs if spec.id is not None}
    removed = [pk for pk in current if pk not in kept]
    if removed:
        sold = ProductVariant.objects.filter(
            pk__in=OrderLine.objects.filter(variant_id__in=removed).values("variant_id")
        )
        first = sold.first()
        if first is not None:
            raise _variants_error(
                f"“{first.name}” has orders: set its stock to 0 instead of removing it.",
                code="variant_has_orders",
            )
        ProductVariant.objects.filter(pk__in=removed).delete()
    # Names are unique per product: rename through a temporary name first,
    # so two variants may swap names in one change.
    kept_specs = [(spec.id, spec) for spec in specs if spec.id is not None]
    for pk, spec in kept_specs:
        if current[pk].name != spec.name:
            ProductVariant.objects.filter(pk=pk).update(name=f"\x01{pk}")
    for pk, spec in kept_specs:
        ProductVariant.objects.filter(pk=pk).update(name=spec.name, stock=spec.stock)
    ProductVariant.objects.bulk_create(
        ProductVariant(product=product, name=spec.name, stock=spec.stock)
        for spec in specs
        if spec.id is None
    )


def product_set_hidden(*, actor: User, product: Product, hidden: bool) -> bool:
    """The seller takes their product off sale (hidden from everyone but
    them and moderators, unpinned from live rooms) or puts it back. A product a moderator hid stays
    hidden (``hidden_by_moderator``). Returns whether it changed."""
    _check_seller(actor, product)
    if product.is_hidden and product.hidden_by_id != actor.pk:
        raise HiddenByModerator()
    with transaction.atomic():
        if hidden:
            changed = Product.objects.filter(pk=product.pk, is_hidden=False).update(
                is_hidden=True, hidden_by=actor, hidden_reason="", updated_at=timezone.now()
            )
            if changed:
                product_pins_retire(product_ids=[product.pk])
        else:
            changed = Product.objects.filter(pk=product.pk, is_hidden=True, hidden_by=actor).update(
                is_hidden=False, hidden_by=None, hidden_reason="", updated_at=timezone.now()
            )
    if changed:
        product_cards_forget([product.pk])
        product.is_hidden = hidden
        product.hidden_by = actor if hidden else None
        product.hidden_reason = ""
    return bool(changed)


# --- stock, for sales -------------------------------------------------------------


def stock_take(*, product_id: int, quantity: int, variant_id: int | None = None) -> bool:
    """Take ``quantity`` units off the shelf for a sale, or nothing: False
    when there are not that many (never negative, whatever the concurrency:
    conditional decrements). With a variant, its stock and the product's
    (their sum) go down together. Call it inside the sale's transaction."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    with transaction.atomic():
        if variant_id is not None:
            taken = ProductVariant.objects.filter(
                pk=variant_id, product_id=product_id, stock__gte=quantity
            ).update(stock=F("stock") - quantity)
            if not taken:
                return False
        taken = Product.objects.filter(pk=product_id, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not taken:
            if variant_id is not None:
                # Cannot happen while the sum holds; undo rather than drift.
                transaction.set_rollback(True)
            return False
    return True


def stock_return(*, product_id: int, quantity: int, variant_id: int | None = None) -> None:
    """Put ``quantity`` units back (a released reservation, a refund that
    restocks), on the variant and the product together."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    with transaction.atomic():
        if variant_id is not None:
            ProductVariant.objects.filter(pk=variant_id, product_id=product_id).update(
                stock=F("stock") + quantity
            )
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
