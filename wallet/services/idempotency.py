"""Idempotency keys: the one helper every money-moving request goes through.

A client sends a key with each request that moves money (a recharge, a
gift). :func:`operation_run_once` runs the request's operation at most once per member,
scope and key, and answers its retries with the first answer:

- the same key with the same parameters returns the stored response
  (``replayed=True``): a retried request is counted once;
- the same key with other parameters is refused (:class:`IdempotencyConflict`,
  409): a key names one request, not a slot to reuse;
- concurrent duplicates are counted once: the :class:`IdempotencyRecord` is
  INSERTed *before* the operation runs, in the operation's transaction, so
  the unique index ``(user, scope, key)`` makes a concurrent duplicate wait
  for the first transaction and then see its committed record (PostgreSQL:
  the duplicate INSERT blocks on the index entry, then fails once the first
  commits; SQLite: write transactions are serialised outright);
- **failures are not cached**: when the operation raises (a domain error such
  as ``insufficient_funds``, or anything else) the whole transaction rolls
  back, the record with it, and the key is free for a retry. Only a
  completed operation's response is stored and replayed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from community.models import User
from wallet.errors import IdempotencyConflict, ValidationFailed
from wallet.models import Entry, IdempotencyRecord
from wallet.rules import KEY_CHARACTERS, KEY_CLASS

#: Any money request's key (a gift's is shorter: ``wallet.rules``).
KEY_MAX_LENGTH = 100
KEY_PATTERN = re.compile(rf"\A[{KEY_CLASS}]{{1,{KEY_MAX_LENGTH}}}\Z")
KEY_HELP = f"1 to {KEY_MAX_LENGTH} characters: {KEY_CHARACTERS}"

type Operation = Callable[[], tuple[Entry | None, dict[str, Any]]]


def check_key(key: Any) -> str:
    """The key, if it is a well-formed idempotency key; ValidationFailed
    (field ``idempotency_key``) otherwise."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValidationFailed(fields={"idempotency_key": [f"An idempotency key is {KEY_HELP}."]})
    return key


def fingerprint(params: Mapping[str, Any]) -> str:
    """sha256 of the parameters as canonical JSON (sorted keys, no spaces):
    equal parameters give equal fingerprints whatever their order."""
    canonical = json.dumps(
        params, sort_keys=True, separators=(",", ":"), ensure_ascii=True, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _as_json(response: Mapping[str, Any]) -> dict[str, Any]:
    # The first answer and its replays must be the same data: store and
    # return what the JSON column gives back, not the operation's objects.
    return dict(json.loads(json.dumps(response, cls=DjangoJSONEncoder)))


def operation_run_once(
    *,
    user: User,
    scope: str,
    key: str,
    params: Mapping[str, Any],
    operation: Operation,
    finish: Callable[[], None] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Run ``operation`` once for ``(user, scope, key)`` and return
    ``(response, replayed)``.

    ``operation`` writes whatever it writes (ledger entries, payments) and
    returns ``(entry, response)``: the entry it posted (or None) and a
    JSON-serialisable response, stored with the key and replayed to retries.
    It runs inside this function's transaction; a domain error it raises
    rolls everything back, key included (see the module's docstring).
    ``finish``, when given, runs last in the transaction, after the response
    is stored (not on a replay): the place to take contended rows, whose
    locks are then held until the commit only; what it raises rolls
    everything back like the operation's errors.
    Raises ``ValidationFailed`` for a malformed key and
    ``IdempotencyConflict`` for a key reused with other parameters."""
    check_key(key)
    digest = fingerprint(params)
    with transaction.atomic():
        try:
            # The savepoint keeps the outer transaction usable after a
            # duplicate key, so the existing record can be read in it.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, scope=scope, key=key, fingerprint=digest
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(user=user, scope=scope, key=key)
            if existing.fingerprint != digest:
                raise IdempotencyConflict(
                    fields={"idempotency_key": ["Use a new key for a different request."]}
                ) from None
            return dict(existing.response), True
        entry, response = operation()
        record.entry = entry
        record.response = _as_json(response)
        record.save(update_fields=["entry", "response"])
        if finish is not None:
            finish()
        return dict(record.response), False
