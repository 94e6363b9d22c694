"""Comments on notes and replies to them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from community import text
from community.errors import Blocked, CommentDepthExceeded
from community.models import Comment, Note, Notification, User
from community.permissions import check_can_interact, is_blocked_between, is_moderator
from community.selectors.people import user_mentionable
from community.services.counts import (
    comments_recount,
    note_rescore,
)
from community.services.notifications import notification_create
from core.errors import PermissionDenied, ValidationFailed


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
    mentioned = user_mentionable(author=author, usernames=parsed.mentions)
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
        note_rescore(note.pk)
        notified = {author.pk}
        if reply_to is not None and reply_to.pk not in notified:
            notification_create(
                recipient_id=reply_to.pk,
                actor=author,
                verb=Notification.Verb.REPLY,
                note=note,
                comment=comment,
            )
            notified.add(reply_to.pk)
        if note.author_id not in notified:
            notification_create(
                recipient_id=note.author_id,
                actor=author,
                verb=Notification.Verb.COMMENT,
                note=note,
                comment=comment,
            )
            notified.add(note.author_id)
        for member in mentioned:
            if member.pk not in notified:
                notification_create(
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
        comments_recount({note.pk}, parent_ids={parent_id} if parent_id else ())
