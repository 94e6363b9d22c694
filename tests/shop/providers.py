"""Payment providers for the shop's tests, configured the way a deployment
would (``SPROUT_WALLET_PAYMENT_PROVIDER``): they stand at the outside
boundary, where a real provider's HTTP API would be.

- :class:`DecliningProvider` refuses every charge at once (a card declined);
- :class:`LaterProvider` accepts the charge and answers later, by a callback
  signed like the sandbox's (:func:`callback`), which the test POSTs to
  ``/api/v1/wallet/callbacks/later`` or hands to the service.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from wallet.models import Payment
from wallet.providers import CallbackEvent, ChargeResult, PaymentProvider, SignedCallback
from wallet.providers.sandbox import SIGNATURE_HEADER, SandboxProvider, sign


class DecliningProvider(PaymentProvider):
    name = "declining"

    def create_charge(self, payment: Payment) -> ChargeResult:
        return ChargeResult(provider_ref=f"dcl_{uuid.uuid4().hex}", status="failed")

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        return SandboxProvider().verify_callback(headers, body)


class LaterProvider(PaymentProvider):
    name = "later"

    def create_charge(self, payment: Payment) -> ChargeResult:
        return ChargeResult(provider_ref=f"later_{uuid.uuid4().hex}", status="pending")

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        return SandboxProvider().verify_callback(headers, body)


def callback(payment: Payment, *, status: str = "succeeded") -> SignedCallback:
    """The provider's callback for ``payment``, signed."""
    body = json.dumps(
        {
            "id": payment.provider_ref,
            "status": status,
            "amount": payment.amount,
            "currency": payment.currency,
        },
        separators=(",", ":"),
    ).encode()
    return SignedCallback(
        headers={SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"}, body=body
    )
