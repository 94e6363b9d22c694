"""Counters kept by the writes of the notes community, shared by its service
modules (not part of the app's API): a note's hot score only ever rises, and
every count is recomputed with one set-based UPDATE so concurrent writers
never lose an increment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from community import card_cache, ranking
from community.models import Board, Collect, Comment, Note, Topic, User


def note_rescore(note_id: int) -> None:
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


def topics_recount(topic_ids: Iterable[int]) -> None:
    ids = list(topic_ids)
    if ids:
        Topic.objects.filter(pk__in=ids).update(
            note_count=_count_subquery(
                Note.topics.through, "topic", note__status=Note.Status.PUBLISHED
            )
        )


def author_notes_recount(author_id: int) -> None:
    User.objects.filter(pk=author_id).update(
        note_count=_count_subquery(Note, "author", status=Note.Status.PUBLISHED)
    )


def boards_recount(board_ids: Iterable[int]) -> None:
    ids = list(board_ids)
    if ids:
        Board.objects.filter(pk__in=ids).update(collect_count=_count_subquery(Collect, "board"))


def comments_recount(note_ids: Iterable[int], *, parent_ids: Iterable[int] = ()) -> None:
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


def note_visibility_changed(note: Note) -> None:
    card_cache.note_cards_forget([note.pk])  # its status, maybe its date
    author_notes_recount(note.author_id)
    topics_recount(set(note.topics.values_list("pk", flat=True)))
