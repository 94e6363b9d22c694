"""Writes of the wallet: members' coin accounts and recharges through a
payment provider.

A recharge is two balanced entries, one per unit (coins and money never
share an entry's sum):

- coins: ``coin_issuance -coins`` and the member's ``member_coins +coins``,
  credited *now* (``credit_now``: only the rolled-up balance can be spent,
  and a member who just paid must be able to send a gift at once);
- money: ``provider_clearing -amount`` (the provider owes us what the member
  paid) and ``platform_revenue +amount``, appended like every credit to a
  shared account.

``Payment.entry`` is the coins entry; its ``reference`` names the payment and
the money entry. Both are posted by :func:`payment_callback_handle`, the one way a
payment completes, whether the callback arrives over HTTP or, for the
sandbox, straight from ``create_charge``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

import wallet.services.ledger as ledger
from community.models import User
from community.permissions import check_authenticated
from core.money import currency
from wallet import providers
from wallet.errors import CallbackMismatch, PaymentsUnavailable, UnknownPayment
from wallet.extensions import PaymentPurpose, payment_purpose
from wallet.models import Account, Entry, Payment
from wallet.selectors import check_recharge_coins, coin_balance, coin_price, payment_payload
from wallet.services.idempotency import operation_run_once

RECHARGE_SCOPE = "recharge"
#: ``Payment.provider_ref`` of a payment no provider was asked to charge yet.
UNSTARTED_PREFIX = "new:"


def coin_account_get_or_create(user: User) -> Account:
    """The member's coin account, created on first use."""
    return ledger.account_get_or_create(Account.Kind.MEMBER_COINS, user=user)


def recharge_create(*, user: User, coins: int, idempotency_key: str) -> dict[str, Any]:
    """Buy ``coins`` through the configured payment provider, once per
    idempotency key: ``{"payment": {...}, "balance": int, "replayed": bool}``.

    With the sandbox the coins arrive at once (``payment.status`` is
    ``succeeded``); with a provider that calls back later the payment stays
    ``pending`` and the balance unchanged until :func:`payment_callback_handle`. A
    retry with the same key returns the first answer (``replayed``: true,
    ``balance`` as it was then); the same key for another number of coins is
    refused (``idempotency_conflict``)."""
    member = check_authenticated(user)
    coins = check_recharge_coins(coins)

    def operation() -> tuple[Entry | None, dict[str, Any]]:
        return payment_charge(user=member, coins=coins)

    response, replayed = operation_run_once(
        user=member,
        scope=RECHARGE_SCOPE,
        key=idempotency_key,
        params={"coins": coins},
        operation=operation,
    )
    return {**response, "replayed": replayed}


def payment_charge(*, user: User, coins: int) -> tuple[Entry | None, dict[str, Any]]:
    """Create the recharge's payment and ask the provider to charge it
    (:func:`payment_start`). Runs inside ``operation_run_once``'s
    transaction."""
    payment = payment_create(
        user=user, amount=coins * coin_price(), purpose=Payment.RECHARGE, coins=coins
    )
    payment = payment_start(payment)
    response = {"payment": payment_payload(payment), "balance": coin_balance(user)}
    return payment.entry, response


def payment_create(*, user: User, amount: int, purpose: str, coins: int = 0) -> Payment:
    """A pending payment of ``amount`` (minor units of the site's currency)
    for ``purpose`` with the default provider, not yet charged: the caller
    links it to what it pays for (an order), then calls
    :func:`payment_start`. Inside the caller's transaction."""
    provider = providers.default_provider()
    return Payment.objects.create(
        user=user,
        provider=provider.name,
        # Unique until the provider names the charge, a moment later.
        provider_ref=f"{UNSTARTED_PREFIX}{uuid.uuid4().hex}",
        purpose=purpose,
        coins=coins,
        amount=amount,
        currency=currency(),
    )


def payment_start(payment: Payment) -> Payment:
    """Ask the payment's provider to charge it; when the provider answers
    with its callback at once (the sandbox), complete it the way an HTTP
    callback would (:func:`payment_callback_handle`); when it refuses at
    once, fail it (a purpose's ``failed`` runs). Returns the payment as it
    is then (``succeeded``, ``failed`` or ``pending``). Raises
    ``PaymentsUnavailable`` when the provider takes no charges."""
    provider = providers.get_provider(payment.provider)
    result = provider.create_charge(payment)
    payment.provider_ref = result.provider_ref
    payment.save(update_fields=["provider_ref"])
    if result.callback_payload is not None:
        return payment_callback_handle(
            provider_name=provider.name,
            headers=result.callback_payload.headers,
            body=result.callback_payload.body,
        )
    if result.status == Payment.Status.FAILED:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            _fail(payment)
    return payment


def payment_start_once(payment_id: int) -> Payment | None:
    """Start a payment made earlier by :func:`payment_create` (a charge
    asked for after its order committed, from a task), unless it already
    was started or completed: a redelivered task charges nothing twice. A
    provider that takes no charges (``PaymentsUnavailable``) fails the
    payment, so that its purpose releases what it holds; there is no
    request left to tell. Returns the payment as it is then, or None when
    there was nothing to start (no such payment, or started already)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if (
            payment is None
            or payment.status != Payment.Status.PENDING
            or not payment.provider_ref.startswith(UNSTARTED_PREFIX)
        ):
            return None
        try:
            with transaction.atomic():
                return payment_start(payment)
        except PaymentsUnavailable:
            _fail(payment)
            return payment


def _fail(payment: Payment) -> None:
    """A pending payment failed: record it and tell its purpose (locked row)."""
    if payment.status != Payment.Status.PENDING:
        return
    payment.status = Payment.Status.FAILED
    payment.completed_at = timezone.now()
    payment.save(update_fields=["status", "completed_at"])
    if payment.purpose != Payment.RECHARGE:
        _purpose(payment).failed(payment)


def _purpose(payment: Payment) -> PaymentPurpose:
    purpose = payment_purpose(payment.purpose)
    if purpose is None:  # the app that made it is not installed
        raise UnknownPayment()
    return purpose


def payment_callback_handle(
    *, provider_name: str, headers: Mapping[str, str], body: bytes
) -> Payment:
    """Apply a payment provider's callback: verify its signature
    (``invalid_signature``), find the payment (``unknown_payment``), check
    the amount (``callback_mismatch``), and on success issue the coins and
    book the money (a payment for another purpose: its purpose's
    ``succeeded`` or ``failed``, ``wallet.extensions.payment_purposes``).
    Idempotent: a payment that already succeeded is
    returned untouched, so a redelivered callback issues nothing twice
    (concurrent deliveries serialise on the payment's row)."""
    provider = providers.get_provider(provider_name)
    event = provider.verify_callback(headers, body)
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider.name, provider_ref=event.provider_ref)
            .first()
        )
        if payment is None:
            raise UnknownPayment()
        if payment.status == Payment.Status.SUCCEEDED:
            return payment
        if event.amount != payment.amount or event.currency != payment.currency:
            raise CallbackMismatch()
        if event.status == "failed":
            _fail(payment)
            return payment
        # Succeeded (also after an earlier "failed": the money arrived, so
        # the coins must too, or the purpose books it).
        if payment.purpose == Payment.RECHARGE:
            payment.entry = _post_recharge(payment)
        else:
            payment.entry = _purpose(payment).succeeded(payment)
        payment.status = Payment.Status.SUCCEEDED
        payment.completed_at = timezone.now()
        payment.save(update_fields=["entry", "status", "completed_at"])
        return payment


def _post_recharge(payment: Payment) -> Entry:
    """The money entry, then the coins entry (returned) referring to it."""
    money = ledger.entry_post(
        kind=Entry.Kind.RECHARGE,
        postings=[
            ledger.Posting(
                ledger.account_get_or_create(Account.Kind.PROVIDER_CLEARING), -payment.amount
            ),
            ledger.Posting(
                ledger.account_get_or_create(Account.Kind.PLATFORM_REVENUE), payment.amount
            ),
        ],
        memo=(
            f"Payment {payment.pk} via {payment.provider}: "
            f"{payment.amount} minor units of {payment.currency} received"
        ),
        reference={"payment": payment.pk, "part": "money", "provider": payment.provider},
    )
    return ledger.entry_post(
        kind=Entry.Kind.RECHARGE,
        postings=[
            ledger.Posting(
                ledger.account_get_or_create(Account.Kind.COIN_ISSUANCE), -payment.coins
            ),
            ledger.Posting(
                coin_account_get_or_create(payment.user), payment.coins, credit_now=True
            ),
        ],
        memo=f"{payment.coins:,} coins bought (payment {payment.pk})",
        reference={
            "payment": payment.pk,
            "part": "coins",
            "provider": payment.provider,
            "money_entry": money.pk,
        },
    )
