"""Recharges through the payment provider interface: the sandbox pays at
once, a provider that calls back later completes over HTTP, callbacks are
verified by signature and idempotent, and bad input never moves money."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.wallet.factories_core import (
    DECLINING,
    LATER,
    at_once,
    callback_body,
    recharge,
    signed_headers,
)
from wallet import providers, selectors, services
from wallet.errors import (
    AuthenticationRequired,
    DomainError,
    InvalidSignature,
    PaymentsUnavailable,
    UnknownProvider,
    ValidationFailed,
)
from wallet.models import Account, Entry, IdempotencyRecord, Line, Payment
from wallet.providers.sandbox import SIGNATURE_HEADER, SandboxProvider, sign

pytestmark = pytest.mark.django_db

CALLBACK = "/api/v1/wallet/callbacks/{}"


def post_callback(provider: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    client = APIClient(enforce_csrf_checks=True)
    return client.post(
        CALLBACK.format(provider), data=body, content_type="application/json", headers=headers
    )


def lines_of(entry: Entry) -> dict[str, tuple[int, bool]]:
    return {
        line.account.kind: (line.amount, line.rolled_up)
        for line in entry.lines.select_related("account")
    }


# --- the sandbox ----------------------------------------------------------------------------


def test_sandbox_recharge_gives_spendable_coins_at_once(user) -> None:  # type: ignore[no-untyped-def]
    result = recharge(user, 300)
    payment = Payment.objects.get()
    assert result == {
        "payment": {
            "id": payment.pk,
            "coins": 300,
            "amount": 300,
            "currency": "USD",
            "status": "succeeded",
        },
        "balance": 300,
        "replayed": False,
    }
    assert payment.user == user
    assert payment.provider == "sandbox"
    assert payment.provider_ref.startswith("sbx_")
    assert payment.completed_at is not None
    # Spendable: the stored balance, not an appended line.
    assert services.coin_account_get_or_create(user).balance == 300
    assert selectors.wallet_summary(user) == selectors.WalletSummary(coins=300, pending_coins=0)


def test_a_recharge_books_coins_and_money_in_two_balanced_entries(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 980)
    payment = Payment.objects.get()
    coins_entry = payment.entry
    assert coins_entry is not None
    assert lines_of(coins_entry) == {
        "coin_issuance": (-980, False),
        "member_coins": (980, True),
    }
    money_entry = Entry.objects.get(pk=coins_entry.reference["money_entry"])
    assert lines_of(money_entry) == {
        "provider_clearing": (-980, False),
        "platform_revenue": (980, False),
    }
    assert coins_entry.kind == money_entry.kind == Entry.Kind.RECHARGE
    assert coins_entry.reference["payment"] == money_entry.reference["payment"] == payment.pk
    assert IdempotencyRecord.objects.get().entry == coins_entry


@override_settings(SPROUT_WALLET_COIN_PRICE=7, SPROUT_CURRENCY="EUR")
def test_the_price_is_coins_times_the_coin_price(user) -> None:  # type: ignore[no-untyped-def]
    result = recharge(user, 60)
    assert result["payment"]["amount"] == 420
    assert result["payment"]["currency"] == "EUR"
    money = Line.objects.get(account__kind=Account.Kind.PLATFORM_REVENUE)
    assert money.amount == 420


@pytest.mark.parametrize("coins", [0, -1, 100_001, 1.5, "10", True, None, 10**30])
def test_bad_amounts_are_refused_and_move_nothing(user, coins) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        services.recharge_create(user=user, coins=coins, idempotency_key="k-1")
    assert list(caught.value.fields) == ["coins"]
    assert not Payment.objects.exists()
    assert not Entry.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("coins", [1, 100_000])
def test_the_bounds_are_accepted(user, coins) -> None:  # type: ignore[no-untyped-def]
    assert recharge(user, coins)["balance"] == coins


def test_a_visitor_cannot_recharge() -> None:
    with pytest.raises(AuthenticationRequired):
        services.recharge_create(user=AnonymousUser(), coins=60, idempotency_key="k-1")  # type: ignore[arg-type]
    assert not Payment.objects.exists()


@override_settings(SPROUT_WALLET_SANDBOX_SECRET="")
def test_the_sandbox_without_a_secret_refuses_to_charge(user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PaymentsUnavailable) as caught:
        recharge(user, 60, key="k-1")
    assert caught.value.status == 503
    assert not Payment.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    with override_settings(SPROUT_WALLET_SANDBOX_SECRET="now-set"):
        assert recharge(user, 60, key="k-1")["replayed"] is False


def test_recharges_add_up(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    recharge(user, 300)
    assert recharge(user, 1980)["balance"] == 2340
    assert selectors.coin_balance(user) == 2340


# --- callbacks ------------------------------------------------------------------------------


def test_the_sandbox_signs_its_callback_with_hmac_sha256(user) -> None:  # type: ignore[no-untyped-def]
    payment = Payment(pk=1, user=user, coins=5, amount=5, currency="USD")
    result = SandboxProvider().create_charge(payment)
    assert result.status == "succeeded"
    assert result.callback_payload is not None
    body = result.callback_payload.body
    assert result.callback_payload.headers[SIGNATURE_HEADER] == sign(body)
    event = SandboxProvider().verify_callback(result.callback_payload.headers, body)
    assert (event.provider_ref, event.status, event.amount) == (result.provider_ref, "succeeded", 5)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: ""},
        {SIGNATURE_HEADER: "sha256=" + "0" * 64},
        {SIGNATURE_HEADER: "garbage"},
    ],
)
def test_a_callback_without_a_valid_signature_is_refused(user, headers) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    payment = Payment.objects.get()
    response = post_callback("sandbox", callback_body(payment), headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_callback_signed_with_another_secret_is_refused(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    body = callback_body(Payment.objects.get())
    response = post_callback("sandbox", body, signed_headers(body, b"not-our-secret"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_tampered_body_is_refused(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    payment = Payment.objects.get()
    headers = signed_headers(callback_body(payment))
    response = post_callback("sandbox", callback_body(payment, amount=1), headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "x"}',
        b'{"id": "x", "status": "paid", "amount": 1, "currency": "USD"}',
        b'{"id": "x", "status": "succeeded", "amount": "1", "currency": "USD"}',
        b'{"id": "x", "status": "succeeded", "amount": true, "currency": "USD"}',
    ],
)
def test_a_signed_but_malformed_callback_is_refused(body) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidSignature):
        SandboxProvider().verify_callback(signed_headers(body), body)


def test_a_redelivered_callback_changes_nothing(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 300)
    payment = Payment.objects.get()
    body = callback_body(payment)
    for _ in range(2):
        response = post_callback("sandbox", body, signed_headers(body))
        assert response.status_code == 200
        assert response.json() == selectors.payment_payload(payment)
    assert Entry.objects.count() == 2
    assert selectors.coin_balance(user) == 300


def test_callbacks_for_unknown_providers_and_payments_are_404(user) -> None:  # type: ignore[no-untyped-def]
    body = b'{"id":"sbx_nope","status":"succeeded","amount":5,"currency":"USD"}'
    response = post_callback("stripe", body, signed_headers(body))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_provider"
    response = post_callback("sandbox", body, signed_headers(body))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_payment"


def test_the_callback_endpoint_takes_no_get(user) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get(CALLBACK.format("sandbox"))
    assert response.status_code == 405


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_a_provider_that_confirms_later_completes_over_http(user) -> None:  # type: ignore[no-untyped-def]
    result = recharge(user, 980, key="later-1")
    assert result["payment"]["status"] == "pending"
    assert result["balance"] == 0
    payment = Payment.objects.get()
    assert payment.entry is None
    body = callback_body(payment)
    response = post_callback("later", body, signed_headers(body))
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.entry is not None
    assert selectors.coin_balance(user) == 980
    # The retried request still answers what it answered first.
    assert recharge(user, 980, key="later-1")["payment"]["status"] == "pending"


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_a_failed_callback_issues_nothing_and_a_late_success_still_pays(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    payment = Payment.objects.get()
    failed = callback_body(payment, status="failed")
    assert post_callback("later", failed, signed_headers(failed)).json()["status"] == "failed"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert not Entry.objects.exists()
    body = callback_body(payment)
    assert post_callback("later", body, signed_headers(body)).json()["status"] == "succeeded"
    assert selectors.coin_balance(user) == 60
    # A late "failed" does not undo a success.
    assert post_callback("later", failed, signed_headers(failed)).json()["status"] == "succeeded"
    assert selectors.coin_balance(user) == 60


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_a_callback_for_another_amount_is_refused(user) -> None:  # type: ignore[no-untyped-def]
    recharge(user, 60)
    payment = Payment.objects.get()
    for changes in ({"amount": 6000}, {"currency": "EUR"}):
        body = callback_body(payment, **changes)
        response = post_callback("later", body, signed_headers(body))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "callback_mismatch"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert selectors.coin_balance(user) == 0


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=DECLINING)
def test_a_declined_charge_is_recorded_and_issues_nothing(user) -> None:  # type: ignore[no-untyped-def]
    result = recharge(user, 60)
    assert result["payment"]["status"] == "failed"
    assert result["balance"] == 0
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert not Entry.objects.exists()


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDERS=[LATER])
def test_callbacks_of_a_previous_provider_are_still_accepted(user) -> None:  # type: ignore[no-untyped-def]
    assert set(providers.configured_providers()) == {"sandbox", "later"}
    assert providers.default_provider().name == "sandbox"
    with pytest.raises(UnknownProvider):
        providers.get_provider("declining")


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER="wallet.models.Payment")
def test_a_provider_path_that_is_not_a_provider_is_a_configuration_error(user) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        recharge(user, 60)


def test_every_refusal_is_a_domain_error_with_a_stable_code() -> None:
    for error in (InvalidSignature(), PaymentsUnavailable(), UnknownProvider()):
        assert isinstance(error, DomainError)
        assert error.code in {"invalid_signature", "payments_unavailable", "unknown_provider"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_callback_issue_the_coins_once() -> None:
    member = UserFactory()
    with override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER):
        recharge(member, 300)
        payment = Payment.objects.get()
        body = callback_body(payment)
        results, errors = at_once(
            10,
            lambda i: (
                services.payment_callback_handle(
                    provider_name="later", headers=signed_headers(body), body=body
                ).status
            ),
        )
    assert not errors
    assert results == ["succeeded"] * 10
    assert Entry.objects.count() == 2
    assert selectors.coin_balance(member) == 300
