"""Template helpers of the shop's pages: ``{{ amount|money }}`` prints minor
units as people read them (``core.money.money_text``); ``{{ bps|percent }}``
a commission rate."""

from __future__ import annotations

from typing import Any

from django import template

from core.money import money_text
from shop.forms import commission_percent

register = template.Library()


@register.filter
def money(amount: int | None, currency_code: str | None = None) -> str:
    """``5990`` -> ``¥59.90`` (the site's currency unless one is given)."""
    if amount is None:
        return ""
    return money_text(int(amount), currency_code or None).replace(" ", "\u00a0")


@register.filter
def percent(bps: int | None) -> str:
    """Basis points as a percentage: ``1250`` -> ``12.5%``."""
    return f"{commission_percent(int(bps or 0))}%"


@register.filter
def cover_image(product: Any) -> Any:
    """The product's first image (prefetched), or None."""
    images = list(product.images.all())
    return images[0] if images else None
