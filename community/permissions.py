"""Who may do what in the notes community: predicates (``is_*``) answer with
a bool, guards (``check_*``) raise a :mod:`community.errors` exception. Services
and selectors of every app ask these."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from community.errors import Blocked
from community.models import Block, Note, User
from core.errors import AuthenticationRequired, NotFound, PermissionDenied


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


def check_can_edit_note(*, actor: User, note: Note) -> None:
    if note.author_id != actor.pk and not is_moderator(actor):
        raise PermissionDenied("Only the author or a moderator can change this note.")


def check_can_change_note_photos(*, actor: User, note: Note) -> None:
    """Only the author adds, removes and reorders a note's photos (moderators
    hide a note; they do not rework it)."""
    if note.author_id != actor.pk:
        raise PermissionDenied("Only the author can change this note's photos.")
