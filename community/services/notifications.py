"""Notifications: recorded by the other writes (``notification_create``), sent
to a member's followers by later apps (``followers_notify``), marked read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from community.models import Block, Comment, Follow, Note, Notification, User


def notification_create(
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


def mentions_notify(note: Note, mention_ids: Sequence[int]) -> None:
    for member_id in mention_ids:
        notification_create(
            recipient_id=member_id, actor=note.author, verb=Notification.Verb.MENTION, note=note
        )


def followers_notify(*, actor: User, verb: str, data: dict[str, Any]) -> int:
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
