"""Hot per-room state shared by every process serving a room: hearts, who is
watching, unique viewers, rate limits, slow mode, single-use tickets.

Two implementations behind one async interface: Redis in production and in
the PostgreSQL test pass (``REDIS_URL`` set), process memory for the embedded
default (``make run``: one process, so memory *is* shared state). Nothing here
is a source of truth for money or for history: it is folded into
``LiveSession`` when a broadcast ends.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from django.conf import settings

VIEWER_TTL_SECONDS = 15
_PEAK_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local candidate = tonumber(ARGV[1])
if candidate > current then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return math.max(current, candidate)
"""


class RoomState(Protocol):
    async def add_hearts(self, room_id: int, count: int) -> int: ...
    async def hearts(self, room_id: int) -> int: ...
    def hearts_by_second_sync(self, room_id: int) -> dict[int, int]: ...
    async def report_viewers(
        self,
        room_id: int,
        process: str,
        count: int,
        keys: Collection[str] | None = None,
        gone: Collection[str] = (),
    ) -> int: ...
    async def report_sockets(self, room_id: int, process: str, sockets: int) -> int: ...
    async def viewers(self, room_id: int) -> int: ...
    async def peak_viewers(self, room_id: int) -> int: ...
    async def add_unique_viewer(self, room_id: int, viewer_key: str) -> None: ...
    async def unique_viewers(self, room_id: int) -> int: ...
    async def add_watch_seconds(self, room_id: int, seconds: float) -> None: ...
    async def watch_seconds(self, room_id: int) -> int: ...
    async def count_message(self, room_id: int) -> None: ...
    async def messages(self, room_id: int) -> int: ...
    async def count_dropped(self, room_id: int) -> None: ...
    async def dropped(self, room_id: int) -> int: ...
    async def hit_rate_limit(self, key: str, limit: int, window_seconds: int) -> bool: ...
    async def claim_slow_mode(self, room_id: int, user_id: int, seconds: int) -> bool: ...
    async def store_ticket(self, ticket: str, payload: str, ttl_seconds: int) -> None: ...
    async def take_ticket(self, ticket: str) -> str | None: ...
    def store_ticket_sync(self, ticket: str, payload: str, ttl_seconds: int) -> None: ...
    async def reset_room(self, room_id: int) -> None: ...
    def snapshot(self, room_id: int) -> dict[str, int]: ...
    def clear(self, room_id: int) -> None: ...
    def live_counts_sync(self, room_ids: Sequence[int]) -> dict[int, dict[str, int]]: ...


COUNTERS = ("hearts", "peak", "unique", "watch", "messages", "dropped")
# The hearts of each second (epoch second -> hearts), for the replay's
# timeline: folded into HeartsMark rows when the session ends.
HEARTS_AT = "hearts_at"
# Cleared with the counters when a session starts, so the last broadcast's
# viewer reports cannot inflate the new one's peak.
SESSION_KEYS = (*COUNTERS, HEARTS_AT, "viewers", "present")


def _places(process: str, count: int, start: int = 0) -> list[str]:
    """Stand-in viewer keys for a report that gives only a number."""
    return [f"{process}#{number}" for number in range(start, count)]


def _report(value: Any) -> tuple[int, float]:
    """``(count, time)`` of a process's ``count:time`` report in one of a
    room's per-process hashes (viewers, sockets)."""
    count, _, stamp = str(value).partition(":")
    return int(count or 0), float(stamp or 0)


def _key(room_id: int, name: str) -> str:
    return f"live:room:{room_id}:{name}"


class RedisRoomState:
    """Counters in Redis keys that expire a day after their last change."""

    KEEP_SECONDS = 86_400

    def __init__(self, url: str) -> None:
        import redis as sync_redis
        import redis.asyncio as redis

        self._url = url
        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._peak = self._redis.register_script(_PEAK_SCRIPT)
        # Sync callers (the ingest callbacks ending a session) use their own
        # client: an asyncio client belongs to the event loop that made it.
        self._sync = sync_redis.Redis.from_url(url, decode_responses=True)

    async def add_hearts(self, room_id: int, count: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incrby(_key(room_id, "hearts"), count)
        pipe.expire(_key(room_id, "hearts"), self.KEEP_SECONDS)
        pipe.hincrby(_key(room_id, HEARTS_AT), str(int(time.time())), count)
        pipe.expire(_key(room_id, HEARTS_AT), self.KEEP_SECONDS)
        total, *_ = await pipe.execute()
        return int(total)

    async def hearts(self, room_id: int) -> int:
        return int(await self._redis.get(_key(room_id, "hearts")) or 0)

    def hearts_by_second_sync(self, room_id: int) -> dict[int, int]:
        """The hearts of each second of the session so far (epoch second ->
        hearts), for sync readers (ending a session)."""
        buckets = self._sync.hgetall(_key(room_id, HEARTS_AT))
        return {int(second): int(count) for second, count in buckets.items()}

    async def report_viewers(
        self,
        room_id: int,
        process: str,
        count: int,
        keys: Collection[str] | None = None,
        gone: Collection[str] = (),
    ) -> int:
        """Record who watches through this process and return how many
        distinct viewers the room has across processes.

        ``keys`` are this process's viewers (``live.hub``: one key per
        member or address); without them, ``count`` places of this process.
        Each key is kept with the time of the last report naming it, and
        counts until ``VIEWER_TTL_SECONDS`` after it: a process that dies
        stops counting then, and a viewer counts once however many
        processes name them. So when a worker is killed, the viewers who
        reconnect to another count once at once, not twice until the dead
        worker's report expires; a member's tabs on two processes count
        once. ``gone``: keys this process named before and no longer has,
        taken out now rather than at expiry. The per-process numbers stay
        in the ``viewers`` hash (how many each process serves)."""
        per_process, present = _key(room_id, "viewers"), _key(room_id, "present")
        now = time.time()
        if keys is None:
            previous = await self._redis.hget(per_process, process)
            before = _report(previous)[0] if previous else 0
            keys, gone = _places(process, count), _places(process, before, count)
        pipe = self._redis.pipeline()
        pipe.hset(per_process, process, f"{len(keys)}:{now}")
        pipe.expire(per_process, self.KEEP_SECONDS)
        pipe.hgetall(per_process)
        if gone:
            pipe.zrem(present, *gone)
        if keys:
            pipe.zadd(present, dict.fromkeys(keys, now))
        pipe.zremrangebyscore(present, "-inf", now - VIEWER_TTL_SECONDS)
        pipe.zcard(present)
        pipe.expire(present, self.KEEP_SECONDS)
        replies = await pipe.execute()
        entries, total = replies[2], int(replies[-2])
        stale = [
            field
            for field, value in entries.items()
            if now - _report(value)[1] > VIEWER_TTL_SECONDS
        ]
        if stale:
            await self._redis.hdel(per_process, *stale)
        await self._peak(keys=[_key(room_id, "peak")], args=[total, self.KEEP_SECONDS])
        return total

    async def report_sockets(self, room_id: int, process: str, sockets: int) -> int:
        """Record how many sockets this process holds open in the room and
        return the room's sockets across processes (a report older than
        ``VIEWER_TTL_SECONDS`` no longer counts: its process is gone).
        Distinct viewers are what a room shows; sockets are what its frames
        cost (``live.hub``: the room's tick)."""
        key, now = _key(room_id, "sockets"), time.time()
        pipe = self._redis.pipeline()
        pipe.hset(key, process, f"{sockets}:{now}")
        pipe.expire(key, self.KEEP_SECONDS)
        pipe.hgetall(key)
        reports = {field: _report(value) for field, value in (await pipe.execute())[-1].items()}
        stale = [field for field, (_, stamp) in reports.items() if now - stamp > VIEWER_TTL_SECONDS]
        total = sum(count for field, (count, _) in reports.items() if field not in stale)
        if stale:
            await self._redis.hdel(key, *stale)
        return total

    async def viewers(self, room_id: int) -> int:
        since = time.time() - VIEWER_TTL_SECONDS
        return int(await self._redis.zcount(_key(room_id, "present"), since, "+inf"))

    async def peak_viewers(self, room_id: int) -> int:
        return int(await self._redis.get(_key(room_id, "peak")) or 0)

    async def add_unique_viewer(self, room_id: int, viewer_key: str) -> None:
        pipe = self._redis.pipeline()
        pipe.pfadd(_key(room_id, "unique"), viewer_key)
        pipe.expire(_key(room_id, "unique"), self.KEEP_SECONDS)
        await pipe.execute()

    async def unique_viewers(self, room_id: int) -> int:
        return int(await self._redis.pfcount(_key(room_id, "unique")))

    async def add_watch_seconds(self, room_id: int, seconds: float) -> None:
        pipe = self._redis.pipeline()
        pipe.incrbyfloat(_key(room_id, "watch"), seconds)
        pipe.expire(_key(room_id, "watch"), self.KEEP_SECONDS)
        await pipe.execute()

    async def watch_seconds(self, room_id: int) -> int:
        return int(float(await self._redis.get(_key(room_id, "watch")) or 0))

    async def count_message(self, room_id: int) -> None:
        pipe = self._redis.pipeline()
        pipe.incr(_key(room_id, "messages"))
        pipe.expire(_key(room_id, "messages"), self.KEEP_SECONDS)
        await pipe.execute()

    async def messages(self, room_id: int) -> int:
        return int(await self._redis.get(_key(room_id, "messages")) or 0)

    async def count_dropped(self, room_id: int) -> None:
        pipe = self._redis.pipeline()
        pipe.incr(_key(room_id, "dropped"))
        pipe.expire(_key(room_id, "dropped"), self.KEEP_SECONDS)
        await pipe.execute()

    async def dropped(self, room_id: int) -> int:
        return int(await self._redis.get(_key(room_id, "dropped")) or 0)

    async def hit_rate_limit(self, key: str, limit: int, window_seconds: int) -> bool:
        """Fixed-window counter: True when this hit goes over ``limit``."""
        bucket = f"live:rate:{key}:{int(time.time() // window_seconds)}"
        pipe = self._redis.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, window_seconds + 1)
        count, _ = await pipe.execute()
        return int(count) > limit

    async def claim_slow_mode(self, room_id: int, user_id: int, seconds: int) -> bool:
        """True when the member may speak now (and starts their wait)."""
        if seconds <= 0:
            return True
        return bool(
            await self._redis.set(_key(room_id, f"slow:{user_id}"), "1", nx=True, ex=seconds)
        )

    async def store_ticket(self, ticket: str, payload: str, ttl_seconds: int) -> None:
        await self._redis.set(f"live:ticket:{ticket}", payload, ex=ttl_seconds)

    async def take_ticket(self, ticket: str) -> str | None:
        """Atomically read and delete: a ticket works once."""
        value = await self._redis.getdel(f"live:ticket:{ticket}")
        return str(value) if value is not None else None

    def store_ticket_sync(self, ticket: str, payload: str, ttl_seconds: int) -> None:
        """:meth:`store_ticket` for sync callers (the ticket API view)."""
        self._sync.set(f"live:ticket:{ticket}", payload, ex=ttl_seconds)

    async def reset_room(self, room_id: int) -> None:
        await self._redis.delete(*[_key(room_id, name) for name in SESSION_KEYS])

    def snapshot(self, room_id: int) -> dict[str, int]:
        """The session's counters so far, read synchronously."""
        pipe = self._sync.pipeline()
        for name in ("hearts", "peak", "watch", "messages", "dropped"):
            pipe.get(_key(room_id, name))
        pipe.pfcount(_key(room_id, "unique"))
        hearts, peak, watch, messages, dropped, unique = pipe.execute()
        return {
            "hearts": int(hearts or 0),
            "peak_viewers": int(peak or 0),
            "watch_seconds": int(float(watch or 0)),
            "chat_messages": int(messages or 0),
            "dropped_connections": int(dropped or 0),
            "unique_viewers": int(unique or 0),
        }

    def clear(self, room_id: int) -> None:
        self._sync.delete(*[_key(room_id, name) for name in SESSION_KEYS])

    def live_counts_sync(self, room_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """``{room id: {"viewers", "hearts"}}`` for many rooms in one round
        trip, for sync readers (the REST API, the admin, pages)."""
        if not room_ids:
            return {}
        since = time.time() - VIEWER_TTL_SECONDS
        pipe = self._sync.pipeline()
        for room_id in room_ids:
            pipe.zcount(_key(room_id, "present"), since, "+inf")
            pipe.get(_key(room_id, "hearts"))
        replies = pipe.execute()
        counts = {}
        for index, room_id in enumerate(room_ids):
            viewers, hearts = replies[2 * index], replies[2 * index + 1]
            counts[room_id] = {"viewers": int(viewers or 0), "hearts": int(hearts or 0)}
        return counts


class LocalRoomState:
    """The same counters in this process (the embedded default: one process)."""

    def __init__(self) -> None:
        self._counters: dict[str, float] = defaultdict(float)
        # Per room: viewer key -> when a process last named it (see RedisRoomState).
        self._present: dict[int, dict[str, float]] = defaultdict(dict)
        self._counts: dict[int, dict[str, int]] = defaultdict(dict)
        # Per room: process -> (its open sockets, when it said so).
        self._sockets: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
        self._unique: dict[int, set[str]] = defaultdict(set)
        self._hearts_at: dict[int, dict[int, int]] = defaultdict(dict)
        self._expiring: dict[str, tuple[Any, float]] = {}
        self._lock = asyncio.Lock()

    def _add(self, key: str, amount: float) -> float:
        self._counters[key] += amount
        return self._counters[key]

    async def add_hearts(self, room_id: int, count: int) -> int:
        buckets, second = self._hearts_at[room_id], int(time.time())
        buckets[second] = buckets.get(second, 0) + count
        return int(self._add(_key(room_id, "hearts"), count))

    async def hearts(self, room_id: int) -> int:
        return int(self._counters[_key(room_id, "hearts")])

    def hearts_by_second_sync(self, room_id: int) -> dict[int, int]:
        return dict(self._hearts_at.get(room_id, {}))

    async def report_viewers(
        self,
        room_id: int,
        process: str,
        count: int,
        keys: Collection[str] | None = None,
        gone: Collection[str] = (),
    ) -> int:
        if keys is None:
            before = self._counts[room_id].get(process, 0)
            keys, gone = _places(process, count), _places(process, before, count)
        self._counts[room_id][process] = len(keys)
        present = self._present[room_id]
        now = time.time()
        for key in gone:
            present.pop(key, None)
        present.update(dict.fromkeys(keys, now))
        for key in [k for k, stamp in present.items() if now - stamp > VIEWER_TTL_SECONDS]:
            del present[key]
        total = len(present)
        peak = _key(room_id, "peak")
        self._counters[peak] = max(self._counters[peak], total)
        return total

    async def report_sockets(self, room_id: int, process: str, sockets: int) -> int:
        now = time.time()
        reports = self._sockets[room_id]
        reports[process] = (sockets, now)
        for stale in [p for p, (_, stamp) in reports.items() if now - stamp > VIEWER_TTL_SECONDS]:
            del reports[stale]
        return sum(count for count, _ in reports.values())

    async def viewers(self, room_id: int) -> int:
        return self._fresh(room_id, time.time())

    def _fresh(self, room_id: int, now: float) -> int:
        present = self._present.get(room_id, {})
        return sum(1 for stamp in present.values() if now - stamp <= VIEWER_TTL_SECONDS)

    async def peak_viewers(self, room_id: int) -> int:
        return int(self._counters[_key(room_id, "peak")])

    async def add_unique_viewer(self, room_id: int, viewer_key: str) -> None:
        self._unique[room_id].add(viewer_key)

    async def unique_viewers(self, room_id: int) -> int:
        return len(self._unique[room_id])

    async def add_watch_seconds(self, room_id: int, seconds: float) -> None:
        self._add(_key(room_id, "watch"), seconds)

    async def watch_seconds(self, room_id: int) -> int:
        return int(self._counters[_key(room_id, "watch")])

    async def count_message(self, room_id: int) -> None:
        self._add(_key(room_id, "messages"), 1)

    async def messages(self, room_id: int) -> int:
        return int(self._counters[_key(room_id, "messages")])

    async def count_dropped(self, room_id: int) -> None:
        self._add(_key(room_id, "dropped"), 1)

    async def dropped(self, room_id: int) -> int:
        return int(self._counters[_key(room_id, "dropped")])

    def _alive(self, key: str) -> Any:
        entry = self._expiring.get(key)
        if entry is None or entry[1] < time.monotonic():
            self._expiring.pop(key, None)
            return None
        return entry[0]

    async def hit_rate_limit(self, key: str, limit: int, window_seconds: int) -> bool:
        bucket = f"rate:{key}:{int(time.time() // window_seconds)}"
        count = (self._alive(bucket) or 0) + 1
        self._expiring[bucket] = (count, time.monotonic() + window_seconds + 1)
        return bool(count > limit)

    async def claim_slow_mode(self, room_id: int, user_id: int, seconds: int) -> bool:
        if seconds <= 0:
            return True
        key = f"slow:{room_id}:{user_id}"
        if self._alive(key) is not None:
            return False
        self._expiring[key] = (1, time.monotonic() + seconds)
        return True

    async def store_ticket(self, ticket: str, payload: str, ttl_seconds: int) -> None:
        self._expiring[f"ticket:{ticket}"] = (payload, time.monotonic() + ttl_seconds)

    async def take_ticket(self, ticket: str) -> str | None:
        async with self._lock:
            value = self._alive(f"ticket:{ticket}")
            self._expiring.pop(f"ticket:{ticket}", None)
        return None if value is None else str(value)

    def store_ticket_sync(self, ticket: str, payload: str, ttl_seconds: int) -> None:
        self._expiring[f"ticket:{ticket}"] = (payload, time.monotonic() + ttl_seconds)

    async def reset_room(self, room_id: int) -> None:
        self.clear(room_id)

    def snapshot(self, room_id: int) -> dict[str, int]:
        counters = self._counters
        return {
            "hearts": int(counters.get(_key(room_id, "hearts"), 0)),
            "peak_viewers": int(counters.get(_key(room_id, "peak"), 0)),
            "watch_seconds": int(counters.get(_key(room_id, "watch"), 0)),
            "chat_messages": int(counters.get(_key(room_id, "messages"), 0)),
            "dropped_connections": int(counters.get(_key(room_id, "dropped"), 0)),
            "unique_viewers": len(self._unique.get(room_id, ())),
        }

    def clear(self, room_id: int) -> None:
        for name in COUNTERS:
            self._counters.pop(_key(room_id, name), None)
        self._unique.pop(room_id, None)
        self._hearts_at.pop(room_id, None)
        self._present.pop(room_id, None)
        self._counts.pop(room_id, None)

    def live_counts_sync(self, room_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """``{room id: {"viewers", "hearts"}}``, for sync readers."""
        now = time.time()
        return {
            room_id: {
                "viewers": self._fresh(room_id, now),
                "hearts": int(self._counters.get(_key(room_id, "hearts"), 0)),
            }
            for room_id in room_ids
        }


_state: RoomState | None = None


def room_state() -> RoomState:
    """The process's state backend, chosen by ``REDIS_URL``."""
    global _state
    if _state is None:
        url = getattr(settings, "REDIS_URL", "")
        _state = RedisRoomState(url) if url else LocalRoomState()
    return _state


def reset_room_state_backend() -> None:
    """Forget the backend (tests switch settings or event loops)."""
    global _state
    _state = None
