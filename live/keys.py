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

This module holds the key's rules and its digest (pure); making and revoking
keys is :mod:`live.services.keys`, finding them :mod:`live.selectors.keys`.
"""

from __future__ import annotations

import hashlib
import secrets

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
