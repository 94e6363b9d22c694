"""Whom a member follows and blocks: read by every feed and list, so it is
kept in the shared cache (Redis in production) and on the user object for the
rest of the request, and forgotten when a follow or block changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import IntegerField, Value

from community.models import Block, Follow, TopicFollow
from core.cache import forget_after_change

CACHE_SECONDS = 600
_ATTRIBUTE = "_sprout_graph"


@dataclass
class ViewerGraph:
    """Whom the viewer follows and blocks, and who blocks the viewer."""

    user_id: int | None = None
    followed_users: set[int] = field(default_factory=set)
    followed_topics: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    blocked_by: set[int] = field(default_factory=set)

    @property
    def unseen(self) -> set[int]:
        """Members whose notes, comments and profile the viewer does not
        see: those the viewer blocks, and those who block the viewer (as
        Instagram and RED do: a block hides both ways)."""
        return self.blocked | self.blocked_by

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


def _key(user_id: int) -> str:
    return f"community:graph:v2:{user_id}"


def viewer_graph(viewer: Any) -> ViewerGraph:
    """The viewer's follows and blocks; empty for visitors. From the request
    memo, else the cache, else one UNION query."""
    if not getattr(viewer, "is_authenticated", False):
        return ViewerGraph()
    memo = viewer.__dict__.get(_ATTRIBUTE)
    if memo is not None:
        return memo
    stored = cache.get(_key(viewer.pk))
    if stored is not None:
        users, topics, blocked, blocked_by = stored
        graph = ViewerGraph(viewer.pk, set(users), set(topics), set(blocked), set(blocked_by))
    else:
        graph = _load(viewer.pk)
        cache.set(
            _key(viewer.pk),
            (
                sorted(graph.followed_users),
                sorted(graph.followed_topics),
                sorted(graph.blocked),
                sorted(graph.blocked_by),
            ),
            CACHE_SECONDS,
        )
    viewer.__dict__[_ATTRIBUTE] = graph
    return graph


def _load(user_id: int) -> ViewerGraph:
    graph = ViewerGraph(user_id=user_id)
    # Four kinds in one round trip, told apart by a literal column.
    rows = (
        Follow.objects.filter(follower_id=user_id)
        .annotate(kind=Value(1, output_field=IntegerField()))
        .values_list("kind", "followee_id")
        .union(
            TopicFollow.objects.filter(user_id=user_id)
            .annotate(kind=Value(2, output_field=IntegerField()))
            .values_list("kind", "topic_id"),
            Block.objects.filter(blocker_id=user_id)
            .annotate(kind=Value(3, output_field=IntegerField()))
            .values_list("kind", "blocked_id"),
            Block.objects.filter(blocked_id=user_id)
            .annotate(kind=Value(4, output_field=IntegerField()))
            .values_list("kind", "blocker_id"),
            all=True,
        )
    )
    buckets = {
        1: graph.followed_users,
        2: graph.followed_topics,
        3: graph.blocked,
        4: graph.blocked_by,
    }
    for kind, target in rows:
        buckets[kind].add(target)
    return graph


def viewer_graph_forget(*users: Any) -> None:
    """Drop the members' graphs: from their user objects now, from the shared
    cache once the change commits (dropping it earlier would let a concurrent
    read cache the old graph again)."""
    keys = [_key(user.pk) for user in users]
    for user in users:
        user.__dict__.pop(_ATTRIBUTE, None)
    forget_after_change(keys)
