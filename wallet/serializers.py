"""Shapes of the wallet API: inputs checked here, rules in ``wallet.services``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import paginated_schema
from wallet.models import Account, Entry, Line, Payment
from wallet.selectors import MAX_RECHARGE_COINS, MIN_RECHARGE_COINS, account_kind_unit
from wallet.services.idempotency import KEY_HELP, KEY_PATTERN


class WalletSerializer(serializers.Serializer):
    coins = serializers.IntegerField(help_text="Your coins, including `pending_coins`.")
    pending_coins = serializers.IntegerField(
        help_text="Coins credited but not yet spendable: they are within a minute."
    )
    currency = serializers.CharField(help_text="ISO 4217 code of the price of coins.")
    coin_price = serializers.IntegerField(
        help_text="What one coin costs, in minor units of `currency` (cents)."
    )


class RechargeInput(serializers.Serializer):
    coins = serializers.IntegerField(min_value=MIN_RECHARGE_COINS, max_value=MAX_RECHARGE_COINS)
    idempotency_key = serializers.RegexField(
        KEY_PATTERN,
        max_length=100,
        help_text=f"{KEY_HELP}. Send the same key again to retry the same recharge.",
    )


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    coins = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Price in minor units of `currency`.")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)


class RechargeOutput(serializers.Serializer):
    payment = PaymentSerializer()
    balance = serializers.IntegerField(help_text="Your coins after this recharge.")
    replayed = serializers.BooleanField(
        help_text="True when this answers a retry of an earlier request with the same key."
    )


class LedgerLineSerializer(serializers.Serializer):
    """One line on one of the caller's accounts."""

    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Positive: credited; negative: debited.")
    unit = serializers.SerializerMethodField(help_text="`coins`, or minor units of `money`.")
    account = serializers.ChoiceField(source="account.kind", choices=Account.Kind.choices)
    kind = serializers.ChoiceField(source="entry.kind", choices=Entry.Kind.choices)
    entry = serializers.IntegerField(source="entry_id")
    memo = serializers.CharField(source="entry.memo")
    reference = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField(
        help_text="A credit not yet rolled into the balance (it is within a minute)."
    )
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=["coins", "money"]))
    def get_unit(self, line: Line) -> str:
        return account_kind_unit(line.account.kind)

    @extend_schema_field(serializers.DictField())
    def get_reference(self, line: Line) -> dict[str, Any]:
        return dict(line.entry.reference or {})

    @extend_schema_field(serializers.BooleanField())
    def get_pending(self, line: Line) -> bool:
        return not line.rolled_up


PaginatedLedger = paginated_schema(LedgerLineSerializer, "PaginatedLedger")
