"""Live rooms: reads of the gifts sent in rooms (the wallet keeps every gift
send with the ids of its room and session; these are the room's and the
session's views of them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from community.models import User
from core import db
from live import events
from live.errors import NotFound
from live.models import LiveSession, Room
from wallet import selectors as wallet_selectors
from wallet.models import GiftSend
from wallet.selectors import TopGifter, gift_payload

MAX_ID = 2**63 - 1

#: How many gifters a room's leaderboard shows.
LEADERBOARD_SIZE = 10


class GiftRoom(NamedTuple):
    """What a batch of gifts needs of a room: its state, its open session
    and its host."""

    state: str
    session_id: int | None
    host: User


def rooms_to_gift(room_ids: Iterable[int]) -> dict[int, GiftRoom]:
    """``{room id: GiftRoom}`` of the rooms among ``room_ids`` that exist,
    in one query: what a batch of gifts checks before it sends (the live
    state, the open session, the host to credit). In SQL of its own
    (``core.db``; the hosts come out of ``User.objects.raw``, typed as the
    ORM types them on either database): through the ORM the statement and
    its rooms and hosts took 2 ms of CPU per batch to build, a fifth of the
    batch's own work (``docs/performance.md``, "Gift ledger")."""
    ids = sorted({i for i in room_ids if 0 < i <= MAX_ID})
    if not ids:
        return {}
    among, params = db.in_values("r.id", ids, "bigint")
    hosts = User.objects.raw(
        "SELECT u.*, r.id AS gift_room_id, r.state AS gift_room_state, "  # noqa: S608
        "(SELECT s.id FROM live_livesession s WHERE s.room_id = r.id AND s.ended_at IS NULL "
        "LIMIT 1) AS gift_session_id "
        f"FROM live_room r JOIN community_user u ON u.id = r.host_id WHERE {among}",
        params,
    )
    rooms: dict[int, GiftRoom] = {}
    for host in hosts:
        room = vars(host)  # the room's columns ride on its host's row
        rooms[room["gift_room_id"]] = GiftRoom(
            room["gift_room_state"], room["gift_session_id"], host
        )
    return rooms


def session_gift_tally(session_id: int) -> dict[str, int]:
    """What a live session brought in gifts: ``{gifts, coins, unique_payers}``."""
    return wallet_selectors.gift_tally(GiftSend.objects.filter(session_id=session_id))


def session_gift_earnings(session_id: int) -> int:
    """The coins a live session credited to its host's earnings (after the
    platform's share)."""
    return wallet_selectors.gift_earnings(GiftSend.objects.filter(session_id=session_id))


def session_top_gifters(session_id: int, limit: int = LEADERBOARD_SIZE) -> list[TopGifter]:
    """The top gifters of one live session (what the room's ``leaderboard``
    frame shows)."""
    return wallet_selectors.gift_top_senders(GiftSend.objects.filter(session_id=session_id), limit)


def room_gift_tally(room_id: int) -> dict[str, int]:
    """All the gifts a room ever received: ``{gifts, coins, unique_payers}``."""
    return wallet_selectors.gift_tally(GiftSend.objects.filter(room_id=room_id))


def room_top_gifters(room_id: int, limit: int = LEADERBOARD_SIZE) -> list[TopGifter]:
    """The room's top gifters of all time (by coins)."""
    return wallet_selectors.gift_top_senders(GiftSend.objects.filter(room_id=room_id), limit)


def room_leaderboard(room_id: int) -> dict[str, Any]:
    """``{session_id, top}``: the top gifters of the room's open session, or
    of its last one when it is not live (``session_id`` None: never live),
    as the room page shows them on load (``leaderboard`` events keep them
    current). NotFound for an unknown room."""
    _room_known(room_id)
    session_id = (
        LiveSession.objects.filter(room_id=room_id)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    top = [] if session_id is None else session_top_gifters(session_id)
    return {"session_id": session_id, "top": events.leaderboard_lines(top)}


def session_cash(session: LiveSession) -> dict[str, Any]:
    """The session report's gift takings (a section of
    ``live.extensions.session_report_sections``): ``cash {gifts, coins,
    unique_payers, earnings}``: gift items received, coins the senders paid,
    how many members paid, and the coins credited to the host's earnings
    (after the platform's share). Two queries."""
    return {
        "cash": {
            **session_gift_tally(session.pk),
            "earnings": session_gift_earnings(session.pk),
        }
    }


#: How many of a room's last gifts the room page carries for its chat.
RECENT_GIFTS = 20


def room_recent_gifts(room_id: int, limit: int = RECENT_GIFTS) -> list[events.GiftEvent]:
    """The room's last ``limit`` gift events, oldest first: the gift lines
    of the chat the room page opens with."""
    if limit <= 0:
        return []
    sends = list(
        GiftSend.objects.filter(room_id=room_id)
        .select_related("sender", "gift")
        .order_by("-id")[:limit]
    )
    return [gift_event(send) for send in reversed(sends)]


def room_gifts_recent(room_id: int) -> dict[str, list[events.GiftEvent]]:
    """``{gifts}``: the room's last gift events, oldest first, as the room
    page opens with them, for a page whose connection was away (a reconnect's
    ``hello`` brings the chat said meanwhile, not the gifts). NotFound for an
    unknown room."""
    _room_known(room_id)
    return {"gifts": room_recent_gifts(room_id)}


def _room_known(room_id: int) -> None:
    """NotFound unless a room has this id (the public gift reads of a room)."""
    if not 0 < room_id <= MAX_ID or not Room.objects.filter(pk=room_id).exists():
        raise NotFound("This room does not exist.")


def gift_event(send: GiftSend) -> events.GiftEvent:
    """The room's ``gift`` event for a send (its gift and sender loaded): as
    the room gets it live and as a replay's timeline plays it back."""
    return events.gift(
        gift_id=send.pk,
        user=send.sender,
        gift=gift_payload(send.gift),
        quantity=send.quantity,
        coins=send.coins,
        ts=send.created_at,
    )
