"""Money in the site's currency: amounts are integers in minor units of
``SPROUT_CURRENCY`` (cents, fen; yen have none), printed two ways.

- :func:`format_money` for people reading logs, commands and the admin:
  ``12.34 USD``.
- :func:`money_text` for pages: ``$12.34``, ``¥300``, ``12.34 CHF``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

# Currencies without minor units (ISO 4217 exponent 0).
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}


def currency() -> str:
    """The site's currency (``SPROUT_CURRENCY``, an ISO 4217 code)."""
    return str(settings.SPROUT_CURRENCY)


def _number(amount: int, code: str) -> str:
    if code in ZERO_DECIMAL:
        return f"{Decimal(amount):,.0f}"
    return f"{Decimal(amount).scaleb(-2):,.2f}"


def format_money(amount: int, currency_code: str | None = None) -> str:
    """``1234`` -> ``"12.34 USD"``: minor units, with the currency's code."""
    code = currency_code or currency()
    return f"{_number(amount, code)} {code}"


def money_text(amount: int, currency_code: str | None = None) -> str:
    """Minor units as people read them on a page: ``$19.80``, ``¥300``,
    ``19.80 CHF``."""
    code = currency_code or currency()
    number = _number(amount, code)
    symbol = SYMBOLS.get(code)
    if symbol is None:
        return f"{number} {code}"
    return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"


@dataclass(frozen=True)
class Money:
    """An amount in minor units of a currency that prints itself for pages
    (``format_money``; a no-break space keeps number and code together)."""

    amount: int
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency).replace(" ", "\u00a0")
