"""The shared factories (``tests/factories/``) and fixtures
(``tests/conftest.py``): every model of the project's apps has a factory,
or is made by a service whose factory says so; each makes a row the
database accepts; money made by them leaves books that reconcile; and the
people fixtures are who they say they are."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models

import tests.factories as factories
from tests.factories import ModelFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("community", "wallet", "kol", "live", "shop")
# Rows only a service writes as part of something else, with the factory
# that makes them (see tests/factories/wallet.py).
MADE_BY_ANOTHER_FACTORY = {
    "wallet.Line": "EntryFactory",
    "wallet.IdempotencyRecord": "PaymentFactory",
}


def installed_models() -> list[type[models.Model]]:
    return [
        model
        for label in PROJECT_APPS
        if apps.is_installed(label)
        for model in apps.get_app_config(label).get_models()
    ]


def all_factories() -> dict[str, type[ModelFactory[Any]]]:
    """Every factory class exported by tests.factories, by name, for the
    installed apps."""
    found: dict[str, type[ModelFactory[Any]]] = {}
    for name in factories.__all__:
        if not name.endswith("Factory") or name in ("ModelFactory", "ServiceMadeFactory"):
            continue
        try:
            value = getattr(factories, name)
        except (ImportError, RuntimeError):  # a higher app that is not installed
            continue
        found[name] = value
    return found


def label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def test_every_model_has_a_factory_or_the_factory_that_makes_it() -> None:
    made = {label(f._meta.model) for f in all_factories().values()}
    missing = [
        label(model)
        for model in installed_models()
        if label(model) not in made and label(model) not in MADE_BY_ANOTHER_FACTORY
    ]
    assert missing == [], f"models without a factory in tests/factories/: {missing}"
    for made_by in MADE_BY_ANOTHER_FACTORY.values():
        assert made_by in all_factories()


@pytest.mark.parametrize("name", sorted(all_factories()))
def test_each_factory_makes_a_row_the_database_keeps(name: str) -> None:
    factory = all_factories()[name]
    first, second = factory(), factory()
    model = factory._meta.model
    assert model._default_manager.filter(pk=first.pk).exists()
    assert model._default_manager.filter(pk=second.pk).exists()


@pytest.mark.skipif(not apps.is_installed("wallet"), reason="the wallet is not installed")
def test_money_made_by_factories_leaves_books_that_reconcile() -> None:
    from tests.factories import (
        EntryFactory,
        FundedMemberFactory,
        GiftSendFactory,
        PayoutFactory,
    )
    from wallet import selectors
    from wallet.models import Account, GiftSend, Payment
    from wallet.reconcile import reconcile
    from wallet.selectors import coin_balance
    from wallet.services import ledger

    member = FundedMemberFactory(coins=300)
    assert coin_balance(member) == 300
    assert Payment.objects.get(user=member).status == Payment.Status.SUCCEEDED
    sent = GiftSendFactory(sender=member, quantity=2)
    assert coin_balance(member) == 300 - 2 * sent.gift.coins
    assert GiftSend.objects.filter(sender=member).count() == 1
    EntryFactory(user=sent.host, coins=40)
    payout = PayoutFactory(coins=2_000)
    assert payout.coins == 2_000
    ledger.balances_roll_up()

    report = reconcile()
    assert report.ok, report.summary()
    earnings = Account.objects.get(kind=Account.Kind.CREATOR_EARNINGS, user=sent.host)
    assert selectors.account_balance(earnings) > 40


def test_the_people_fixtures_have_the_rights_their_names_say(
    user: Any, moderator: Any, superuser: Any
) -> None:
    assert not user.is_staff and not user.has_perm("community.moderate_note")
    assert moderator.is_staff and moderator.has_perm("community.moderate_note")
    assert not moderator.is_superuser
    assert superuser.is_staff and superuser.is_superuser


@pytest.mark.skipif(not apps.is_installed("kol"), reason="the creator pool is not installed")
def test_the_host_fixture_may_host_and_a_plain_member_may_not(host: Any, user: Any) -> None:
    from kol.selectors import can_host_live

    assert can_host_live(host)
    assert not can_host_live(user)


@pytest.mark.skipif(not apps.is_installed("wallet"), reason="the wallet is not installed")
def test_the_funded_member_bought_their_coins(funded_member: Any) -> None:
    from wallet.models import Payment
    from wallet.selectors import coin_balance

    assert coin_balance(funded_member) == 1_000
    payment = Payment.objects.get(user=funded_member)
    assert (payment.coins, payment.status) == (1_000, Payment.Status.SUCCEEDED)
