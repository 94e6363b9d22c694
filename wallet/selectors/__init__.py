"""Reads of the wallet, a module per concept.

- :mod:`wallet.selectors.coins`: a member's coins and their own ledger,
  account balances, what a coin costs and what a recharge may ask for.
- :mod:`wallet.selectors.gifts`: the gift catalog and tallies of gift sends.
- :mod:`wallet.selectors.payouts`: the payout configuration, quotes, who
  would be paid now, payouts and what they left owed.

Their public functions are also here, as ``wallet.selectors.<name>``.
"""

from wallet.selectors.coins import (
    COIN_KINDS,
    DEFAULT_PACK,
    MAX_RECHARGE_COINS,
    MIN_RECHARGE_COINS,
    RECHARGE_PACKS,
    RechargePack,
    WalletSummary,
    account_balance,
    account_kind_unit,
    check_recharge_coins,
    coin_balance,
    coin_price,
    ledger_lines_for,
    payment_payload,
    recharge_packs,
    wallet_summary,
)
from wallet.selectors.gifts import (
    TopGifter,
    gift_catalog,
    gift_earnings,
    gift_payload,
    gift_sends_on,
    gift_tally,
    gift_top_senders,
    host_gift_tally,
)
from wallet.selectors.payouts import (
    REVIEW_PERMISSION,
    PayoutPlan,
    Quote,
    check_can_review,
    commission_for,
    commission_threshold,
    earnings_for,
    money_side,
    payable_balance,
    payout_lease_seconds,
    payout_quote,
    payout_rate,
    payout_run_plan,
    payout_threshold,
    payouts_for,
)

__all__ = [
    "COIN_KINDS",
    "DEFAULT_PACK",
    "MAX_RECHARGE_COINS",
    "MIN_RECHARGE_COINS",
    "RECHARGE_PACKS",
    "REVIEW_PERMISSION",
    "PayoutPlan",
    "Quote",
    "RechargePack",
    "TopGifter",
    "WalletSummary",
    "account_balance",
    "account_kind_unit",
    "check_can_review",
    "check_recharge_coins",
    "coin_balance",
    "coin_price",
    "commission_for",
    "commission_threshold",
    "earnings_for",
    "gift_catalog",
    "gift_earnings",
    "gift_payload",
    "gift_sends_on",
    "gift_tally",
    "gift_top_senders",
    "host_gift_tally",
    "ledger_lines_for",
    "money_side",
    "payable_balance",
    "payment_payload",
    "payout_lease_seconds",
    "payout_quote",
    "payout_rate",
    "payout_run_plan",
    "payout_threshold",
    "payouts_for",
    "recharge_packs",
    "wallet_summary",
]
