"""Replays: who may do what to one once it exists, and its traffic
(``live.services``; making one is :mod:`live.services.replays`).

- the host publishes or unpublishes (:func:`replay_publish`) and deletes
  (:func:`replay_delete`, also a site moderator): a deleted replay's files
  leave storage after commit (``live.tasks.remove_replay_files``);
- the room's and the site's moderators hide one, with a reason, and show it
  again (:func:`replay_hide`, :func:`replay_unhide`);
- the retention setting expires old ones (:func:`replays_expire`, beat:
  ``live.tasks.expire_replays``);
- players report what was watched (:func:`replay_watched`): a view once per
  viewer, replay and day, and the seconds watched, apart from the live
  session's figures.

Every file of a replay is under ``replays/<token>/`` in the ``replays``
storage: :func:`replay_files_remove` removes that prefix, whatever the
storage (local files or S3-compatible).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from live.chat import MAX_REASON_LENGTH
from live.errors import AuthenticationRequired, PermissionDenied, ReplayGone, ValidationFailed
from live.models import Replay
from live.permissions import is_site_moderator
from live.replay_files import remove_under, replay_prefix, replay_storage

logger = logging.getLogger("sprout.live")

#: What one watch beacon may report: the player sends one every few seconds
#: of playing (and when it stops), never more than this.
WATCH_BEACON_MAX_SECONDS = 60
#: A beacon counts no more seconds than went by since the viewer's previous
#: one, give or take this much (network jitter): a client sending beacons
#: fast cannot count more time than passed.
WATCH_SLACK_SECONDS = 5
_DAY = 86_400

_GONE = (Replay.State.DELETED, Replay.State.EXPIRED)


def _member(actor: Any) -> Any:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise AuthenticationRequired()
    return actor


def _is_host(actor: Any, replay: Replay) -> bool:
    return bool(replay.session.room.host_id == actor.pk)


def _is_moderator(actor: Any, replay: Replay) -> bool:
    """A room moderator (not the host as such) or a site moderator."""
    if is_site_moderator(actor):
        return True
    return replay.session.room.moderators.filter(pk=actor.pk).exists()


def _kept(replay: Replay) -> None:
    if replay.state in _GONE:
        raise ReplayGone()


def _locked(replay: Replay) -> Replay:
    """The replay's row, locked for the rest of the transaction."""
    return Replay.objects.select_for_update().select_related("session__room").get(pk=replay.pk)


def replay_publish(*, actor: Any, replay: Replay, published: bool) -> Replay:
    """The host shows the replay to members (``published``) or keeps it to
    themselves and the moderators. Allowed while it is being made (it is
    published, or not, once ready). ``replay_gone`` once deleted or expired."""
    actor = _member(actor)
    if not _is_host(actor, replay):
        raise PermissionDenied("Only the host can publish or unpublish this replay.")
    with transaction.atomic():
        replay = _locked(replay)
        _kept(replay)
        if replay.published != published:
            replay.published = published
            replay.save(update_fields=["published"])
    return replay


def _reason(reason: Any) -> str:
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise ValidationFailed(fields={"reason": ["Say why the replay is hidden."]})
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"At most {MAX_REASON_LENGTH} characters."]}, code="too_long"
        )
    return text


def replay_hide(*, actor: Any, replay: Replay, reason: str) -> Replay:
    """A room moderator or a site moderator hides the replay from members
    (its host and the moderators still see it, with the reason). Hiding a
    hidden replay changes the reason; ``reason`` is required."""
    actor = _member(actor)
    if not _is_moderator(actor, replay):
        raise PermissionDenied("Only this room's moderators can hide its replay.")
    text = _reason(reason)
    with transaction.atomic():
        replay = _locked(replay)
        _kept(replay)
        replay.hidden_at = replay.hidden_at or timezone.now()
        replay.hidden_by = actor
        replay.hidden_reason = text
        replay.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    logger.info("replay %s hidden by %s", replay.pk, actor.pk)
    return replay


def replay_unhide(*, actor: Any, replay: Replay) -> Replay:
    """A moderator shows a hidden replay again (idempotent)."""
    actor = _member(actor)
    if not _is_moderator(actor, replay):
        raise PermissionDenied("Only this room's moderators can show its replay again.")
    with transaction.atomic():
        replay = _locked(replay)
        _kept(replay)
        if replay.hidden_at is not None:
            replay.hidden_at, replay.hidden_by, replay.hidden_reason = None, None, ""
            replay.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return replay


def _files_remove_on_commit(replay_id: int) -> None:
    from live.tasks import remove_replay_files

    transaction.on_commit(lambda: remove_replay_files.delay(replay_id))


def replay_delete(*, actor: Any, replay: Replay) -> Replay:
    """The host (or a site moderator) deletes the replay: ``deleted`` at once
    (nobody may watch it), its files leave storage after commit. A replay
    still being made is marked too: the task making it stops and cleans up
    (``live.services.replays``). Deleting a deleted or expired replay
    changes nothing."""
    actor = _member(actor)
    if not (_is_host(actor, replay) or is_site_moderator(actor)):
        raise PermissionDenied("Only the host can delete this replay.")
    with transaction.atomic():
        replay = _locked(replay)
        if replay.state in _GONE:
            return replay
        replay.state = Replay.State.DELETED
        replay.deleted_at = timezone.now()
        replay.save(update_fields=["state", "deleted_at"])
        _files_remove_on_commit(replay.pk)
    logger.info("replay %s deleted by %s", replay.pk, actor.pk)
    return replay


def _directories_prune(storage: Storage, prefix: str) -> None:
    """Local storage keeps empty directories: take them out (the others have
    none: object stores know files only)."""
    try:
        root = storage.path(prefix)
    except NotImplementedError:
        return
    for directory, _, _ in sorted(os.walk(root), key=lambda entry: -len(entry[0])):
        # Not empty (a file written meanwhile) or already gone: left alone.
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def replay_files_remove(replay: Replay) -> int:
    """Delete every storage file of the replay (under ``replays/<token>/``,
    at any depth: ``live.replay_files``); returns how many. Idempotent;
    works with any storage that lists directories (local files,
    S3-compatible)."""
    prefix = replay_prefix(replay)
    removed = remove_under(prefix)
    _directories_prune(replay_storage(), prefix)
    return removed


def replays_expire(*, older_than_days: int) -> int:
    """Expire the replays finished (ready or failed) more than
    ``older_than_days`` ago: ``expired``, their files removed. 0 (or less)
    keeps replays forever. Returns how many expired."""
    if older_than_days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=older_than_days)
    due = Replay.objects.filter(state__in=(Replay.State.READY, Replay.State.FAILED)).filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    )
    expired = 0
    for replay_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            replay = (
                Replay.objects.select_for_update()
                .filter(pk=replay_id, state__in=(Replay.State.READY, Replay.State.FAILED))
                .first()
            )
            if replay is None:
                continue  # deleted meanwhile
            replay.state = Replay.State.EXPIRED
            replay.save(update_fields=["state"])
        expired += 1
        try:
            replay_files_remove(replay)
        except Exception:
            # The storage failed for this one: it is expired (nobody may
            # watch it), its files are logged to be removed by hand; the
            # others go on.
            logger.exception("files of expired replay %s were not removed", replay.pk)
    if expired:
        logger.info("%s replays expired (older than %s days)", expired, older_than_days)
    return expired


def replay_watched(*, replay: Replay, viewer_key: str, seconds: int) -> None:
    """A player's beacon: ``viewer_key`` (a member's id, or a hashed address)
    watched ``seconds`` (1 to ``WATCH_BEACON_MAX_SECONDS``) of the replay.
    Its first beacon of the day counts a view; the seconds count at most as
    many as went by since its previous beacon (plus a little slack), so
    beacons sent faster than time passes count no more."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationFailed(fields={"seconds": ["A whole number."]})
    if not 1 <= seconds <= WATCH_BEACON_MAX_SECONDS:
        raise ValidationFailed(
            fields={"seconds": [f"From 1 to {WATCH_BEACON_MAX_SECONDS}."]}, code="out_of_range"
        )
    now = time.time()
    day = int(now // _DAY)
    new_view = cache.add(f"live:replay:{replay.pk}:view:{day}:{viewer_key}", 1, _DAY + 3600)
    last_key = f"live:replay:{replay.pk}:beacon:{viewer_key}"
    last = cache.get(last_key)
    cache.set(last_key, now, WATCH_BEACON_MAX_SECONDS * 2)
    credited = seconds
    if isinstance(last, int | float):
        credited = min(seconds, max(0, int(now - last) + WATCH_SLACK_SECONDS))
    if not new_view and credited <= 0:
        return
    Replay.objects.filter(pk=replay.pk).update(
        views=F("views") + (1 if new_view else 0),
        watch_seconds=F("watch_seconds") + credited,
    )
