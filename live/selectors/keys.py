"""Stream keys: reads (the host's active key, the host a key belongs to).
The keys themselves, their digest and their rules are :mod:`live.keys`."""

from __future__ import annotations

import hmac

from community.models import User
from live.keys import MAX_KEY_LENGTH, digest
from live.models import StreamKey


def stream_key_active(*, host: User) -> StreamKey | None:
    """The host's active key (its hint and age, never the plaintext)."""
    return StreamKey.objects.filter(host=host, revoked_at=None).first()


def stream_key_host(plaintext: str, *, include_revoked: bool = False) -> User | None:
    """The host a stream key belongs to, or None for an unknown key (or a
    revoked one, unless ``include_revoked``: a stream that started before the
    key was revoked must still be able to end)."""
    if not plaintext or len(plaintext) > MAX_KEY_LENGTH:
        return None
    wanted = digest(plaintext)
    keys = StreamKey.objects.select_related("host").filter(key_hash=wanted)
    if not include_revoked:
        keys = keys.filter(revoked_at=None)
    key = keys.first()
    # The lookup is by an index on the digest; the comparison below keeps the
    # final check constant-time all the same.
    if key is None or not hmac.compare_digest(key.key_hash, wanted):
        return None
    return key.host
