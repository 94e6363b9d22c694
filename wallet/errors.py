"""Domain errors of the wallet, each with a stable ``code`` (part of the
public API). ``core.http_errors`` maps them to ``{"error": {...}}`` like every
other :class:`~core.errors.DomainError`.

The community's generic errors are re-exported so wallet code imports its
errors from one place.
"""

from __future__ import annotations

from core.errors import (
    AuthenticationRequired,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

__all__ = [
    "AuthenticationRequired",
    "CallbackMismatch",
    "DomainError",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidSignature",
    "NotFound",
    "PaymentsUnavailable",
    "PermissionDenied",
    "UnknownPayment",
    "UnknownProvider",
    "ValidationFailed",
]


class InsufficientFunds(DomainError):
    """Raised by the ledger (``wallet.services.ledger``) when a debit would take
    an account below zero."""

    code = "insufficient_funds"
    status = 402
    message = "Not enough coins: recharge and try again."


class IdempotencyConflict(DomainError):
    """The idempotency key was already used for a request with other
    parameters (a retry must repeat the request exactly)."""

    code = "idempotency_conflict"
    status = 409
    message = "This idempotency key was used with different parameters."


class InvalidSignature(DomainError):
    """A payment provider's callback whose signature does not verify."""

    code = "invalid_signature"
    status = 400
    message = "The callback's signature does not verify."


class UnknownProvider(DomainError):
    """A callback for a payment provider this site is not configured with."""

    code = "unknown_provider"
    status = 404
    message = "No such payment provider."


class UnknownPayment(DomainError):
    """A verified callback about a charge this site never created."""

    code = "unknown_payment"
    status = 404
    message = "No payment matches this callback."


class CallbackMismatch(DomainError):
    """A verified callback whose amount or currency differs from the payment's."""

    code = "callback_mismatch"
    status = 400
    message = "The callback's amount or currency does not match the payment."


class PaymentsUnavailable(DomainError):
    """The payment provider cannot take charges (not configured, or down)."""

    code = "payments_unavailable"
    status = 503
    message = "Recharging is unavailable right now; try again later."


# --- payouts (wallet.services.payouts) --------------------------------------------------


class PayoutAlreadyReviewed(DomainError):
    """Approving or rejecting a payout that is no longer waiting for review."""

    code = "payout_already_reviewed"
    status = 409
    message = "This payout has already been approved or rejected."


class PayoutRunBusy(DomainError):
    """Another worker holds the lease of this payout run and is alive
    (``wallet.services.payout_lease``)."""

    code = "payout_run_busy"
    status = 409
    message = (
        "This payout run is being paid by another worker right now; if that worker "
        "stopped, the run resumes by itself within a couple of minutes."
    )


class OwnPayout(DomainError):
    """A reviewer asked to approve or reject a payout made to themselves."""

    code = "own_payout"
    status = 403
    message = "You cannot review a payout made to you."


# --- gifts (wallet.services.gifts) ---------------------------------------------------------


class UnknownGift(DomainError):
    """A gift slug that is not in the catalog, or no longer on sale."""

    code = "unknown_gift"
    status = 400
    message = "There is no such gift: choose one from the catalog."


__all__ += ["PayoutRunBusy", "UnknownGift"]
