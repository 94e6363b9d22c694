"""Single-use websocket tickets (SPEC.md: ``POST /api/v1/live/rooms/{id}/ticket``).

Clients that cannot send the session cookie with the websocket handshake (an
app holding an API token) ask for a ticket over HTTP and connect with
``?ticket=``. A ticket names one member and one room, lives
``SPROUT_LIVE_TICKET_SECONDS`` and works once, in any process (it is kept in
:mod:`live.state`).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings

from live.errors import AuthenticationRequired, Banned
from live.models import Room
from live.selectors.chat import is_banned
from live.state import room_state

MAX_TICKET_LENGTH = 128


def issue_ticket(*, user: Any, room: Room) -> str:
    """A fresh ticket letting ``user`` into ``room``'s websocket once.
    Anonymous callers need none (they may watch without one); banned members
    get none."""
    if not getattr(user, "is_authenticated", False):
        raise AuthenticationRequired()
    if is_banned(user, room):
        raise Banned()
    ticket = secrets.token_urlsafe(24)
    payload = json.dumps({"user_id": user.pk, "room_id": room.pk})
    room_state().store_ticket_sync(ticket, payload, int(settings.SPROUT_LIVE_TICKET_SECONDS))
    return ticket


async def redeem(ticket: str, room_id: int) -> int | None:
    """The member a ticket was issued to, or None when it is unknown, used,
    expired or for another room. Redeeming uses the ticket up."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    raw = await room_state().take_ticket(ticket)
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("room_id") != room_id:
        return None
    user_id = payload.get("user_id")
    return user_id if isinstance(user_id, int) else None
