"""The room's websocket events, in one place (SPEC.md "Websocket
/ws/live/{room_id}/"): their names and payloads, the builders every frame is
made with, and the one way an event reaches a room.

**The schema.** Each server-to-client event is a ``TypedDict`` below, and
:data:`EVENT_TYPES` maps every ``type`` to its own. The builders return them
(mypy checks that they build what the schema says), and :func:`event_check`
checks any event against it at run time: the live tests check every event a
service publishes and every frame a client receives
(``tests/live/conftest.py``), and that the schema says what SPEC.md's table
says.

**The publish path** (Zulip's ``send_event_on_commit`` is the model). Every
room event leaves from a service, after the write it reports is committed,
through this module:

- :func:`room_event_send_on_commit` from sync services, inside their
  transaction or not: the event leaves once it commits (at once outside
  one), and never if it rolls back. Sending is best effort: the write
  stands, so a failure is logged, never raised;
- :func:`room_event_send`, its async twin, for async services once their
  write is committed (a chat message); the transport's error is the
  caller's to handle; :func:`room_events_send` sends several of one room
  as one message (a batch of gifts: one Redis ``PUBLISH`` per batch and
  room, not per gift);
- :func:`room_member_disconnect_on_commit` closes a banned member's sockets.

``live.hub``'s ``publish``, ``publish_many`` and ``publish_sync`` (the channel layer) are the
transport, called from here only. Frames sent to one connection (``hello``,
``gift_ack``, ``error``, ``pong``) are the consumer's replies; ``hearts`` and
``viewers`` are running totals the hub sends on its own ticks.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import (
    Any,
    Literal,
    TypedDict,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from django.db import transaction

from community.models import User
from live import hub
from wallet.selectors import TopGifter

logger = logging.getLogger("sprout.live")

# --- the schema -----------------------------------------------------------------------

RoomStateName = Literal["scheduled", "live", "ended"]
ModerationAction = Literal["muted", "banned", "message_deleted"]


class UserBrief(TypedDict):
    id: int
    username: str
    display_name: str


class You(UserBrief):
    """The member a ``hello`` greets (null for an anonymous viewer)."""

    moderator: bool


class RoomBrief(TypedDict):
    id: int
    title: str
    state: RoomStateName
    host: UserBrief


class GiftBrief(TypedDict):
    """A gift as the catalog shows it: the tier picks the animation;
    ``image`` is a URL or "" (then ``emoji`` is shown)."""

    slug: str
    name: str
    coins: int
    animation_tier: int
    emoji: str
    image: str


class LeaderboardLine(TypedDict):
    user: UserBrief
    coins: int


class ChatEvent(TypedDict):
    type: Literal["chat"]
    id: int
    user: UserBrief
    text: str
    ts: str
    nonce: str | None


class HelloEvent(TypedDict):
    """The first frame of every connection, to it alone; ``recent`` holds
    the last chat events, oldest first."""

    type: Literal["hello"]
    room: RoomBrief
    you: You | None
    viewers: int
    hearts: int
    recent: list[ChatEvent]


class HeartsEvent(TypedDict):
    type: Literal["hearts"]
    total: int


class ViewersEvent(TypedDict):
    type: Literal["viewers"]
    count: int


class GiftEvent(TypedDict):
    """A gift sent in the room, for everyone in it; ``coins`` is what the
    whole send cost."""

    type: Literal["gift"]
    id: int
    user: UserBrief
    gift: GiftBrief
    quantity: int
    coins: int
    ts: str


class GiftAckEvent(TypedDict):
    """The sender's gift went through (or was already through: a retry
    with the same key gets the same ``gift_id``); ``balance`` is their
    coins after it. To the sender only."""

    type: Literal["gift_ack"]
    idempotency_key: str
    gift_id: int
    balance: int


class LeaderboardEvent(TypedDict):
    """The top gifters of the room's current session, biggest first."""

    type: Literal["leaderboard"]
    top: list[LeaderboardLine]


class RoomStateEvent(TypedDict):
    type: Literal["room_state"]
    state: RoomStateName


class ModerationEvent(TypedDict):
    """``target``: the member muted or banned, or the deleted message's id."""

    type: Literal["moderation"]
    action: ModerationAction
    target: UserBrief | int


class _ErrorEcho(TypedDict, total=False):
    # Optional keys by totality: NotRequired is not seen in the string
    # annotations of ``from __future__ import annotations``.
    nonce: str
    idempotency_key: str


class ErrorEvent(_ErrorEcho):
    """A refusal, to the one connection whose frame it answers, echoing that
    frame's ``nonce`` or ``idempotency_key`` (``core.errors.error_event``)."""

    type: Literal["error"]
    code: str
    message: str


class PongEvent(TypedDict):
    type: Literal["pong"]


# --- the shop's events (sent by ``shop``, above live; declared here, the one schema) ---

FlashSaleStateName = Literal["scheduled", "on", "sold_out", "ended"]


class PinnedFlashSale(TypedDict):
    """The flash sale of a pinned product: its price, the units left, its
    window (``ends_at`` drives the countdown) and its state."""

    id: int
    price: int
    remaining: int
    starts_at: str
    ends_at: str
    state: FlashSaleStateName


class PinnedProduct(TypedDict):
    """A product pinned in a room, as the card over the video shows it;
    ``price`` in minor units of ``currency``; ``image`` a URL or null;
    ``url`` the product's API resource; ``sold_out`` when no unit is left
    (the card says so and offers no buy); ``session`` the broadcast the pin
    belongs to (null before the room goes live: the pin joins the session
    when it starts, and a buy from the card names it as its source)."""

    id: int
    title: str
    price: int
    currency: str
    image: str | None
    url: str
    flash_sale: PinnedFlashSale | None
    sold_out: bool
    session: int | None


class ProductPinnedEvent(TypedDict):
    """The host (or a room moderator) pinned a product: the card over the
    video. Also sent to a joining connection, after ``hello``, while a
    product is pinned."""

    type: Literal["product_pinned"]
    product: PinnedProduct


class ProductUnpinnedEvent(TypedDict):
    type: Literal["product_unpinned"]


class FlashSaleEvent(TypedDict):
    """The units left of the flash sale pinned in the room, on the room's
    tick when they change (``live.extensions.room_tick_events``; the shop
    sends it)."""

    type: Literal["flash_sale"]
    id: int
    remaining: int
    state: FlashSaleStateName


class PinStockEvent(TypedDict):
    """Whether the pinned product (``id``) has units left, on the room's tick
    when it changes (``live.extensions.room_tick_events``; the shop sends
    it): the card shows "sold out" and comes back when it is restocked."""

    type: Literal["pin_stock"]
    id: int
    sold_out: bool


#: Every server-to-client event by its ``type``.
EVENT_TYPES: dict[str, type] = {
    "hello": HelloEvent,
    "chat": ChatEvent,
    "hearts": HeartsEvent,
    "gift": GiftEvent,
    "gift_ack": GiftAckEvent,
    "viewers": ViewersEvent,
    "leaderboard": LeaderboardEvent,
    "room_state": RoomStateEvent,
    "moderation": ModerationEvent,
    "error": ErrorEvent,
    "pong": PongEvent,
    "product_pinned": ProductPinnedEvent,
    "product_unpinned": ProductUnpinnedEvent,
    "flash_sale": FlashSaleEvent,
    "pin_stock": PinStockEvent,
}

#: The events a service publishes to everyone in a room.
type RoomEvent = (
    ChatEvent
    | GiftEvent
    | LeaderboardEvent
    | RoomStateEvent
    | ModerationEvent
    | ProductPinnedEvent
    | ProductUnpinnedEvent
)

ROOM_EVENT_TYPES = frozenset(
    {
        "chat",
        "gift",
        "leaderboard",
        "room_state",
        "moderation",
        "product_pinned",
        "product_unpinned",
    }
)


class EventSchemaError(ValueError):
    """An event that is not what :data:`EVENT_TYPES` says it is."""


def _check(value: Any, expected: Any, where: str) -> None:
    origin = get_origin(expected)
    if expected is Any:
        return
    if expected is type(None):
        if value is not None:
            raise EventSchemaError(f"{where}: {value!r} is not null")
    elif origin is Literal:
        if value not in get_args(expected):
            raise EventSchemaError(f"{where}: {value!r} is not one of {get_args(expected)}")
    elif origin in (Union, types.UnionType):
        for option in get_args(expected):
            try:
                _check(value, option, where)
            except EventSchemaError:
                continue
            return
        raise EventSchemaError(f"{where}: {value!r} is none of {get_args(expected)}")
    elif origin is list:
        if not isinstance(value, list):
            raise EventSchemaError(f"{where}: {value!r} is not a list")
        (item,) = get_args(expected)
        for index, element in enumerate(value):
            _check(element, item, f"{where}[{index}]")
    elif is_typeddict(expected):
        _check_dict(value, expected, where)
    elif expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventSchemaError(f"{where}: {value!r} is not an integer")
    elif not isinstance(value, expected):
        raise EventSchemaError(f"{where}: {value!r} is not a {expected.__name__}")


def _check_dict(value: Any, schema: Any, where: str) -> None:
    if not isinstance(value, Mapping):
        raise EventSchemaError(f"{where}: {value!r} is not an object")
    fields = get_type_hints(schema)
    required: frozenset[str] = schema.__required_keys__
    missing = required - value.keys()
    unknown = value.keys() - fields.keys()
    if missing or unknown:
        raise EventSchemaError(
            f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)} in {value!r}"
        )
    for name, field in fields.items():
        if name in value:
            _check(value[name], field, f"{where}.{name}")


def event_check(event: Mapping[str, Any]) -> None:
    """Raise :class:`EventSchemaError` unless ``event`` is one of
    :data:`EVENT_TYPES`, exactly: every required field, no other, each of
    its type."""
    kind = event.get("type") if isinstance(event, Mapping) else None
    schema = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise EventSchemaError(f"no event type {kind!r}: {event!r}")
    _check_dict(event, schema, kind or "event")


# --- sending ----------------------------------------------------------------------------


def _room_event(event: RoomEvent) -> None:
    # A cheap guard on every send (the full check is the tests'): a reply
    # meant for one connection must never reach a whole room.
    if event.get("type") not in ROOM_EVENT_TYPES:
        raise EventSchemaError(f"not a room event: {event!r}")


def room_event_send_on_commit(
    room_id: int, event: RoomEvent, *, on_failure: Callable[[], None] | None = None
) -> None:
    """Send ``event`` to everyone in room ``room_id``, in every process, once
    the current transaction commits (at once outside one; never if it rolls
    back). A failure to send is logged, not raised: the write it reports
    stands. ``on_failure`` is then called (the leaderboard forgets what it
    pushed, to push it again on the next tick)."""
    _room_event(event)

    def send() -> None:
        try:
            hub.publish_sync(room_id, event)
        except Exception:
            logger.exception("a %s event for room %s was not sent", event["type"], room_id)
            if on_failure is not None:
                on_failure()

    transaction.on_commit(send)


async def room_event_send(room_id: int, event: RoomEvent) -> None:
    """:func:`room_event_send_on_commit` for async services: call it once
    the write the event reports is committed. Raises what the transport
    raised (the caller decides: chat answers its sender, a gift's broadcast
    is logged)."""
    _room_event(event)
    await hub.publish(room_id, event)


async def room_events_send(room_id: int, events: Sequence[RoomEvent]) -> None:
    """:func:`room_event_send` for several events of one room at once (a
    batch of gifts): one message on the transport, whatever their number;
    the room receives them in order, as if sent one by one."""
    for event in events:
        _room_event(event)
    if events:
        await hub.publish_many(room_id, events)


def room_member_disconnect_on_commit(room_id: int, user_id: int, code: int) -> None:
    """Once the current transaction commits, close ``user_id``'s connections
    to the room in every process with ``code`` (a ban: the member's next
    connection is refused). Logged, not raised, when it fails."""

    def close() -> None:
        try:
            hub.close_user_sync(room_id, user_id, code)
        except Exception:
            logger.exception("member %s's sockets in room %s were not closed", user_id, room_id)

    transaction.on_commit(close)


# --- builders ---------------------------------------------------------------------------


def user_brief(user: User) -> UserBrief:
    return {"id": user.pk, "username": user.username, "display_name": user.shown_name}


def timestamp(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def chat(*, message_id: int, user: User, text: str, ts: datetime, nonce: str | None) -> ChatEvent:
    return {
        "type": "chat",
        "id": message_id,
        "user": user_brief(user),
        "text": text,
        "ts": timestamp(ts),
        "nonce": nonce,
    }


def hearts(total: int) -> HeartsEvent:
    return {"type": "hearts", "total": total}


def viewers(count: int) -> ViewersEvent:
    return {"type": "viewers", "count": count}


def _room_state_name(state: str) -> RoomStateName:
    if state not in get_args(RoomStateName):
        raise EventSchemaError(f"no room state {state!r}")
    return cast(RoomStateName, str(state))


def room_state(state: str) -> RoomStateEvent:
    """``state``: one of ``Room.State``."""
    return {"type": "room_state", "state": _room_state_name(state)}


def moderation(action: ModerationAction, target: UserBrief | int) -> ModerationEvent:
    """``action``: ``muted``, ``banned`` (target: a user brief),
    ``message_deleted`` (target: the message's id)."""
    return {"type": "moderation", "action": action, "target": target}


def pong() -> PongEvent:
    return {"type": "pong"}


def flash_sale(*, sale_id: int, remaining: int, state: str) -> FlashSaleEvent:
    """``state``: ``scheduled``, ``on``, ``sold_out`` or ``ended``."""
    if state not in get_args(FlashSaleStateName):
        raise EventSchemaError(f"no flash sale state {state!r}")
    return {
        "type": "flash_sale",
        "id": sale_id,
        "remaining": remaining,
        "state": cast(FlashSaleStateName, state),
    }


def hello(
    *,
    room: RoomBrief,
    you: You | None,
    viewers: int,
    hearts: int,
    recent: list[ChatEvent],
) -> HelloEvent:
    """The first frame of every connection, sent to it alone."""
    return {
        "type": "hello",
        "room": room,
        "you": you,
        "viewers": viewers,
        "hearts": hearts,
        "recent": recent,
    }


def room_brief(*, room_id: int, title: str, state: str, host: User) -> RoomBrief:
    return {
        "id": room_id,
        "title": title,
        "state": _room_state_name(state),
        "host": user_brief(host),
    }


# --- gifts (live.services.gifts) ----------------------------------------------------


def gift(
    *,
    gift_id: int,
    user: User,
    gift: Mapping[str, Any],
    quantity: int,
    coins: int,
    ts: datetime,
) -> GiftEvent:
    """``gift``: the catalog's payload of the gift
    (``wallet.selectors.gift_payload``, a :class:`GiftBrief`)."""
    return {
        "type": "gift",
        "id": gift_id,
        "user": user_brief(user),
        # The wallet, below, cannot name live's schema; the tests check it.
        "gift": cast(GiftBrief, dict(gift)),
        "quantity": quantity,
        "coins": coins,
        "ts": timestamp(ts),
    }


def gift_ack(*, idempotency_key: str, gift_id: int, balance: int) -> GiftAckEvent:
    return {
        "type": "gift_ack",
        "idempotency_key": idempotency_key,
        "gift_id": gift_id,
        "balance": balance,
    }


def leaderboard_lines(top: Sequence[TopGifter]) -> list[LeaderboardLine]:
    """A leaderboard's lines (the ``leaderboard`` event's, and the room
    page's on load)."""
    return [
        {
            "user": {"id": g.user_id, "username": g.username, "display_name": g.display_name},
            "coins": g.coins,
        }
        for g in top
    ]


def leaderboard(top: list[LeaderboardLine]) -> LeaderboardEvent:
    return {"type": "leaderboard", "top": top}


# --- products pinned (shop.services.pins) ---------------------------------------------


def product_pinned(product: PinnedProduct) -> ProductPinnedEvent:
    return {"type": "product_pinned", "product": product}


def product_unpinned() -> ProductUnpinnedEvent:
    return {"type": "product_unpinned"}


def pin_stock(*, product_id: int, sold_out: bool) -> PinStockEvent:
    return {"type": "pin_stock", "id": product_id, "sold_out": sold_out}
