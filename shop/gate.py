"""The flash sale's gate ("seckill"): an atomic counter of the units still
to be claimed, in front of the database's record (``FlashSale.remaining``).

A buyer first takes a *ticket* here; only ticket holders go on to
``order_place`` and the database. Once the counter is at zero every further
buyer is answered ``sold_out`` from here, with no database query and no
write (``docs/performance.md``, "Flash sales", has the measurements).

Per sale the gate keeps:

- ``left``: tickets still to hand out;
- the holders: per buyer, the idempotency key of the request that took the
  ticket and when it took it, and per key its buyer. One ticket per buyer per
  sale: a second request with another key is refused while the first holds
  one; a retry with the *same* key goes on (it replays the first order).

In front of Django, the HTTP edge (``shop.edge``) *admits* requests before
anyone knows the buyer (:meth:`RedisFlashGate.admit`): an admission takes a
unit from ``left`` for the request's key, the request goes on to Django, and
the buy path turns the admission into the buyer's ticket (or gives it back:
the buyer already holds one, or the request failed before). So at most
``left`` requests ever reach the database, however many arrive at once.

A ticket goes back (:meth:`FlashGate.give_back`) when the order could not be
placed (payment failed, the database said sold out). Orders released later
(payment failure, reservation timeout, cancel: ``shop.services.orders``)
put their unit back in ``FlashSale.remaining``; :meth:`FlashGate.sync`
(``shop.services.flash.flash_sale_gate_sync``) then sets ``left`` to the
database's ``remaining`` minus the tickets in flight (held, recent, and not
yet an order in the database) and forgets the holders whose order was
released, so that they may buy again.

Two implementations behind one interface, chosen by ``REDIS_URL`` as
``live.state`` is:

- :class:`RedisFlashGate`: each operation is one Lua script, atomic across
  every process and server;
- :class:`CacheFlashGate`: the embedded default (``make run``: SQLite,
  locmem cache), the same state in the Django cache under a process lock.
  Correct within one process, which is what the embedded server is; with
  several processes and no Redis the gate may let a few too many buyers
  through, and the database's conditional update still sells exactly the
  quantity (the gate is for speed; the record is the database).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol, cast

from django.conf import settings
from django.core.cache import cache


class Take(IntEnum):
    """What :meth:`FlashGate.take` answers."""

    UNKNOWN = -1  # the gate has no counter for the sale: sync it, then ask again
    SOLD_OUT = 0
    TAKEN = 1  # a new ticket
    HELD = 2  # this buyer already holds a ticket taken with this same key (a retry)
    HELD_OTHER = 3  # this buyer holds a ticket taken with another key


@dataclass(frozen=True)
class Peek:
    """The gate as a request that does not know its buyer yet sees it."""

    known: bool  # the gate has a counter for the sale
    left: int
    key_held: bool  # some buyer holds a ticket taken with this key


@dataclass(frozen=True)
class Holder:
    buyer_id: int
    key: str
    taken_at: float


class Admit(IntEnum):
    """What :meth:`RedisFlashGate.admit` answers (the HTTP edge)."""

    UNKNOWN = -1  # no counter or no description of the sale: let Django answer
    NOT_STARTED = -2
    ENDED = -3
    SOLD_OUT = 0
    ADMITTED = 1  # a unit taken for this key: Django turns it into a ticket
    KEY_KNOWN = 2  # a ticket or admission with this key exists: a retry, let Django answer


class FlashGate(Protocol):
    def take(self, sale_id: int, buyer_id: int, key: str) -> Take: ...
    def release_admission(self, sale_id: int, key: str) -> bool: ...
    def peek(self, sale_id: int, key: str) -> Peek: ...
    def left(self, sale_id: int) -> int | None: ...
    def holder(self, sale_id: int, buyer_id: int) -> Holder | None: ...
    def holders(self, sale_id: int) -> list[Holder]: ...
    def give_back(self, sale_id: int, buyer_id: int, key: str) -> bool: ...
    def sync(
        self,
        sale_id: int,
        *,
        remaining: int,
        active_buyers: set[int],
        stale_before: float,
        ttl_seconds: int,
        meta: str = "",
    ) -> int: ...


def _key(sale_id: int, name: str) -> str:
    return f"shop:flash:{sale_id}:{name}"


# --- Redis -------------------------------------------------------------------------------

# Holders hash fields: u:<buyer> = key, t:<buyer> = when taken, k:<key> =
# buyer, or "a:<when>" for an admission of the edge not yet a ticket.

# KEYS: left, holders. ARGV: buyer, key, now.
_TAKE = """
local held = redis.call('HGET', KEYS[2], 'u:' .. ARGV[1])
local by_key = redis.call('HGET', KEYS[2], 'k:' .. ARGV[2])
local admitted = by_key and string.sub(by_key, 1, 2) == 'a:'
if held then
  if held == ARGV[2] then return 2 end
  if admitted then
    redis.call('HDEL', KEYS[2], 'k:' .. ARGV[2])
    if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1]) end
  end
  return 3
end
if admitted then
  redis.call('HSET', KEYS[2], 'u:' .. ARGV[1], ARGV[2], 't:' .. ARGV[1], ARGV[3],
             'k:' .. ARGV[2], ARGV[1])
  return 1
end
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('HSET', KEYS[2], 'u:' .. ARGV[1], ARGV[2], 't:' .. ARGV[1], ARGV[3],
           'k:' .. ARGV[2], ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[2], ttl) end
return 1
"""

# KEYS: left, holders, meta ("<starts> <ends> <cancelled 0/1>", epoch seconds).
# ARGV: key, now.
_ADMIT = """
local meta = redis.call('GET', KEYS[3])
if not meta then return -1 end
local starts, ends, cancelled = string.match(meta, '^(%S+) (%S+) (%S+)$')
local now = tonumber(ARGV[2])
if cancelled == '1' or now >= tonumber(ends) then return -3 end
if now < tonumber(starts) then return -2 end
if redis.call('HEXISTS', KEYS[2], 'k:' .. ARGV[1]) == 1 then return 2 end
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('HSET', KEYS[2], 'k:' .. ARGV[1], 'a:' .. ARGV[2])
return 1
"""

# KEYS: left, holders. ARGV: key.
_RELEASE_ADMISSION = """
local by_key = redis.call('HGET', KEYS[2], 'k:' .. ARGV[1])
if not by_key or string.sub(by_key, 1, 2) ~= 'a:' then return 0 end
redis.call('HDEL', KEYS[2], 'k:' .. ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1]) end
return 1
"""

# KEYS: left, holders. ARGV: key.
_PEEK = """
local left = redis.call('GET', KEYS[1])
if not left then return {0, 0, 0} end
return {1, tonumber(left), redis.call('HEXISTS', KEYS[2], 'k:' .. ARGV[1])}
"""

# KEYS: left, holders. ARGV: buyer, key.
_GIVE_BACK = """
if redis.call('HGET', KEYS[2], 'u:' .. ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], 'u:' .. ARGV[1], 't:' .. ARGV[1], 'k:' .. ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1]) end
return 1
"""

# KEYS: left, holders, meta. ARGV: remaining, stale_before, ttl, meta, active buyer ids...
_SYNC = """
local active = {}
for i = 5, #ARGV do active[ARGV[i]] = true end
local stale_before = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[2])
local inflight = 0
for i = 1, #fields, 2 do
  local field = fields[i]
  if string.sub(field, 1, 2) == 'u:' then
    local buyer = string.sub(field, 3)
    if not active[buyer] then
      local taken = tonumber(redis.call('HGET', KEYS[2], 't:' .. buyer) or '0')
      if taken < stale_before then
        redis.call('HDEL', KEYS[2], field, 't:' .. buyer, 'k:' .. fields[i + 1])
      else
        inflight = inflight + 1
      end
    end
  elseif string.sub(field, 1, 2) == 'k:' and string.sub(fields[i + 1], 1, 2) == 'a:' then
    if tonumber(string.sub(fields[i + 1], 3)) < stale_before then
      redis.call('HDEL', KEYS[2], field)
    else
      inflight = inflight + 1
    end
  end
end
local left = tonumber(ARGV[1]) - inflight
if left < 0 then left = 0 end
redis.call('SET', KEYS[1], left, 'EX', ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[3]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return left
"""


class RedisFlashGate:
    """The gate in Redis: every operation one script, atomic everywhere."""

    #: Connections per process; a request that finds none free waits for one
    #: (up to POOL_TIMEOUT seconds) instead of failing.
    POOL_SIZE = 64
    POOL_TIMEOUT = 5

    def __init__(self, url: str) -> None:
        import redis

        pool = redis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=self.POOL_SIZE, timeout=self.POOL_TIMEOUT
        )
        self._redis = redis.Redis(connection_pool=pool)
        self._take = self._redis.register_script(_TAKE)
        self._release_admission = self._redis.register_script(_RELEASE_ADMISSION)
        self._peek = self._redis.register_script(_PEEK)
        self._give_back = self._redis.register_script(_GIVE_BACK)
        self._sync = self._redis.register_script(_SYNC)
        self._url = url
        # An asyncio client belongs to the event loop that made it.
        self._admit_by_loop: dict[int, Any] = {}

    async def admit(self, sale_id: int, key: str, now: float) -> Admit:
        """For the HTTP edge, on its event loop: the sale's state, and a
        unit for this request's key while any are left."""
        import asyncio

        loop = id(asyncio.get_running_loop())
        script = self._admit_by_loop.get(loop)
        if script is None:
            import redis.asyncio as aredis

            # Thousands of requests at once share a few connections: wait for
            # one (the script takes microseconds) rather than fail.
            pool = aredis.BlockingConnectionPool.from_url(
                self._url,
                decode_responses=True,
                max_connections=self.POOL_SIZE,
                timeout=self.POOL_TIMEOUT,
            )
            script = aredis.Redis(connection_pool=pool).register_script(_ADMIT)
            self._admit_by_loop = {loop: script}  # the loops before are gone
        code = await script(keys=self._keys(sale_id), args=[key, now])
        return Admit(int(code))

    def _keys(self, sale_id: int) -> list[str]:
        return [_key(sale_id, "left"), _key(sale_id, "holders"), _key(sale_id, "meta")]

    def take(self, sale_id: int, buyer_id: int, key: str) -> Take:
        return Take(int(self._take(keys=self._keys(sale_id), args=[buyer_id, key, time.time()])))

    def release_admission(self, sale_id: int, key: str) -> bool:
        return bool(self._release_admission(keys=self._keys(sale_id), args=[key]))

    def peek(self, sale_id: int, key: str) -> Peek:
        known, left, held = self._peek(keys=self._keys(sale_id), args=[key])
        return Peek(known=bool(known), left=int(left), key_held=bool(held))

    def left(self, sale_id: int) -> int | None:
        value = self._redis.get(_key(sale_id, "left"))
        return None if value is None else int(value)

    def holder(self, sale_id: int, buyer_id: int) -> Holder | None:
        key, taken = self._redis.hmget(_key(sale_id, "holders"), [f"u:{buyer_id}", f"t:{buyer_id}"])
        if key is None:
            return None
        return Holder(buyer_id=buyer_id, key=str(key), taken_at=float(taken or 0))

    def holders(self, sale_id: int) -> list[Holder]:
        fields = cast(dict[str, str], self._redis.hgetall(_key(sale_id, "holders")))
        return [
            Holder(buyer_id=int(name[2:]), key=key, taken_at=float(fields.get(f"t:{name[2:]}", 0)))
            for name, key in fields.items()
            if name.startswith("u:")
        ]

    def give_back(self, sale_id: int, buyer_id: int, key: str) -> bool:
        return bool(self._give_back(keys=self._keys(sale_id), args=[buyer_id, key]))

    def sync(
        self,
        sale_id: int,
        *,
        remaining: int,
        active_buyers: set[int],
        stale_before: float,
        ttl_seconds: int,
        meta: str = "",
    ) -> int:
        args: list[Any] = [
            remaining,
            stale_before,
            max(ttl_seconds, 1),
            meta,
            *sorted(active_buyers),
        ]
        return int(self._sync(keys=self._keys(sale_id), args=args))


# --- the embedded default: the Django cache under a process lock --------------------------


@dataclass
class _State:
    left: int
    holders: dict[int, tuple[str, float]]  # buyer -> (key, taken at)
    keys: dict[str, int]  # key -> buyer


class CacheFlashGate:
    """The gate in the Django cache (locmem by default), each operation under
    one process-wide lock: atomic within the process."""

    _lock = threading.Lock()

    def _load(self, sale_id: int) -> _State | None:
        state: _State | None = cache.get(_key(sale_id, "gate"))
        return state

    def _store(self, sale_id: int, state: _State, ttl_seconds: int | None = None) -> None:
        if ttl_seconds is None:
            ttl_seconds = int(cache.get(_key(sale_id, "ttl")) or 86_400)
        cache.set(_key(sale_id, "gate"), state, ttl_seconds)

    def take(self, sale_id: int, buyer_id: int, key: str) -> Take:
        with self._lock:
            state = self._load(sale_id)
            if state is None:
                return Take.UNKNOWN
            held = state.holders.get(buyer_id)
            if held is not None:
                return Take.HELD if held[0] == key else Take.HELD_OTHER
            if state.left <= 0:
                return Take.SOLD_OUT
            state.left -= 1
            state.holders[buyer_id] = (key, time.time())
            state.keys[key] = buyer_id
            self._store(sale_id, state)
            return Take.TAKEN

    def release_admission(self, sale_id: int, key: str) -> bool:
        return False  # the HTTP edge admits only through Redis

    def peek(self, sale_id: int, key: str) -> Peek:
        state = self._load(sale_id)
        if state is None:
            return Peek(known=False, left=0, key_held=False)
        return Peek(known=True, left=state.left, key_held=key in state.keys)

    def left(self, sale_id: int) -> int | None:
        state = self._load(sale_id)
        return None if state is None else state.left

    def holder(self, sale_id: int, buyer_id: int) -> Holder | None:
        state = self._load(sale_id)
        held = state.holders.get(buyer_id) if state is not None else None
        return None if held is None else Holder(buyer_id, held[0], held[1])

    def holders(self, sale_id: int) -> list[Holder]:
        state = self._load(sale_id)
        if state is None:
            return []
        return [Holder(buyer, key, taken) for buyer, (key, taken) in state.holders.items()]

    def give_back(self, sale_id: int, buyer_id: int, key: str) -> bool:
        with self._lock:
            state = self._load(sale_id)
            if state is None or state.holders.get(buyer_id, ("",))[0] != key:
                return False
            del state.holders[buyer_id]
            state.keys.pop(key, None)
            state.left += 1
            self._store(sale_id, state)
            return True

    def sync(
        self,
        sale_id: int,
        *,
        remaining: int,
        active_buyers: set[int],
        stale_before: float,
        ttl_seconds: int,
        meta: str = "",
    ) -> int:
        with self._lock:
            state = self._load(sale_id) or _State(left=0, holders={}, keys={})
            inflight = 0
            for buyer, (key, taken) in list(state.holders.items()):
                if buyer in active_buyers:
                    continue
                if taken < stale_before:
                    del state.holders[buyer]
                    state.keys.pop(key, None)
                else:
                    inflight += 1
            state.left = max(remaining - inflight, 0)
            ttl_seconds = max(ttl_seconds, 1)
            cache.set(_key(sale_id, "ttl"), ttl_seconds, ttl_seconds)
            self._store(sale_id, state, ttl_seconds)
            return state.left


_gate: FlashGate | None = None


def flash_gate() -> FlashGate:
    """The process's gate, chosen by ``REDIS_URL``."""
    global _gate
    if _gate is None:
        url = getattr(settings, "REDIS_URL", "")
        _gate = RedisFlashGate(url) if url else CacheFlashGate()
    return _gate


def flash_ticket_return(sale_id: int, buyer_id: int) -> bool:
    """Give back the ticket ``buyer_id`` holds for sale ``sale_id`` (their
    order was refused after the request that placed it had answered: its
    unit is back in the database, so back in the gate too); False when they
    hold none."""
    gate = flash_gate()
    holder = gate.holder(sale_id, buyer_id)
    return holder is not None and gate.give_back(sale_id, buyer_id, holder.key)


def reset_flash_gate() -> None:
    """Forget the gate (tests that switch settings)."""
    global _gate
    _gate = None
