"""How products look where other things show them: a product card (on a
note, pinned in a live room) and a product image with its renditions
(``core.renditions``, the note photos' pipeline)."""

from __future__ import annotations

import functools
from typing import Any

from django.urls import reverse

from core.money import currency
from core.renditions import rendition_payload
from shop import rules
from shop.models import Product, ProductImage


def product_image_payload(image: ProductImage, *, card_width: int = 540) -> dict[str, Any]:
    """An image as ``core.renditions.rendition_payload`` describes it:
    ``src`` (the smallest JPEG at least ``card_width`` wide, or the original
    until the renditions exist), ``srcset_webp``, ``srcset_jpeg``, ``color``."""
    return rendition_payload(
        image.pk,
        image.image.name or "",
        image.width,
        image.height,
        image.color,
        image.renditions or {},
        card_width=card_width,
    )


def absolute(request: Any, url: str) -> str:
    if request is None or not url.startswith("/"):
        return url
    return str(request.build_absolute_uri(url))


@functools.cache
def _product_api_template() -> str:
    return reverse("api-product", args=[0]).replace("/0/", "/{}/")


def product_api_path(product_id: int) -> str:
    return _product_api_template().format(product_id)


def product_card(product: Product, *, request: Any = None) -> dict[str, Any]:
    """A product's brief card: ``{id, title, price, currency, image, url}``;
    ``image`` is the URL of a thumbnail-size rendition of its first image
    (null without images), ``url`` the product's API resource. The product's
    ``images`` should be prefetched (in order)."""
    images = list(product.images.all())
    image = None
    if images:
        payload = product_image_payload(images[0], card_width=rules.CARD_IMAGE_WIDTH)
        image = absolute(request, payload["src"])
    return {
        "id": product.pk,
        "title": product.title,
        "price": product.price,
        "currency": currency(),
        "image": image,
        "url": absolute(request, product_api_path(product.pk)),
    }
