"""Template filters of the shop's attribution figures (the live session
report's sales, the creator studio's traffic beside cash)."""

from __future__ import annotations

from django import template

from core.money import money_text

register = template.Library()


@register.filter
def money(amount: int | None) -> str:
    """Minor units of the site's currency as people read them: ``$19.80``."""
    return money_text(int(amount or 0))


@register.filter
def per_mille(value: float | None) -> str:
    """A conversion (orders per 1,000 viewers or views): ``12.5``, ``–``
    without an audience to convert."""
    if value is None:
        return "–"
    return f"{value:,.1f}".removesuffix(".0")
