"""Writes of the wallet, a module per concept.

- :mod:`wallet.services.ledger`: the only writer of ledger rows (entries,
  lines, balances), one entry at a time or in batches.
- :mod:`wallet.services.idempotency`: one answer per (member, scope, key)
  for every request that moves money.
- :mod:`wallet.services.recharge`: members' coin accounts and recharges
  through a payment provider.
- :mod:`wallet.services.gifts`: sending gifts, one or a batch (the engine).
- :mod:`wallet.services.payouts`: payout runs and their review;
  :mod:`wallet.services.payout_lease`, who is paying a run right now.

Their public functions are also here, as ``wallet.services.<name>``.
"""

from wallet.services.gifts import (
    GiftOutcome,
    GiftRequest,
    GiftResult,
    gift_caches_clear,
    gift_send,
    gifts_send,
)
from wallet.services.idempotency import operation_run_once
from wallet.services.ledger import (
    InsufficientFunds,
    Posting,
    account_get_or_create,
    balances_roll_up,
    entry_post,
)
from wallet.services.payout_lease import payout_run_claim, payout_runs_resume_stalled
from wallet.services.payouts import (
    Outcome,
    PayoutResult,
    PayoutRunResult,
    RunEnd,
    payout_approve,
    payout_reject,
    payout_run_execute,
    payout_run_request,
)
from wallet.services.recharge import (
    RECHARGE_SCOPE,
    coin_account_get_or_create,
    payment_callback_handle,
    payment_charge,
    payment_create,
    payment_start,
    payment_start_once,
    recharge_create,
)

__all__ = [
    "RECHARGE_SCOPE",
    "GiftOutcome",
    "GiftRequest",
    "GiftResult",
    "InsufficientFunds",
    "Outcome",
    "PayoutResult",
    "PayoutRunResult",
    "Posting",
    "RunEnd",
    "account_get_or_create",
    "balances_roll_up",
    "coin_account_get_or_create",
    "entry_post",
    "gift_caches_clear",
    "gift_send",
    "gifts_send",
    "operation_run_once",
    "payment_callback_handle",
    "payment_charge",
    "payment_create",
    "payment_start",
    "payment_start_once",
    "payout_approve",
    "payout_reject",
    "payout_run_claim",
    "payout_run_execute",
    "payout_run_request",
    "payout_runs_resume_stalled",
    "recharge_create",
]
