"""The live room's gift micro-batcher: the ``gift`` frames of a process's
websockets that arrive together are sent as one batch (one transaction of
the wallet's engine), each caller awaiting its own answer.

The batcher knows nothing of gifts but their rhythm: it is given the sync
function that sends a batch (``live.services.gifts.room_gifts_send``, one
answer or domain error per request, in order) and decides when batches
leave and on which thread they run. ``live.services.gifts.gift_batcher_get``
keeps one per event loop. Settings: ``SPROUT_GIFT_BATCH_WINDOW_SECONDS``,
``SPROUT_GIFT_BATCH_MAX``, ``SPROUT_GIFT_BATCH_THREADS``,
``SPROUT_GIFT_BATCH_IDLE_SECONDS`` (:meth:`GiftBatcher.from_settings`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from core.errors import DomainError, TemporarilyUnavailable, transient_error
from live import metrics

logger = logging.getLogger("sprout.live")

type SendBatch[R, A] = Callable[[list[R]], Sequence[A | DomainError]]
#: Told of every committed batch, on the event loop, with its requests and
#: their answers (in order): what the batch's gifts announce, once per batch.
type BatchCommitted[R, A] = Callable[[list[R], list[A | Exception]], None]


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
class _Waiting[R, A]:
    request: R
    answer: Callable[[A | Exception], None]  # called once, on the loop
    since: float


class GiftBatcher[R, A]:
    """The live room's gifts, sent in batches: one per process (per event
    loop, ``live.services.gifts.gift_batcher_get``).

    Every ``gift`` frame of the process's websockets waits here; a batch
    leaves when ``max_size`` gifts wait or when the oldest has waited
    ``window`` seconds, and goes through ``send_batch``
    (``live.services.gifts.room_gifts_send``: one room query, then
    ``wallet.services.gifts_send``: one transaction of about seven
    statements, whatever the batch's size). Each caller awaits its own
    answer: its ``RoomGift``, or its own domain error (``insufficient_funds``
    for one sender does not touch the others of the batch); when the whole
    batch fails (the database), each of its callers gets a
    :class:`GiftBatchFailed` and the batcher carries on with the next one.
    A committed batch is handed whole to ``on_committed``
    (``live.services.gifts``: the room's ``gift`` events, one message per
    batch and room, instead of one per gift).
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
      (``gifts_send`` locks sender rows in id order) and a key racing itself
      across batches is still counted once.
    - **SQLite (``threads`` 0, the default there): ``database_sync_to_async``**,
      one batch at a time, exactly where a single gift ran before. SQLite has
      one writer, and its shared in-memory test database refuses a second
      connection's write at once instead of waiting.

    A caller that stops waiting (its socket closed) does not cancel its
    gift: the batch is already on its way, and a retry replays it."""

    def __init__(
        self,
        send_batch: SendBatch[R, A],
        *,
        window: float = 0.003,
        max_size: int = 100,
        threads: int = 0,
        idle: float = 10.0,
        on_committed: BatchCommitted[R, A] | None = None,
    ) -> None:
        if window < 0 or max_size < 1 or threads < 0:
            raise ValueError("the gift batcher needs window >= 0, max_size >= 1, threads >= 0")
        self.send_batch = send_batch
        self.on_committed = on_committed
        self.window = window
        self.max_size = max_size
        self.concurrency = max(threads, 1)
        self._threads = _DatabaseThreads(threads, idle) if threads else None
        self._pending: deque[_Waiting[R, A]] = deque()
        self._in_flight = 0
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batches sent, gifts in them, the largest one (for tests and benchmarks).
        self.batches = 0
        self.gifts = 0
        self.largest = 0

    @classmethod
    def from_settings(
        cls, send_batch: SendBatch[R, A], *, on_committed: BatchCommitted[R, A] | None = None
    ) -> GiftBatcher[R, A]:
        """``SPROUT_GIFT_BATCH_WINDOW_SECONDS`` (0.003), ``SPROUT_GIFT_BATCH_MAX``
        (100), ``SPROUT_GIFT_BATCH_THREADS`` (2 on PostgreSQL, 0 on SQLite)
        and ``SPROUT_GIFT_BATCH_IDLE_SECONDS`` (10)."""
        return cls(
            send_batch,
            on_committed=on_committed,
            window=float(getattr(settings, "SPROUT_GIFT_BATCH_WINDOW_SECONDS", 0.003)),
            max_size=int(getattr(settings, "SPROUT_GIFT_BATCH_MAX", 100)),
            threads=batch_threads(),
            idle=float(getattr(settings, "SPROUT_GIFT_BATCH_IDLE_SECONDS", 10.0)),
        )

    async def send(self, request: R) -> A:
        """Send one gift with the others of its batch: its answer, or its
        error raised (a domain error, or :class:`GiftBatchFailed`)."""
        future: asyncio.Future[A | Exception] = asyncio.get_running_loop().create_future()

        def answer(value: A | Exception) -> None:
            if not future.done():  # else its caller stopped waiting
                future.set_result(value)

        self._enqueue(request, answer)
        value = await asyncio.shield(future)
        if isinstance(value, Exception):
            raise value
        return value

    def send_blocking(self, request: R, loop: asyncio.AbstractEventLoop) -> A:
        """:meth:`send` from a thread other than ``loop``'s (the batcher's
        loop, running): blocks this thread until the gift's batch answers.
        An ASGI server's sync request thread waits here (one thread-safe
        call into the loop and one wait, without a coroutine or
        ``async_to_sync``'s per-call executor and context copies)."""
        future: Future[A | Exception] = Future()
        loop.call_soon_threadsafe(self._enqueue, request, future.set_result)
        value = future.result()
        if isinstance(value, Exception):
            raise value
        return value

    def _enqueue(self, request: R, answer: Callable[[A | Exception], None]) -> None:
        self._pending.append(_Waiting(request, answer, asyncio.get_running_loop().time()))
        self._dispatch()

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
            metrics.GIFT_BATCH_SIZE.observe(len(batch))
            # A batch is everyone's: it runs in a context of its own, not in
            # that of the request or socket whose gift happened to start it
            # (which ends before the batch's broadcast may: an HTTP request's
            # thread-sensitive context refuses calls made after it exits).
            task = loop.create_task(self._run(batch), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    async def _run(self, batch: list[_Waiting[R, A]]) -> None:
        requests = [waiting.request for waiting in batch]
        answers: list[A | Exception]
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
                metrics.GIFT_BATCHES_UNAVAILABLE.inc()
                answers.extend(TemporarilyUnavailable() for _ in batch)
            else:
                logger.exception("a batch of %d gifts failed; nothing of it was sent", len(batch))
                metrics.GIFT_BATCHES_FAILED.inc()
                for _ in batch:
                    failed = GiftBatchFailed(f"the gift batch failed: {exc!r}")
                    failed.__cause__ = exc
                    answers.append(failed)
        else:
            _committed(batch)
            if self.on_committed is not None:
                try:
                    self.on_committed(requests, answers)
                except Exception:  # the batch stands; its callers get their answers
                    logger.exception("a committed gift batch could not be announced")
        finally:
            self._in_flight -= 1
        for waiting, answer in zip(batch, answers, strict=True):
            waiting.answer(answer)
        self._dispatch()

    async def _execute(self, requests: list[R]) -> Sequence[A | DomainError]:
        if self._threads is None:
            return await database_sync_to_async(self.send_batch)(requests)
        return await asyncio.wrap_future(self._threads.submit(lambda: self.send_batch(requests)))


def batch_threads() -> int:
    """The database threads a batcher made from the settings has:
    ``SPROUT_GIFT_BATCH_THREADS``, by default 2 on PostgreSQL and 0 on SQLite
    (0: the batches run on the thread-sensitive executor, the consumers'
    own thread)."""
    threads = getattr(settings, "SPROUT_GIFT_BATCH_THREADS", None)
    if threads is None:
        threads = 0 if connections["default"].vendor == "sqlite" else 2
    return int(threads)


def _committed(batch: Sequence[_Waiting[Any, Any]]) -> None:
    """Count a batch the database committed, and each of its gifts' wait
    from arrival to that commit."""
    metrics.GIFT_BATCHES_COMMITTED.inc()
    now = asyncio.get_running_loop().time()
    for waiting in batch:
        metrics.GIFT_COMMIT_SECONDS.observe(now - waiting.since)


def batcher_threads_retire() -> None:
    """Let every batcher's threads finish what they have, close their
    database connections and exit (tests, after each: PostgreSQL will not
    drop a test database still connected). They start again on the next
    batch."""
    for pool in list(_thread_pools):
        pool.retire()
