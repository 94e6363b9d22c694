"""Gifts in live rooms: the websocket ``gift`` frame, the HTTP twin
``POST /api/v1/live/rooms/{id}/gifts/``, the leaderboard pushed to rooms on a
tick, and the *cash* column of the session report.

The money moves in :func:`wallet.gift_batch.send_gifts` (one transaction per
batch, exactly once per idempotency key); this module adds what only the
live app knows: the room must be live, the gift belongs to the room's open
session, and the room hears about it.

- :func:`handle_gift_frame` is ``settings.SPROUT_LIVE_GIFT_HANDLER``: the
  consumer hands it every valid ``gift`` frame. The process's
  :class:`GiftBatcher` sends the gifts that arrive together as one batch
  (:func:`send_room_gifts`: one room query, then one transaction of
  ``wallet.gift_batch.send_gifts``); each sender alone gets its ``gift_ack``
  (or its own error) and, the gift committed, the room gets the ``gift``
  event (everyone, through the hub). A retry with the same key gets the same
  ``gift_ack`` and the room hears nothing twice. Settings:
  ``SPROUT_GIFT_BATCH_WINDOW_SECONDS``, ``SPROUT_GIFT_BATCH_MAX``,
  ``SPROUT_GIFT_BATCH_THREADS``, ``SPROUT_GIFT_BATCH_IDLE_SECONDS``
  (:meth:`GiftBatcher.from_settings`).
- :func:`send_in_room` (the HTTP endpoint, scripts) sends one gift directly:
  a batch of one on the caller's thread.
- :func:`push_leaderboards` (Celery beat, every few seconds) sends each live
  room the top gifters of its session as a ``leaderboard`` frame, only when
  that list changed: one query finds the rooms with new gifts, one more per
  such room ranks them. Without workers (``make run``: eager Celery, no beat)
  the gift path pushes its room's leaderboard itself.
- :func:`session_cash` is in ``settings.SPROUT_LIVE_REPORT_EXTENSIONS``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connections, transaction
from django.db.models import Max, OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import User
from community.services import check_authenticated
from live import events
from live.errors import DomainError, NotFound, RoomNotLive, TemporarilyUnavailable, transient_error
from live.hub import publish, publish_sync
from live.models import LiveSession, Room
from live.selectors import (
    LEADERBOARD_SIZE,
    session_gift_earnings,
    session_gift_tally,
    session_top_gifters,
)
from live.services import room_for_viewer
from wallet.gift_batch import GiftRequest, GiftResult, send_gifts
from wallet.models import GiftSend
from wallet.rules import GIFT_QUANTITY_MAX
from wallet.selectors import TopGifter, gift_payload

logger = logging.getLogger("sprout.live")

#: How long a room's last pushed leaderboard is remembered (a room live for
#: longer without gifts simply gets it again once).
LEADERBOARD_CACHE_SECONDS = 6 * 3600
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class RoomGift:
    """A gift sent in a room: the wallet's answer and, when this call sent
    it (not a replay), the room's ``gift`` event to publish."""

    result: GiftResult
    event: dict[str, Any] | None


# --- sending --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomGiftRequest:
    """One gift to send in a room: what a ``gift`` frame (or the HTTP
    endpoint) asks for."""

    sender: User
    room_id: int
    gift_slug: str
    quantity: int
    idempotency_key: str


def _live_rooms(room_ids: set[int]) -> dict[int, tuple[Room, int | None]]:
    """``{room id: (room with its host, open session's id)}`` of the rooms
    among ``room_ids`` that exist, in one query."""
    ids = sorted(i for i in room_ids if 0 < i <= MAX_ID)
    if not ids:
        return {}
    open_session = LiveSession.objects.filter(room=OuterRef("pk"), ended_at__isnull=True)
    rooms = (
        Room.objects.select_related("host")
        .annotate(open_session_id=Subquery(open_session.values("pk")[:1]))
        .filter(pk__in=ids)
    )
    return {room.pk: (room, room.open_session_id) for room in rooms}


def gift_event(send: GiftSend) -> dict[str, Any]:
    """The room's ``gift`` event for a send (its gift and sender loaded)."""
    return events.gift(
        gift_id=send.pk,
        user=send.sender,
        gift=gift_payload(send.gift),
        quantity=send.quantity,
        coins=send.coins,
        ts=send.created_at,
    )


def send_room_gifts(requests: Sequence[RoomGiftRequest]) -> list[RoomGift | DomainError]:
    """Send many gifts in live rooms at once: one query checks the rooms
    (each gift's room must exist, ``not_found``, and be live now,
    ``room_not_live``; the gift goes to its host in its open session), then
    :func:`wallet.gift_batch.send_gifts` sends the rest in one transaction.
    One answer per request, in order: a :class:`RoomGift` or the domain error
    that request alone failed with (as :func:`send_in_room` would raise it).
    Raises only when the whole batch failed (the database, say): then none
    of it was sent."""
    rooms = _live_rooms({request.room_id for request in requests})
    answers: list[RoomGift | DomainError | None] = [None] * len(requests)
    batch: list[GiftRequest] = []
    slots: list[int] = []
    for index, request in enumerate(requests):
        found = rooms.get(request.room_id)
        if found is None:
            answers[index] = NotFound("This room does not exist.")
            continue
        room, session_id = found
        if room.state != Room.State.LIVE:
            answers[index] = RoomNotLive()
            continue
        batch.append(
            GiftRequest(
                sender=request.sender,
                host=room.host,
                gift_slug=request.gift_slug,
                quantity=request.quantity,
                idempotency_key=request.idempotency_key,
                room_id=room.pk,
                session_id=session_id,
            )
        )
        slots.append(index)
    if batch:
        for index, outcome in zip(slots, send_gifts(batch), strict=True):
            if outcome.error is not None:
                answers[index] = outcome.error
                continue
            result = outcome.unwrap()
            event = gift_event(result.send) if result.send is not None else None
            answers[index] = RoomGift(result=result, event=event)
    done = [answer for answer in answers if answer is not None]
    assert len(done) == len(requests)
    return done


def send_in_room(
    *, sender: User, room_id: int, gift_slug: str, quantity: int, idempotency_key: str
) -> RoomGift:
    """Send a gift to the host of a live room, in its open session (see
    :func:`wallet.gifts.send_gift` for the money and the errors; here also
    ``not_found`` and ``room_not_live``): a batch of one through
    :func:`send_room_gifts`. Returns the room's ``gift`` event to publish,
    None for a replay."""
    request = RoomGiftRequest(
        sender=sender,
        room_id=room_id,
        gift_slug=gift_slug,
        quantity=quantity,
        idempotency_key=idempotency_key,
    )
    (answer,) = send_room_gifts([request])
    if isinstance(answer, DomainError):
        raise answer
    return answer


# --- the live room's micro-batcher ----------------------------------------------------------


class GiftBatchFailed(RuntimeError):
    """The batch a gift rode in failed as a whole for a reason that is not
    transient (nothing of it was sent; a lost database connection is
    ``TemporarilyUnavailable`` instead): the consumer answers it as any
    unexpected error (``server_error``), and a
    retry with the same key sends the gift once."""


class _DatabaseThreads:
    """Up to ``size`` threads for the gift batches, started on demand, each
    with its own database connection (Django's connections are per thread),
    kept while batches keep coming and closed when a thread has had nothing
    to do for ``idle`` seconds (it then exits). Around every batch stale
    connections are closed, as ``database_sync_to_async`` does
    (``CONN_MAX_AGE``, health checks)."""

    def __init__(self, size: int, idle: float) -> None:
        self.size = size
        self.idle = idle
        self._jobs: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._cond = threading.Condition()
        self._threads: set[threading.Thread] = set()
        self._waiting = 0
        self._retiring = False
        _thread_pools.add(self)

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            self._jobs.append((job, future))
            if self._waiting >= len(self._jobs):
                self._cond.notify()
            elif len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name="gift-batches", daemon=True)
                self._threads.add(thread)
                thread.start()
        return future

    def _next(self) -> tuple[Callable[[], Any], Future[Any]] | None:
        me = threading.current_thread()
        with self._cond:
            deadline = time.monotonic() + self.idle
            while not self._jobs:
                left = deadline - time.monotonic()
                if self._retiring or left <= 0:
                    self._threads.discard(me)
                    return None
                self._waiting += 1
                try:
                    self._cond.wait(left)
                finally:
                    self._waiting -= 1
            return self._jobs.popleft()

    def _work(self) -> None:
        try:
            while (job := self._next()) is not None:
                run, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                close_old_connections()
                try:
                    result = run()
                except Exception as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                finally:
                    close_old_connections()
        finally:
            connections.close_all()

    def retire(self) -> None:
        """Let every thread finish what is queued, close its connection and
        exit; wait for them. Threads start again on the next batch."""
        with self._cond:
            self._retiring = True
            threads = list(self._threads)
            self._cond.notify_all()
        for thread in threads:
            thread.join(timeout=60)
        with self._cond:
            self._retiring = False


_thread_pools: weakref.WeakSet[_DatabaseThreads] = weakref.WeakSet()


@dataclass(slots=True)
class _Waiting:
    request: RoomGiftRequest
    future: asyncio.Future[RoomGift | Exception]
    since: float


class GiftBatcher:
    """The live room's gifts, sent in batches: one per process (per event
    loop, :func:`gift_batcher`).

    Every ``gift`` frame of the process's websockets waits here; a batch
    leaves when ``max_size`` gifts wait or when the oldest has waited
    ``window`` seconds, and goes through :func:`send_room_gifts` (one room
    query, then ``wallet.gift_batch.send_gifts``: one transaction of about
    seven statements, whatever the batch's size). Each caller awaits its own
    answer: its ``RoomGift``, or its own domain error (``insufficient_funds``
    for one sender does not touch the others of the batch); when the whole
    batch fails (the database), each of its callers gets a
    :class:`GiftBatchFailed` and the batcher carries on with the next one.
    At most ``threads`` batches (one without threads) are in the database at
    once; gifts arriving meanwhile wait and leave together as soon as one is
    done, so batches grow with the load and the per-transaction cost is
    spread over more gifts: at low load a gift waits ``window`` (a couple of
    milliseconds), under load it rides in the next batch.

    Where the batches run, chosen deliberately:

    - **PostgreSQL: ``threads`` threads of the batcher's own**
      (:class:`_DatabaseThreads`). ``database_sync_to_async`` would run them
      on the thread-sensitive executor, the one thread per process every
      other ORM call of the consumers (connects, chat, bans, hellos) runs
      on: a batch of a hundred gifts would hold up every join and chat line
      of the process while it is in the database, and at most one batch
      could ever be in flight. A batch needs no thread affinity (no request
      state, its own transaction on its own connection), so it gets its own
      threads and connections, and two batches overlap (one commits while
      the next is written). Batches from different threads cannot deadlock
      (``send_gifts`` locks sender rows in id order) and a key racing itself
      across batches is still counted once.
    - **SQLite (``threads`` 0, the default there): ``database_sync_to_async``**,
      one batch at a time, exactly where a single gift ran before. SQLite has
      one writer, and its shared in-memory test database refuses a second
      connection's write at once instead of waiting.

    A caller that stops waiting (its socket closed) does not cancel its
    gift: the batch is already on its way, and a retry replays it."""

    def __init__(
        self, *, window: float = 0.003, max_size: int = 100, threads: int = 0, idle: float = 10.0
    ) -> None:
        if window < 0 or max_size < 1 or threads < 0:
            raise ValueError("the gift batcher needs window >= 0, max_size >= 1, threads >= 0")
        self.window = window
        self.max_size = max_size
        self.concurrency = max(threads, 1)
        self._threads = _DatabaseThreads(threads, idle) if threads else None
        self._pending: deque[_Waiting] = deque()
        self._in_flight = 0
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batches sent, gifts in them, the largest one (for tests and benchmarks).
        self.batches = 0
        self.gifts = 0
        self.largest = 0

    @classmethod
    def from_settings(cls) -> GiftBatcher:
        """``SPROUT_GIFT_BATCH_WINDOW_SECONDS`` (0.003), ``SPROUT_GIFT_BATCH_MAX``
        (100), ``SPROUT_GIFT_BATCH_THREADS`` (2 on PostgreSQL, 0 on SQLite)
        and ``SPROUT_GIFT_BATCH_IDLE_SECONDS`` (10)."""
        threads = getattr(settings, "SPROUT_GIFT_BATCH_THREADS", None)
        if threads is None:
            threads = 0 if connections["default"].vendor == "sqlite" else 2
        return cls(
            window=float(getattr(settings, "SPROUT_GIFT_BATCH_WINDOW_SECONDS", 0.003)),
            max_size=int(getattr(settings, "SPROUT_GIFT_BATCH_MAX", 100)),
            threads=int(threads),
            idle=float(getattr(settings, "SPROUT_GIFT_BATCH_IDLE_SECONDS", 10.0)),
        )

    async def send(self, request: RoomGiftRequest) -> RoomGift:
        """Send one gift with the others of its batch: its answer, or its
        error raised (a domain error, or :class:`GiftBatchFailed`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RoomGift | Exception] = loop.create_future()
        self._pending.append(_Waiting(request, future, loop.time()))
        self._dispatch()
        answer = await asyncio.shield(future)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _dispatch(self) -> None:
        """Start the batches that are due, while there is room in flight."""
        loop = asyncio.get_running_loop()
        while self._pending and self._in_flight < self.concurrency:
            due = self._pending[0].since + self.window - loop.time()
            if due > 0 and len(self._pending) < self.max_size:
                if self._timer is None:
                    self._timer = loop.call_later(due, self._on_timer)
                return
            batch = [self._pending.popleft() for _ in range(min(self.max_size, len(self._pending)))]
            self._in_flight += 1
            self.batches += 1
            self.gifts += len(batch)
            self.largest = max(self.largest, len(batch))
            task = loop.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    async def _run(self, batch: list[_Waiting]) -> None:
        requests = [waiting.request for waiting in batch]
        answers: list[RoomGift | Exception]
        try:
            answers = list(await self._execute(requests))
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers for a batch of {len(batch)} gifts")
        except Exception as exc:
            answers = []
            transient = transient_error(exc)
            if transient is not None:
                # The database went away (a restart, a killed connection):
                # nothing of the batch was booked, and each sender's retry
                # with the same key sends its gift once.
                logger.warning("a batch of %d gifts was not sent: %r", len(batch), exc)
                answers.extend(TemporarilyUnavailable() for _ in batch)
            else:
                logger.exception("a batch of %d gifts failed; nothing of it was sent", len(batch))
                for _ in batch:
                    failed = GiftBatchFailed(f"the gift batch failed: {exc!r}")
                    failed.__cause__ = exc
                    answers.append(failed)
        finally:
            self._in_flight -= 1
        for waiting, answer in zip(batch, answers, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(answer)
        self._dispatch()

    async def _execute(self, requests: list[RoomGiftRequest]) -> list[RoomGift | DomainError]:
        if self._threads is None:
            return await database_sync_to_async(send_room_gifts)(requests)
        return await asyncio.wrap_future(self._threads.submit(lambda: send_room_gifts(requests)))


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GiftBatcher] = (
    weakref.WeakKeyDictionary()
)


def gift_batcher() -> GiftBatcher:
    """The running event loop's :class:`GiftBatcher` (made from the settings
    on first use): one per worker process under uvicorn."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = GiftBatcher.from_settings()
    return batcher


def close_gift_batchers() -> None:
    """Forget every loop's batcher and let their threads finish what they
    have, close their database connections and exit (tests call it after
    each test: PostgreSQL will not drop a test database still connected).
    The next gift makes a new batcher."""
    _batchers.clear()
    for pool in list(_thread_pools):
        pool.retire()


def _pushes_on_gift() -> bool:
    # No beat runs beside eager Celery (make run): the gift path is the tick.
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


_broadcasts: set[asyncio.Task[None]] = set()


async def _broadcast(room_id: int, sent: RoomGift) -> None:
    assert sent.event is not None
    try:
        await publish(room_id, sent.event)
        if _pushes_on_gift():
            for board_room, board in await database_sync_to_async(leaderboard_updates)([room_id]):
                await publish(board_room, board)
    except Exception:
        # The gift is committed and acked; the room misses one animation.
        logger.exception("gift %s in room %s was not broadcast", sent.result.gift_send_id, room_id)


async def handle_gift_frame(user: User, room: Room, frame: dict[str, Any]) -> list[dict[str, Any]]:
    """``settings.SPROUT_LIVE_GIFT_HANDLER``: a ``gift`` frame (``gift`` slug,
    ``quantity``, ``idempotency_key``, already shape-checked by the consumer)
    from ``user`` in ``room``, sent with the other gifts of the process that
    arrive with it (:func:`gift_batcher`). Returns ``[gift_ack]`` for the
    sender and then, the gift committed, publishes the room's ``gift`` event
    (in the background: the ack does not wait for it, and goes out first);
    domain errors propagate (the consumer answers them with an ``error``
    frame carrying the idempotency key), and so does
    ``temporarily_unavailable`` (the database went away: retry with the same
    key) and :class:`GiftBatchFailed` (``server_error``)."""
    key = frame["idempotency_key"]
    sent = await gift_batcher().send(
        RoomGiftRequest(
            sender=user,
            room_id=room.pk,
            gift_slug=frame["gift"],
            quantity=frame["quantity"],
            idempotency_key=key,
        )
    )
    if sent.event is not None:
        task = asyncio.get_running_loop().create_task(_broadcast(room.pk, sent))
        _broadcasts.add(task)
        task.add_done_callback(_broadcasts.discard)
    return [
        events.gift_ack(
            idempotency_key=key, gift_id=sent.result.gift_send_id, balance=sent.result.balance
        )
    ]


# --- leaderboards -----------------------------------------------------------------------


def leaderboard_payload(top: list[TopGifter]) -> list[dict[str, Any]]:
    """``[{user {id, username, display_name}, coins}]`` of a leaderboard."""
    return [
        {
            "user": {"id": g.user_id, "username": g.username, "display_name": g.display_name},
            "coins": g.coins,
        }
        for g in top
    ]


def _cache_key(room_id: int) -> str:
    return f"live:leaderboard:{room_id}"


def leaderboard_updates(room_ids: list[int] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """``[(room_id, leaderboard frame)]`` for the live rooms (all, or those
    of ``room_ids``) whose top gifters changed since the last frame this
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
            continue  # no gift since the last frame
        top = leaderboard_payload(session_top_gifters(session_id, LEADERBOARD_SIZE))
        frame = events.leaderboard(top)
        cache.set(
            _cache_key(room_id), {"marker": marker, "frame": frame}, LEADERBOARD_CACHE_SECONDS
        )
        if remembered.get("frame") != frame:
            updates.append((room_id, frame))
    return updates


def push_leaderboards(room_ids: list[int] | None = None) -> int:
    """Publish the changed leaderboards of live rooms (see
    :func:`leaderboard_updates`); returns how many rooms got one."""
    pushed = 0
    for room_id, frame in leaderboard_updates(room_ids):
        try:
            publish_sync(room_id, frame)
        except Exception:
            cache.delete(_cache_key(room_id))  # sent again on the next tick
            logger.exception("the leaderboard of room %s was not pushed", room_id)
        else:
            pushed += 1
    return pushed


@shared_task(acks_late=True, ignore_result=True)
def push_live_leaderboards() -> int:
    """Beat, every few seconds: each live room's top gifters, pushed to the
    room when they changed. Returns how many rooms got a frame."""
    return push_leaderboards()


def current_leaderboard(room_id: int) -> dict[str, Any]:
    """``{session_id, top}``: the top gifters of the room's open session, or
    of its last one when it is not live (``session_id`` None: never live)."""
    if not 0 < room_id <= MAX_ID or not Room.objects.filter(pk=room_id).exists():
        raise NotFound("This room does not exist.")
    session_id = (
        LiveSession.objects.filter(room_id=room_id)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    top = [] if session_id is None else session_top_gifters(session_id, LEADERBOARD_SIZE)
    return {"session_id": session_id, "top": leaderboard_payload(top)}


# --- reports ------------------------------------------------------------------------------


def session_cash(session: LiveSession) -> dict[str, Any]:
    """``SPROUT_LIVE_REPORT_EXTENSIONS``: the session report's *cash* column,
    ``{gifts, coins, unique_payers, earnings}``: gift items received, coins
    the senders paid, how many members paid, and the coins credited to the
    host's earnings (after the platform's share). Two queries."""
    return {
        "cash": {
            **session_gift_tally(session.pk),
            "earnings": session_gift_earnings(session.pk),
        }
    }


# --- HTTP ---------------------------------------------------------------------------------


class GiftSendInput(serializers.Serializer):
    gift = serializers.CharField(max_length=40, help_text="The gift's slug (GET /api/v1/gifts/).")
    quantity = serializers.IntegerField(min_value=1, max_value=GIFT_QUANTITY_MAX, default=1)
    idempotency_key = serializers.CharField(
        max_length=100,
        help_text="A new key per gift; a retry repeats it (counted once). "
        "Letters, digits and _ . : -",
    )


GIFT_SENT = inline_serializer(
    "GiftSent",
    {
        "gift_id": serializers.IntegerField(),
        "coins": serializers.IntegerField(help_text="What the gift cost."),
        "balance": serializers.IntegerField(help_text="Your coins after it."),
        "replayed": serializers.BooleanField(help_text="True: an earlier send with this key."),
    },
)
LEADERBOARD = inline_serializer(
    "RoomLeaderboard",
    {
        "session_id": serializers.IntegerField(allow_null=True),
        "top": serializers.ListField(child=serializers.DictField()),
    },
)
ERROR = OpenApiResponse(description='`{"error": {"code", "message", "fields"}}`')


class RoomGiftView(APIView):
    """``POST /api/v1/live/rooms/{id}/gifts/``: the websocket ``gift`` frame
    over HTTP. The sender is always the caller."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=GiftSendInput,
        responses={
            201: GIFT_SENT,
            400: ERROR,
            401: ERROR,
            402: OpenApiResponse(description="`insufficient_funds`"),
            403: ERROR,
            404: ERROR,
            409: OpenApiResponse(description="`room_not_live`, `idempotency_conflict`"),
        },
        summary="Send a gift in a live room",
    )
    def post(self, request: Request, pk: int) -> Response:
        sender = check_authenticated(request.user)
        data = GiftSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        room_for_viewer(room_id=pk, user=sender)  # not_found, banned
        sent = send_in_room(
            sender=sender,
            room_id=pk,
            gift_slug=data.validated_data["gift"],
            quantity=data.validated_data["quantity"],
            idempotency_key=data.validated_data["idempotency_key"],
        )
        if sent.event is not None:
            event = sent.event
            transaction.on_commit(lambda: publish_sync(pk, event), robust=True)
            if _pushes_on_gift():
                transaction.on_commit(lambda: push_leaderboards([pk]), robust=True)
        result = sent.result
        return Response(
            {
                "gift_id": result.gift_send_id,
                "coins": result.coins,
                "balance": result.balance,
                "replayed": result.replayed,
            },
            status=status.HTTP_201_CREATED,
        )


class RoomLeaderboardView(APIView):
    """``GET /api/v1/live/rooms/{id}/leaderboard/``: the top gifters the room
    page shows on load (then ``leaderboard`` frames keep it current)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: LEADERBOARD, 404: ERROR}, summary="A room's top gifters")
    def get(self, request: Request, pk: int) -> Response:
        return Response(current_leaderboard(pk))
