"""The wallet's extension points (``core.extensions``): what the apps above
it (kol, live, shop) plug into its money work.

- ``payout_splitter`` (Hook): ``(user ids) -> {user id: (agency key, agency
  name, share in basis points)}`` for the creators among them who belong to
  an agency: the agency's share of each payout. Default: nobody has an
  agency. The creator pool (kol) registers it.
- ``payment_purposes`` (Slot of :class:`PaymentPurpose`, keyed by its
  name): what a payment that is not a recharge is for. The wallet charges
  it through the provider like a recharge; when the provider's callback
  (over HTTP, or at once from the sandbox) says it succeeded,
  ``payment_callback_handle`` calls the purpose's ``succeeded`` in its
  transaction, which books the money and returns the entry (stored as
  ``Payment.entry``); when it failed, ``failed``. The shop registers
  ``order``.
- ``reconcile_checks`` (Slot of callables returning
  ``wallet.reconcile.Check`` lists): further rules ``reconcile_ledger``
  proves, over the tables of the app that registers them (the shop: orders,
  stock and commission).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.extensions import Hook, Slot

if TYPE_CHECKING:
    from wallet.models import Entry, Payment

Splitter = Callable[[list[int]], dict[int, tuple[str, str, int]]]


def _no_agencies(user_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    return {}


payout_splitter: Hook[Splitter] = Hook(
    "wallet.payout_splitter",
    default=_no_agencies,
    doc="The agencies' shares of creators' payouts (kol registers it).",
)


@dataclass(frozen=True)
class PaymentPurpose:
    """What to do when a payment of ``name`` completes. Both run inside the
    callback's transaction, with the payment's row locked; ``succeeded``
    runs at most once per payment, ``failed`` at most once while it is
    pending."""

    name: str
    succeeded: Callable[[Payment], Entry]
    failed: Callable[[Payment], None]


payment_purposes: Slot[PaymentPurpose] = Slot(
    "wallet.payment_purposes",
    doc="Payments that are not recharges, by purpose (the shop's orders).",
)


def payment_purpose(name: str) -> PaymentPurpose | None:
    """The installed purpose called ``name``, or None."""
    for purpose in payment_purposes:
        if purpose.name == name:
            return purpose
    return None


reconcile_checks: Slot[Callable[[], list[Any]]] = Slot(
    "wallet.reconcile_checks",
    doc="More checks for reconcile_ledger (each callable returns wallet.reconcile.Check items).",
)
