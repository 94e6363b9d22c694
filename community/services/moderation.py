"""Moderation: reports, and hiding or restoring notes and comments."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from community.errors import SelfAction
from community.models import Comment, Note, Notification, Report, User
from community.permissions import is_moderator
from community.services.counts import (
    comments_recount,
    note_visibility_changed,
)
from community.services.notifications import notification_create
from core.errors import PermissionDenied, ValidationFailed

MODERATORS = "Sprout moderators"


def _tell(author_id: int, moderator: User, title: str, text: str, url: str) -> None:
    """A notice to the author of hidden or restored content, signed by the
    moderators as a team (not by the moderator who acted)."""
    notification_create(
        recipient_id=author_id,
        actor=moderator,
        verb=Notification.Verb.NOTICE,
        data={"title": title, "text": text, "url": url, "from": MODERATORS},
    )


def notes_set_hidden(
    *, moderator: User, notes: QuerySet[Note], hidden: bool, reason: str = ""
) -> int:
    """Hide published notes, with the ``reason`` their authors are told, or
    restore hidden ones (the report queue's bulk actions); each author gets
    a notice. Returns how many changed."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators hide or restore notes.")
    reason = reason.strip()[:500]
    source, target = (
        (Note.Status.PUBLISHED, Note.Status.HIDDEN)
        if hidden
        else (Note.Status.HIDDEN, Note.Status.PUBLISHED)
    )
    with transaction.atomic():
        changed = list(notes.filter(status=source).select_for_update())
        if not changed:
            return 0
        Note.objects.filter(pk__in=[n.pk for n in changed]).update(
            status=target, hidden_reason=reason if hidden else ""
        )
        for note in changed:
            if target == Note.Status.PUBLISHED and note.published_at is None:
                Note.objects.filter(pk=note.pk).update(published_at=timezone.now())
            note_visibility_changed(note)
            if hidden:
                _tell(
                    note.author_id,
                    moderator,
                    f"Your note “{note.title}” was hidden by moderators",
                    reason or "It broke the community rules.",
                    note.get_absolute_url(),
                )
            else:
                _tell(
                    note.author_id,
                    moderator,
                    f"Your note “{note.title}” is visible again",
                    "Moderators restored it: everyone can see it, like it and comment again.",
                    note.get_absolute_url(),
                )
    return len(changed)


def comments_set_hidden(
    *, moderator: User, comments: QuerySet[Comment], hidden: bool, reason: str = ""
) -> int:
    """Hide comments, telling their authors the ``reason``, or restore them;
    the notes' comment counts follow."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators hide or restore comments.")
    reason = reason.strip()[:500]
    source, target = (
        (Comment.Status.VISIBLE, Comment.Status.HIDDEN)
        if hidden
        else (Comment.Status.HIDDEN, Comment.Status.VISIBLE)
    )
    with transaction.atomic():
        changed = list(
            comments.filter(status=source).values_list("pk", "note_id", "parent_id", "author_id")
        )
        if not changed:
            return 0
        Comment.objects.filter(pk__in=[c[0] for c in changed]).update(status=target)
        comments_recount({c[1] for c in changed}, parent_ids={c[2] for c in changed if c[2]})
        if hidden:
            for _, note_id, _, author_id in changed:
                _tell(
                    author_id,
                    moderator,
                    "Your comment was hidden by moderators",
                    reason or "It broke the community rules.",
                    reverse("note", args=[note_id]),
                )
    return len(changed)


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


def reports_resolve(
    *, moderator: User, reports: QuerySet[Report], hide: bool, reason: str = ""
) -> int:
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
                reason=reason,
            )
            comments_set_hidden(
                moderator=moderator,
                comments=Comment.objects.filter(
                    pk__in=[r.comment_id for r in open_reports if r.comment_id]
                ),
                hidden=True,
                reason=reason,
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
