"""Gifts: sending one.

Sending a gift of ``coins`` (the gift's price × quantity) writes one balanced
ledger entry, exactly once per ``(sender, idempotency key)`` (the key's
record, scope ``gift``, stores the answer that retries replay):

=====================  ==================  =========================================
account                amount              how
=====================  ==================  =========================================
sender member_coins    ``-coins``          applied at once (conditional UPDATE): the
                                           only line that can fail
                                           (``insufficient_funds``)
host creator_earnings  ``+host_part``      appended, rolled up later
platform_coins         ``+platform_part``  appended, rolled up later
=====================  ==================  =========================================

Only the sender's own row is updated in the gift's transaction, so a popular
room does not serialise on its host's or the platform's balance row
(``PERFORMANCE.md``, "Gift ledger"). Gifts are written in batches, many in
one transaction with a fixed number of statements, by
:mod:`wallet.gift_batch` (:func:`send_gift` is a batch of one; the live
room's websocket path batches the gifts that arrive together).

What a request may ask for, and the split (``platform_part = coins ×
share_bps // 10_000``, rounded down, the remainder to the host, so the parts
always add up to exactly what the sender paid; a part of zero writes no
line), are :mod:`wallet.rules`. Every send is a
:class:`~wallet.models.GiftSend` row: the catalog, tallies and leaderboards
over them are reads (:mod:`wallet.selectors`). The live app (a higher layer)
checks that the room is live and publishes the room's events.
"""

from __future__ import annotations

from community.models import User
from wallet.gift_batch import GiftRequest, GiftResult, send_gifts


def send_gift(
    *,
    sender: User,
    host: User,
    gift_slug: str,
    quantity: int,
    idempotency_key: str,
    room_id: int,
    session_id: int | None,
) -> GiftResult:
    """Send ``quantity`` of a catalog gift from ``sender`` to ``host`` in a
    room (and its live session), exactly once per ``idempotency_key``: a
    batch of one through :func:`wallet.gift_batch.send_gifts`.

    One transaction: the sender is debited (fails with ``insufficient_funds``
    and leaves nothing behind, the key free for a retry), the host's and the
    platform's parts are appended, the GiftSend is written and the answer
    stored under the key. The same key again, with the same parameters,
    replays the stored answer (``replayed=True``, nothing moves); with other
    parameters it is refused (``idempotency_conflict``, 409). Concurrent
    duplicates are counted once.

    Errors: ``invalid`` (:mod:`wallet.rules`: the slug's shape, the quantity,
    the key), ``self_action``, ``unknown_gift`` (no such slug, or not
    active), ``insufficient_funds``, ``idempotency_conflict``. The caller
    (the live app) checks the room."""
    (outcome,) = send_gifts(
        [
            GiftRequest(
                sender=sender,
                host=host,
                gift_slug=gift_slug,
                quantity=quantity,
                idempotency_key=idempotency_key,
                room_id=room_id,
                session_id=session_id,
            )
        ]
    )
    return outcome.unwrap()
