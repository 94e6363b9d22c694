"""Reads of notes, their comments and topics.

Selectors return querysets (or model instances) that already carry what the
page or endpoint needs: authors joined, photos prefetched, the viewer's own
like/collect flags annotated. A list of N notes costs the same few queries
whatever N is (tests assert it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from community.models import Collect, Comment, Like, Note, Photo, Topic, User
from community.permissions import is_moderator
from community.selectors.graph import viewer_graph
from core.errors import NotFound


def photo_prefetch() -> Prefetch:
    return Prefetch("photos", queryset=Photo.objects.order_by("position", "id"))


def note_with_viewer_flags(notes: QuerySet[Note], viewer: Any) -> QuerySet[Note]:
    """Annotate ``viewer_liked`` and ``viewer_collected`` (False for visitors)
    as subqueries of the same SELECT."""
    if not getattr(viewer, "is_authenticated", False):
        return notes.annotate(
            viewer_liked=Value(False, output_field=BooleanField()),
            viewer_collected=Value(False, output_field=BooleanField()),
        )
    return notes.annotate(
        viewer_liked=Exists(Like.objects.filter(note=OuterRef("pk"), user_id=viewer.pk)),
        viewer_collected=Exists(Collect.objects.filter(note=OuterRef("pk"), user_id=viewer.pk)),
    )


def note_cards(notes: QuerySet[Note], viewer: Any) -> QuerySet[Note]:
    """What a list of notes needs: author, photos, the viewer's flags."""
    return note_with_viewer_flags(
        notes.select_related("author").prefetch_related(photo_prefetch()), viewer
    )


def note_visible(viewer: Any) -> QuerySet[Note]:
    """Published notes, without those of members the viewer blocks or who
    block the viewer."""
    notes = Note.objects.filter(status=Note.Status.PUBLISHED)
    unseen = viewer_graph(viewer).unseen
    if unseen:
        notes = notes.exclude(author_id__in=unseen)
    return notes


def note_for_viewer(*, note_id: int, viewer: Any) -> Note:
    """One note with everything its page needs. Drafts and hidden notes exist
    only for their author and moderators; a blocked author's note does not
    exist for the blocker."""
    note = (
        note_with_viewer_flags(Note.objects.all(), viewer)
        .select_related("author")
        .prefetch_related(photo_prefetch(), "topics")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise NotFound("This note does not exist.")
    own = getattr(viewer, "pk", None) == note.author_id
    if not note.is_published and not own and not is_moderator(viewer):
        raise NotFound("This note does not exist.")
    if not own and note.author_id in viewer_graph(viewer).unseen:
        raise NotFound("This note does not exist.")
    return note


def note_for_edit(*, note_id: int, viewer: Any) -> Note:
    """A note the viewer may see, loaded plainly for a write (the service
    decides whether the viewer may change it)."""
    return note_for_viewer(note_id=note_id, viewer=viewer)


def note_photos_for_edit(*, note: Note, photo_ids: list[int]) -> list[Photo]:
    """The photos an edit form lists, in its order: the note's own and its
    author's uploads not yet on a note; ids that are neither are dropped
    (saving reports them)."""
    found = {
        p.pk: p
        for p in Photo.objects.filter(pk__in=photo_ids, owner=note.author_id).filter(
            Q(note=note) | Q(note=None)
        )
    }
    return [found[pk] for pk in photo_ids if pk in found]


def note_list(
    *,
    viewer: Any,
    author: User | None = None,
    topic: Topic | None = None,
    status: str | None = None,
) -> QuerySet[Note]:
    """Notes newest first: published ones for everybody; an author asking for
    their own notes may also list drafts (``status=draft``)."""
    if author is not None and getattr(viewer, "pk", None) == author.pk and status:
        notes = Note.objects.filter(author=author, status=status)
    else:
        notes = note_visible(viewer)
        if author is not None:
            notes = notes.filter(author=author)
    if topic is not None:
        notes = notes.filter(topics=topic)
    return note_cards(notes, viewer)


def note_comments(*, note: Note, viewer: Any) -> QuerySet[Comment]:
    """Top-level visible comments of a note, oldest first, with their visible
    replies prefetched; comments by members the viewer blocks, or who block
    the viewer, are left out."""
    blocked = viewer_graph(viewer).unseen
    replies = Comment.objects.filter(status=Comment.Status.VISIBLE).select_related(
        "author", "reply_to"
    )
    comments = Comment.objects.filter(
        note=note, parent=None, status=Comment.Status.VISIBLE
    ).select_related("author")
    if blocked:
        replies = replies.exclude(author_id__in=blocked)
        comments = comments.exclude(author_id__in=blocked)
    return comments.prefetch_related(
        Prefetch("replies", queryset=replies.order_by("id"), to_attr="visible_replies")
    ).order_by("id")


def comment_for_viewer(*, comment_id: int, viewer: Any) -> Comment:
    comment = Comment.objects.select_related("note", "author").filter(pk=comment_id).first()
    if comment is None or (comment.status != Comment.Status.VISIBLE and not is_moderator(viewer)):
        raise NotFound("This comment does not exist.")
    return comment


def topic_by_key(key: str) -> Topic:
    from community.text import topic_key

    topic = Topic.objects.filter(key=topic_key(key)).first()
    if topic is None:
        raise NotFound(f"No notes use #{key} yet.")
    return topic


def topic_trending(limit: int = 12) -> QuerySet[Topic]:
    return Topic.objects.filter(note_count__gt=0).order_by("-note_count", "key")[:limit]


def topic_is_followed(*, topic: Topic, viewer: Any) -> bool:
    return topic.pk in viewer_graph(viewer).followed_topics


def photo_unrendered_ids(
    *, older_than: timedelta = timedelta(minutes=5), limit: int = 500
) -> list[int]:
    """Photos uploaded more than ``older_than`` ago that still have no
    renditions: their task never ran. Oldest first, at most ``limit``."""
    cutoff = timezone.now() - older_than
    return list(
        Photo.objects.filter(renditions={}, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
