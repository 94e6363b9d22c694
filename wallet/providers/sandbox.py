"""The sandbox payment provider: the default, for development, demos and
tests. It charges nothing and succeeds at once for any amount, answering
with a callback signed by HMAC-SHA256 with ``SPROUT_WALLET_SANDBOX_SECRET``,
exactly as a real provider's webhook would arrive.

Without a secret it refuses to charge (``payments_unavailable``) and every
callback fails to verify: a deployment turns the sandbox on deliberately by
setting the secret (the local and test settings have a development default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping

from django.conf import settings

from wallet.errors import InvalidSignature, PaymentsUnavailable
from wallet.models import Payment
from wallet.providers.base import (
    CallbackEvent,
    ChargeResult,
    PaymentProvider,
    SignedCallback,
    lower_keys,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
SIGNATURE_PREFIX = "sha256="


def _secret() -> bytes:
    return str(getattr(settings, "SPROUT_WALLET_SANDBOX_SECRET", "") or "").encode()


def sign(body: bytes, secret: bytes | None = None) -> str:
    """The signature header's value for ``body``: ``sha256=<hex HMAC>``."""
    key = _secret() if secret is None else secret
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def create_charge(self, payment: Payment) -> ChargeResult:
        """Succeed at once: the result carries the signed callback."""
        if not _secret():
            raise PaymentsUnavailable(
                "The sandbox payment provider is not configured "
                "(SPROUT_WALLET_SANDBOX_SECRET is empty)."
            )
        provider_ref = f"sbx_{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "id": provider_ref,
                "status": "succeeded",
                "amount": payment.amount,
                "currency": payment.currency,
                "metadata": {"payment": payment.pk},
            },
            separators=(",", ":"),
        ).encode()
        return ChargeResult(
            provider_ref=provider_ref,
            status="succeeded",
            callback_payload=SignedCallback(
                headers={SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"},
                body=body,
            ),
        )

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verify ``X-Sandbox-Signature`` (constant-time), then parse."""
        secret = _secret()
        given = lower_keys(headers).get(SIGNATURE_HEADER.lower(), "")
        if not secret or not hmac.compare_digest(given.encode(), sign(body, secret).encode()):
            raise InvalidSignature()
        try:
            data = json.loads(body)
            event = CallbackEvent(
                provider_ref=str(data["id"]),
                status=data["status"],
                amount=data["amount"],
                currency=str(data["currency"]),
                raw=data,
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidSignature("The callback is signed but malformed.") from exc
        if event.status not in ("succeeded", "failed") or type(event.amount) is not int:
            raise InvalidSignature("The callback is signed but malformed.")
        return event
