"""The photos of an existing note, one change at a time: add one, remove one,
put them in a new order. The first photo is the cover.

These are the API's ``/notes/{id}/photos`` operations. The edit page sends
its whole photo list at once through ``note_update(photo_ids=...)``; both
keep the same rules: at most :data:`MAX_PHOTOS`, the same upload pipeline
(``core.images``: type by content, size limit, EXIF stripped, renditions in
the background), positions 0..n-1 without gaps, and only a draft may be
left without a photo. Only the note's author changes its photos
(:func:`community.permissions.check_can_change_note_photos`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files import File
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from community import card_cache, photos
from community.errors import PhotoOrderMismatch, PhotosRequired, TooManyPhotos, UnknownPhoto
from community.models import Note, Photo, User
from community.permissions import check_can_change_note_photos
from community.services.notes import MAX_PHOTOS
from community.services.photos import photo_create, photo_files_delete
from core.images import prepare_upload


def _locked(note: Note) -> Note:
    return Note.objects.select_for_update().get(pk=note.pk)


def _touched(note: Note) -> None:
    # The cover may have changed: the note's pages and cards are "updated".
    Note.objects.filter(pk=note.pk).update(updated_at=timezone.now())
    card_cache.note_cards_forget([note.pk])


def note_photo_add(*, actor: User, note: Note, upload: File) -> Photo:
    """Add one photo (an upload, checked and cleaned like the compose page's)
    at the end of ``note``'s photos. Raises ``TooManyPhotos`` past
    :data:`MAX_PHOTOS` and ``InvalidImage`` for what is not a photo."""
    check_can_change_note_photos(actor=actor, note=note)
    prepared = prepare_upload(upload)  # slow: outside the lock
    with transaction.atomic():
        note = _locked(note)
        count = note.photos.count()
        if count >= MAX_PHOTOS:
            raise TooManyPhotos(fields={"image": [f"A note holds at most {MAX_PHOTOS} photos."]})
        photo = photo_create(owner=note.author, prepared=prepared, note=note, position=count)
        _touched(note)
    return photo


def note_photo_remove(*, actor: User, note: Note, photo_id: int) -> None:
    """Remove one photo of ``note`` (its files go after commit). A published
    (or hidden) note keeps at least one: ``PhotosRequired``; a photo the note
    does not have: ``UnknownPhoto``."""
    check_can_change_note_photos(actor=actor, note=note)
    with transaction.atomic():
        note = _locked(note)
        current = list(note.photos.all())
        photo = next((p for p in current if p.pk == photo_id), None)
        if photo is None:
            raise UnknownPhoto()
        if len(current) == 1 and note.status != Note.Status.DRAFT:
            raise PhotosRequired(
                "A published note keeps at least one photo: add another first, "
                "or save the note as a draft.",
                fields={"photo": ["A published note keeps at least one photo."]},
            )
        files = photos.stored_names(photo)
        remaining = [p.pk for p in current if p.pk != photo_id]
        photo.delete()
        _renumber(note, remaining)
        _touched(note)
        transaction.on_commit(lambda: photo_files_delete(files))


def note_photos_reorder(*, actor: User, note: Note, photo_ids: Sequence[int]) -> list[Photo]:
    """Put ``note``'s photos in the order of ``photo_ids``, which lists each
    of them exactly once (else ``PhotoOrderMismatch``). The first is the
    cover. Returns the photos in their new order."""
    check_can_change_note_photos(actor=actor, note=note)
    with transaction.atomic():
        note = _locked(note)
        current = set(note.photos.values_list("pk", flat=True))
        if len(set(photo_ids)) != len(photo_ids) or set(photo_ids) != current:
            raise PhotoOrderMismatch(
                fields={"photo_ids": ["List each of the note's photos exactly once."]}
            )
        _renumber(note, list(photo_ids))
        _touched(note)
        return list(note.photos.all())


def _renumber(note: Note, ordered_ids: Sequence[int]) -> None:
    """Positions 0..n-1 in ``ordered_ids`` order, in one UPDATE."""
    if not ordered_ids:
        return
    Photo.objects.filter(note=note, pk__in=ordered_ids).update(
        position=Case(
            *(When(pk=pk, then=Value(i)) for i, pk in enumerate(ordered_ids)),
            output_field=IntegerField(),
        )
    )
