"""Extension points (core.extensions): a lower app declares, higher apps
register from ready(), and only installed apps count."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import override_settings

from core import extensions
from core.extensions import Hook, Slot, call_each


@pytest.fixture
def fresh() -> Iterator[list[str]]:
    """Names declared by a test, forgotten after it."""
    names: list[str] = []
    yield names
    for name in names:
        extensions._points.pop(name, None)


def test_a_hook_answers_its_default_until_an_installed_app_registers(fresh: list[str]) -> None:
    balance: Hook[Callable[[int], int]] = Hook("test.balance", default=lambda user: 0)
    fresh.append(balance.name)
    assert balance.get()(7) == 0

    balance.register(lambda user: user * 10, app="community")
    assert balance.get()(7) == 70

    balance.register(lambda user: user * 100, app="not_installed_app")
    assert balance.get()(7) == 70  # an app that is not installed does not count


def test_a_hook_registered_again_by_the_same_app_replaces(fresh: list[str]) -> None:
    hook: Hook[str] = Hook("test.replace", default="none")
    fresh.append(hook.name)
    hook.register("first", app="community")
    hook.register("second", app="community")
    assert hook.get() == "second"


def test_a_slot_lists_installed_contributions_in_order(fresh: list[str]) -> None:
    menu: Slot[str] = Slot("test.menu")
    fresh.append(menu.name)
    menu.add("Studio", app="community", order=20)
    menu.add("Wallet", app="core", order=10)
    menu.add("Admin", app="django.contrib.admin", order=30)
    menu.add("Shop", app="not_installed_app", order=5)
    assert menu.items() == ["Wallet", "Studio", "Admin"]

    menu.add("Creator studio", app="community", order=20)  # ready() ran again
    assert menu.items() == ["Wallet", "Creator studio", "Admin"]

    with override_settings(INSTALLED_APPS=["core"]):
        assert menu.items() == ["Wallet"]


def test_keys_let_one_app_contribute_several_things(fresh: list[str]) -> None:
    strips: Slot[Callable[[], str]] = Slot("test.strips")
    fresh.append(strips.name)
    strips.add(lambda: "live now", app="community", key="live_now")
    strips.add(lambda: "upcoming", app="community", key="upcoming")
    assert call_each(strips) == ["live now", "upcoming"]
    strips.remove("upcoming")
    assert call_each(strips) == ["live now"]


def test_a_point_is_declared_once(fresh: list[str]) -> None:
    fresh.append(Slot[str]("test.once").name)
    with pytest.raises(ValueError, match="declared twice"):
        Slot[str]("test.once")
    assert "test.once" in extensions.points()


def test_overrides_hold_within_their_block(fresh: list[str]) -> None:
    hook: Hook[str] = Hook("test.override_hook", default="default")
    slot: Slot[str] = Slot("test.override_slot")
    fresh.extend([hook.name, slot.name])
    hook.register("wallet's", app="community")
    slot.add("kol's", app="community")

    with hook.override("a test's"), slot.override("one", "two"):
        assert hook.get() == "a test's"
        assert slot.items() == ["one", "two"]
    with slot.override():
        assert slot.items() == []
    assert hook.get() == "wallet's"
    assert slot.items() == ["kol's"]
