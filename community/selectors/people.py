"""Reads of members: profiles, follows, blocks, notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from community.models import Block, Follow, Note, Notification, User
from community.selectors.graph import viewer_graph
from community.selectors.notes import note_cards, note_visible
from core.errors import NotFound


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
    if user.pk in graph.blocked_by:
        # To the member it blocked, as if the account did not exist.
        raise NotFound(f"No member is called {username!r}.")
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


def user_mentionable(*, author: User, usernames: Sequence[str]) -> list[User]:
    """Members named in the text who exist, are active and do not block the
    author."""
    if not usernames:
        return []
    query = Q()
    for name in usernames[:20]:
        query |= Q(username__iexact=name)
    return list(User.objects.filter(query, is_active=True).exclude(blocks__blocked=author))


def user_liked_notes(*, user: User, viewer: Any) -> QuerySet[Note]:
    return note_cards(note_visible(viewer).filter(likes__user=user).order_by("-likes__id"), viewer)


def user_followers(*, user: User) -> QuerySet[User]:
    return User.objects.filter(following_rel__followee=user, is_active=True).order_by(
        "-following_rel__id"
    )


def user_following(*, user: User) -> QuerySet[User]:
    return User.objects.filter(follower_rel__follower=user, is_active=True).order_by(
        "-follower_rel__id"
    )


def user_blocked_list(*, user: User) -> QuerySet[User]:
    """The members ``user`` blocked, by username (search and feeds hide
    them: this is where the member finds them to unblock)."""
    return User.objects.filter(blocked_by__blocker=user).order_by("username")


def user_suggested(*, viewer: Any, limit: int = 6) -> QuerySet[User]:
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


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The member's notifications, newest first, without blocked actors."""
    return (
        Notification.objects.filter(recipient=user)
        .exclude(actor__in=Block.objects.filter(blocker=user).values("blocked"))
        .select_related("actor", "note", "comment")
        .order_by("-id")
    )


GROUPED_VERBS = (Notification.Verb.LIKE, Notification.Verb.COLLECT, Notification.Verb.FOLLOW)


def notification_grouped(items: Sequence[Notification]) -> list[Notification]:
    """A page of notifications with likes and collects of the same note, and
    new followers, folded into their newest one ("Ana, Bo and 3 others liked
    your note"), the rest as they are, newest first. Each kept item gets
    ``group``: the notifications it stands for (itself first), and
    ``group_unread``. Folding happens within a page (pages are keyset by id,
    so a group can continue on the next page)."""
    kept: list[Notification] = []
    groups: dict[tuple[str, int | None], Notification] = {}
    for item in items:
        key = (item.verb, item.note_id if item.verb != Notification.Verb.FOLLOW else None)
        head = groups.get(key) if item.verb in GROUPED_VERBS else None
        if head is None:
            item.group = [item]  # type: ignore[attr-defined]
            if item.verb in GROUPED_VERBS:
                groups[key] = item
            kept.append(item)
            continue
        if all(other.actor_id != item.actor_id for other in head.group):  # type: ignore[attr-defined]
            head.group.append(item)  # type: ignore[attr-defined]
    for item in kept:
        members = item.group  # type: ignore[attr-defined]
        item.group_unread = any(m.read_at is None for m in members)  # type: ignore[attr-defined]
        item.group_others = len(members) - 1  # type: ignore[attr-defined]
    return kept


def notification_unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at=None).count()
