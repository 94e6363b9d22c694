"""The payment provider interface (after Saleor's payment gateways: one
interface in front of many providers).

A provider does two things: it starts a charge for a :class:`Payment`
(:meth:`PaymentProvider.create_charge`) and it turns the provider's
callback (webhook) into a :class:`CallbackEvent` after checking its
signature (:meth:`PaymentProvider.verify_callback`). Everything else — the
payment's status, the ledger entries, idempotency — is ``wallet.services.recharge``'
job, the same for every provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from wallet.models import Payment

type ChargeStatus = Literal["pending", "succeeded", "failed"]
type CallbackStatus = Literal["succeeded", "failed"]


@dataclass(frozen=True)
class SignedCallback:
    """A callback exactly as the provider would POST it: headers and raw body."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class ChargeResult:
    """What the provider said when asked to charge.

    ``provider_ref`` names the charge at the provider (unique per provider).
    ``status`` is ``pending`` when the outcome comes later by callback.
    ``callback_payload``, when set, is a callback the provider answers with
    at once (the sandbox does): the service feeds it to the same
    ``payment_callback_handle`` path an HTTP callback takes, so there is one way a
    payment completes."""

    provider_ref: str
    status: ChargeStatus
    callback_payload: SignedCallback | None = None


@dataclass(frozen=True)
class CallbackEvent:
    """A verified callback: which charge, what happened, and the amount the
    provider settled (checked against the payment before coins are issued)."""

    provider_ref: str
    status: CallbackStatus
    amount: int
    currency: str
    raw: Mapping[str, object] = field(default_factory=dict)


class PaymentProvider(ABC):
    """One payment provider. Subclasses set ``name`` (short, stable: it is
    stored on every payment and is part of the callback URL
    ``/api/v1/wallet/callbacks/<name>``) and implement both methods."""

    name: str = ""

    @abstractmethod
    def create_charge(self, payment: Payment) -> ChargeResult:
        """Ask the provider to charge ``payment.amount`` (minor units of
        ``payment.currency``) for ``payment.user``. Raises
        ``PaymentsUnavailable`` when the provider cannot take charges."""

    @abstractmethod
    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Check the callback's signature and parse it. Raises
        ``InvalidSignature`` for anything that does not verify or parse;
        never trusts the body before the signature is checked."""


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with lower-case names (HTTP header names are case-insensitive;
    a plain dict is not)."""
    return {name.lower(): value for name, value in headers.items()}
