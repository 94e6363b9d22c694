"""Template filters of the shop's cards: ``money`` (minor units of the
site's currency as people read them: ``core.money.money_text``)."""

from __future__ import annotations

from django import template

from core.money import money_text

register = template.Library()


@register.filter
def money(amount: int) -> str:
    return money_text(int(amount))
