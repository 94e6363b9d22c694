"""Gifts: sending them, one or many at a time.

Sending a gift of ``coins`` (the gift's price × quantity) writes one balanced
ledger entry, exactly once per ``(sender, idempotency key)`` (the key's
record, scope ``gift``, stores the answer that retries replay):

=====================  ==================  =========================================
account                amount              how
=====================  ==================  =========================================
sender member_coins    ``-coins``          applied at once (conditional UPDATE): the
                                           only line that can fail
                                           (``insufficient_funds``)
host creator_earnings  ``+host_part``      appended, rolled up later
platform_coins         ``+platform_part``  appended, rolled up later
=====================  ==================  =========================================

Only the sender's own row is updated in the gift's transaction, so a popular
room does not serialise on its host's or the platform's balance row
(``PERFORMANCE.md``, "Gift ledger"). Gifts are written in batches, many in
one transaction with a fixed number of statements, by
:func:`gifts_send`, the engine below (:func:`gift_send` is a batch of one;
the live room's websocket path batches the gifts that arrive together).

What a request may ask for, and the split (``platform_part = coins ×
share_bps // 10_000``, rounded down, the remainder to the host, so the parts
always add up to exactly what the sender paid; a part of zero writes no
line), are :mod:`wallet.rules`. Every send is a
:class:`~wallet.models.GiftSend` row: the catalog, tallies and leaderboards
over them are reads (:mod:`wallet.selectors.gifts`). The live app (a higher layer)
checks that the room is live and publishes the room's events.

The engine, gifts in batches: many gifts, from many senders, in one transaction with a
fixed number of statements whatever the batch's size.

PERFORMANCE.md's "Gift ledger" names the lever: group the gifts of one tick
into one transaction and keep the Python layer cheap. :func:`gifts_send` is
the one engine every gift goes through (:func:`gift_send` is a
batch of one; the live room's websocket path feeds it through
``live.gift_batcher.GiftBatcher``). Each gift is exactly what ``gift_send``
always wrote (the table above: the sender debited now, the host's and
the platform's parts appended, a ``GiftSend``, an idempotency record holding
the answer), and answers exactly as it did, in request order:

1. checked in Python first (``wallet.rules``: the slug, quantity and key;
   then no gift to oneself): refused requests never touch the database; the
   accounts' ids come from a per-process cache (created on first use by
   ``ledger.account_get_or_create``);
2. ``SELECT ... FOR NO KEY UPDATE`` every sender's coin row in id order, once
   for the whole batch (two batches never lock them in opposite orders;
   ``ledger.member_coins_lock``);
3. ``SELECT`` the batch's keys already stored: the same parameters replay
   the stored answer, others are refused (``idempotency_conflict``) — before
   the catalog is consulted, so a retry replays even a withdrawn gift. Read
   under the senders' locks, so a retry that waited for its original sees
   the original's answer;
4. the gift's price from a per-process catalog (``unknown_gift`` when not on
   sale), then in Python, in request order, each gift is accepted while its
   sender's balance covers it: coins for exactly 3 gifts and 10 sent in one
   batch accept exactly 3, and a cheaper gift after a refused one still goes
   through, as one at a time;
5. one ``UPDATE`` of the senders' balances by each sender's accepted total,
   still conditional (``balance >= total``), returning the new balances
   (``ledger.debits_apply``);
6. multi-row ``INSERT`` s of the entries and their lines
   (``ledger.entries_append_batch``: the ledger writes its own rows, in two
   statements), the ``GiftSend`` rows and the idempotency records
   (``ON CONFLICT DO NOTHING``).

Seven statements for any batch without repeated keys. A key used again in
one batch starts a new run of steps 3–6 (the runs are consecutive slices of
the batch, in request order, so the later request sees what the earlier one
did, exactly as one send after the other). Nothing per gift is a query.

Why it stays exact:

- **Concurrent duplicates** (a retry racing its original in another batch):
  the records are inserted last, with ``ON CONFLICT DO NOTHING``; when one
  was not inserted another transaction stored that key first, so this
  attempt rolls back whole and runs again, and step 3 then replays it (a
  rare path: the original holds its sender's lock until it commits, so a
  duplicate normally reads its answer in step 3 at once). Locks are taken
  in one global order (all the batch's sender rows by id, before anything
  else; then keys sorted), so batches cannot deadlock on each other;
  PostgreSQL's deadlock or serialization errors are retried all the same.
- **Stale caches** (an account or a gift that changed or vanished): the
  lines are inserted through a join on each account's id, kind and owner,
  the sends through a join on the gift's id, slug, price and ``is_active``;
  fewer rows than expected roll the attempt back, the caches are dropped
  and the batch runs again. A refusal for want of coins at a cached price
  is checked the same way (one more ``SELECT``, only then), and so are the
  cached coin accounts when they are locked. A gift withdrawn or repriced in
  admin (in any process) is refused or charged at its new price on the next
  gift, not after a cache expiry.
- **Balances** are only ever changed by the conditional ``UPDATE``; the
  PostgreSQL trigger checks at commit that every entry balances.

The same statements on PostgreSQL and SQLite (``UPDATE ... FROM``,
``RETURNING``, ``ON CONFLICT``), with the batch's rows bound two ways
(``core.db.rows_source`` and ``in_values``): on PostgreSQL one array per
column (``unnest(...)``, ``= ANY(...)``), so every statement's text is short
and the same whatever the batch's size (no thousands of placeholders; the
ids go as the arrays' own text, which psycopg quotes as one string); on
SQLite multi-row ``VALUES``. Only ``FOR NO KEY UPDATE`` is PostgreSQL's
(SQLite transactions hold the write lock from ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

import wallet.services.ledger as ledger
from community.errors import SelfAction
from community.models import User
from core import db
from core.errors import DomainError
from wallet.errors import IdempotencyConflict, InsufficientFunds, UnknownGift
from wallet.models import Account, Entry, Gift, GiftSend
from wallet.rules import gift_fields_check, platform_share_bps, split_coins
from wallet.services.idempotency import fingerprint

logger = logging.getLogger("sprout.wallet")

#: The idempotency scope of gift sends (a key is unique per member and scope).
SCOPE = "gift"

#: Larger batches are split into transactions of this many gifts (SQLite
#: caps a statement's parameters; nothing gains from longer transactions).
MAX_BATCH = 500
#: How often an attempt is rolled back and run again (a concurrent duplicate
#: key, a stale cache, a deadlock) before the batch fails.
MAX_ATTEMPTS = 5
#: The catalog is re-read at least this often (names, emoji and images for
#: the room's animation; prices and availability are checked on every send).
CATALOG_SECONDS = 30.0

_MEMBER = str(Account.Kind.MEMBER_COINS)
_EARNINGS = str(Account.Kind.CREATOR_EARNINGS)
_PLATFORM = str(Account.Kind.PLATFORM_COINS)
_GIFT = str(Entry.Kind.GIFT)


@dataclass(frozen=True)
class GiftResult:
    """What a gift send answers. ``balance`` is the sender's coins right
    after this gift (for a replay: the balance stored with the first answer).
    ``send`` is the new :class:`GiftSend` (with its gift, sender and host
    loaded) when this call sent the gift, None when it replayed an earlier
    answer."""

    gift_send_id: int
    coins: int
    balance: int
    replayed: bool
    send: GiftSend | None = None


@dataclass(frozen=True, slots=True)
class GiftRequest:
    """One gift to send: the arguments of :func:`gift_send`.
    ``room_id`` and ``session_id`` say where it was sent; the wallet stores
    them with the send and in its entry's reference, and never reads them
    (the live app, above, does)."""

    sender: User
    host: User
    gift_slug: str
    quantity: int
    idempotency_key: str
    room_id: int
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class GiftOutcome:
    """What became of one request: a result (sent, or replayed) or the domain
    error ``gift_send`` would have raised for it."""

    request: GiftRequest
    result: GiftResult | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> GiftResult:
        """The result, or raise the request's error."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


# --- per-process caches -----------------------------------------------------------------


class _Caches:
    """The catalog by slug and account ids by (kind, user id; 0 for the
    platform). Entries are replaced whole, never mutated in place, so
    threads read them without a lock."""

    def __init__(self) -> None:
        self.gifts: dict[str, Gift] = {}
        self.gifts_loaded_at = -CATALOG_SECONDS
        self.accounts: dict[tuple[str, int], int] = {}

    def clear(self) -> None:
        self.gifts = {}
        self.gifts_loaded_at = -CATALOG_SECONDS
        self.accounts = {}


_caches = _Caches()
_account_lock = threading.Lock()


def gift_caches_clear() -> None:
    """Forget the cached catalog and account ids (they are re-read on the
    next gift). Gift saves in this process do it on their own."""
    with _account_lock:  # not undone by an account id being added meanwhile
        _caches.clear()


def _catalog_changed(**_: Any) -> None:
    _caches.gifts = {}
    _caches.gifts_loaded_at = -CATALOG_SECONDS


post_save.connect(_catalog_changed, sender=Gift, dispatch_uid="wallet.services.gifts.catalog")
post_delete.connect(_catalog_changed, sender=Gift, dispatch_uid="wallet.services.gifts.catalog_del")


def _gifts(slugs: set[str]) -> tuple[dict[str, Gift], bool]:
    """The active catalog, re-read when it is old or lacks one of ``slugs``
    (at most once per call: an unknown slug is simply unknown), and whether
    it was read just now."""
    gifts = _caches.gifts
    fresh = time.monotonic() - _caches.gifts_loaded_at < CATALOG_SECONDS
    if fresh and slugs <= gifts.keys():
        return gifts, False
    gifts = {gift.slug: gift for gift in Gift.objects.filter(is_active=True)}
    _caches.gifts, _caches.gifts_loaded_at = gifts, time.monotonic()
    return gifts, True


def _account_id(kind: str, user: User | None) -> int:
    key = (kind, user.pk if user is not None else 0)
    account_id = _caches.accounts.get(key)
    if account_id is None:
        account_id = ledger.account_get_or_create(kind, user=user).pk
        with _account_lock:
            _caches.accounts = {**_caches.accounts, key: account_id}
    return account_id


# --- the engine ------------------------------------------------------------------------


class _Again(ledger.BatchRetry):
    """Roll this attempt back and run the batch again (``stale``: drop the
    caches first); the ledger's batch functions raise their own
    :class:`~wallet.services.ledger.BatchRetry` for the accounts."""


@dataclass(slots=True)
class _Gift:
    """A request that passed the checks, on its way through one attempt."""

    index: int
    request: GiftRequest
    digest: str
    gift: Gift | None = None
    coins: int = 0
    sender_account: int = 0
    host_account: int = 0
    entry_id: int = 0
    balance: int = 0


def gifts_send(requests: Sequence[GiftRequest]) -> list[GiftOutcome]:
    """Send many gifts at once: one transaction (per :data:`MAX_BATCH`
    requests) with a fixed number of statements. Returns one outcome per
    request, in order; a request's failure (``invalid``, ``self_action``,
    ``unknown_gift``, ``insufficient_funds``, ``idempotency_conflict``) is
    its own outcome and leaves the others untouched. Gifts from one sender
    are taken in request order while the sender's coins last. A key used
    twice in one batch behaves as two sends one after the other (the second
    replays the first, or conflicts with it). Raises only for what is not a
    request's fault (the database unreachable, say): then nothing was sent."""
    outcomes: list[GiftOutcome] = []
    for start in range(0, len(requests), MAX_BATCH):
        outcomes += _send_chunk(requests[start : start + MAX_BATCH])
    return outcomes


def gift_send(
    *,
    sender: User,
    host: User,
    gift_slug: str,
    quantity: int,
    idempotency_key: str,
    room_id: int,
    session_id: int | None,
) -> GiftResult:
    """Send ``quantity`` of a catalog gift from ``sender`` to ``host`` in a
    room (and its live session), exactly once per ``idempotency_key``: a
    batch of one through :func:`gifts_send`.

    One transaction: the sender is debited (fails with ``insufficient_funds``
    and leaves nothing behind, the key free for a retry), the host's and the
    platform's parts are appended, the GiftSend is written and the answer
    stored under the key. The same key again, with the same parameters,
    replays the stored answer (``replayed=True``, nothing moves); with other
    parameters it is refused (``idempotency_conflict``, 409). Concurrent
    duplicates are counted once.

    Errors: ``invalid`` (:mod:`wallet.rules`: the slug's shape, the quantity,
    the key), ``self_action``, ``unknown_gift`` (no such slug, or not
    active), ``insufficient_funds``, ``idempotency_conflict``. The caller
    (the live app) checks the room."""
    (outcome,) = gifts_send(
        [
            GiftRequest(
                sender=sender,
                host=host,
                gift_slug=gift_slug,
                quantity=quantity,
                idempotency_key=idempotency_key,
                room_id=room_id,
                session_id=session_id,
            )
        ]
    )
    return outcome.unwrap()


def _send_chunk(requests: Sequence[GiftRequest]) -> list[GiftOutcome]:
    outcomes: list[GiftOutcome | None] = [None] * len(requests)
    rounds: list[list[_Gift]] = [[]]
    keys: set[tuple[int, str]] = set()
    for index, request in enumerate(requests):
        try:
            gift_fields_check(
                gift_slug=request.gift_slug,
                quantity=request.quantity,
                idempotency_key=request.idempotency_key,
            )
            if request.sender.pk == request.host.pk:
                raise SelfAction("You cannot send a gift to yourself.")
        except DomainError as exc:
            outcomes[index] = GiftOutcome(request, error=exc)
            continue
        params = {
            "host": request.host.pk,
            "gift": request.gift_slug,
            "quantity": request.quantity,
            "room_id": request.room_id,
        }
        # Rounds are consecutive slices with distinct keys: a key used again
        # starts the next round, which sees what the requests before it did.
        key = (request.sender.pk, request.idempotency_key)
        if key in keys:
            rounds.append([])
            keys = set()
        keys.add(key)
        rounds[-1].append(_Gift(index, request, fingerprint(params)))
    rounds = [gifts for gifts in rounds if gifts]
    if rounds:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                # Before the transaction: an account made on first use is
                # committed at once and never rolled back under its cached id.
                platform_account = _resolve_accounts(rounds)
                answers = _attempt(rounds, platform_account)
            except ledger.BatchRetry as again:
                if again.stale:
                    gift_caches_clear()
                reason = str(again)
            except OperationalError as exc:
                if not _is_transient(exc):
                    raise
                reason = f"{type(exc.__cause__).__name__}: {exc}"
            else:
                for index, outcome in answers.items():
                    outcomes[index] = outcome
                break
            logger.info("gift batch attempt %d of %d again: %s", attempt, MAX_ATTEMPTS, reason)
        else:
            raise RuntimeError(f"a gift batch failed {MAX_ATTEMPTS} times: {reason}")
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _is_transient(exc: OperationalError) -> bool:
    """A deadlock or serialization failure: PostgreSQL rolled the
    transaction back and running it again is safe."""
    return getattr(exc.__cause__, "sqlstate", None) in {"40P01", "40001"}


def _resolve_accounts(rounds: list[list[_Gift]]) -> int:
    """Each request's sender and host account ids; returns the platform's.
    The ids the cache lacks are read in one query for the whole batch (a
    fresh process meets a thousand senders in its first batches); only
    accounts that do not exist yet are made one by one."""
    missing: dict[tuple[str, int], User] = {}
    for gifts in rounds:
        for item in gifts:
            for kind, user in ((_MEMBER, item.request.sender), (_EARNINGS, item.request.host)):
                if (kind, user.pk) not in _caches.accounts:
                    missing[(kind, user.pk)] = user
    if len(missing) > 1:
        found = Account.objects.filter(
            kind__in={kind for kind, _ in missing}, user_id__in={pk for _, pk in missing}
        ).values_list("kind", "user_id", "pk")
        known = {(kind, user_id): pk for kind, user_id, pk in found if (kind, user_id) in missing}
        if known:
            with _account_lock:
                _caches.accounts = {**_caches.accounts, **known}
    for gifts in rounds:
        for item in gifts:
            item.sender_account = _account_id(_MEMBER, item.request.sender)
            item.host_account = _account_id(_EARNINGS, item.request.host)
    return _account_id(_PLATFORM, None)


def _attempt(rounds: list[list[_Gift]], platform_account: int) -> dict[int, GiftOutcome]:
    """One attempt at the whole batch, in one transaction."""
    answers: dict[int, GiftOutcome] = {}
    share = platform_share_bps()
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)  # SQLite stores text
    with transaction.atomic(), connection.cursor() as cursor:
        # 2. Every sender's row, once, in id order, before any other lock.
        balances = _lock_senders([item for gifts in rounds for item in gifts])
        for gifts in rounds:
            answers.update(
                _round(
                    cursor,
                    gifts,
                    balances=balances,
                    platform_account=platform_account,
                    share=share,
                    now=now,
                    stamp=stamp,
                )
            )
    return answers


def _round(
    cursor: Any,
    gifts: list[_Gift],
    *,
    balances: dict[int, int],
    platform_account: int,
    share: int,
    now: Any,
    stamp: Any,
) -> dict[int, GiftOutcome]:
    """Steps 3–6 of the module's docstring for consecutive requests with
    distinct keys. ``balances`` (the locked senders' rolled-up coins) is
    kept up to date for the rounds after this one."""
    answers: dict[int, GiftOutcome] = {}

    # 3. Keys already stored: replayed, or refused.
    stored = _stored_answers(cursor, gifts)
    pending: list[_Gift] = []
    for item in gifts:
        found = stored.get((item.request.sender.pk, item.request.idempotency_key))
        if found is None:
            pending.append(item)
        elif found[0] != item.digest:
            answers[item.index] = GiftOutcome(item.request, error=_conflict())
        else:
            answers[item.index] = GiftOutcome(item.request, result=_replay(found[1]))
    if not pending:
        return answers

    # 4. Prices, then the gifts in order while the coins last.
    catalog, read_now = _gifts({item.request.gift_slug for item in pending})
    priced: list[_Gift] = []
    for item in pending:
        gift = catalog.get(item.request.gift_slug)
        if gift is None:
            answers[item.index] = GiftOutcome(item.request, error=_unknown_gift())
            continue
        item.gift, item.coins = gift, gift.coins * item.request.quantity
        priced.append(item)
    if not priced:
        return answers
    accepted: list[_Gift] = []
    refused: list[_Gift] = []
    for item in priced:
        if balances[item.sender_account] >= item.coins:
            balances[item.sender_account] -= item.coins
            accepted.append(item)
        else:
            refused.append(item)
            answers[item.index] = GiftOutcome(item.request, error=InsufficientFunds())
    if refused and not read_now:
        # The inserts below prove the accepted gifts' cached prices; a
        # refusal must be proved too (a gift made cheaper elsewhere is
        # affordable): one more statement, only when coins ran out.
        _check_prices(cursor, refused)
    if not accepted:
        return answers

    # 5. Debit each sender's accepted total; the new balances come back.
    totals: dict[int, int] = {}
    for item in accepted:
        totals[item.sender_account] = totals.get(item.sender_account, 0) + item.coins
    after = ledger.debits_apply(totals, expected=balances)
    for item in reversed(accepted):  # each gift's balance: right after it
        item.balance = after[item.sender_account]
        after[item.sender_account] += item.coins

    # 6. Entries and lines (the ledger's), sends, records.
    entry_ids = ledger.entries_append_batch(
        [_entry(item, platform_account, share) for item in accepted], created_at=now
    )
    for item, entry_id in zip(accepted, entry_ids, strict=True):
        item.entry_id = entry_id
    send_ids = _insert_sends(cursor, accepted, stamp)
    responses = _insert_records(cursor, accepted, send_ids, stamp)
    for item in accepted:
        request, gift = item.request, item.gift
        assert gift is not None
        send = GiftSend(
            pk=send_ids[item.entry_id],
            entry_id=item.entry_id,
            gift=gift,
            sender=request.sender,
            host=request.host,
            quantity=request.quantity,
            coins=item.coins,
            room_id=request.room_id,
            session_id=request.session_id,
            created_at=now,
        )
        send._state.adding = False
        response = responses[item.index]
        answers[item.index] = GiftOutcome(
            request,
            result=GiftResult(
                gift_send_id=response["gift_send_id"],
                coins=response["coins"],
                balance=response["balance"],
                replayed=False,
                send=send,
            ),
        )
    return answers


def _entry(item: _Gift, platform_account: int, share: int) -> ledger.BatchEntry:
    """The gift's ledger entry: the sender debited (applied by
    ``ledger.debits_apply``), the host's and the platform's parts appended;
    a part of zero writes no line."""
    request, gift = item.request, item.gift
    assert gift is not None
    host_part, platform_part = split_coins(item.coins, share_bps=share)
    debit = ledger.BatchLine(item.sender_account, -item.coins, _MEMBER, request.sender.pk, True)
    host = ledger.BatchLine(item.host_account, host_part, _EARNINGS, request.host.pk)
    platform = ledger.BatchLine(platform_account, platform_part, _PLATFORM, 0)
    if host_part and platform_part:
        lines: tuple[ledger.BatchLine, ...] = (debit, host, platform)
    else:
        lines = (debit, host) if host_part else (debit, platform)
    return ledger.BatchEntry(
        _GIFT,
        f"{request.quantity}× {gift.name} to {request.host.username}",
        {"room_id": request.room_id, "session_id": request.session_id, "gift": gift.slug},
        lines,
    )


def _unknown_gift() -> UnknownGift:
    return UnknownGift(fields={"gift": ["Choose a gift from the catalog."]})


def _conflict() -> IdempotencyConflict:
    return IdempotencyConflict(
        fields={"idempotency_key": ["Use a new key for a different request."]}
    )


def _replay(response: Any) -> GiftResult:
    data = json.loads(response) if isinstance(response, str | bytes) else dict(response)
    return GiftResult(
        gift_send_id=int(data["gift_send_id"]),
        coins=int(data["coins"]),
        balance=int(data["balance"]),
        replayed=True,
    )


#: The rows the batch's statements write, as they read them
#: (``core.db.rows_source``).
_SEND_COLUMNS = (
    ("entry_id", "bigint"),
    ("gift_id", "bigint"),
    ("sender_id", "bigint"),
    ("host_id", "bigint"),
    ("quantity", "bigint"),
    ("coins", "bigint"),
    ("room_id", "bigint"),
    ("session_id", "bigint"),
    ("slug", "varchar"),
    ("price", "bigint"),
)
_RECORD_COLUMNS = (
    ("user_id", "bigint"),
    ("key", "varchar"),
    ("fingerprint", "varchar"),
    ("entry_id", "bigint"),
    ("response", "jsonb"),
)


# --- the statements ----------------------------------------------------------------------


def _stored_answers(cursor: Any, gifts: list[_Gift]) -> dict[tuple[int, str], tuple[str, Any]]:
    """``{(user id, key): (fingerprint, response)}`` of the keys already
    stored (committed, or written earlier in this transaction): the batch's
    ``(user, key)`` pairs joined to the records' unique index, one probe a
    pair. (Matching keys and users as two lists read every record of every
    sender in the batch: 8.8 ms a batch of 60 once the senders had 150
    records each, against 1 ms when they had 30.)"""
    pairs = sorted({(item.request.sender.pk, item.request.idempotency_key) for item in gifts})
    source, params = db.rows_source("p", (("user_id", "bigint"), ("key", "varchar")), pairs)
    cursor.execute(
        "SELECT r.user_id, r.key, r.fingerprint, r.response FROM "  # noqa: S608
        f"{source} JOIN wallet_idempotencyrecord r ON r.user_id = p.user_id "
        "AND r.scope = %s AND r.key = p.key",
        [*params, SCOPE],
    )
    return {(user_id, key): (digest, response) for user_id, key, digest, response in cursor}


def _check_prices(cursor: Any, gifts: list[_Gift]) -> None:
    """Raise (fresh caches, run again) unless every gift of ``gifts`` is still
    on sale at its cached price."""
    cached: dict[int, tuple[str, int]] = {}
    for item in gifts:
        assert item.gift is not None
        cached[item.gift.pk] = (item.gift.slug, item.gift.coins)
    among, params = db.in_values("id", list(cached), "bigint")
    cursor.execute(
        f"SELECT id, slug, coins FROM wallet_gift WHERE {among} AND is_active = %s",  # noqa: S608
        [*params, True],
    )
    if {row[0]: (row[1], int(row[2])) for row in cursor.fetchall()} != cached:
        raise _Again("a cached gift was withdrawn or repriced", stale=True)


def _lock_senders(gifts: list[_Gift]) -> dict[int, int]:
    """``{account id: balance}`` of the senders' coin accounts, locked until
    the transaction ends (``ledger.member_coins_lock``). A cached id shared
    by two senders, or that is not its member's coin account, makes the
    attempt run again with fresh caches."""
    owners: dict[int, int] = {}
    for item in gifts:
        if owners.setdefault(item.sender_account, item.request.sender.pk) != item.request.sender.pk:
            raise _Again("two senders share a cached coin account", stale=True)
    return ledger.member_coins_lock(owners)


def _insert_sends(cursor: Any, gifts: list[_Gift], stamp: Any) -> dict[int, int]:
    """``{entry id: GiftSend id}``."""
    rows: list[tuple[Any, ...]] = []
    for item in gifts:
        request, gift = item.request, item.gift
        assert gift is not None
        rows.append((item.entry_id, gift.pk, request.sender.pk, request.host.pk,
                     request.quantity, item.coins, request.room_id, request.session_id,
                     gift.slug, gift.coins))  # fmt: skip
    values, params = db.rows_source("v", _SEND_COLUMNS, rows)
    # Through the catalog, so that a gift withdrawn or repriced since it was
    # cached inserts nothing.
    cursor.execute(
        "INSERT INTO wallet_giftsend (entry_id, gift_id, sender_id, host_id, quantity, coins, "  # noqa: S608
        "room_id, session_id, created_at) "
        "SELECT v.entry_id, v.gift_id, v.sender_id, v.host_id, v.quantity, v.coins, v.room_id, "
        f"CAST(v.session_id AS bigint), %s FROM {values} "
        "JOIN wallet_gift g ON g.id = v.gift_id AND g.slug = v.slug "
        "AND g.coins = v.price AND g.is_active = %s "
        "RETURNING id, entry_id",
        [stamp, *params, True],
    )
    sends = {entry_id: send_id for send_id, entry_id in cursor.fetchall()}
    if len(sends) != len(gifts):
        raise _Again("a cached gift was withdrawn or repriced", stale=True)
    return sends


def _insert_records(
    cursor: Any, gifts: list[_Gift], send_ids: dict[int, int], stamp: Any
) -> dict[int, dict[str, int]]:
    """Store each gift's answer under its key; ``{request index: answer}``.
    A key another transaction stored meanwhile makes the attempt run again
    (it is then a replay)."""
    responses: dict[int, dict[str, int]] = {}
    rows: list[tuple[Any, ...]] = []
    for item in sorted(gifts, key=lambda g: (g.request.sender.pk, g.request.idempotency_key)):
        response = {
            "gift_send_id": send_ids[item.entry_id],
            "coins": item.coins,
            "balance": item.balance,
        }
        responses[item.index] = response
        rows.append((item.request.sender.pk, item.request.idempotency_key, item.digest,
                     item.entry_id, json.dumps(response)))  # fmt: skip
    values, params = db.rows_source("v", _RECORD_COLUMNS, rows)
    # WHERE true: SQLite reads ON CONFLICT after INSERT ... SELECT ... FROM
    # as a join's ON without it.
    cursor.execute(
        "INSERT INTO wallet_idempotencyrecord "  # noqa: S608
        "(user_id, scope, key, fingerprint, entry_id, response, created_at) "
        f"SELECT v.user_id, %s, v.key, v.fingerprint, v.entry_id, v.response, %s FROM {values} "
        "WHERE true ON CONFLICT (user_id, scope, key) DO NOTHING RETURNING id",
        [SCOPE, stamp, *params],
    )
    if len(cursor.fetchall()) != len(gifts):
        raise _Again("a key was stored by a concurrent request", stale=False)
    return responses
