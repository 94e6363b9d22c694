"""Factories of the wallet (``wallet.models``).

Money moves only through the wallet's services, in tests too: a factory of
anything that carries value (a payment, an entry and its lines, a gift
sent, a payout) calls the service that books it, so the books a test
starts from are books the site could have written (``reconcile_ledger``
passes on them). The catalog (``Gift``) and a payout run's period are plain
rows: they move nothing.

Models without a factory of their own, and what makes them:

- ``Line``: only as part of a balanced entry (``EntryFactory``, or any
  factory here that books one); a lone line would unbalance the books, and
  on PostgreSQL a deferred trigger refuses it at commit.
- ``IdempotencyRecord``: written by ``wallet.services.operation_run_once`` for
  every keyed request; ``PaymentFactory`` and ``GiftSendFactory`` go
  through it (a record per key).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import factory
from django.db import transaction
from django.db.models import Sum

from community.models import User
from tests.factories.base import ModelFactory, ServiceMadeFactory
from tests.factories.community import UserFactory
from wallet import selectors, services
from wallet.models import (
    Account,
    Entry,
    Gift,
    GiftSend,
    Line,
    Payment,
    Payout,
    PayoutRun,
    ReconcileRun,
)
from wallet.services import ledger

# The catalog of migration wallet 0003, by slug: price and animation tier.
PRICES = {"rose": 1, "heart": 5, "coffee": 10, "sprout": 52, "rocket": 199, "castle": 520}
TIERS = {"rose": 1, "heart": 1, "coffee": 1, "sprout": 2, "rocket": 3, "castle": 3}


def new_key(prefix: str = "test") -> str:
    """A fresh idempotency key."""
    return f"{prefix}-{uuid.uuid4().hex}"


class GiftFactory(ModelFactory[Gift]):
    """A catalog gift, by slug: the default catalog's price and tier for a
    slug it has. The catalog holds one gift per slug, so asking again for a
    slug updates that gift (a new price, say) instead of failing."""

    class Meta:
        model = Gift

    slug = "heart"
    name = factory.LazyAttribute(lambda o: o.slug.title())
    coins = factory.LazyAttribute(lambda o: PRICES.get(o.slug, 5))
    animation_tier = factory.LazyAttribute(lambda o: TIERS.get(o.slug, 1))
    emoji = "🎁"
    is_active = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Gift:
        slug = kwargs.pop("slug")
        gift, _ = model_class.objects.update_or_create(slug=slug, defaults=kwargs)
        return gift  # type: ignore[no-any-return]


def gift_catalog() -> dict[str, Gift]:
    """The default catalog (every gift of migration wallet 0003, in its
    order), by slug."""
    return {slug: GiftFactory(slug=slug, position=n) for n, slug in enumerate(PRICES)}


class PaymentFactory(ServiceMadeFactory[Payment]):
    """A recharge the way members buy coins: ``wallet.services.recharge_create``
    through the configured provider (the sandbox, which pays at once). With
    it come the recharge entry, its lines, the member's coin account and
    the idempotency record."""

    class Meta:
        model = Payment

    user = factory.SubFactory(UserFactory)
    coins = 1_000
    idempotency_key = factory.LazyFunction(lambda: new_key("fund"))

    @classmethod
    def _create(
        cls, model_class: Any, *, user: User, coins: int, idempotency_key: str, **kwargs: Any
    ) -> Payment:
        if kwargs:
            raise TypeError(f"a recharge is made of a member, coins and a key, not {set(kwargs)}")
        answer = services.recharge_create(user=user, coins=coins, idempotency_key=idempotency_key)
        return Payment.objects.get(pk=answer["payment"]["id"])


class FundedMemberFactory(UserFactory):
    """A member with ``coins`` coins (1,000 by default), bought with a
    sandbox recharge like any member's."""

    @factory.post_generation
    def coins(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            PaymentFactory(user=self, coins=1_000 if extracted is None else extracted)


class AccountFactory(ServiceMadeFactory[Account]):
    """An account as ``wallet.services.account_get_or_create`` opens it on first use
    (the member's coins by default), at a zero balance: balances change
    only by entries."""

    class Meta:
        model = Account

    kind = Account.Kind.MEMBER_COINS
    user = factory.SubFactory(UserFactory)
    owner_key = ""

    @classmethod
    def _create(
        cls, model_class: Any, *, kind: str, user: User | None, owner_key: str, **kwargs: Any
    ) -> Account:
        if kwargs:
            raise TypeError(f"an account has a kind and an owner, not {set(kwargs)}")
        return ledger.account_get_or_create(kind, user=user, owner_key=owner_key)


class EntryFactory(ServiceMadeFactory[Entry]):
    """An adjustment entry: the platform issues ``coins`` into one account
    (a creator's earnings by default, as gifts credit them: appended, not
    yet rolled up). Its two lines are written by ``wallet.services.entry_post``."""

    class Meta:
        model = Entry

    user = factory.SubFactory(UserFactory)
    account_kind = Account.Kind.CREATOR_EARNINGS
    coins = 100
    memo = factory.LazyAttribute(lambda o: f"test {o.account_kind} for {o.user.username}")

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        user: User,
        account_kind: str,
        coins: int,
        memo: str,
        **kwargs: Any,
    ) -> Entry:
        if kwargs:
            raise TypeError(f"an adjustment has an owner, an account kind and coins, not {kwargs}")
        with transaction.atomic():
            return ledger.entry_post(
                kind=Entry.Kind.ADJUSTMENT,
                postings=[
                    ledger.Posting(
                        ledger.account_get_or_create(Account.Kind.COIN_ISSUANCE), -coins
                    ),
                    ledger.Posting(ledger.account_get_or_create(account_kind, user=user), coins),
                ],
                memo=memo,
            )


class GiftSendFactory(ServiceMadeFactory[GiftSend]):
    """A gift sent with ``wallet.services.gift_send``: the sender (a funded
    member by default) pays, the host's earnings and the platform's share
    are booked. ``room_id`` is a number only: the wallet does not know rooms
    (a live room's id when a test has one)."""

    class Meta:
        model = GiftSend

    sender = factory.SubFactory(FundedMemberFactory)
    host = factory.SubFactory(UserFactory)
    gift = factory.SubFactory(GiftFactory)
    quantity = 1
    idempotency_key = factory.LazyFunction(lambda: new_key("gift"))
    room_id = factory.Sequence(lambda n: 1_000_000 + n)
    session_id = None

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        sender: User,
        host: User,
        gift: Gift,
        quantity: int,
        idempotency_key: str,
        room_id: int,
        session_id: int | None,
        **kwargs: Any,
    ) -> GiftSend:
        if kwargs:
            raise TypeError(f"unknown fields for a gift sent: {set(kwargs)}")
        result = services.gift_send(
            sender=sender,
            host=host,
            gift_slug=gift.slug,
            quantity=quantity,
            idempotency_key=idempotency_key,
            room_id=room_id,
            session_id=session_id,
        )
        return GiftSend.objects.get(pk=result.gift_send_id)


class PayoutRunFactory(ModelFactory[PayoutRun]):
    """A payout run's period, nobody paying it (a row that moves nothing:
    ``PayoutFactory`` pays)."""

    class Meta:
        model = PayoutRun
        django_get_or_create = ("period_end",)

    period_end = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))


class ReconcileRunFactory(ModelFactory[ReconcileRun]):
    """A past run of ``reconcile_ledger`` that passed, a minute ago (what
    ``wallet.reconcile.ledger_reconcile_record`` writes; the metrics read
    the newest)."""

    class Meta:
        model = ReconcileRun

    finished_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(minutes=1))
    ok = True
    seconds = 0.1


class PayoutFactory(ServiceMadeFactory[Payout]):
    """A pending payout made by ``wallet.services.payout_run_execute``: the creator
    (a fresh member by default) earns ``coins`` (an adjustment entry, as
    gifts would have credited them) on ``period_end``, then the run for ``period_end`` pays
    every creator due, this one included. ``coins`` must reach
    ``SPROUT_WALLET_PAYOUT_THRESHOLD``."""

    class Meta:
        model = Payout

    creator = factory.SubFactory(UserFactory)
    coins = 1_000
    period_end = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))

    @classmethod
    def _create(
        cls, model_class: Any, *, creator: User, coins: int, period_end: date, **kwargs: Any
    ) -> Payout:
        if kwargs:
            raise TypeError(f"a payout is made of a creator, coins and a period, not {kwargs}")
        entry = EntryFactory(user=creator, coins=coins)
        # Earned during the period: a run pays what was booked by its end.
        earned_at = datetime.combine(period_end, time(12), tzinfo=UTC)
        Entry.objects.filter(pk=entry.pk).update(created_at=earned_at)
        Line.objects.filter(entry=entry).update(created_at=earned_at)
        services.payout_run_execute(period_end=period_end)
        payout = Payout.objects.filter(run__period_end=period_end, creator=creator).first()
        if payout is None:
            raise ValueError(
                f"no payout for {coins} coins: below SPROUT_WALLET_PAYOUT_THRESHOLD "
                f"({selectors.payout_threshold()}) or worth nothing at the rate"
            )
        return payout


def fund(user: Any, coins: int) -> Payment:
    """Give a member coins the way members get them: a sandbox recharge."""
    return PaymentFactory(user=user, coins=coins)


def unbalanced_entries() -> int:
    """Entries whose lines do not sum to zero (one query): 0 when the books
    balance."""
    return (
        Line.objects.order_by()
        .values("entry_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .count()
    )
