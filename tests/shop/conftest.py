"""The shop's tests need the shop installed (deselected where it is not)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/shop/" in str(item.fspath):
            item.add_marker(pytest.mark.apps("shop"))
