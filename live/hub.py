"""Per-process fan-out of live rooms.

The textbook channels design (every viewer a consumer in a channel-layer
group, one ``group_send`` per event) tops out near 3,500 frames/s per process
on these machines (``../shared/PERFORMANCE.md``): the per-consumer dispatch
is the bottleneck, and under overload it even loses messages. So a room is
served by one :class:`RoomHub` per process:

- one channel-layer subscription per room per process (Redis pub/sub in
  production, in memory for ``make run``) carries events between processes;
- each event is serialized once per tick (ticks on a fixed clock,
  ``SPROUT_LIVE_TICK_SECONDS``), and the frame (one event, or a ``batch`` of
  all the tick's events) is written to every local connection at once,
  straight to the server's own send (:class:`ServerSend`); a big room's
  tick grows so that the room costs at most
  ``SPROUT_LIVE_ROOM_FRAMES_PER_SECOND`` frames a second (the events ride in
  fewer, fuller batches). The room's size is its sockets over every process
  (each reports its own once a second, ``live.state``), so every viewer of
  a room gets the same cadence whichever process serves them, and a room
  split over N processes costs each of them 1/N of its frames: adding
  processes adds no cost per event (``docs/performance.md``, "A room across
  processes"). The tick stops growing at
  ``SPROUT_LIVE_LONGEST_TICK_SECONDS`` unless a process's own viewers would
  then cost it more than ``SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND``: more
  processes buy a room too big for one its latency (:meth:`RoomHub.tick`);
- a connection whose socket pushes back gets a bounded backlog drained by
  its own writer task; a viewer whose backlog is full is disconnected and
  counted, never allowed to slow the room;
- hearts and viewer counts are running totals read on their own, slower
  ticks and sent in the next frame (a room of thousands must not get one
  frame per tap).
- the apps above live add their own totals to that tick
  (``live.extensions.room_tick_events``: the shop's pinned flash sale's
  units left), sent only when they change;
- the room's part of a ``hello`` (its brief, recent chat, the apps' join
  events) is read once and shared by the connections that join while it is
  current (:meth:`RoomHub.room_hello`): a crowd arriving together, or a
  worker's viewers reconnecting to another, costs one read, not one each.

``bench/live_fanout.py`` measures it against a bare ``websockets`` server and
the textbook design (``docs/performance.md``, "Live fan-out").

Consumers (``live.consumers``) register connections here. Events reach a
room through :func:`publish` and :func:`publish_sync`, the transport of
``live.events`` and called by it alone: services send their events there,
after commit, checked against the events' schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from live import metrics
from live.extensions import room_tick_events
from live.state import room_state

logger = logging.getLogger("sprout.live")

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
LAYER_MESSAGE = "live.event"
CLOSE_TOO_SLOW = 4008
# A room's tick (RoomHub.tick) is 50 ms until the room would cost more than
# ROOM_FRAMES_PER_SECOND (2,000 viewers: 100 ms; ../shared/PERFORMANCE.md),
# then grows with the room up to LONGEST_TICK_SECONDS (chat reaches a big
# room within about a quarter of a second), and past that only where a
# process's own viewers would cost it more than PROCESS_FRAMES_PER_SECOND
# (5,000 viewers in one process): docs/performance.md, "The longest tick".
ROOM_FRAMES_PER_SECOND = 20_000
LONGEST_TICK_SECONDS = 0.125
PROCESS_FRAMES_PER_SECOND = 40_000


def group_name(room_id: int) -> str:
    return f"live.room.{room_id}"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def dumps(event: Mapping[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


Send = Callable[[dict[str, Any]], Awaitable[None]]
SERVER_SEND = "live.server_send"

# How long a room's shared hello (RoomHub.room_hello) is trusted when no
# event has changed it: what changes without an event of its own (a
# renamed host, an edited product) shows to newcomers this much later.
HELLO_SHARED_SECONDS = 2.0
# Events delivered to the room that change nothing a hello shows: they
# leave the shared hello current. Chat is added to it; any other event makes
# the next joiner read the room afresh. (The hub's own totals, hearts,
# viewers and the apps' tick events such as a flash sale's units, are not
# delivered: they go out on the tick, and again to every newcomer.)
HELLO_UNCHANGED = frozenset({"hearts", "viewers", "gift", "leaderboard", "_close_user"})

# Chat a hub may have missed while Redis was away: ``(room id, after
# message id, written since) -> chat events``, set by ``LiveConfig.ready``
# (``live.selectors.room_chat_since``; the selectors import this module).
MissedChat = Callable[..., Sequence[Mapping[str, Any]]]
missed_chat: MissedChat | None = None
# How far before the first failure the gap's chat is looked for (a line
# published just before Redis died may not have reached this process).
GAP_SLACK_SECONDS = 5.0
# How long a resubscribed hub waits for its own probe to come back, and how
# many times it tries, before it fills the gap anyway.
PROBE_SECONDS = 1.0
PROBE_TRIES = 15


class ServerSend:
    """ASGI middleware, outermost on the websocket route: keeps the server's
    own ``send`` in the scope, so that the hub's frames (thousands a second
    per room, never touching the session) go straight to the server instead
    of through every middleware's per-message wrapper."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app({**scope, SERVER_SEND: send}, receive, send)


def client_gone(exc: BaseException) -> bool:
    """Whether a failed send means only that the client is no longer there:
    uvicorn raises ``ClientDisconnected`` (an ``OSError``) for a socket that
    closed under the send, and a ``RuntimeError`` for a send after the close;
    a reset connection is an ``OSError`` too. Not worth a traceback."""
    if isinstance(exc, OSError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "after sending 'websocket.close'" in text or "response already completed" in text
    )


def server_send(scope: Any) -> Send | None:
    """The server's ``send`` kept by :class:`ServerSend`, if it ran."""
    send: Send | None = scope.get(SERVER_SEND)
    return send


@dataclass(frozen=True)
class RoomHello:
    """The part of a ``hello`` that is the same for every viewer of a room:
    its brief, its last ``limit`` chat events (oldest first, as
    ``live.selectors.room_recent_messages`` gives them), the apps' join
    events (``live.extensions.room_join_events``) and, for an ended room,
    its final hearts. Built by ``live.consumers``; the hub keeps it current
    (:meth:`with_chat`) or drops it. ``record`` is what it was read from
    (the room's model instance), which admission may reuse while it is
    fresh (:meth:`RoomHub.fresh_record`): read-only."""

    room: Mapping[str, Any]
    recent: tuple[Mapping[str, Any], ...]
    snapshot: tuple[Mapping[str, Any], ...]
    final_hearts: int | None
    limit: int
    record: Any = None

    def with_chat(self, event: Mapping[str, Any]) -> RoomHello:
        """This hello with a chat line that arrived after it was read (as
        the database would give it: no sender's nonce); the same when the
        read already had it."""
        message_id = event.get("id")
        if self.limit <= 0 or any(line.get("id") == message_id for line in self.recent):
            return self
        line = {**event, "nonce": None}
        recent = sorted((*self.recent, line), key=lambda chat: int(chat.get("id") or 0))
        return dataclasses.replace(self, recent=tuple(recent[-self.limit :]))


@dataclass
class _SharedHello:
    """A room hello and when it was read: the hub's ``hello_generation`` as
    its read began (every event delivered before then is in it) and the
    clock then."""

    generation: int
    read_at: float
    hello: asyncio.Future[RoomHello]

    def done(self) -> RoomHello | None:
        """The hello, once its read has succeeded; None while it runs or after it failed."""
        hello = self.hello
        if not hello.done() or hello.cancelled() or hello.exception() is not None:
            return None
        return hello.result()


@dataclass(eq=False)
class Connection:
    """One viewer's websocket as the hub sees it.

    ``send`` is the socket's ASGI send (the server's own, see
    :class:`ServerSend`): the hub hands every connection the same
    ``websocket.send`` message, built once per frame. Frames are held in the
    backlog until :meth:`open` (the connection's ``hello`` went out), then
    written as they are offered: an eager task runs the send at once, and
    when the socket takes the frame (the usual case) it finishes right
    there, with no task switch and no queue. Only a send that has to wait
    (the socket pushes back) leaves that task behind as the connection's
    writer; frames offered meanwhile wait in the backlog, at most
    ``queue_size`` of them, which the writer drains in order. A viewer whose
    backlog is full is too slow: :meth:`offer` says so and the hub drops it.
    """

    send: Send
    close: Callable[[int], Awaitable[None]]
    user_id: int | None
    viewer_key: str
    queue_size: int = 256
    joined_at: float = field(default_factory=time.monotonic)
    # The room's hello_generation when this connection joined the hub: the
    # shared hellos read since then (or kept current since) are complete for it.
    joined_generation: int = field(init=False, default=0)
    backlog: deque[dict[str, Any]] = field(init=False, default_factory=deque)
    writer: asyncio.Task[None] | None = field(init=False, default=None)
    opened: bool = field(init=False, default=False)
    dropped: bool = field(init=False, default=False)
    left: bool = field(init=False, default=False)
    broken: bool = field(init=False, default=False)
    # Called once when a write fails (the hub then forgets the connection).
    on_broken: Callable[[], None] | None = field(init=False, default=None)

    def offer(self, message: dict[str, Any]) -> bool:
        """Write or queue a frame without waiting; False when this viewer is too slow."""
        if self.dropped or self.broken:
            return True
        writer = self.writer
        if not self.opened or (writer is not None and not writer.done()):
            if len(self.backlog) >= self.queue_size:
                return False
            self.backlog.append(message)
            return True
        self._start_writer(message)
        return True

    def open(self) -> None:
        """The connection's ``hello`` went out: send what waited, then write as offered."""
        self.opened = True
        if self.backlog and not self.broken and (self.writer is None or self.writer.done()):
            self._start_writer(self.backlog.popleft())

    def _start_writer(self, message: dict[str, Any]) -> None:
        # Python 3.12's eager start: the task runs until its first wait, here
        # (3.12 needs the loop named to start eagerly).
        loop = asyncio.get_running_loop()
        self.writer = asyncio.Task(self._write(message), loop=loop, eager_start=True)

    async def _write(self, message: dict[str, Any]) -> None:
        try:
            while True:
                await self.send(message)
                if not self.backlog:
                    return
                message = self.backlog.popleft()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket went away mid-send; the hub forgets it
            self.broken = True
            metrics.FRAMES_DROPPED_GONE.inc(1 + len(self.backlog))
            self.backlog.clear()
            if self.on_broken is not None:
                self.on_broken()
            if client_gone(exc):
                logger.debug("writer of %s stopped: %r", self.viewer_key, exc)
            else:
                logger.exception("writer of %s failed", self.viewer_key)

    async def stop(self) -> None:
        writer = self.writer
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        self.backlog.clear()


class RoomHub:
    """Everything this process does for one room."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.connections: set[Connection] = set()
        # Sockets per viewer: a viewer counts once however many they open
        # (a member's tabs, one address's anonymous sockets: live.consumers).
        self.viewer_sockets: Counter[str] = Counter()
        self.pending: list[Mapping[str, Any]] = []
        self.wakeup = asyncio.Event()
        self.channel: str | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.hearts_sent = -1
        self.viewers_sent = -1
        # The room's open sockets in the other processes, as of the last report.
        self.other_sockets = 0
        # The viewer keys of this process's last report (live.state counts
        # distinct viewers across processes; those gone since are taken out).
        self.reported: set[str] = set()
        self.frames_sent = 0
        self.dropped = 0
        self.broken_seen = False
        self.counted = False  # in the open rooms' gauges (live.metrics)
        # The last event of each (type, id) sent from live.extensions.room_tick_events.
        self.tick_events_sent: dict[tuple[str, Any], Mapping[str, Any]] = {}
        # Redis went away (the hot state failed): when it failed first, the
        # newest chat line this hub had delivered then (the gap is filled from
        # it), the chat lines delivered since (live delivery resumes before the
        # fill runs: those are not sent twice), and the probes in flight of the
        # resubscription check (see _resync).
        self.outage_since: float | None = None
        self.last_chat_id = 0
        self.gap_after_id = 0
        self.delivered_in_gap: set[int] | None = None
        self.probes: dict[str, asyncio.Event] = {}
        # The shared hello (room_hello): one step per delivered event that
        # may change what a hello shows; the newest read, or the read under way.
        self.hello_generation = 0
        self.shared_hello: _SharedHello | None = None
        self.hello_reads = 0

    # --- lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        layer = get_channel_layer()
        if layer is not None:
            self.channel = await layer.new_channel(prefix="live-hub.")
            await layer.group_add(group_name(self.room_id), self.channel)
            self.tasks.append(asyncio.create_task(self._listen(layer), name="live-listen"))
        self.tasks.append(asyncio.create_task(self._flush_loop(), name="live-flush"))
        self.tasks.append(asyncio.create_task(self._totals_loop(), name="live-totals"))
        self.counted = True
        metrics.room_hubs_add(1)

    async def stop(self) -> None:
        if self.counted:
            self.counted = False
            metrics.room_hubs_add(-1)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        layer = get_channel_layer()
        if layer is not None and self.channel is not None:
            with contextlib.suppress(Exception):
                await layer.group_discard(group_name(self.room_id), self.channel)
        try:
            await room_state().report_viewers(
                self.room_id, PROCESS_ID, 0, keys=(), gone=self.reported
            )
            await room_state().report_sockets(self.room_id, PROCESS_ID, 0)
        except Exception as exc:  # Redis away: the report expires by itself
            logger.warning("live room %s could not report its viewers gone: %r", self.room_id, exc)

    # --- connections ----------------------------------------------------------

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        metrics.JOINS.inc()
        connection.joined_generation = self.hello_generation
        self.viewer_sockets[connection.viewer_key] += 1
        if self.viewer_sockets[connection.viewer_key] == 1:
            metrics.viewers_add(1)
        connection.on_broken = self._saw_broken
        # The newcomer has not seen the other apps' tick events: send them again.
        self.tick_events_sent.clear()

    @property
    def viewers(self) -> int:
        """Distinct viewers in this process (not sockets)."""
        return len(self.viewer_sockets)

    async def remove(self, connection: Connection) -> None:
        await self._forget(connection)
        await connection.stop()

    async def _forget(self, connection: Connection) -> None:
        """Take a connection out of the room once, counting its watch time."""
        self.connections.discard(connection)
        if not connection.left:
            connection.left = True
            left = self.viewer_sockets[connection.viewer_key] - 1
            if left > 0:
                self.viewer_sockets[connection.viewer_key] = left
            else:
                del self.viewer_sockets[connection.viewer_key]
                metrics.viewers_add(-1)
            seconds = time.monotonic() - connection.joined_at
            try:
                await room_state().add_watch_seconds(self.room_id, seconds)
            except Exception as exc:  # a lost count must not keep anyone in the room
                logger.warning("live room %s could not count watch time: %r", self.room_id, exc)

    # --- events -----------------------------------------------------------------

    def deliver(self, event: Mapping[str, Any]) -> None:
        """An event for everyone in the room (from any process)."""
        kind = event.get("type")
        if kind == "_probe":
            probe = self.probes.get(str(event.get("token")))
            if probe is not None:
                probe.set()
            return
        if kind == "chat":
            message_id = event.get("id")
            if isinstance(message_id, int):
                self.last_chat_id = max(self.last_chat_id, message_id)
                if self.delivered_in_gap is not None:
                    if message_id in self.delivered_in_gap:
                        return  # the gap's fill and live delivery both had it
                    self.delivered_in_gap.add(message_id)
        if kind not in HELLO_UNCHANGED:
            self._hello_changed(event)
        self.pending.append(event)
        self.wakeup.set()

    # --- the shared hello ---------------------------------------------------------

    async def room_hello(
        self, connection: Connection, read: Callable[[], Awaitable[RoomHello]]
    ) -> RoomHello:
        """The room's part of ``connection``'s hello: the shared one when it
        is complete for the connection, else ``read()`` (the database), shared
        in turn with whoever joins while it stays current.

        Complete means read after the connection joined, or read before but
        with every event delivered since added to it (chat) or none delivered
        that could change it: whatever was delivered after the connection
        joined reaches it as a frame (the hub holds its frames until hello
        went out), so between the two nothing is missed; a chat line both
        read and delivered comes twice (clients dedupe by id), as it always
        could. A read older than ``HELLO_SHARED_SECONDS`` is not used: what
        changes without an event shows that much later."""
        shared = self.shared_hello
        if (
            shared is not None
            and shared.generation >= connection.joined_generation
            and time.monotonic() - shared.read_at < HELLO_SHARED_SECONDS
        ):
            return await asyncio.shield(shared.hello)
        # Its own task: a joiner that leaves mid-read does not cancel the
        # read the others wait for.
        reading = asyncio.ensure_future(read())
        shared = _SharedHello(
            generation=self.hello_generation, read_at=time.monotonic(), hello=reading
        )
        self.shared_hello = shared
        self.hello_reads += 1
        metrics.HELLO_READS.inc()

        def forget_failed(done: asyncio.Future[RoomHello]) -> None:
            if (done.cancelled() or done.exception() is not None) and self.shared_hello is shared:
                self.shared_hello = None  # the next joiner reads again

        reading.add_done_callback(forget_failed)
        return await asyncio.shield(reading)

    def fresh_record(self) -> Any:
        """The room's record (``RoomHello.record``) as the newest shared
        hello read it, if that was less than ``HELLO_SHARED_SECONDS`` ago,
        else None: the room existed then, with that host, which is all a
        joiner's admission asks of it (``live.consumers``). Events do not
        age it (a room's identity is not in them)."""
        shared = self.shared_hello
        if shared is None or time.monotonic() - shared.read_at >= HELLO_SHARED_SECONDS:
            return None
        read = shared.done()
        return read.record if read is not None else None

    def _hello_changed(self, event: Mapping[str, Any]) -> None:
        """An event that may change what a hello shows was delivered: a
        chat line joins the shared hello (when it is read and current);
        anything else leaves it to the connections that joined before."""
        shared = self.shared_hello
        current = shared is not None and shared.generation == self.hello_generation
        self.hello_generation += 1
        if (
            current
            and shared is not None
            and (read := shared.done()) is not None
            and event.get("type") == "chat"
        ):
            hello: asyncio.Future[RoomHello] = asyncio.get_running_loop().create_future()
            hello.set_result(read.with_chat(event))
            self.shared_hello = _SharedHello(self.hello_generation, shared.read_at, hello)

    # --- Redis restarts -----------------------------------------------------------

    def _redis_failed(self) -> bool:
        """The hot state failed: Redis (which also carries the channel layer)
        is away. True the first time, to log it once per outage."""
        if self.outage_since is not None:
            return False
        self.outage_since = time.time()
        if self.delivered_in_gap is None:  # not still filling the last outage
            self.gap_after_id = self.last_chat_id
            self.delivered_in_gap = set()
        return True

    def _redis_back(self) -> None:
        """The hot state answers again: check the subscription and fill the
        chat the room's kept connections missed meanwhile."""
        if self.outage_since is None:
            return
        since, self.outage_since = self.outage_since, None
        logger.warning("live room %s: Redis answers again; resubscribing", self.room_id)
        task = asyncio.get_running_loop().create_task(self._resync(since))
        self.tasks.append(task)
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self.tasks.remove(task)

    async def _resync(self, since: float) -> None:
        """After Redis came back (empty: a restart loses every subscription
        and buffer): subscribe the room again, wait until a probe published
        to the room comes back through it (from then on nothing is missed),
        then deliver the chat lines written since shortly before the outage
        that this hub had not delivered: events published while it was not
        subscribed are gone from Redis, but every chat line is in the
        database (the room's recent buffer). Clients dedupe by id, so a line
        that came both ways is shown once."""
        layer = get_channel_layer()
        if layer is not None and self.channel is not None:
            token = uuid.uuid4().hex
            probe = self.probes[token] = asyncio.Event()
            try:
                for _ in range(PROBE_TRIES):
                    try:
                        # The pub/sub layer resubscribes by itself on reconnect;
                        # adding the group again is harmless and covers a layer
                        # that keeps its groups in Redis (lost in a restart).
                        await layer.group_add(group_name(self.room_id), self.channel)
                        await layer.group_send(
                            group_name(self.room_id),
                            {"type": LAYER_MESSAGE, "event": {"type": "_probe", "token": token}},
                        )
                        await asyncio.wait_for(probe.wait(), PROBE_SECONDS)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # still down, or not yet resubscribed
                        logger.debug("live room %s probe: %r", self.room_id, exc)
                        await asyncio.sleep(PROBE_SECONDS / 2)
                else:
                    logger.warning("live room %s: no probe came back", self.room_id)
            finally:
                self.probes.pop(token, None)
        try:
            await self._fill_gap(since)
        finally:
            self.delivered_in_gap = None

    async def _fill_gap(self, since: float) -> None:
        """Deliver the chat lines newer than the last one this hub had
        delivered when Redis failed (not the newest it has delivered now:
        lines said after the restart may already have come through the new
        subscription, and the gap's lines are older than them)."""
        if missed_chat is None:
            return
        from_time = datetime.fromtimestamp(since - GAP_SLACK_SECONDS, tz=UTC)
        try:
            missed = await database_sync_to_async(missed_chat)(
                self.room_id, after_id=self.gap_after_id, since=from_time
            )
        except Exception:
            logger.exception("live room %s could not fill the chat it missed", self.room_id)
            return
        filled = 0
        for event in missed:
            seen = self.delivered_in_gap
            if seen is None or int(event.get("id") or 0) not in seen:
                filled += 1
            self.deliver(event)
        logger.warning("live room %s resubscribed; %d chat lines filled", self.room_id, filled)

    async def _listen(self, layer: Any) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("live hub of room %s lost its subscription", self.room_id)
                await asyncio.sleep(1)
                continue
            if message.get("type") != LAYER_MESSAGE:
                continue
            event = message.get("event")
            if isinstance(event, dict):
                self.deliver(event)
            for event in message.get("events") or ():  # publish_many's
                if isinstance(event, dict):
                    self.deliver(event)

    def tick(self) -> float:
        """Seconds between frames: ``SPROUT_LIVE_TICK_SECONDS``, longer in a
        room big enough that one frame per socket per tick would cost more
        than ``SPROUT_LIVE_ROOM_FRAMES_PER_SECOND``, up to
        ``SPROUT_LIVE_LONGEST_TICK_SECONDS``; longer still only where this
        process's own sockets would cost it more than
        ``SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND`` at that tick.

        The room is its sockets over every process (this one's own count at
        once, the others' as of their last report), so a room split over
        processes ticks as one room would and each process pays its share
        of the frames: adding processes adds no cost per event, and past
        the longest tick they buy a room too big for one process its
        latency."""
        shortest = _setting("SPROUT_LIVE_TICK_SECONDS", 0.05)
        longest = _setting("SPROUT_LIVE_LONGEST_TICK_SECONDS", LONGEST_TICK_SECONDS)
        budget = _setting("SPROUT_LIVE_ROOM_FRAMES_PER_SECOND", ROOM_FRAMES_PER_SECOND)
        ceiling = _setting("SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND", PROCESS_FRAMES_PER_SECOND)
        own = len(self.connections)
        room = (own + self.other_sockets) / budget
        return max(shortest, min(room, longest), own / ceiling)

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wakeup.wait()
            # Send on the tick's clock: whatever arrives until the next tick
            # goes out as one frame (half a tick of wait on average).
            tick = self.tick()
            await asyncio.sleep(tick - loop.time() % tick)
            self.wakeup.clear()
            events, self.pending = self.pending, []
            if not events:
                continue
            try:
                await self._fan_out(events)
            except asyncio.CancelledError:
                raise
            except Exception:  # this tick is lost, not the room
                logger.exception("live fan-out of room %s failed", self.room_id)

    async def _totals_loop(self) -> None:
        hearts_every = _setting("SPROUT_LIVE_HEARTS_SECONDS", 0.25)
        viewers_every = _setting("SPROUT_LIVE_VIEWERS_SECONDS", 1.0)
        state = room_state()
        last_viewers = 0.0
        while True:
            await asyncio.sleep(hearts_every)
            try:
                totals: list[dict[str, Any]] = []
                hearts = await state.hearts(self.room_id)
                if hearts != self.hearts_sent:
                    self.hearts_sent = hearts
                    totals.append({"type": "hearts", "total": hearts})
                now = time.monotonic()
                if now - last_viewers >= viewers_every:
                    last_viewers = now
                    await self._forget_broken()
                    keys = set(self.viewer_sockets)
                    viewers = await state.report_viewers(
                        self.room_id, PROCESS_ID, len(keys), keys=keys, gone=self.reported - keys
                    )
                    self.reported = keys
                    sockets = len(self.connections)
                    room_sockets = await state.report_sockets(self.room_id, PROCESS_ID, sockets)
                    self.other_sockets = max(0, room_sockets - sockets)
                    if viewers != self.viewers_sent:
                        self.viewers_sent = viewers
                        totals.append({"type": "viewers", "count": viewers})
                totals.extend(await self._tick_events())
                if totals:
                    # Totals ride in the next tick's frame, with its chat if any:
                    # one frame per viewer instead of two.
                    self.pending.extend(totals)
                    self.wakeup.set()
                self._redis_back()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Once per outage, not four times a second.
                if self._redis_failed():
                    logger.warning("live totals of room %s failed: %r", self.room_id, exc)

    async def _tick_events(self) -> list[dict[str, Any]]:
        """The other apps' events for this tick (``room_tick_events``), those
        that changed since they were last sent."""
        changed: list[dict[str, Any]] = []
        for contribution in room_tick_events:
            try:
                events = await contribution(self.room_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # one app's failure must not stop the room's totals
                logger.exception("a tick contribution to room %s failed", self.room_id)
                continue
            for event in events:
                key = (str(event.get("type")), event.get("id"))
                if self.tick_events_sent.get(key) != event:
                    self.tick_events_sent[key] = event
                    changed.append(dict(event))
        return changed

    async def _fan_out(self, events: list[Mapping[str, Any]]) -> None:
        closing = [e for e in events if e.get("type") == "_close_user"]
        visible = [e for e in events if not e.get("type", "").startswith("_")]
        if visible:
            frame = dumps(visible[0] if len(visible) == 1 else {"type": "batch", "events": visible})
            message = {"type": "websocket.send", "text": frame}  # one for every socket
            laggards = [c for c in self.connections if not c.offer(message)]
            sent = len(self.connections) - len(laggards)
            self.frames_sent += sent
            metrics.FRAMES_SENT.inc(sent)  # one step per tick, whatever the room's size
            for connection in laggards:
                await self._drop(connection)
            await self._forget_broken()
        for event in closing:
            targets = [c for c in self.connections if c.user_id == event.get("user_id")]
            for connection in targets:
                await self._close(connection, int(event.get("code", 4003)))

    def _saw_broken(self) -> None:
        self.broken_seen = True

    async def _forget_broken(self) -> None:
        """Connections whose socket failed under a write are gone whatever
        their consumer does next: out of the room, and out of its counts.
        (Scanned only after a write failed: a tick costs nothing more.)"""
        if not self.broken_seen:
            return
        self.broken_seen = False
        broken = [c for c in self.connections if c.broken]
        for connection in broken:
            await self._forget(connection)
        if broken and not self.connections:
            # Nobody is left to leave: the registry stops the empty hub (in a
            # task of its own, since stopping cancels this hub's loops).
            task = asyncio.get_running_loop().create_task(hubs().stop_if_empty(self))
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def _drop(self, connection: Connection) -> None:
        """A viewer too slow to keep up: disconnect and count, never wait."""
        connection.dropped = True
        self.dropped += 1
        # The frame it could not take, and those waiting in its backlog.
        metrics.FRAMES_DROPPED_SLOW.inc(1 + len(connection.backlog))
        metrics.SLOW_VIEWERS_DROPPED.inc()
        await self._close(connection, CLOSE_TOO_SLOW)
        try:
            await room_state().count_dropped(self.room_id)
        except Exception:
            logger.exception("live room %s could not count a dropped viewer", self.room_id)

    async def _close(self, connection: Connection, code: int) -> None:
        self.connections.discard(connection)
        await connection.stop()
        with contextlib.suppress(Exception):
            await connection.close(code)
        await self._forget(connection)


class HubRegistry:
    """The hubs of this process, created on the first viewer of a room and
    stopped when its last viewer leaves."""

    def __init__(self) -> None:
        self.hubs: dict[int, RoomHub] = {}
        self._lock = asyncio.Lock()

    async def join(self, room_id: int, connection: Connection) -> RoomHub:
        async with self._lock:
            hub = self.hubs.get(room_id)
            if hub is None:
                hub = RoomHub(room_id)
                await hub.start()
                self.hubs[room_id] = hub
            hub.add(connection)
        try:
            await room_state().add_unique_viewer(room_id, connection.viewer_key)
        except Exception as exc:  # Redis away: a lost count must not keep anyone out
            logger.warning("live room %s could not count a unique viewer: %r", room_id, exc)
        return hub

    async def leave(self, room_id: int, connection: Connection) -> None:
        async with self._lock:
            hub = self.hubs.get(room_id)
            if hub is None:
                return
            await hub.remove(connection)
            if not hub.connections:
                del self.hubs[room_id]
                await hub.stop()

    async def stop_if_empty(self, hub: RoomHub) -> None:
        """Stop ``hub`` if it is still this process's hub of its room and
        nobody is in it."""
        async with self._lock:
            if self.hubs.get(hub.room_id) is hub and not hub.connections:
                del self.hubs[hub.room_id]
                await hub.stop()


_registries: dict[int, HubRegistry] = {}
_background: set[asyncio.Task[None]] = set()


def hubs() -> HubRegistry:
    """This process's (and this event loop's) hub registry."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(id(loop))
    if registry is None:
        registry = _registries[id(loop)] = HubRegistry()
    return registry


async def publish(room_id: int, event: Mapping[str, Any]) -> None:
    """Send an event to everyone in the room, in every process."""
    layer = get_channel_layer()
    if layer is None:
        hub = hubs().hubs.get(room_id)
        if hub is not None:
            hub.deliver(event)
        return
    await layer.group_send(group_name(room_id), {"type": LAYER_MESSAGE, "event": event})


async def publish_many(room_id: int, events: Sequence[Mapping[str, Any]]) -> None:
    """:func:`publish` for several events at once, in order: one message on
    the channel layer (one Redis ``PUBLISH``) whatever their number (a batch
    of gifts in one room)."""
    layer = get_channel_layer()
    if layer is None:
        hub = hubs().hubs.get(room_id)
        if hub is not None:
            for event in events:
                hub.deliver(event)
        return
    await layer.group_send(group_name(room_id), {"type": LAYER_MESSAGE, "events": list(events)})


def publish_sync(room_id: int, event: Mapping[str, Any]) -> None:
    """:func:`publish` from sync code (``live.events.room_event_send_on_commit``,
    after the commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(room_id), {"type": LAYER_MESSAGE, "event": event})


def close_user_sync(room_id: int, user_id: int, code: int = 4003) -> None:
    """Disconnect a member's connections to a room in every process (a ban)."""
    publish_sync(room_id, {"type": "_close_user", "user_id": user_id, "code": code})
