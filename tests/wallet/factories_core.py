"""Test helpers for the wallet's core: recharges, signed callbacks, a provider
that answers later, and tampering with the books behind the ledger's back."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from wallet import services
from wallet.errors import InvalidSignature
from wallet.models import Payment
from wallet.providers import sandbox
from wallet.providers.base import CallbackEvent, ChargeResult, PaymentProvider

LATER = "tests.wallet.factories_core.LaterProvider"
DECLINING = "tests.wallet.factories_core.DecliningProvider"


def recharge(user: Any, coins: int, key: str | None = None) -> dict[str, Any]:
    return services.recharge_create(
        user=user, coins=coins, idempotency_key=key or f"test-{uuid.uuid4().hex}"
    )


def callback_body(payment: Payment, *, status: str = "succeeded", **changes: Any) -> bytes:
    data = {
        "id": payment.provider_ref,
        "status": status,
        "amount": payment.amount,
        "currency": payment.currency,
        **changes,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def signed_headers(body: bytes, secret: bytes | None = None) -> dict[str, str]:
    return {sandbox.SIGNATURE_HEADER: sandbox.sign(body, secret)}


class LaterProvider(PaymentProvider):
    """A provider that confirms by callback later (like a real one), signed
    the sandbox's way."""

    name = "later"

    def create_charge(self, payment: Payment) -> ChargeResult:
        return ChargeResult(provider_ref=f"later_{uuid.uuid4().hex}", status="pending")

    def verify_callback(self, headers: Any, body: bytes) -> CallbackEvent:
        return sandbox.SandboxProvider().verify_callback(headers, body)


class DecliningProvider(LaterProvider):
    name = "declining"

    def create_charge(self, payment: Payment) -> ChargeResult:
        return ChargeResult(provider_ref=f"no_{uuid.uuid4().hex}", status="failed")

    def verify_callback(self, headers: Any, body: bytes) -> CallbackEvent:
        raise InvalidSignature()


def tamper(sql: str, params: Sequence[Any] = ()) -> None:
    """Run raw SQL that the ledger's guards would refuse. On PostgreSQL the
    triggers (lines immutable, entries balanced) are bypassed for this
    session the way an operator with superuser rights could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, list(params))
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def at_once(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads released together; each thread
    closes its own database connection. Returns (results, errors)."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            value = work(i)
            with lock:
                results.append(value)
        except BaseException as exc:  # reported by the caller
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
