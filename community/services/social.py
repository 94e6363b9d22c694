"""Follows (of members and of topics) and blocks."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from community.errors import Blocked, SelfAction
from community.models import Block, Follow, Notification, Topic, TopicFollow, User
from community.permissions import is_blocked_between
from community.selectors.graph import viewer_graph_forget
from community.services.notifications import notification_create


def _forget_graph(*users: User) -> None:
    """Follows or blocks of these members changed: feeds must read them anew."""
    viewer_graph_forget(*users)


def user_follow(*, follower: User, followee: User) -> bool:
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
            notification_create(
                recipient_id=followee.pk, actor=follower, verb=Notification.Verb.FOLLOW
            )
    _forget_graph(follower, followee)
    return created


def user_unfollow(*, follower: User, followee: User) -> bool:
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


def topic_follow(*, user: User, topic: Topic) -> bool:
    """Follow a topic; idempotent."""
    with transaction.atomic():
        _, created = TopicFollow.objects.get_or_create(user=user, topic=topic)
        if created:
            Topic.objects.filter(pk=topic.pk).update(follower_count=F("follower_count") + 1)
    _forget_graph(user)
    return created


def topic_unfollow(*, user: User, topic: Topic) -> bool:
    with transaction.atomic():
        deleted, _ = TopicFollow.objects.filter(user=user, topic=topic).delete()
        if deleted:
            Topic.objects.filter(pk=topic.pk, follower_count__gt=0).update(
                follower_count=F("follower_count") - 1
            )
    _forget_graph(user)
    return bool(deleted)


def user_block(*, blocker: User, blocked: User) -> bool:
    """Block a member: their notes and comments vanish for the blocker, they
    can no longer interact with the blocker, and follows both ways end."""
    if blocker.pk == blocked.pk:
        raise SelfAction("You cannot block yourself.")
    with transaction.atomic():
        _, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        user_unfollow(follower=blocker, followee=blocked)
        user_unfollow(follower=blocked, followee=blocker)
    _forget_graph(blocker, blocked)
    return created


def user_unblock(*, blocker: User, blocked: User) -> bool:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    _forget_graph(blocker, blocked)
    return bool(deleted)
