"""Writes of the notes community.

Every public function is keyword-only and follows Zulip's split: ``check_*``
validates input and access and raises a :mod:`community.errors` exception;
``do`` work happens in one transaction; notifications and background work are
sent with ``transaction.on_commit`` so nobody hears of a write that rolled
back. Counters are changed with ``F()`` expressions or recounted with one
set-based UPDATE, so concurrent writers never lose an increment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community import photos, ranking, text
from community.errors import (
    Blocked,
    CommentDepthExceeded,
    InvalidTransition,
    PhotosRequired,
    SelfAction,
    TooManyPhotos,
)
from community.graph import forget_viewer_graph
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
    Report,
    Topic,
    TopicFollow,
    User,
    username_validator,
)
from core.errors import (
    AuthenticationRequired,
    InvalidImage,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from core.images import PreparedImage, prepare_upload

MAX_PHOTOS = 9  # SPEC.md: 1–9 photos a note; the compose page reads it from here


# --- access -----------------------------------------------------------------


def is_moderator(user: Any) -> bool:
    """Site moderators: superusers and members of the Moderators group."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.has_perm("community.moderate_note"))
    )


def check_authenticated(user: Any) -> User:
    if not getattr(user, "is_authenticated", False):
        raise AuthenticationRequired()
    return user


def is_blocked_between(a: User, b: User) -> bool:
    """True when either member blocks the other."""
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def check_can_interact(*, user: User, note: Note) -> None:
    """A member may like, collect or comment on a published note whose author
    has not blocked them (and whom they have not blocked)."""
    if not note.is_published:
        raise NotFound("This note is not published.")
    if note.author_id != user.pk and is_blocked_between(user, note.author):
        raise Blocked()


def _forget_graph(*users: User) -> None:
    """Follows or blocks of these members changed: feeds must read them anew."""
    forget_viewer_graph(*users)


def check_can_edit_note(*, actor: User, note: Note) -> None:
    if note.author_id != actor.pk and not is_moderator(actor):
        raise PermissionDenied("Only the author or a moderator can change this note.")


# --- members ----------------------------------------------------------------


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a member and their API token. Every field problem is reported at
    once, under its field name."""
    username = username.strip()
    email = email.strip()
    errors: dict[str, list[str]] = {}
    try:
        username_validator(username)
    except DjangoValidationError as exc:
        errors["username"] = list(exc.messages)
    else:
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = ["This username is taken."]
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = ["Enter a valid email address."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ["An account with this email already exists."]
    try:
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            Token.objects.create(user=user)
    except IntegrityError as exc:  # a concurrent sign-up took the name first
        raise ValidationFailed(fields={"username": ["This username is taken."]}) from exc
    return user


def user_token(*, user: User) -> str:
    """The member's API token, created on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def user_update_profile(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar: File | None = None,
) -> User:
    """Change the caller's public profile. An avatar goes through the same
    validation and metadata stripping as every upload (``core.images``)."""
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name.strip()[:50]
        fields.append("display_name")
    if bio is not None:
        user.bio = bio.strip()[:500]
        fields.append("bio")
    if avatar is not None:
        try:
            prepared = prepare_upload(avatar)
        except InvalidImage as exc:
            raise ValidationFailed(
                exc.message, fields={"avatar": [exc.message]}, code=exc.code
            ) from exc
        cleaned = prepared.as_file()
        user.avatar.save(cleaned.name or "", cleaned, save=False)
        fields.append("avatar")
    if fields:
        user.save(update_fields=fields)
    return user


# --- notes ------------------------------------------------------------------


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
    mentioned = _mentionable(author=author, usernames=parsed.mentions)
    return _NoteText(
        title=title,
        body=body,
        body_html=text.render(body, known_usernames=[u.username for u in mentioned]),
        topics=[t for t in parsed.topics if len(t) <= text.TOPIC_MAX_LENGTH],
        mention_ids=[u.pk for u in mentioned if u.pk != author.pk],
    )


def _mentionable(*, author: User, usernames: Sequence[str]) -> list[User]:
    """Members named in the text who exist, are active and do not block the
    author."""
    if not usernames:
        return []
    query = Q()
    for name in usernames[:20]:
        query |= Q(username__iexact=name)
    return list(User.objects.filter(query, is_active=True).exclude(blocks__blocked=author))


def _prepare_images(uploads: Sequence[File]) -> list[PreparedImage]:
    prepared = []
    for index, upload in enumerate(uploads):
        try:
            prepared.append(prepare_upload(upload))
        except InvalidImage as exc:
            name = getattr(upload, "name", None) or f"file {index + 1}"
            raise InvalidImage(
                f"{name}: {exc.message}",
                code=exc.code,
                fields={"images": [f"{name}: {exc.message}"]},
            ) from exc
    return prepared


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
        return photos.photo_create(owner=owner, prepared=prepared)


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
    prepared = _prepare_images(images)
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
            photos.photo_create(owner=author, prepared=item, note=note, position=offset)
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
    appended. Authors move between draft and published; only moderators set
    or lift ``hidden``."""
    check_can_edit_note(actor=actor, note=note)
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
    prepared = _prepare_images(images)
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
        if target == Note.Status.PUBLISHED and not keep and not prepared:
            raise PhotosRequired(fields={"images": ["Add at least one photo to publish."]})
        if photo_ids is not None:
            removed = list(note.photos.exclude(pk__in=[p.pk for p in keep]))
            files = [name for photo in removed for name in photos.stored_names(photo)]
            Photo.objects.filter(pk__in=[p.pk for p in removed]).delete()
            # Like note_delete: the files go once the rows are surely gone.
            transaction.on_commit(lambda: photos.delete_files(files))
        for position, photo in enumerate(keep):
            Photo.objects.filter(pk=photo.pk).update(note=note, position=position)
        for offset, item in enumerate(prepared, start=len(keep)):
            photos.photo_create(owner=note.author, prepared=item, note=note, position=offset)
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
            _recount_topics(old_topics | set(note.topics.values_list("pk", flat=True)))
            mention_ids = [m for m in note_text.mention_ids if m not in old_mentions]
        if status is not None and status != note.status:
            if status == Note.Status.PUBLISHED:
                _publish(note, mention_ids=list(note.mentions.values_list("pk", flat=True)))
                mention_ids = []
            else:
                Note.objects.filter(pk=note.pk).update(status=status)
                _after_visibility_change(note)
        elif was_published and mention_ids:
            _notify_mentions(note, mention_ids)
        if was_published or status == Note.Status.PUBLISHED:
            _rescore(note.pk)
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
        _recount_topics(topic_ids)
        _recount_author_notes(author_id)
        _recount_boards(board_ids)
        transaction.on_commit(lambda: photos.delete_files(files))


def notes_set_hidden(*, moderator: User, notes: QuerySet[Note], hidden: bool) -> int:
    """Hide published notes or restore hidden ones (the report queue's bulk
    actions). Returns how many changed."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators hide or restore notes.")
    source, target = (
        (Note.Status.PUBLISHED, Note.Status.HIDDEN)
        if hidden
        else (Note.Status.HIDDEN, Note.Status.PUBLISHED)
    )
    with transaction.atomic():
        changed = list(notes.filter(status=source).select_for_update())
        if not changed:
            return 0
        Note.objects.filter(pk__in=[n.pk for n in changed]).update(status=target)
        for note in changed:
            if target == Note.Status.PUBLISHED and note.published_at is None:
                Note.objects.filter(pk=note.pk).update(published_at=timezone.now())
            _after_visibility_change(note)
    return len(changed)


def comments_set_hidden(*, moderator: User, comments: QuerySet[Comment], hidden: bool) -> int:
    """Hide or restore comments; the notes' comment counts follow."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators hide or restore comments.")
    source, target = (
        (Comment.Status.VISIBLE, Comment.Status.HIDDEN)
        if hidden
        else (Comment.Status.HIDDEN, Comment.Status.VISIBLE)
    )
    with transaction.atomic():
        changed = list(comments.filter(status=source).values_list("pk", "note_id", "parent_id"))
        if not changed:
            return 0
        Comment.objects.filter(pk__in=[c[0] for c in changed]).update(status=target)
        _recount_comments({c[1] for c in changed}, parent_ids={c[2] for c in changed if c[2]})
    return len(changed)


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
    _rescore(note.pk)
    _after_visibility_change(note)
    _notify_mentions(note, mention_ids)


def _after_visibility_change(note: Note) -> None:
    _recount_author_notes(note.author_id)
    _recount_topics(set(note.topics.values_list("pk", flat=True)))


def _rescore(note_id: int) -> None:
    """Raise the stored hot score to what the current counts give (it never
    decreases; see community.ranking)."""
    row = (
        Note.objects.filter(pk=note_id)
        .values("like_count", "collect_count", "comment_count", "published_at")
        .first()
    )
    if row is None or row["published_at"] is None:
        return
    score = ranking.hot_score(
        likes=row["like_count"],
        collects=row["collect_count"],
        comments=row["comment_count"],
        published_at=row["published_at"],
    )
    Note.objects.filter(pk=note_id).update(hot_score=Greatest(F("hot_score"), Value(score)))


def _count_subquery(model: Any, field: str, *conditions: Q, **filters: Any) -> Coalesce:
    counted = (
        model.objects.filter(*conditions, **{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def _recount_topics(topic_ids: Iterable[int]) -> None:
    ids = list(topic_ids)
    if ids:
        Topic.objects.filter(pk__in=ids).update(
            note_count=_count_subquery(
                Note.topics.through, "topic", note__status=Note.Status.PUBLISHED
            )
        )


def _recount_author_notes(author_id: int) -> None:
    User.objects.filter(pk=author_id).update(
        note_count=_count_subquery(Note, "author", status=Note.Status.PUBLISHED)
    )


def _recount_boards(board_ids: Iterable[int]) -> None:
    ids = list(board_ids)
    if ids:
        Board.objects.filter(pk__in=ids).update(collect_count=_count_subquery(Collect, "board"))


def _recount_comments(note_ids: Iterable[int], *, parent_ids: Iterable[int] = ()) -> None:
    ids = list(note_ids)
    if ids:
        # What readers see: replies of a hidden thread are hidden with it.
        shown = Q(parent=None) | Q(parent__status=Comment.Status.VISIBLE)
        Note.objects.filter(pk__in=ids).update(
            comment_count=_count_subquery(Comment, "note", shown, status=Comment.Status.VISIBLE)
        )
    parents = list(parent_ids)
    if parents:
        Comment.objects.filter(pk__in=parents).update(
            reply_count=_count_subquery(Comment, "parent", status=Comment.Status.VISIBLE)
        )


# --- likes and collects -----------------------------------------------------


def like_add(*, user: User, note: Note) -> bool:
    """Like a note; liking twice is a no-op. Returns whether a like was added."""
    check_can_interact(user=user, note=note)
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, note=note)
        if created:
            Note.objects.filter(pk=note.pk).update(like_count=F("like_count") + 1)
            _rescore(note.pk)
            _notify(recipient_id=note.author_id, actor=user, verb=Notification.Verb.LIKE, note=note)
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


def board_create(
    *, owner: User, name: str, description: str = "", is_private: bool = False
) -> Board:
    """A new named board; names are unique per member, ignoring case."""
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationFailed(fields={"name": ["Board names have 1–50 characters."]})
    if Board.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationFailed(
            fields={"name": ["You already have a board with this name."]}, code="duplicate_board"
        )
    try:
        with transaction.atomic():
            return Board.objects.create(
                owner=owner, name=name, description=description.strip(), is_private=is_private
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"name": ["You already have a board with this name."]}, code="duplicate_board"
        ) from exc


def _board_for_collect(*, user: User, board_id: int | None, board_name: str | None) -> Board:
    if board_id is not None:
        board = Board.objects.filter(pk=board_id, owner=user).first()
        if board is None:
            raise NotFound("You have no board with this id.", fields={"board": ["Unknown board."]})
        return board
    # Cut to the stored length before the lookup, or a long name never
    # finds the board it created.
    name = (board_name or Board.DEFAULT_NAME).strip()[:50].strip() or Board.DEFAULT_NAME
    board = Board.objects.filter(owner=user, name__iexact=name).first()
    if board is not None:
        return board
    try:
        with transaction.atomic():
            return Board.objects.create(owner=user, name=name)
    except IntegrityError:
        return Board.objects.get(owner=user, name__iexact=name)


def collect_add(
    *, user: User, note: Note, board_id: int | None = None, board_name: str | None = None
) -> Collect:
    """Keep a note in one of the member's boards (the default "Saved" board,
    created on first use, unless one is named). Collecting again into another
    board moves it; into the same board is a no-op."""
    check_can_interact(user=user, note=note)
    with transaction.atomic():
        board = _board_for_collect(user=user, board_id=board_id, board_name=board_name)
        collect, created = Collect.objects.get_or_create(
            user=user, note=note, defaults={"board": board}
        )
        if created:
            Note.objects.filter(pk=note.pk).update(collect_count=F("collect_count") + 1)
            _rescore(note.pk)
            _recount_boards({board.pk})
            _notify(
                recipient_id=note.author_id, actor=user, verb=Notification.Verb.COLLECT, note=note
            )
        elif collect.board_id != board.pk:
            old = collect.board_id
            Collect.objects.filter(pk=collect.pk).update(board=board)
            collect.board = board
            _recount_boards({old, board.pk})
    return collect


def collect_remove(*, user: User, note: Note) -> bool:
    """Take a note out of the member's boards; idempotent."""
    with transaction.atomic():
        collect = Collect.objects.filter(user=user, note=note).first()
        if collect is None:
            return False
        collect.delete()
        Note.objects.filter(pk=note.pk, collect_count__gt=0).update(
            collect_count=F("collect_count") - 1
        )
        _recount_boards({collect.board_id})
        Notification.objects.filter(
            actor=user, note=note, verb=Notification.Verb.COLLECT, read_at=None
        ).delete()
    return True


# --- comments ---------------------------------------------------------------


def comment_create(*, author: User, note: Note, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a note, or reply to a comment of the same note. A reply to a
    reply joins the same thread and names whom it answers."""
    check_can_interact(user=author, note=note)
    body = body.strip()
    if not body:
        raise ValidationFailed(fields={"body": ["Write something first."]})
    if len(body) > 1000:
        raise ValidationFailed(
            fields={"body": ["Keep comments within 1,000 characters."]}, code="too_long"
        )
    parent = None
    reply_to = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(pk=parent_id, note=note, status=Comment.Status.VISIBLE)
            .select_related("author")
            .first()
        )
        if parent is None:
            raise CommentDepthExceeded(fields={"parent": ["No such comment on this note."]})
        reply_to = parent.author
        if parent.parent_id is not None:
            parent = Comment.objects.filter(
                pk=parent.parent_id, status=Comment.Status.VISIBLE
            ).first()
            if parent is None:  # the thread was hidden
                raise CommentDepthExceeded(fields={"parent": ["No such comment on this note."]})
        if is_blocked_between(author, reply_to):
            raise Blocked()
    parsed = text.parse(body)
    mentioned = _mentionable(author=author, usernames=parsed.mentions)
    with transaction.atomic():
        comment = Comment.objects.create(
            note=note,
            author=author,
            parent=parent,
            reply_to=reply_to,
            body=body,
            body_html=text.render(body, known_usernames=[u.username for u in mentioned]),
        )
        Note.objects.filter(pk=note.pk).update(comment_count=F("comment_count") + 1)
        if parent is not None:
            Comment.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
        _rescore(note.pk)
        notified = {author.pk}
        if reply_to is not None and reply_to.pk not in notified:
            _notify(
                recipient_id=reply_to.pk,
                actor=author,
                verb=Notification.Verb.REPLY,
                note=note,
                comment=comment,
            )
            notified.add(reply_to.pk)
        if note.author_id not in notified:
            _notify(
                recipient_id=note.author_id,
                actor=author,
                verb=Notification.Verb.COMMENT,
                note=note,
                comment=comment,
            )
            notified.add(note.author_id)
        for member in mentioned:
            if member.pk not in notified:
                _notify(
                    recipient_id=member.pk,
                    actor=author,
                    verb=Notification.Verb.MENTION,
                    note=note,
                    comment=comment,
                )
    return comment


def comment_delete(*, actor: User, comment: Comment) -> None:
    """Delete a comment (and its replies). Its author, the note's author and
    moderators may."""
    note = comment.note
    if actor.pk not in (comment.author_id, note.author_id) and not is_moderator(actor):
        raise PermissionDenied(
            "Only the comment's author, the note's author or a moderator can delete it."
        )
    with transaction.atomic():
        parent_id = comment.parent_id
        comment.delete()
        _recount_comments({note.pk}, parent_ids={parent_id} if parent_id else ())


# --- follows and blocks ------------------------------------------------------


def follow_user(*, follower: User, followee: User) -> bool:
    """Follow a member; idempotent. Returns whether a follow was added."""
    if follower.pk == followee.pk:
        raise SelfAction("You cannot follow yourself.")
    if is_blocked_between(follower, followee):
        raise Blocked()
    with transaction.atomic():
        _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
        if created:
            User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
            User.objects.filter(pk=followee.pk).update(follower_count=F("follower_count") + 1)
            _notify(recipient_id=followee.pk, actor=follower, verb=Notification.Verb.FOLLOW)
    _forget_graph(follower, followee)
    return created


def unfollow_user(*, follower: User, followee: User) -> bool:
    """Stop following; idempotent."""
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if deleted:
            User.objects.filter(pk=follower.pk, following_count__gt=0).update(
                following_count=F("following_count") - 1
            )
            User.objects.filter(pk=followee.pk, follower_count__gt=0).update(
                follower_count=F("follower_count") - 1
            )
    _forget_graph(follower, followee)
    return bool(deleted)


def follow_topic(*, user: User, topic: Topic) -> bool:
    """Follow a topic; idempotent."""
    with transaction.atomic():
        _, created = TopicFollow.objects.get_or_create(user=user, topic=topic)
        if created:
            Topic.objects.filter(pk=topic.pk).update(follower_count=F("follower_count") + 1)
    _forget_graph(user)
    return created


def unfollow_topic(*, user: User, topic: Topic) -> bool:
    with transaction.atomic():
        deleted, _ = TopicFollow.objects.filter(user=user, topic=topic).delete()
        if deleted:
            Topic.objects.filter(pk=topic.pk, follower_count__gt=0).update(
                follower_count=F("follower_count") - 1
            )
    _forget_graph(user)
    return bool(deleted)


def block_user(*, blocker: User, blocked: User) -> bool:
    """Block a member: their notes and comments vanish for the blocker, they
    can no longer interact with the blocker, and follows both ways end."""
    if blocker.pk == blocked.pk:
        raise SelfAction("You cannot block yourself.")
    with transaction.atomic():
        _, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        unfollow_user(follower=blocker, followee=blocked)
        unfollow_user(follower=blocked, followee=blocker)
    _forget_graph(blocker, blocked)
    return created


def unblock_user(*, blocker: User, blocked: User) -> bool:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    _forget_graph(blocker, blocked)
    return bool(deleted)


# --- reports ----------------------------------------------------------------


def report_create(
    *,
    reporter: User,
    reason: str,
    detail: str = "",
    note: Note | None = None,
    comment: Comment | None = None,
    user: User | None = None,
) -> Report:
    """Flag one note, comment or member for moderators. Reporting the same
    thing again while the first report is open returns that report."""
    targets = [t for t in (note, comment, user) if t is not None]
    if len(targets) != 1:
        raise ValidationFailed("Report exactly one note, comment or member.")
    if reason not in Report.Reason.values:
        raise ValidationFailed(
            fields={"reason": [f"Choose one of: {', '.join(Report.Reason.values)}."]}
        )
    owner_id = user.pk if user else (note.author_id if note else comment.author_id)  # type: ignore[union-attr]
    if owner_id == reporter.pk:
        raise SelfAction("You cannot report yourself or your own content.")
    lookup = {"note": note, "comment": comment, "user": user}
    existing = Report.objects.filter(reporter=reporter, status=Report.Status.OPEN, **lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter, reason=reason, detail=detail.strip()[:1000], **lookup
            )
    except IntegrityError:
        return Report.objects.get(reporter=reporter, status=Report.Status.OPEN, **lookup)


def reports_resolve(*, moderator: User, reports: QuerySet[Report], hide: bool) -> int:
    """Close open reports. With ``hide`` the reported notes and comments are
    hidden (reported members are left to staff's account tools)."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators resolve reports.")
    with transaction.atomic():
        open_reports = list(reports.filter(status=Report.Status.OPEN).select_for_update())
        if hide:
            notes_set_hidden(
                moderator=moderator,
                notes=Note.objects.filter(pk__in=[r.note_id for r in open_reports if r.note_id]),
                hidden=True,
            )
            comments_set_hidden(
                moderator=moderator,
                comments=Comment.objects.filter(
                    pk__in=[r.comment_id for r in open_reports if r.comment_id]
                ),
                hidden=True,
            )
        handled = Q(pk__in=[r.pk for r in open_reports])
        if hide:
            # Once the content is hidden, every open report about it is answered.
            handled |= Q(status=Report.Status.OPEN) & (
                Q(note_id__in=[r.note_id for r in open_reports if r.note_id])
                | Q(comment_id__in=[r.comment_id for r in open_reports if r.comment_id])
            )
        Report.objects.filter(handled).update(
            status=Report.Status.ACTIONED if hide else Report.Status.DISMISSED,
            handled_by=moderator,
            handled_at=timezone.now(),
        )
    return len(open_reports)


def reports_restore(*, moderator: User, reports: QuerySet[Report]) -> int:
    """Undo a "hide": restore the reported notes and comments and reopen
    nothing (the report stays as history, marked dismissed)."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators restore content.")
    with transaction.atomic():
        chosen = list(reports)
        notes_set_hidden(
            moderator=moderator,
            notes=Note.objects.filter(pk__in=[r.note_id for r in chosen if r.note_id]),
            hidden=False,
        )
        comments_set_hidden(
            moderator=moderator,
            comments=Comment.objects.filter(pk__in=[r.comment_id for r in chosen if r.comment_id]),
            hidden=False,
        )
        Report.objects.filter(pk__in=[r.pk for r in chosen]).update(
            status=Report.Status.DISMISSED, handled_by=moderator, handled_at=timezone.now()
        )
    return len(chosen)


# --- notifications ----------------------------------------------------------


def _notify(
    *,
    recipient_id: int,
    actor: User,
    verb: str,
    note: Note | None = None,
    comment: Comment | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a notification unless it is about oneself, the recipient blocks
    the actor, or the same like/collect/follow is already waiting unread."""
    if recipient_id == actor.pk:
        return
    if Block.objects.filter(blocker_id=recipient_id, blocked=actor).exists():
        return
    if verb in (Notification.Verb.LIKE, Notification.Verb.COLLECT, Notification.Verb.FOLLOW) and (
        Notification.objects.filter(
            recipient_id=recipient_id, actor=actor, verb=verb, note=note, read_at=None
        ).exists()
    ):
        return
    # A note mentions a member once, however often it is unpublished and
    # republished or the mention removed and added back.
    if (
        verb == Notification.Verb.MENTION
        and note is not None
        and comment is None
        and (
            Notification.objects.filter(
                recipient_id=recipient_id, actor=actor, verb=verb, note=note, comment=None
            ).exists()
        )
    ):
        return
    Notification.objects.create(
        recipient_id=recipient_id,
        actor=actor,
        verb=verb,
        note=note,
        comment=comment,
        data=data or {},
    )


def _notify_mentions(note: Note, mention_ids: Sequence[int]) -> None:
    for member_id in mention_ids:
        _notify(
            recipient_id=member_id, actor=note.author, verb=Notification.Verb.MENTION, note=note
        )


def notify_followers(*, actor: User, verb: str, data: dict[str, Any]) -> int:
    """Tell every follower of ``actor`` something (later apps: "went live").
    One INSERT for all followers; returns how many were told."""
    follower_ids = list(
        Follow.objects.filter(followee=actor)
        .exclude(follower__blocks__blocked=actor)
        .values_list("follower_id", flat=True)
    )
    Notification.objects.bulk_create(
        [Notification(recipient_id=fid, actor=actor, verb=verb, data=data) for fid in follower_ids],
        batch_size=1000,
    )
    return len(follower_ids)


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the member's notifications read: the listed ones, or all."""
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
