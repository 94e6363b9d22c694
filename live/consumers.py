"""The websocket of a live room, ``/ws/live/{room_id}/`` (SPEC.md's contract).

Thin: it authenticates the connection, registers it with this process's room
hub (:mod:`live.hub`, which fans the room's events out), translates client
frames into service calls (:mod:`live.services.chat`, :mod:`live.state`,
:mod:`live.services.gifts`) and domain errors into ``error`` frames. A bad frame is answered
with an ``error`` frame and never closes anything.

Close codes: 4001 unauthenticated (bad ticket), 4003 banned, 4004 no such
room, 4008 too slow to keep up (the hub drops it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from community.models import User
from core.errors import error_event
from live import events
from live.chat import CLOSE_BANNED
from live.errors import (
    AuthenticationRequired,
    Banned,
    DomainError,
    NotFound,
    RateLimited,
    RoomNotLive,
    ValidationFailed,
    transient_error,
)
from live.extensions import room_join_events_for
from live.handshake import client_address
from live.hub import Connection, RoomHello, RoomHub, client_gone, dumps, hubs, server_send
from live.models import Room
from live.selectors import member_standing, room_final_totals, room_recent_messages
from live.services import gifts, message_send
from live.state import room_state
from live.tickets import redeem
from wallet.rules import GIFT_KEY_MAX_LENGTH, gift_input_check

logger = logging.getLogger("sprout.live")

CLOSE_UNAUTHENTICATED = 4001
CLOSE_NOT_FOUND = 4004
MAX_ID = 2**63 - 1
MAX_FRAME_BYTES = 4096
MAX_NONCE_LENGTH = 64
MAX_HEARTS_PER_FRAME = 50
# A client batches taps into frames of up to 50; more frames than this per
# second and per connection are refused (hearts are counted, never relayed).
HEART_FRAMES_PER_SECOND = 20
# How long a room's live/not-live state is trusted before hearts recheck it.
ROOM_STATE_CACHE_SECONDS = 1.0


class ServerError(DomainError):
    code = "server_error"
    status = 500
    message = "Something went wrong on our side; try again."


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message)


_room_states: dict[int, tuple[str, float]] = {}


async def current_room_state(room_id: int) -> str | None:
    """The room's state, trusted for a second: hearts arrive by the hundred
    per second and must not cost a query each."""
    cached = _room_states.get(room_id)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    state = await database_sync_to_async(
        lambda: Room.objects.filter(pk=room_id).values_list("state", flat=True).first()
    )()
    if state is not None:
        _room_states[room_id] = (state, now + ROOM_STATE_CACHE_SECONDS)
    return state


def _load_room(room_id: int) -> Room | None:
    if room_id > MAX_ID:  # the URL takes any digits; the database does not
        return None
    return Room.objects.select_related("host").filter(pk=room_id).first()


def _load_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


@dataclass(frozen=True)
class _Admission:
    """What a connection's admission read: the room (None: no such room),
    the member (None: anonymous, or a ticket that named nobody active),
    whether a ban keeps them out, and what their hello says of them."""

    room: Room | None
    user: User | None = None
    you: events.You | None = None
    banned: bool = False


def _admit(
    room_id: int, user: User | None, ticket_user_id: int | None, room: Room | None = None
) -> _Admission:
    """Everything admitting a connection reads, in one thread hop: the room
    (unless ``room``, as the room's hub read it moments ago), the member (a
    ticket's, read here; else the session's, which the auth middleware has
    just read), a ban in force, and whether they moderate."""
    if room is None:
        room = _load_room(room_id)
    if room is None:
        return _Admission(room=None)
    if ticket_user_id is not None:
        user = _load_user(ticket_user_id)
    if user is None:
        return _Admission(room=room)
    standing = member_standing(user, room)  # one query: the ban and the rights
    if standing.banned:
        return _Admission(room=room, user=user, banned=True)
    you: events.You = {**events.user_brief(user), "moderator": standing.moderator}
    return _Admission(room=room, user=user, you=you)


def _room_hello(room_id: int) -> RoomHello:
    """The room's part of every hello (shared by the hub, ``RoomHub.room_hello``),
    and the events of the apps above that follow it
    (``extensions.room_join_events``: the pinned product)."""
    room = Room.objects.select_related("host").get(pk=room_id)
    final = room_final_totals(room)
    return RoomHello(
        room=events.room_brief(room_id=room.pk, title=room.title, state=room.state, host=room.host),
        recent=tuple(room_recent_messages(room)),
        snapshot=tuple(room_join_events_for(room)),
        final_hearts=final.hearts if final is not None else None,
        limit=int(settings.SPROUT_LIVE_RECENT_MESSAGES),
        record=room,
    )


def _parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """The client's frame as a JSON object, or a ValidationFailed saying why not."""
    if text_data is None:
        raise _invalid("Binary frames are not supported: send JSON text frames.")
    try:
        encoded = text_data.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("Frames must be UTF-8 text.") from None
    if len(encoded) > MAX_FRAME_BYTES:
        raise _invalid(f"Frames are at most {MAX_FRAME_BYTES} bytes.")
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        raise _invalid("Frames must be JSON objects.") from None
    if not isinstance(frame, dict):
        raise _invalid("Frames must be JSON objects.")
    try:
        # Escapes such as "\ud800" decode to strings no socket can carry back.
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        raise _invalid("Frames must be valid UTF-8 JSON.") from None
    return frame


def _optional_string(frame: dict[str, Any], name: str, *, max_length: int) -> str | None:
    value = frame.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise _invalid(f"`{name}` must be a string of at most {max_length} characters.")
    return value


def _integer(frame: dict[str, Any], name: str, *, default: int, low: int, high: int) -> int:
    value = frame.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(f"`{name}` must be a whole number from {low} to {high}.")
    return value


class RoomConsumer(AsyncWebsocketConsumer):
    # No per-connection channel-layer subscription: the room hub subscribes
    # once per room per process (live.hub).
    channel_layer_alias = "live-hub-only"

    room: Room | None = None
    user: User | None = None
    connection: Connection | None = None
    # The client went away while we were answering it: nothing more is sent.
    gone: bool = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # However the consumer ends (a clean close, the client vanishing
        # mid-reply, an error, a cancelled task), its connection leaves the
        # room: a viewer left behind would be counted, and kept, for ever.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels' own dispatch closes stale database connections before
        # every message, a thread hop per frame: a busy room's heart taps
        # cannot afford it, and every database call here goes through
        # database_sync_to_async, which does the same around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- connecting ---------------------------------------------------------

    async def connect(self) -> None:
        self._echo: dict[str, str | None] = {}
        self._heart_window = (0.0, 0)
        room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        ticket, session_user = self._credentials()
        ticket_user_id = await redeem(ticket, room_id) if ticket is not None else None
        # The room as its hub here read it moments ago, if it did: an
        # anonymous viewer then needs nothing read at all (a crowd arriving).
        hub = hubs().hubs.get(room_id)
        known: Room | None = hub.fresh_record() if hub is not None else None
        if known is not None and ticket is None and session_user is None:
            admission = _Admission(room=known)
        else:
            admission = await database_sync_to_async(_admit)(
                room_id, session_user, ticket_user_id, known
            )
        room, user = admission.room, admission.user
        if room is None:
            await self._refuse(NotFound("This room does not exist."), CLOSE_NOT_FOUND)
            return
        if ticket is not None and user is None:
            await self._refuse(
                AuthenticationRequired(
                    "This ticket is unknown, used or expired: ask for a new one."
                ),
                CLOSE_UNAUTHENTICATED,
            )
            return
        if admission.banned:
            await self._refuse(Banned(), CLOSE_BANNED)
            return
        await self.accept()
        self.room, self.user = room, user
        self.connection = Connection(
            # The room's frames go straight to the server (live.hub.ServerSend),
            # past the per-message wrappers of the middleware; replies do not.
            send=server_send(self.scope) or self.base_send,
            close=self._close_from_hub,
            user_id=user.pk if user is not None else None,
            viewer_key=self._viewer_key(user),
            queue_size=int(settings.SPROUT_LIVE_SEND_QUEUE),
        )
        # Join first, then read the recent messages: nothing said in between
        # is lost (a message may come twice; clients dedupe by id). The hub's
        # frames wait until hello has gone out (Connection.open).
        hub = await hubs().join(room_id, self.connection)
        hello, snapshot = await self._hello(hub, self.connection, admission.you)
        if not await self._reply(hello):
            return
        # The room's state kept by the apps above (the pinned product), read
        # after joining: a change made since arrives after it, in order.
        for event in snapshot:
            if not await self._reply(event):
                return
        self.connection.open()

    def _credentials(self) -> tuple[str | None, User | None]:
        """The connection's ticket (``?ticket=``), or else its session's
        member as the auth middleware read it (None: anonymous; an inactive
        member's session gives none)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        tickets = query.get("ticket")
        if tickets:
            return tickets[0], None
        scope_user = self.scope.get("user")
        if scope_user is None or not scope_user.is_authenticated or not scope_user.is_active:
            return None, None
        return None, getattr(scope_user, "_wrapped", scope_user)

    def _viewer_key(self, user: User | None) -> str:
        """Who counts as one viewer (now, at the peak, and among the unique
        viewers of the session report): the member, whatever their sockets;
        an anonymous viewer by network address, so that one client opening
        hundreds of sockets (or sessions) counts once. Anonymous viewers
        sharing an address count once too: the report errs low, never high."""
        if user is not None:
            return f"u{user.pk}"
        seed = f"{settings.SECRET_KEY}:addr:{client_address(self.scope)}"
        return "a" + hashlib.sha256(seed.encode()).hexdigest()[:20]

    async def _hello(
        self, hub: RoomHub, connection: Connection, you: events.You | None
    ) -> tuple[events.HelloEvent, list[Mapping[str, Any]]]:
        room_id = hub.room_id
        parts = await hub.room_hello(
            connection, lambda: database_sync_to_async(_room_hello)(room_id)
        )
        # The counts as the hub last sent them to the room (a quarter of a
        # second old at most for hearts, a second for viewers; any change
        # since reaches this connection on the next tick); read from Redis
        # only by a hub too new to have sent any.
        state = room_state()
        hearts = parts.final_hearts if parts.final_hearts is not None else hub.hearts_sent
        viewers = hub.viewers_sent
        try:
            if hearts < 0:
                hearts = await state.hearts(room_id)
            if viewers < 0:
                viewers = await state.viewers(room_id)
        except Exception as exc:
            # Redis is away (a restart): the room still opens, with its chat
            # from the database; the counts follow on the hub's next tick.
            logger.warning("live room %s hello without hot counts: %r", room_id, exc)
        hello = events.hello(
            room=cast(events.RoomBrief, parts.room),
            you=you,
            viewers=max(viewers, 0),
            hearts=max(hearts, 0),
            recent=cast(list[events.ChatEvent], list(parts.recent)),
        )
        return hello, list(parts.snapshot)

    async def _refuse(self, exc: DomainError, code: int) -> None:
        # Accept first so the client can read why before the close.
        await self.accept()
        if await self._reply(error_event(exc)):
            await self.close(code=code)

    # --- the hub's side -----------------------------------------------------

    async def _close_from_hub(self, code: int) -> None:
        if not self.gone:
            with contextlib.suppress(Exception):  # already gone: nothing to close
                await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        """Take this connection out of the room's hub, once."""
        connection, self.connection = self.connection, None
        if connection is not None and self.room is not None:
            await hubs().leave(self.room.pk, connection)

    # --- client frames ------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.connection is None:
            return  # refused or already gone: nothing to answer
        self._echo = {}
        try:
            frame = _parse(text_data, bytes_data)
            kind = frame.get("type")
            if kind == "ping":
                await self._reply(events.pong())
            elif kind == "chat":
                await self._chat(frame)
            elif kind == "heart":
                await self._heart(frame)
            elif kind == "gift":
                await self._gift(frame)
            else:
                raise _invalid("Unknown frame type: send chat, heart, gift or ping.")
        except DomainError as exc:
            await self._reply(error_event(exc, **self._echo))
        except Exception as exc:
            transient = transient_error(exc)
            if transient is None:
                logger.exception("live room frame failed")
            else:
                logger.warning("live room frame failed for a transient reason: %r", exc)
            await self._reply(error_event(transient or ServerError(), **self._echo))
        if self.gone:
            raise StopConsumer  # nobody left to answer; __call__ leaves the room

    async def _reply(self, event: Mapping[str, Any]) -> bool:
        """Send one frame to this client; False when it has gone (it closed
        while we were answering): not an error, and nothing more is sent."""
        if self.gone:
            return False
        try:
            await self.send(text_data=dumps(event))
        except Exception as exc:
            if not client_gone(exc):
                raise
            self.gone = True
            logger.debug("live room client left mid-reply: %r", exc)
            await self._leave()
            return False
        return True

    def _member(self) -> User:
        if self.user is None:
            raise AuthenticationRequired("Log in to chat, send hearts or gifts.")
        return self.user

    async def _chat(self, frame: dict[str, Any]) -> None:
        nonce = _optional_string(frame, "nonce", max_length=MAX_NONCE_LENGTH)
        self._echo["nonce"] = nonce
        user = self._member()
        text = frame.get("text")
        if not isinstance(text, str):
            raise _invalid("`text` must be a string.")
        assert self.room is not None
        await message_send(room=self.room, user=user, text=text, nonce=nonce)

    async def _heart(self, frame: dict[str, Any]) -> None:
        self._member()
        count = _integer(frame, "count", default=1, low=1, high=MAX_HEARTS_PER_FRAME)
        now = time.monotonic()
        started, frames = self._heart_window
        if now - started >= 1.0:
            started, frames = now, 0
        self._heart_window = (started, frames + 1)
        if frames + 1 > HEART_FRAMES_PER_SECOND:
            raise RateLimited("Too many hearts at once: send up to 50 in one frame.")
        assert self.room is not None
        state = await current_room_state(self.room.pk)
        if state is None:
            raise NotFound("This room does not exist.")
        if state != Room.State.LIVE:
            raise RoomNotLive()
        # Counted only: the hub sends the running total on its own tick.
        await room_state().add_hearts(self.room.pk, count)

    async def _gift(self, frame: dict[str, Any]) -> None:
        key = frame.get("idempotency_key")
        if isinstance(key, str) and len(key) <= GIFT_KEY_MAX_LENGTH:
            # Echoed in the answer, even when the rules refuse it: the client
            # matches its answer by it.
            self._echo["idempotency_key"] = key
        user = self._member()
        request = gift_input_check(frame)  # the same rules as over HTTP
        assert self.room is not None
        result = await gifts.room_gift_send_batched(
            sender=user,
            room_id=self.room.pk,
            gift_slug=request.gift,
            quantity=request.quantity,
            idempotency_key=request.idempotency_key,
        )
        await self._reply(
            events.gift_ack(
                idempotency_key=request.idempotency_key,
                gift_id=result.gift_send_id,
                balance=result.balance,
            )
        )
