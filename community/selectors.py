"""Reads of the notes community.

Selectors return querysets (or model instances) that already carry what the
page or endpoint needs: authors joined, photos prefetched, the viewer's own
like/collect flags annotated. A list of N notes costs the same few queries
whatever N is (tests assert it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, QuerySet, Value

from community.graph import ViewerGraph, viewer_graph
from community.models import (
    Block,
    Board,
    Collect,
    Comment,
    Follow,
    Like,
    Note,
    Notification,
    Photo,
    Topic,
    User,
)
from community.services import is_moderator
from core.errors import NotFound

__all__ = ["ViewerGraph", "viewer_graph"]


def photos_prefetch() -> Prefetch:
    return Prefetch("photos", queryset=Photo.objects.order_by("position", "id"))


def with_viewer_flags(notes: QuerySet[Note], viewer: Any) -> QuerySet[Note]:
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
    return with_viewer_flags(
        notes.select_related("author").prefetch_related(photos_prefetch()), viewer
    )


def visible_notes(viewer: Any) -> QuerySet[Note]:
    """Published notes, without those of members the viewer blocks."""
    notes = Note.objects.filter(status=Note.Status.PUBLISHED)
    graph = viewer_graph(viewer)
    if graph.blocked:
        notes = notes.exclude(author_id__in=graph.blocked)
    return notes


def note_for_viewer(*, note_id: int, viewer: Any) -> Note:
    """One note with everything its page needs. Drafts and hidden notes exist
    only for their author and moderators; a blocked author's note does not
    exist for the blocker."""
    note = (
        with_viewer_flags(Note.objects.all(), viewer)
        .select_related("author")
        .prefetch_related(photos_prefetch(), "topics")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise NotFound("This note does not exist.")
    own = getattr(viewer, "pk", None) == note.author_id
    if not note.is_published and not own and not is_moderator(viewer):
        raise NotFound("This note does not exist.")
    if not own and note.author_id in viewer_graph(viewer).blocked:
        raise NotFound("This note does not exist.")
    return note


def note_for_edit(*, note_id: int, viewer: Any) -> Note:
    """A note the viewer may see, loaded plainly for a write (the service
    decides whether the viewer may change it)."""
    return note_for_viewer(note_id=note_id, viewer=viewer)


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
        notes = visible_notes(viewer)
        if author is not None:
            notes = notes.filter(author=author)
    if topic is not None:
        notes = notes.filter(topics=topic)
    return note_cards(notes, viewer)


def comments_for_note(*, note: Note, viewer: Any) -> QuerySet[Comment]:
    """Top-level visible comments of a note, oldest first, with their visible
    replies prefetched; comments by members the viewer blocks are left out."""
    blocked = viewer_graph(viewer).blocked
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


@dataclass
class Profile:
    user: User
    is_self: bool
    is_following: bool
    follows_you: bool
    is_blocked: bool


def user_by_username(username: str) -> User:
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise NotFound(f"No member is called {username!r}.")
    return user


def profile_for_viewer(*, username: str, viewer: Any) -> Profile:
    """A member's profile with the viewer's relation to them."""
    user = user_by_username(username)
    graph = viewer_graph(viewer)
    follows_you = (
        not graph.anonymous
        and Follow.objects.filter(follower=user, followee_id=graph.user_id).exists()
    )
    return Profile(
        user=user,
        is_self=graph.user_id == user.pk,
        is_following=user.pk in graph.followed_users,
        follows_you=follows_you,
        is_blocked=user.pk in graph.blocked,
    )


def topic_by_key(key: str) -> Topic:
    from community.text import topic_key

    topic = Topic.objects.filter(key=topic_key(key)).first()
    if topic is None:
        raise NotFound(f"No notes use #{key} yet.")
    return topic


def trending_topics(limit: int = 12) -> QuerySet[Topic]:
    return Topic.objects.filter(note_count__gt=0).order_by("-note_count", "key")[:limit]


def boards_of(*, owner: User, viewer: Any) -> QuerySet[Board]:
    """A member's boards; private ones only for their owner."""
    boards = Board.objects.filter(owner=owner)
    if getattr(viewer, "pk", None) != owner.pk:
        boards = boards.filter(is_private=False)
    return boards.order_by("created_at", "id")


def board_for_viewer(*, board_id: int, viewer: Any) -> Board:
    board = Board.objects.select_related("owner").filter(pk=board_id).first()
    if board is None or (board.is_private and getattr(viewer, "pk", None) != board.owner_id):
        raise NotFound("This board does not exist.")
    return board


def board_notes(*, board: Board, viewer: Any) -> QuerySet[Note]:
    notes = visible_notes(viewer).filter(collects__board=board).order_by("-collects__id")
    return note_cards(notes, viewer)


def liked_notes(*, user: User, viewer: Any) -> QuerySet[Note]:
    return note_cards(visible_notes(viewer).filter(likes__user=user).order_by("-likes__id"), viewer)


def followers_of(*, user: User) -> QuerySet[User]:
    return User.objects.filter(following_rel__followee=user, is_active=True).order_by(
        "-following_rel__id"
    )


def following_of(*, user: User) -> QuerySet[User]:
    return User.objects.filter(follower_rel__follower=user, is_active=True).order_by(
        "-follower_rel__id"
    )


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The member's notifications, newest first, without blocked actors."""
    return (
        Notification.objects.filter(recipient=user)
        .exclude(actor__in=Block.objects.filter(blocker=user).values("blocked"))
        .select_related("actor", "note", "comment")
        .order_by("-id")
    )


def unread_notification_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at=None).count()


def topic_is_followed(*, topic: Topic, viewer: Any) -> bool:
    return topic.pk in viewer_graph(viewer).followed_topics


def blocked_users(*, user: User) -> QuerySet[User]:
    """The members ``user`` blocked, by username (search and feeds hide
    them: this is where the member finds them to unblock)."""
    return User.objects.filter(blocked_by__blocker=user).order_by("username")


def suggested_creators(*, viewer: Any, limit: int = 6) -> QuerySet[User]:
    """Active authors with the most followers whom the viewer does not follow
    yet (an empty following feed offers them)."""
    graph = viewer_graph(viewer)
    users = User.objects.filter(is_active=True, note_count__gt=0)
    exclude = graph.followed_users | graph.blocked
    if graph.user_id is not None:
        exclude.add(graph.user_id)
    if exclude:
        users = users.exclude(pk__in=exclude)
    return users.order_by("-follower_count", "-note_count", "id")[:limit]


def collected_board(*, user: Any, note: Note) -> Board | None:
    """The board in which ``user`` keeps ``note``, if any (the board picker
    marks it)."""
    if not getattr(user, "is_authenticated", False):
        return None
    collect = Collect.objects.filter(user_id=user.pk, note=note).select_related("board").first()
    return collect.board if collect is not None else None


def board_covers(*, boards: list[Board], viewer: Any, per_board: int = 3) -> dict[int, list[Photo]]:
    """Cover photos of boards: the first photo of each of the ``per_board``
    most recently collected notes the viewer may see. Two queries whatever
    the number of boards (a window function picks the latest collects)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    if not boards:
        return {}
    latest = (
        Collect.objects.filter(board__in=boards, note__in=visible_notes(viewer))
        .annotate(rank=Window(RowNumber(), partition_by=F("board_id"), order_by=F("id").desc()))
        .filter(rank__lte=per_board)
        .order_by("board_id", "rank")
        .values_list("board_id", "note_id")
    )
    pairs = list(latest)
    first_photo: dict[int, Photo] = {}
    for photo in Photo.objects.filter(note_id__in={n for _, n in pairs}).order_by(
        "note_id", "position", "id"
    ):
        if photo.note_id is not None:
            first_photo.setdefault(photo.note_id, photo)
    covers: dict[int, list[Photo]] = {board.pk: [] for board in boards}
    for board_id, note_id in pairs:
        if note_id in first_photo:
            covers[board_id].append(first_photo[note_id])
    return covers
