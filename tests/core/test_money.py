"""Money as people read it (``core.money``): in logs and the admin with the
currency's code, on pages with its symbol."""

from __future__ import annotations

import pytest

from core.money import Money, format_money, money_text


def test_money_prints_in_major_units() -> None:
    assert format_money(123_456, "USD") == "1,234.56 USD"
    assert str(Money(5, "EUR")) == "0.05\u00a0EUR"  # one line on a page


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1980, "USD", "$19.80"),
        (5, "USD", "$0.05"),
        (123456789, "USD", "$1,234,567.89"),
        (300, "JPY", "¥300"),
        (1050, "CHF", "10.50 CHF"),
        (-250, "EUR", "-€2.50"),
    ],
)
def test_money_is_shown_as_people_read_it(amount: int, currency: str, text: str) -> None:
    assert money_text(amount, currency) == text
