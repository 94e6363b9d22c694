"""Gifts in live rooms: writes. The money moves in the wallet
(``wallet.services.gifts_send``: one transaction per batch, exactly once
per idempotency key, the request's rules in ``wallet.rules``); this module
adds what only the live app knows: the room must be live, the gift goes to
its host in its open session, and the room hears about it.

Check, do, notify (Zulip's split):

- :func:`room_gifts_send` does: many gifts at once, one room query then one
  transaction of the engine; one answer per request, and for each gift this
  call sent (not a replay) the room's ``gift`` event, not yet published.
  :func:`room_gift_send_unpublished` is a batch of one on the caller's thread.
- :func:`room_gift_send` (HTTP: ``POST /api/v1/live/rooms/{id}/gifts/``) and
  :func:`room_gift_send_batched` (the websocket's ``gift`` frame, through
  the process's :class:`~live.gift_batcher.GiftBatcher`) check, do, and
  publish the ``gift`` event after commit, through ``live.events``. Under
  an ASGI server an HTTP gift rides the same batches (its request thread
  waits for its answer), so requests and frames arriving together are one
  transaction; elsewhere it is a batch of one on the caller's thread. A retry
  with the same key gets the same answer and the room hears nothing twice.
- :func:`leaderboards_push` (Celery beat, every few seconds:
  ``live.tasks.push_live_leaderboards``) sends each live room the top
  gifters of its session as a ``leaderboard`` event, only when that list
  changed: one query finds the rooms with new gifts, one more per such room
  ranks them. Without workers (``make run``: eager Celery, no beat) the gift
  path pushes its room's leaderboard itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max

from community.models import User
from live import events, selectors
from live.errors import Banned, DomainError, NotFound, RoomNotLive, transient_error
from live.gift_batcher import GiftBatcher, batch_threads, batcher_threads_retire
from live.models import LiveSession, Room
from wallet.models import GiftSend
from wallet.services import GiftRequest, GiftResult, gifts_send

logger = logging.getLogger("sprout.live")

#: How long a room's last pushed leaderboard is remembered (a room live for
#: longer without gifts simply gets it again once).
LEADERBOARD_CACHE_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class RoomGiftRequest:
    """One gift to send in a room: what a ``gift`` frame (or the HTTP
    endpoint) asks for."""

    sender: User
    room_id: int
    gift_slug: str
    quantity: int
    idempotency_key: str


@dataclass(frozen=True)
class RoomGift:
    """A gift sent in a room: the wallet's answer and, when this call sent
    it (not a replay), the room's ``gift`` event to publish."""

    result: GiftResult
    event: events.GiftEvent | None


# --- doing ----------------------------------------------------------------------------


def room_gifts_send(requests: Sequence[RoomGiftRequest]) -> list[RoomGift | DomainError]:
    """Send many gifts in live rooms at once: two queries check the rooms
    (each gift's room must exist, ``not_found``, its sender must not be
    banned from it, ``banned``, and it must be live now, ``room_not_live``;
    the gift goes to its host in its open session), then
    :func:`wallet.services.gifts_send` sends the rest in one transaction.
    One answer per request, in order: a :class:`RoomGift` or the domain error
    that request alone failed with (as :func:`room_gift_send_unpublished` would raise it).
    Raises only when the whole batch failed (the database, say): then none
    of it was sent. Publishes nothing: its callers do, after commit."""
    rooms = selectors.rooms_to_gift(request.room_id for request in requests)
    banned = selectors.room_bans_among(
        {(r.room_id, r.sender.pk) for r in requests if r.room_id in rooms}
    )
    answers: list[RoomGift | DomainError | None] = [None] * len(requests)
    batch: list[GiftRequest] = []
    slots: list[int] = []
    for index, request in enumerate(requests):
        found = rooms.get(request.room_id)
        if found is None:
            answers[index] = NotFound("This room does not exist.")
            continue
        if (request.room_id, request.sender.pk) in banned:
            answers[index] = Banned()
            continue
        if found.state != Room.State.LIVE:
            answers[index] = RoomNotLive()
            continue
        batch.append(
            GiftRequest(
                sender=request.sender,
                host=found.host,
                gift_slug=request.gift_slug,
                quantity=request.quantity,
                idempotency_key=request.idempotency_key,
                room_id=request.room_id,
                session_id=found.session_id,
            )
        )
        slots.append(index)
    if batch:
        for index, outcome in zip(slots, gifts_send(batch), strict=True):
            if outcome.error is not None:
                answers[index] = outcome.error
                continue
            result = outcome.unwrap()
            event = selectors.gift_event(result.send) if result.send is not None else None
            answers[index] = RoomGift(result=result, event=event)
    done = [answer for answer in answers if answer is not None]
    assert len(done) == len(requests)
    return done


def room_gift_send_unpublished(
    *, sender: User, room_id: int, gift_slug: str, quantity: int, idempotency_key: str
) -> RoomGift:
    """Send a gift to the host of a live room, in its open session (see
    :func:`wallet.services.gift_send` for the money and the errors; here also
    ``not_found`` and ``room_not_live``): a batch of one through
    :func:`room_gifts_send`. Returns the room's ``gift`` event to publish,
    None for a replay."""
    request = RoomGiftRequest(
        sender=sender,
        room_id=room_id,
        gift_slug=gift_slug,
        quantity=quantity,
        idempotency_key=idempotency_key,
    )
    (answer,) = room_gifts_send([request])
    if isinstance(answer, DomainError):
        raise answer
    return answer


# --- over HTTP -------------------------------------------------------------------------


def _pushes_on_gift() -> bool:
    # No beat runs beside eager Celery (make run): the gift path is the tick.
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server this sync request runs under (the
    thread asgiref's ``sync_to_async`` started from it, in this process),
    when HTTP gifts may ride its batcher: not inside a transaction (the
    batch commits on its own thread, outside it), not when
    ``SPROUT_GIFT_BATCH_HTTP`` is off, and only when the batches have
    database threads of their own (without them, on SQLite, they run on
    the thread-sensitive executor: the very thread this request holds while
    it waits). None under WSGI, in commands and in the test client: the
    gift is then sent on this thread."""
    if (
        not settings.SPROUT_GIFT_BATCH_HTTP
        or transaction.get_connection().in_atomic_block
        or batch_threads() == 0
    ):
        return None
    local = SyncToAsync.threadlocal
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


def room_gift_send(
    *, sender: User, room_id: int, gift_slug: str, quantity: int, idempotency_key: str
) -> GiftResult:
    """``sender`` sends a gift in a room they may watch (``not_found``,
    ``banned``; then as :func:`room_gift_send_unpublished`); once it is committed the room
    hears the ``gift`` event (not for a replay). Under an ASGI server the
    gift is booked in the process's gift batches (:func:`room_gift_send_batched`:
    the same answers, plus ``temporarily_unavailable`` when the database
    went away mid-batch)."""
    loop = _serving_loop()
    if loop is not None:
        # Under an ASGI server: the gift rides the process's batches with the
        # websocket's gift frames and the other requests' gifts (one
        # transaction for all that arrive together, which also checks the
        # room and the ban), this thread waiting for its own answer; the
        # event is published with its batch's. The thread makes no query of
        # its own. A connection it holds (its authentication's) goes back
        # first (to the process's pool, in production): the batch borrows
        # one of its own, and requests waiting with theirs held would take
        # them all and wait for ever.
        connection = transaction.get_connection()
        if connection.connection is not None:
            connection.close()
        request = RoomGiftRequest(
            sender=sender,
            room_id=room_id,
            gift_slug=gift_slug,
            quantity=quantity,
            idempotency_key=idempotency_key,
        )
        return gift_batcher_get(loop).send_blocking(request, loop).result
    sent = room_gift_send_unpublished(
        sender=sender,
        room_id=room_id,
        gift_slug=gift_slug,
        quantity=quantity,
        idempotency_key=idempotency_key,
    )
    if sent.event is not None:
        events.room_event_send_on_commit(room_id, sent.event)
        if _pushes_on_gift():
            transaction.on_commit(partial(leaderboards_push, [room_id]), robust=True)
    return sent.result


# --- over the websocket ----------------------------------------------------------------

_batchers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, GiftBatcher[RoomGiftRequest, RoomGift]
] = weakref.WeakKeyDictionary()


_batchers_lock = threading.Lock()


def gift_batcher_get(
    loop: asyncio.AbstractEventLoop | None = None,
) -> GiftBatcher[RoomGiftRequest, RoomGift]:
    """The batcher of :func:`room_gifts_send` of the running event loop (or
    of ``loop``, from a request thread), made from the settings on first
    use, its committed batches announced by :func:`gift_batch_announce`:
    one per worker process under uvicorn."""
    if loop is None:
        loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        with _batchers_lock:  # request threads may ask at once
            batcher = _batchers.get(loop)
            if batcher is None:
                batcher = _batchers[loop] = GiftBatcher.from_settings(
                    room_gifts_send, on_committed=gift_batch_announce
                )
    return batcher


def gift_batchers_close() -> None:
    """Forget every loop's batcher and let their threads finish what they
    have, close their database connections and exit (tests call it after
    each test: PostgreSQL will not drop a test database still connected).
    The next gift makes a new batcher."""
    _batchers.clear()
    batcher_threads_retire()


_broadcasts: set[asyncio.Task[None]] = set()


def gift_batch_announce(
    requests: list[RoomGiftRequest], answers: list[RoomGift | Exception]
) -> None:
    """A committed batch's ``gift`` events (the gifts it sent, not its
    replays or refusals), to their rooms in the background: one message per
    room with that room's events in batch order (one Redis ``PUBLISH``
    per batch and room, not one per gift), then, without Celery beat, the
    leaderboards of those rooms once. The senders' answers do not wait."""
    by_room: dict[int, list[events.RoomEvent]] = {}
    for request, answer in zip(requests, answers, strict=True):
        if isinstance(answer, RoomGift) and answer.event is not None:
            by_room.setdefault(request.room_id, []).append(answer.event)
    if not by_room:
        return
    task = asyncio.get_running_loop().create_task(_broadcast(by_room))
    _broadcasts.add(task)
    task.add_done_callback(_broadcasts.discard)


async def _broadcast(by_room: dict[int, list[events.RoomEvent]]) -> None:
    async def send(room_id: int, room_events: list[events.RoomEvent]) -> None:
        try:
            await events.room_events_send(room_id, room_events)
        except Exception as exc:
            # The gifts are committed and acked; the room misses their
            # animations (its leaderboard, read from the database, catches up).
            if transient_error(exc) is None:
                logger.exception(
                    "%d gifts in room %s were not broadcast", len(room_events), room_id
                )
            else:  # Redis away: expected, and said once per batch without a traceback
                logger.warning(
                    "%d gifts in room %s were not broadcast: %r", len(room_events), room_id, exc
                )

    await asyncio.gather(*(send(room_id, sent) for room_id, sent in by_room.items()))
    if _pushes_on_gift():
        try:
            await database_sync_to_async(leaderboards_push)(sorted(by_room))
        except Exception:
            logger.exception("the leaderboards of rooms %s were not pushed", sorted(by_room))


async def room_gift_send_batched(
    *, sender: User, room_id: int, gift_slug: str, quantity: int, idempotency_key: str
) -> GiftResult:
    """A ``gift`` frame's gift (already checked against ``wallet.rules`` by
    the consumer), sent with the other gifts of the process that arrive with
    it (:func:`gift_batcher_get`). Once its batch is committed the room hears
    the ``gift`` event with the batch's others (:func:`gift_batch_announce`),
    in the background: the sender's answer does not wait for it. Raises the
    gift's domain error (the batch's others are not touched),
    ``temporarily_unavailable`` (the database went away: retry with the same
    key) or ``GiftBatchFailed`` (``server_error``)."""
    sent = await gift_batcher_get().send(
        RoomGiftRequest(
            sender=sender,
            room_id=room_id,
            gift_slug=gift_slug,
            quantity=quantity,
            idempotency_key=idempotency_key,
        )
    )
    return sent.result


# --- leaderboards ------------------------------------------------------------------------


def _cache_key(room_id: int) -> str:
    return f"live:leaderboard:{room_id}"


def leaderboard_updates(
    room_ids: list[int] | None = None,
) -> list[tuple[int, events.LeaderboardEvent]]:
    """``[(room_id, leaderboard event)]`` for the live rooms (all, or those
    of ``room_ids``) whose top gifters changed since the last event this
    returned for them (remembered in the cache). One query for the live
    sessions, one for their latest gift, one per room with new gifts."""
    sessions = LiveSession.objects.filter(ended_at__isnull=True, room__state=Room.State.LIVE)
    if room_ids is not None:
        sessions = sessions.filter(room_id__in=room_ids)
    open_sessions = dict(sessions.values_list("pk", "room_id"))
    if not open_sessions:
        return []
    latest = dict(
        GiftSend.objects.filter(session_id__in=list(open_sessions))
        .order_by()
        .values("session_id")
        .annotate(last=Max("pk"))
        .values_list("session_id", "last")
    )
    updates = []
    for session_id, last_gift in sorted((s, g) for s, g in latest.items() if s is not None):
        room_id = open_sessions[session_id]
        marker = [session_id, last_gift]
        remembered = cache.get(_cache_key(room_id)) or {}
        if remembered.get("marker") == marker:
            continue  # no gift since the last event
        top = selectors.session_top_gifters(session_id)
        event = events.leaderboard(events.leaderboard_lines(top))
        cache.set(
            _cache_key(room_id), {"marker": marker, "frame": event}, LEADERBOARD_CACHE_SECONDS
        )
        if remembered.get("frame") != event:
            updates.append((room_id, event))
    return updates


def leaderboards_push(room_ids: list[int] | None = None) -> int:
    """Publish the changed leaderboards of live rooms (see
    :func:`leaderboard_updates`); returns how many rooms got one (called
    outside a transaction, as beat and the gift paths call it: each event
    has left when this returns)."""
    failed: set[int] = set()

    def forget(room_id: int) -> None:
        cache.delete(_cache_key(room_id))  # sent again on the next tick
        failed.add(room_id)

    updates = leaderboard_updates(room_ids)
    for room_id, event in updates:
        events.room_event_send_on_commit(room_id, event, on_failure=partial(forget, room_id))
    return len(updates) - len(failed)
