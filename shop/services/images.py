"""Renditions of product images: the same pipeline as note photos
(``core.renditions``), made in the background by
``shop.tasks.render_product_image`` once the product's transaction commits."""

from __future__ import annotations

import logging

from core.renditions import renditions_exist, renditions_store, stored_files_delete
from shop import rules
from shop.models import ProductImage
from shop.services.tags import product_cards_forget

logger = logging.getLogger(__name__)


def product_image_render(*, image_id: int) -> None:
    """Make a product image's WebP and JPEG renditions at
    ``rules.IMAGE_WIDTHS`` and its dominant colour. Idempotent: an image
    whose renditions all exist is left alone; a deleted one is skipped."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:
        return
    previous: dict[str, dict[str, str]] = image.renditions or {}
    if renditions_exist(previous):
        return
    stored = renditions_store(image.image.name or "", widths=rules.IMAGE_WIDTHS)
    if stored is None:
        return
    updated = ProductImage.objects.filter(pk=image_id).update(
        renditions=stored.names, color=stored.color
    )
    written = {n for files in stored.names.values() for n in files.values()}
    product_cards_forget([image.product_id])  # the cards' thumbnails are ready
    if not updated:
        logger.info("Product image %s was deleted while its renditions were made", image_id)
        stored_files_delete(written)
        return
    stored_files_delete(n for f in previous.values() for n in f.values() if n not in written)
