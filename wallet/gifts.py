"""Gifts: the catalog, sending a gift, and the tallies read from the sends.

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

The split (:func:`split_coins`): ``platform_part = coins × share_bps //
10_000`` (rounded down) with ``settings.SPROUT_WALLET_PLATFORM_SHARE_BPS``
(3,000 = 30%), and ``host_part = coins − platform_part``. The rounding
remainder goes to the host, so the two parts always add up to exactly what
the sender paid: no coin is lost or made up. A part of zero writes no line (a
1-coin Rose at 30% is all the host's).

Every send is a :class:`~wallet.models.GiftSend` row: tallies and
leaderboards are aggregates over it (indexed by room, session, host and
time). This module knows rooms and sessions only by id; the live app (a
higher layer) checks that the room is live and publishes the room's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import Coalesce

from community.errors import SelfAction
from community.models import User
from core.errors import ValidationFailed
from wallet.idempotency import check_key
from wallet.models import Account, Gift, GiftSend, Line

#: The idempotency scope of gift sends (a key is unique per member and scope).
SCOPE = "gift"
MAX_QUANTITY = 99
BPS = 10_000


@dataclass(frozen=True)
class GiftResult:
    """What :func:`send_gift` answers. ``balance`` is the sender's coins right
    after this gift (for a replay: the balance stored with the first answer).
    ``send`` is the new :class:`GiftSend` (with its gift, sender and host
    loaded) when this call sent the gift, None when it replayed an earlier
    answer."""

    gift_send_id: int
    coins: int
    balance: int
    replayed: bool
    send: GiftSend | None = None


@dataclass(frozen=True)
class TopGifter:
    """One line of a leaderboard: a sender and the coins they gave."""

    user_id: int
    username: str
    display_name: str
    coins: int


# --- the catalog --------------------------------------------------------------------


def catalog() -> QuerySet[Gift]:
    """The gifts members can send, in the order the tray shows them."""
    return Gift.objects.filter(is_active=True).order_by("position", "coins", "id")


def gift_payload(gift: Gift) -> dict[str, Any]:
    """A gift as clients see it (the catalog, the room's ``gift`` event).
    ``image`` is the stored image's URL (relative to the site) or ""."""
    return {
        "slug": gift.slug,
        "name": gift.name,
        "coins": gift.coins,
        "animation_tier": gift.animation_tier,
        "emoji": gift.emoji,
        "image": gift.image.url if gift.image else "",
    }


# --- sending --------------------------------------------------------------------------


def platform_share_bps() -> int:
    """The platform's share of every gift, in basis points (0–10,000)."""
    share = int(getattr(settings, "SPROUT_WALLET_PLATFORM_SHARE_BPS", 3_000))
    if not 0 <= share <= BPS:
        raise ValueError(f"SPROUT_WALLET_PLATFORM_SHARE_BPS must be 0–{BPS}, not {share}")
    return share


def split_coins(coins: int, *, share_bps: int | None = None) -> tuple[int, int]:
    """``(host_part, platform_part)`` of a gift worth ``coins``: the platform's
    part rounded down, the remainder to the host; the parts add up to
    ``coins`` exactly."""
    share = platform_share_bps() if share_bps is None else share_bps
    platform_part = coins * share // BPS
    return coins - platform_part, platform_part


def check_gift_request(*, sender: User, host: User, quantity: int, idempotency_key: str) -> None:
    """Refuse what no gift send may be: a quantity outside 1–99 (or not a
    whole number), a malformed idempotency key, a gift to oneself."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationFailed(fields={"quantity": [f"A whole number from 1 to {MAX_QUANTITY}."]})
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(fields={"quantity": [f"A whole number from 1 to {MAX_QUANTITY}."]})
    check_key(idempotency_key)
    if sender.pk == host.pk:
        raise SelfAction("You cannot send a gift to yourself.")


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

    Errors: ``invalid`` (quantity, key), ``self_action``, ``unknown_gift``
    (no such slug, or not active), ``insufficient_funds``,
    ``idempotency_conflict``. The caller (the live app) checks the room."""
    from wallet.gift_batch import GiftRequest, send_gifts  # it builds on this module

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


# --- tallies ----------------------------------------------------------------------------


def _tally(sends: QuerySet[GiftSend]) -> dict[str, int]:
    """``{gifts, coins, unique_payers}`` of some sends in one aggregate query;
    ``gifts`` counts items (a send of 5 roses is 5 gifts)."""
    totals = sends.order_by().aggregate(
        gifts=Coalesce(Sum("quantity"), 0),
        coins=Coalesce(Sum("coins"), 0),
        unique_payers=Count("sender", distinct=True),
    )
    return {name: int(totals[name]) for name in ("gifts", "coins", "unique_payers")}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def session_tally(session_id: int) -> dict[str, int]:
    """What a live session brought in gifts: ``{gifts, coins, unique_payers}``."""
    return _tally(GiftSend.objects.filter(session_id=session_id))


def room_tally(room_id: int) -> dict[str, int]:
    """All the gifts a room ever received: ``{gifts, coins, unique_payers}``."""
    return _tally(GiftSend.objects.filter(room_id=room_id))


def creator_tally(host: User, day: date) -> dict[str, int]:
    """The gifts ``host`` received on a UTC calendar day:
    ``{gifts, coins, unique_payers}`` (coins as paid by the senders, before
    the platform's share)."""
    start, end = _day_bounds(day)
    return _tally(GiftSend.objects.filter(host=host, created_at__gte=start, created_at__lt=end))


def session_earnings(session_id: int) -> int:
    """The coins a live session credited to its host's earnings (the senders'
    coins less the platform's share), read from the ledger in one query."""
    total = Line.objects.filter(
        entry__gift_send__session_id=session_id,
        account__kind=Account.Kind.CREATOR_EARNINGS,
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    return int(total)


def _top(sends: QuerySet[GiftSend], limit: int) -> list[TopGifter]:
    """The biggest senders among ``sends`` by coins, in one query; ties go
    to whoever gave first."""
    rows = (
        sends.order_by()
        .values("sender_id", "sender__username", "sender__display_name")
        .annotate(total=Sum("coins"), first=Min("id"))
        .order_by("-total", "first")[:limit]
    )
    return [
        TopGifter(
            user_id=row["sender_id"],
            username=row["sender__username"],
            display_name=row["sender__display_name"] or row["sender__username"],
            coins=int(row["total"]),
        )
        for row in rows
    ]


def room_leaderboard(room_id: int, limit: int = 10) -> list[TopGifter]:
    """The room's top gifters of all time (by coins)."""
    return _top(GiftSend.objects.filter(room_id=room_id), limit)


def session_leaderboard(session_id: int, limit: int = 10) -> list[TopGifter]:
    """The top gifters of one live session (what the room's ``leaderboard``
    frame shows)."""
    return _top(GiftSend.objects.filter(session_id=session_id), limit)


def sends_on(day: date) -> QuerySet[GiftSend]:
    """The gifts sent on a UTC calendar day (for stats providers, which group
    them as they need in one query)."""
    start, end = _day_bounds(day)
    return GiftSend.objects.filter(created_at__gte=start, created_at__lt=end)
