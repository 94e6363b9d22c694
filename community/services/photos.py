"""The writes of note photos (the pipeline itself is :mod:`community.photos`):

``photo_create`` stores a cleaned upload (``core.images.prepare_upload``)
under a random name and enqueues ``community.tasks.render_photo`` once the
transaction commits; ``photo_render`` (in the background) stores the WebP and
JPEG renditions at ``SPROUT_PHOTO_WIDTHS`` and the dominant colour, with
core's rendition pipeline (``core.renditions.renditions_store``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from community import card_cache
from community.models import Note, Photo, User
from core.images import PreparedImage, random_name
from core.renditions import renditions_exist, renditions_store, stored_files_delete

logger = logging.getLogger(__name__)


def photo_create(
    *, owner: User, prepared: PreparedImage, note: Note | None = None, position: int = 0
) -> Photo:
    """Store a prepared photo and enqueue its renditions after commit."""
    from community.tasks import render_photo

    photo = Photo(owner=owner, note=note, position=position, format=prepared.format)
    photo.original.save(random_name(prepared.format), ContentFile(prepared.content), save=False)
    # Assigning the file made Django re-measure it (and fail on the consumed
    # ContentFile); the prepared size is already exact.
    photo.width, photo.height = prepared.width, prepared.height
    try:
        photo.save()
    except BaseException:
        # No row will ever point at the file: do not leave it behind.
        default_storage.delete(photo.original.name or "")
        raise
    photo_id = photo.pk
    # robust: with the broker down the upload still succeeds (pages show the
    # original); the failure is logged and the photo can be rendered later.
    transaction.on_commit(lambda: render_photo.delay(photo_id), robust=True)
    return photo


def photo_render(*, photo_id: int) -> None:
    """Make a photo's renditions (WebP and JPEG at each configured width) and
    its dominant colour. Idempotent: a photo whose renditions all exist is
    left alone; a deleted photo is skipped."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        logger.info("Photo %s was deleted before its renditions were made", photo_id)
        return
    previous: dict[str, dict[str, str]] = photo.renditions or {}
    if renditions_exist(previous):
        return
    stored = renditions_store(photo.original.name or "", widths=settings.SPROUT_PHOTO_WIDTHS)
    if stored is None:
        return  # the original is gone; it would not show either
    names = stored.names
    updated = Photo.objects.filter(pk=photo_id).update(renditions=names, color=stored.color)
    written = {n for files in names.values() for n in files.values()}
    if photo.note_id is not None:
        card_cache.note_cards_forget([photo.note_id])  # its renditions are ready
    if not updated:
        logger.info("Photo %s was deleted while its renditions were made", photo_id)
        photo_files_delete(written)
        return
    photo_files_delete(n for f in previous.values() for n in f.values() if n not in written)


def photo_files_delete(names: Iterable[str]) -> None:
    """Delete stored files (of deleted photos); missing files are fine.
    Call it with ``transaction.on_commit`` so a rollback keeps them."""
    stored_files_delete(names)


def photos_unattached_sweep(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Delete photos uploaded more than ``older_than`` ago (default
    ``SPROUT_UNATTACHED_PHOTO_HOURS``) that no note took: a compose or edit
    page left without saving. Their files go after commit. A photo being
    attached at this moment is skipped (its row is locked) and one attached
    since the select is kept (the delete re-checks ``note IS NULL``).
    Returns how many were deleted, at most ``limit`` a call."""
    from community import photos

    if older_than is None:
        older_than = timedelta(hours=settings.SPROUT_UNATTACHED_PHOTO_HOURS)
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stale = list(
            Photo.objects.select_for_update(skip_locked=True)
            .filter(note__isnull=True, created_at__lt=cutoff)
            .order_by("created_at")[:limit]
        )
        if not stale:
            return 0
        files = [name for photo in stale for name in photos.stored_names(photo)]
        deleted, _ = Photo.objects.filter(
            pk__in=[photo.pk for photo in stale], note__isnull=True
        ).delete()
        transaction.on_commit(lambda: photo_files_delete(files))
    if deleted:
        hours = older_than.total_seconds() / 3600
        logger.info("deleted %d unattached photo(s) older than %g h", deleted, hours)
    return deleted
