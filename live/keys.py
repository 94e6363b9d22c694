"""Stream keys: the secret a host types into OBS (or ffmpeg) to go live.

A key is shown once, when it is made, and stored only as its SHA-256 digest
plus a short hint to tell keys apart. Each host has at most one active key;
rotating revokes the previous one in the same transaction, and a revoked key
is refused from then on: by the ``on_publish`` callback for a new stream, and
by the ``on_update`` callback (every ``notify_update_timeout``) for a stream
already running (``live.ingest``).

A plain digest is enough: keys are 192 random bits, so there is nothing to
brute-force, and unlike an HMAC with ``SECRET_KEY`` it survives a rotation of
the site's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from community.models import User
from kol.selectors import can_host_live
from live.errors import NotAHost
from live.models import StreamKey

HINT_LENGTH = 6
# Keys are 32 URL-safe characters (192 bits) starting with a letter or digit:
# a key pasted after a command-line flag must not look like a flag itself.
# Anything far longer is not one of ours and is refused before hashing.
MAX_KEY_LENGTH = 128


def new_plaintext() -> str:
    """A fresh key: ``token_urlsafe(24)``, drawn again while it starts with
    ``-`` or ``_``."""
    while True:
        plaintext = secrets.token_urlsafe(24)
        if plaintext[0].isalnum():
            return plaintext


def digest(plaintext: str) -> str:
    """The stored form of a key: hex SHA-256."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def rotate_key(*, host: User) -> tuple[StreamKey, str]:
    """Make a new stream key for ``host`` and revoke the active one, at once.

    Returns the stored key and the plaintext, which is never stored nor shown
    again. Raises :class:`~live.errors.NotAHost` for members without the right
    to host (``kol.selectors.can_host_live``)."""
    if not can_host_live(host):
        raise NotAHost()
    plaintext = new_plaintext()
    with transaction.atomic():
        # Lock the host's row so two rotations at once cannot both insert an
        # active key (the partial unique constraint would refuse the second).
        User.objects.select_for_update().only("pk").get(pk=host.pk)
        StreamKey.objects.filter(host=host, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        key = StreamKey.objects.create(
            host=host, key_hash=digest(plaintext), hint=plaintext[:HINT_LENGTH]
        )
    return key, plaintext


def revoke_key(*, host: User) -> StreamKey | None:
    """Revoke the host's active key, if any (returns it). Anyone may lose a
    key: no hosting right is needed to revoke one."""
    with transaction.atomic():
        key = StreamKey.objects.select_for_update().filter(host=host, revoked_at=None).first()
        if key is None:
            return None
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def active_key(*, host: User) -> StreamKey | None:
    """The host's active key (its hint and age, never the plaintext)."""
    return StreamKey.objects.filter(host=host, revoked_at=None).first()


def host_for_key(plaintext: str, *, include_revoked: bool = False) -> User | None:
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
