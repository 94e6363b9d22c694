"""The money of orders, booked through the wallet's ledger
(``wallet.services.ledger`` is the only writer; amounts in minor units of
``SPROUT_CURRENCY``).

Accounts
========
- ``provider_clearing`` (platform, may go negative): what the payment
  providers owe us, as for recharges;
- ``seller_payable`` (one per seller): what the platform owes a seller for
  their sales (transferred outside Sprout, like an approved payout);
- ``platform_revenue`` (platform): the platform's fee;
- ``commission_pending`` (one per affiliate creator): commission on orders
  not yet delivered;
- ``commission_earned`` (one per affiliate creator): commission on
  delivered orders, paid out with the creator's gift earnings
  (``wallet.services.payouts``: the payout entry drains it into
  ``creator_payable``);
- ``commission_writeoff`` (platform, may go negative): commission the
  platform bore because a refunded order's commission had already been paid
  out (below).

Entries (each references ``{"order": id}``)
===========================================
1. **Paid** (``order_payment``, when the provider's callback says the
   payment succeeded): ``provider_clearing -total``; the seller's
   ``seller_payable +(total - fee - commission)``; ``platform_revenue
   +fee``; each affiliate's ``commission_pending +commission`` (the sum of
   their lines). All appended (``rolled_up = False``): nothing here is a
   hot row, not even a flash sale's seller. Lines of zero are left out.
2. **Delivered** (``commission_release``, only when there is commission):
   each affiliate's ``commission_pending -c`` (debited at once, after
   rolling that account up) and ``commission_earned +c``.
3. **Refunded**, or cancelled after payment (``order_refund``): the exact
   negation, account by account, of what 1 and 2 booked for the order:
   ``provider_clearing +total`` (the money goes back to the buyer through
   the provider: the transfer itself is outside Sprout, like a payout's),
   and every other account debited what it was credited. Debits of
   accounts that may not go below zero are applied at once, after rolling
   the account up (the ledger's rule: only the rolled-up balance can be
   debited).

Commission already paid out
---------------------------
A delivered order's commission sits in ``commission_earned`` until the next
payout run drains it. A refund takes it back from ``commission_earned``
(rolled up), whether it is this order's commission or later earnings; only
the part no longer there (paid out, and not covered by newer earnings) is
borne by the platform: ``commission_writeoff -shortfall`` instead. The
creator is never taken below zero, and the entry still balances; reconcile
checks ``commission_earned + commission_writeoff`` of a refunded order nets
to zero.

Fees and commission
===================
Per line: ``fee = floor(line_total × SPROUT_SHOP_PLATFORM_FEE_BPS /
10,000)``, ``commission = floor(line_total × product.commission_bps /
10,000)``, capped at ``line_total - fee`` so the seller is never owed less
than zero. The order's fee and commission are the sums of its lines'.
Commission is earned by the line's affiliate (the source note's author or
the source session's room host) only when the product is open to
affiliates and the affiliate is neither the seller nor the buyer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.conf import settings

import wallet.services.ledger as ledger
from community.models import User
from wallet.models import Account, Entry, Line

if TYPE_CHECKING:
    from shop.models import Order

ORDER_PURPOSE = "order"


def platform_fee_bps() -> int:
    return int(getattr(settings, "SPROUT_SHOP_PLATFORM_FEE_BPS", 500))


def line_fee(line_total: int) -> int:
    return line_total * platform_fee_bps() // 10_000


def line_commission(line_total: int, commission_bps: int) -> int:
    """A line's commission, floored and capped at what its fee leaves."""
    return min(line_total * commission_bps // 10_000, line_total - line_fee(line_total))


def _account(kind: str, user_id: int | None = None) -> Account:
    return ledger.account_get_or_create(
        kind, user=User(pk=user_id) if user_id is not None else None
    )


def order_payment_book(order: Order) -> Entry:
    """Entry 1 of the module's docstring, for an order whose payment
    succeeded (inside the caller's transaction)."""
    postings = [ledger.Posting(_account(Account.Kind.PROVIDER_CLEARING), -order.total)]
    if order.seller_amount:
        postings.append(
            ledger.Posting(
                _account(Account.Kind.SELLER_PAYABLE, order.shop.owner_id), order.seller_amount
            )
        )
    if order.platform_fee:
        postings.append(ledger.Posting(_account(Account.Kind.PLATFORM_REVENUE), order.platform_fee))
    for affiliate_id, amount in sorted(_commission_by_affiliate(order).items()):
        postings.append(
            ledger.Posting(_account(Account.Kind.COMMISSION_PENDING, affiliate_id), amount)
        )
    return ledger.entry_post(
        kind=Entry.Kind.ORDER_PAYMENT,
        postings=postings,
        memo=f"Order {order.pk} paid: {order.total} minor units of {order.currency}",
        reference={"order": order.pk, "payment": order.payment_id},
    )


def _commission_by_affiliate(order: Order) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for affiliate_id, commission in order.lines.filter(commission__gt=0).values_list(
        "affiliate_id", "commission"
    ):
        totals[affiliate_id] += commission
    return dict(totals)


def commission_release_book(order: Order) -> Entry | None:
    """Entry 2: a delivered order's commission becomes earned (None when it
    has none)."""
    by_affiliate = _commission_by_affiliate(order)
    if not by_affiliate:
        return None
    postings = []
    pending_accounts = {a: _account(Account.Kind.COMMISSION_PENDING, a) for a in by_affiliate}
    ledger.balances_roll_up(account_ids=[account.pk for account in pending_accounts.values()])
    for affiliate_id, amount in sorted(by_affiliate.items()):
        postings.append(ledger.Posting(pending_accounts[affiliate_id], -amount, debit_now=True))
        postings.append(
            ledger.Posting(_account(Account.Kind.COMMISSION_EARNED, affiliate_id), amount)
        )
    return ledger.entry_post(
        kind=Entry.Kind.COMMISSION_RELEASE,
        postings=postings,
        memo=f"Order {order.pk} delivered: commission earned",
        reference={"order": order.pk},
    )


def order_refund_book(order: Order, *, reason: str = "") -> Entry | None:
    """Entry 3: the negation of everything booked for ``order`` (its payment
    and, when delivered, its commission's release), with the platform
    bearing commission already paid out (module docstring); None when
    nothing was booked."""
    entry_ids = [pk for pk in (order.payment_entry_id, order.release_entry_id) if pk]
    net: dict[int, int] = defaultdict(int)
    for account_id, amount in Line.objects.filter(entry_id__in=entry_ids).values_list(
        "account_id", "amount"
    ):
        net[account_id] += amount
    accounts = Account.objects.in_bulk([pk for pk, amount in net.items() if amount])
    # Everything to be debited must be rolled up first (only the rolled-up
    # balance can be debited).
    to_debit = [
        pk
        for pk, amount in net.items()
        if amount > 0 and accounts[pk].kind not in Account.MAY_GO_NEGATIVE
    ]
    ledger.balances_roll_up(account_ids=to_debit)
    balances = dict(Account.objects.filter(pk__in=to_debit).values_list("pk", "balance"))
    postings: list[ledger.Posting] = []
    writeoff = 0
    for account_id in sorted(accounts):
        account, amount = accounts[account_id], net[account_id]
        if account.kind in Account.MAY_GO_NEGATIVE or amount < 0:
            postings.append(ledger.Posting(account, -amount))
            continue
        take = amount
        if account.kind == Account.Kind.COMMISSION_EARNED:
            take = min(amount, max(balances.get(account_id, 0), 0))
            writeoff += amount - take
        if take:
            postings.append(ledger.Posting(account, -take, debit_now=True))
    if writeoff:
        postings.append(ledger.Posting(_account(Account.Kind.COMMISSION_WRITEOFF), -writeoff))
    if not postings:  # nothing was booked (an order written behind the services' back)
        return None
    return ledger.entry_post(
        kind=Entry.Kind.ORDER_REFUND,
        postings=postings,
        memo=f"Order {order.pk} refunded" + (f": {reason}" if reason else ""),
        reference={"order": order.pk, "reverses": entry_ids, "commission_written_off": writeoff},
    )
