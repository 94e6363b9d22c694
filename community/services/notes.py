"""Notes: composing, editing, publishing and deleting them, and likes.

Every public function is keyword-only and follows Zulip's split: ``check_*``
(:mod:`community.permissions`) validates access and raises a
:mod:`community.errors` exception; the work happens in one transaction;
notifications and background work are sent with ``transaction.on_commit`` so
nobody hears of a write that rolled back. Counters are changed with ``F()``
expressions or recounted with one set-based UPDATE
(:mod:`community.services.counts`), so concurrent writers never lose an
increment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from community import card_cache, photos, text
from community.errors import InvalidTransition, PhotosRequired, TooManyPhotos
from community.models import Collect, Like, Note, Notification, Photo, Topic, User
from community.permissions import (
    check_can_change_note_photos,
    check_can_edit_note,
    check_can_interact,
    is_moderator,
)
from community.selectors.people import user_mentionable
from community.services.counts import (
    author_notes_recount,
    boards_recount,
    note_rescore,
    note_visibility_changed,
    topics_recount,
)
from community.services.notifications import mentions_notify, notification_create
from community.services.photos import photo_create, photo_files_delete
from core.errors import ValidationFailed
from core.images import prepare_upload, prepare_uploads

MAX_PHOTOS = 9  # SPEC.md: 1–9 photos a note; the compose page reads it from here


@dataclass(frozen=True)
class _NoteText:
    title: str
    body: str
    body_html: str
    topics: list[str]
    mention_ids: list[int]


def _prepare_text(*, author: User, title: str, body: str) -> _NoteText:
    title = title.strip()
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["A note needs a title."]
    elif len(title) > 100:
        errors["title"] = ["Keep the title within 100 characters."]
    if len(body) > 2000:
        errors["body"] = ["Keep the text within 2,000 characters."]
    if errors:
        raise ValidationFailed(fields=errors)
    parsed = text.parse(body)
    mentioned = user_mentionable(author=author, usernames=parsed.mentions)
    return _NoteText(
        title=title,
        body=body,
        body_html=text.render(body, known_usernames=[u.username for u in mentioned]),
        topics=[t for t in parsed.topics if len(t) <= text.TOPIC_MAX_LENGTH],
        mention_ids=[u.pk for u in mentioned if u.pk != author.pk],
    )


def _own_unattached_photos(*, owner: User, photo_ids: Sequence[int]) -> list[Photo]:
    if len(set(photo_ids)) != len(photo_ids):
        raise ValidationFailed(fields={"photo_ids": ["A photo is listed twice."]})
    found = {p.pk: p for p in Photo.objects.filter(pk__in=photo_ids, owner=owner, note=None)}
    missing = [pid for pid in photo_ids if pid not in found]
    if missing:
        raise ValidationFailed(
            fields={"photo_ids": [f"Unknown or already used photo ids: {missing}."]}
        )
    return [found[pid] for pid in photo_ids]


def _check_status(status: str, *, allowed: Iterable[str]) -> str:
    if status not in allowed:
        raise InvalidTransition(
            f"Status must be one of: {', '.join(allowed)}.", fields={"status": ["Invalid status."]}
        )
    return status


def photo_upload(*, owner: User, upload: File) -> Photo:
    """Store one photo ahead of the note that will use it (the compose page
    uploads each file on its own, with progress). Unattached photos are
    attached by ``note_create(photo_ids=...)``."""
    prepared = prepare_upload(upload)
    with transaction.atomic():
        return photo_create(owner=owner, prepared=prepared)


def note_create(
    *,
    author: User,
    title: str,
    body: str = "",
    status: str = Note.Status.PUBLISHED,
    images: Sequence[File] = (),
    photo_ids: Sequence[int] = (),
) -> Note:
    """Create a draft or a published note with up to nine photos: new uploads
    (``images``) and/or photos uploaded earlier (``photo_ids``), in that
    order. A published note needs at least one photo."""
    _check_status(status, allowed=(Note.Status.DRAFT, Note.Status.PUBLISHED))
    if len(images) + len(photo_ids) > MAX_PHOTOS:
        raise TooManyPhotos(fields={"images": [f"A note holds at most {MAX_PHOTOS} photos."]})
    if status == Note.Status.PUBLISHED and not images and not photo_ids:
        raise PhotosRequired(fields={"images": ["Add at least one photo to publish."]})
    note_text = _prepare_text(author=author, title=title, body=body)
    prepared = prepare_uploads(images)
    with transaction.atomic():
        existing = _own_unattached_photos(owner=author, photo_ids=photo_ids)
        note = Note.objects.create(
            author=author,
            title=note_text.title,
            body=note_text.body,
            body_html=note_text.body_html,
            status=Note.Status.DRAFT,
        )
        for position, photo in enumerate(existing):
            Photo.objects.filter(pk=photo.pk).update(note=note, position=position)
        for offset, item in enumerate(prepared, start=len(existing)):
            photo_create(owner=author, prepared=item, note=note, position=offset)
        _set_topics_and_mentions(note, note_text)
        if status == Note.Status.PUBLISHED:
            _publish(note, mention_ids=note_text.mention_ids)
    return note


def note_update(
    *,
    actor: User,
    note: Note,
    title: str | None = None,
    body: str | None = None,
    status: str | None = None,
    photo_ids: Sequence[int] | None = None,
    images: Sequence[File] = (),
) -> Note:
    """Edit a note. ``photo_ids`` (the note's photos and/or unattached uploads
    of the author) replaces the photo list in that order; ``images`` are
    appended; only the author changes the photos. Authors move between
    draft and published; only moderators set or lift ``hidden``."""
    check_can_edit_note(actor=actor, note=note)
    if photo_ids is not None or images:
        check_can_change_note_photos(actor=actor, note=note)
    moderator = is_moderator(actor)
    if status is not None:
        allowed = [Note.Status.DRAFT, Note.Status.PUBLISHED]
        if moderator:
            allowed.append(Note.Status.HIDDEN)
        _check_status(status, allowed=allowed)
        if note.status == Note.Status.HIDDEN and not moderator:
            raise InvalidTransition("A moderator hid this note; it cannot be republished.")
        if status == Note.Status.HIDDEN and note.status == Note.Status.DRAFT:
            # Restoring it later would publish what its author never published.
            raise InvalidTransition("Only published notes can be hidden.")
    note_text = None
    if title is not None or body is not None:
        note_text = _prepare_text(
            author=note.author,
            title=note.title if title is None else title,
            body=note.body if body is None else body,
        )
    prepared = prepare_uploads(images)
    with transaction.atomic():
        note = Note.objects.select_for_update().get(pk=note.pk)
        was_published = note.is_published
        if photo_ids is not None:
            if len(set(photo_ids)) != len(photo_ids):
                raise ValidationFailed(fields={"photo_ids": ["A photo is listed twice."]})
            current = {p.pk: p for p in note.photos.all()}
            unattached = [pid for pid in photo_ids if pid not in current]
            fresh = {
                p.pk: p for p in _own_unattached_photos(owner=note.author, photo_ids=unattached)
            }
            keep = [current.get(pid) or fresh[pid] for pid in photo_ids]
        else:
            keep = list(note.photos.all())
        if len(keep) + len(prepared) > MAX_PHOTOS:
            raise TooManyPhotos(fields={"images": [f"A note holds at most {MAX_PHOTOS} photos."]})
        target = status or note.status
        # A hidden note is a published one on hold: it keeps a photo too.
        photos_on_hold = photo_ids is not None and target == Note.Status.HIDDEN
        if (target == Note.Status.PUBLISHED or photos_on_hold) and not keep and not prepared:
            raise PhotosRequired(fields={"images": ["Add at least one photo to publish."]})
        if photo_ids is not None:
            removed = list(note.photos.exclude(pk__in=[p.pk for p in keep]))
            files = [name for photo in removed for name in photos.stored_names(photo)]
            Photo.objects.filter(pk__in=[p.pk for p in removed]).delete()
            # Like note_delete: the files go once the rows are surely gone.
            transaction.on_commit(lambda: photo_files_delete(files))
        for position, photo in enumerate(keep):
            Photo.objects.filter(pk=photo.pk).update(note=note, position=position)
        for offset, item in enumerate(prepared, start=len(keep)):
            photo_create(owner=note.author, prepared=item, note=note, position=offset)
        mention_ids: list[int] = []
        if note_text is not None:
            note.title, note.body, note.body_html = (
                note_text.title,
                note_text.body,
                note_text.body_html,
            )
            note.save(update_fields=["title", "body", "body_html", "updated_at"])
            old_topics = set(note.topics.values_list("pk", flat=True))
            old_mentions = set(note.mentions.values_list("pk", flat=True))
            _set_topics_and_mentions(note, note_text)
            topics_recount(old_topics | set(note.topics.values_list("pk", flat=True)))
            mention_ids = [m for m in note_text.mention_ids if m not in old_mentions]
        if status is not None and status != note.status:
            if status == Note.Status.PUBLISHED:
                _publish(note, mention_ids=list(note.mentions.values_list("pk", flat=True)))
                mention_ids = []
            else:
                Note.objects.filter(pk=note.pk).update(status=status)
                note_visibility_changed(note)
        elif was_published and mention_ids:
            mentions_notify(note, mention_ids)
        if was_published or status == Note.Status.PUBLISHED:
            note_rescore(note.pk)
        # Its photos may have moved by UPDATE (no save to tell anyone).
        card_cache.note_cards_forget([note.pk])
    note.refresh_from_db()
    return note


def note_delete(*, actor: User, note: Note) -> None:
    """Delete a note with its photos, likes, collects and comments."""
    check_can_edit_note(actor=actor, note=note)
    with transaction.atomic():
        topic_ids = set(note.topics.values_list("pk", flat=True))
        board_ids = set(Collect.objects.filter(note=note).values_list("board_id", flat=True))
        files = [name for photo in note.photos.all() for name in photos.stored_names(photo)]
        author_id = note.author_id
        note.delete()
        topics_recount(topic_ids)
        author_notes_recount(author_id)
        boards_recount(board_ids)
        transaction.on_commit(lambda: photo_files_delete(files))


def _set_topics_and_mentions(note: Note, note_text: _NoteText) -> None:
    topics = [_topic_for(name) for name in note_text.topics]
    note.topics.set(topics)
    note.mentions.set(note_text.mention_ids)


def _topic_for(name: str) -> Topic:
    key = text.topic_key(name)
    topic = Topic.objects.filter(key=key).first()
    if topic is not None:
        return topic
    try:
        with transaction.atomic():
            return Topic.objects.create(name=name, key=key)
    except IntegrityError:  # created concurrently
        return Topic.objects.get(key=key)


def _publish(note: Note, *, mention_ids: Sequence[int]) -> None:
    now = timezone.now()
    published_at = note.published_at or now
    Note.objects.filter(pk=note.pk).update(status=Note.Status.PUBLISHED, published_at=published_at)
    note.status, note.published_at = Note.Status.PUBLISHED, published_at
    note_rescore(note.pk)
    note_visibility_changed(note)
    mentions_notify(note, mention_ids)


def like_add(*, user: User, note: Note) -> bool:
    """Like a note; liking twice is a no-op. Returns whether a like was added."""
    check_can_interact(user=user, note=note)
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, note=note)
        if created:
            Note.objects.filter(pk=note.pk).update(like_count=F("like_count") + 1)
            note_rescore(note.pk)
            notification_create(
                recipient_id=note.author_id, actor=user, verb=Notification.Verb.LIKE, note=note
            )
    return created


def like_remove(*, user: User, note: Note) -> bool:
    """Take a like back; idempotent. The unread "liked" notification goes too."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, note=note).delete()
        if deleted:
            Note.objects.filter(pk=note.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
            Notification.objects.filter(
                actor=user, note=note, verb=Notification.Verb.LIKE, read_at=None
            ).delete()
    return bool(deleted)


#: A reader's views of one note within this window count once.
NOTE_VIEW_WINDOW = timedelta(minutes=30)


def note_view_record(*, note: Note, reader: Any, address: str = "") -> bool:
    """Count a read of ``note`` (its page, or its API representation) in
    ``view_count``: only a published note, never its author's own reads, and
    once per reader (the member, else the client's ``address``) per
    :data:`NOTE_VIEW_WINDOW`, deduplicated in the cache without a query.
    The count is one ``UPDATE ... SET view_count = view_count + 1``. True
    when the read was counted."""
    member_id = reader.pk if getattr(reader, "is_authenticated", False) else None
    if not note.is_published or member_id == note.author_id:
        return False
    key = f"m{member_id}" if member_id is not None else f"a{address[:64]}"
    window = int(NOTE_VIEW_WINDOW.total_seconds())
    if not cache.add(f"note-view:{note.pk}:{key}", 1, timeout=window):
        return False
    Note.objects.filter(pk=note.pk).update(view_count=F("view_count") + 1)
    return True
