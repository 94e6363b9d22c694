"""The wallet's extension points (``core.extensions``): what the apps above
it (kol, live, shop) plug into its money work.

- ``payout_splitter`` (Hook): ``(user ids) -> {user id: (agency key, agency
  name, share in basis points)}`` for the creators among them who belong to
  an agency: the agency's share of each payout. Default: nobody has an
  agency. The creator pool (kol) registers it.
"""

from __future__ import annotations

from collections.abc import Callable

from core.extensions import Hook

Splitter = Callable[[list[int]], dict[int, tuple[str, str, int]]]


def _no_agencies(user_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    return {}


payout_splitter: Hook[Splitter] = Hook(
    "wallet.payout_splitter",
    default=_no_agencies,
    doc="The agencies' shares of creators' payouts (kol registers it).",
)
