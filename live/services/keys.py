"""Stream keys: writes (rotate, revoke). See :mod:`live.keys` for what a key
is and how it is stored; reads are :mod:`live.selectors.keys`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from community.models import User
from kol.selectors import can_host_live
from live.errors import NotAHost
from live.keys import HINT_LENGTH, digest, new_plaintext
from live.models import StreamKey


def stream_key_rotate(*, host: User) -> tuple[StreamKey, str]:
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


def stream_key_revoke(*, host: User) -> StreamKey | None:
    """Revoke the host's active key, if any (returns it). Anyone may lose a
    key: no hosting right is needed to revoke one."""
    with transaction.atomic():
        key = StreamKey.objects.select_for_update().filter(host=host, revoked_at=None).first()
        if key is None:
            return None
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
