"""The room's websocket events: names and payload builders, in one place
(SPEC.md "Websocket /ws/live/{room_id}/"). Everything that sends a frame
builds it here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from community.models import User
from wallet.selectors import TopGifter


def user_brief(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "display_name": user.shown_name}


def timestamp(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def chat(
    *, message_id: int, user: User, text: str, ts: datetime, nonce: str | None
) -> dict[str, Any]:
    return {
        "type": "chat",
        "id": message_id,
        "user": user_brief(user),
        "text": text,
        "ts": timestamp(ts),
        "nonce": nonce,
    }


def hearts(total: int) -> dict[str, Any]:
    return {"type": "hearts", "total": total}


def viewers(count: int) -> dict[str, Any]:
    return {"type": "viewers", "count": count}


def room_state(state: str) -> dict[str, Any]:
    return {"type": "room_state", "state": state}


def moderation(action: str, target: Any) -> dict[str, Any]:
    """``action``: ``muted``, ``banned``, ``message_deleted`` (target: a user
    brief or a message id)."""
    return {"type": "moderation", "action": action, "target": target}


def error(
    code: str, message: str, *, nonce: str | None = None, idempotency_key: str | None = None
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if nonce is not None:
        frame["nonce"] = nonce
    if idempotency_key is not None:
        frame["idempotency_key"] = idempotency_key
    return frame


def pong() -> dict[str, Any]:
    return {"type": "pong"}


def hello(
    *,
    room: dict[str, Any],
    you: dict[str, Any] | None,
    viewers: int,
    hearts: int,
    recent: list[dict[str, Any]],
) -> dict[str, Any]:
    """The first frame of every connection, sent to it alone. ``room`` is
    ``{id, title, state, host}``; ``you`` is ``None`` for anonymous viewers;
    ``recent`` holds the last chat events, oldest first."""
    return {
        "type": "hello",
        "room": room,
        "you": you,
        "viewers": viewers,
        "hearts": hearts,
        "recent": recent,
    }


def room_brief(*, room_id: int, title: str, state: str, host: User) -> dict[str, Any]:
    return {"id": room_id, "title": title, "state": state, "host": user_brief(host)}


# --- gifts (live.services.gifts) ----------------------------------------------------


def gift(
    *,
    gift_id: int,
    user: User,
    gift: dict[str, Any],
    quantity: int,
    coins: int,
    ts: datetime,
) -> dict[str, Any]:
    """A gift sent in the room, for everyone in it. ``gift`` is
    ``{slug, name, coins, animation_tier, emoji, image}`` (the catalog's
    shape: the tier picks the animation, ``image`` is a URL or "" and then
    ``emoji`` is shown); ``coins`` is what the whole send cost."""
    return {
        "type": "gift",
        "id": gift_id,
        "user": user_brief(user),
        "gift": gift,
        "quantity": quantity,
        "coins": coins,
        "ts": timestamp(ts),
    }


def gift_ack(*, idempotency_key: str, gift_id: int, balance: int) -> dict[str, Any]:
    """The sender's gift went through (or was already through: a retry with
    the same key gets the same ``gift_id``); ``balance`` is their coins after
    it. To the sender only."""
    return {
        "type": "gift_ack",
        "idempotency_key": idempotency_key,
        "gift_id": gift_id,
        "balance": balance,
    }


def leaderboard_lines(top: Sequence[TopGifter]) -> list[dict[str, Any]]:
    """``[{user {id, username, display_name}, coins}]``: a leaderboard's
    lines (the ``leaderboard`` event's, and the room page's on load)."""
    return [
        {
            "user": {"id": g.user_id, "username": g.username, "display_name": g.display_name},
            "coins": g.coins,
        }
        for g in top
    ]


def leaderboard(top: list[dict[str, Any]]) -> dict[str, Any]:
    """The room's top gifters of the current session, biggest first:
    ``top`` is ``[{user {id, username, display_name}, coins}]``."""
    return {"type": "leaderboard", "top": top}
