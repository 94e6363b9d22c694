"""Cursor pagination (``core.pagination``): page sizes clamped, keyset pages
over any queryset in either direction or by an annotation, and cursors that
were not made here refused. The feeds' own cursors: tests/community/test_feeds.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import F

from community.models import User
from core import pagination
from core.errors import InvalidCursor
from tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def ids(page: pagination.Page) -> list[int]:
    return [row.pk for row in page.items]


def walk(
    fetch: Callable[[str | None], pagination.Page],
    *,
    between: Callable[[], None] | None = None,
    limit: int = 200,
) -> list[int]:
    """Every id served by following ``next_cursor`` from the first page."""
    served: list[int] = []
    cursor: str | None = None
    for _ in range(limit):
        page = fetch(cursor)
        served.extend(ids(page))
        if page.next_cursor is None:
            return served
        cursor = page.next_cursor
        if between is not None:
            between()
    raise AssertionError("paging never ended")


@pytest.mark.parametrize(
    "cursor",
    [
        pagination.encode_cursor({"p": "3"}),
        pagination.encode_cursor({"p": 3.0}),
        pagination.encode_cursor({"p": 2**64}),
        pagination.encode_cursor({"p": 3, "q": 1}),
        "%%%",
    ],
)
def test_bad_cursors_are_refused_by_keyset(user: User, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        pagination.keyset(User.objects.all(), cursor=cursor, size=5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 20),
        ("", 20),
        ("abc", 20),
        ("1.5", 20),
        ("7", 7),
        (7, 7),
        ("0", 1),
        ("-5", 1),
        ("1000", 100),
        ("100", 100),
        ("9" * 5000, 20),
        (float("inf"), 20),
    ],
)
def test_page_size_is_clamped(raw: Any, expected: int) -> None:
    assert pagination.page_size(raw) == expected


def test_keyset_pages_any_queryset_both_ways(db: Any) -> None:
    members = UserFactory.create_batch(5)
    pks = [m.pk for m in members]
    down = walk(lambda c: pagination.keyset(User.objects.all(), cursor=c, size=2))
    assert down == sorted(pks, reverse=True)
    up = walk(lambda c: pagination.keyset(User.objects.all(), cursor=c, size=2, descending=False))
    assert up == sorted(pks)


def test_keyset_by_an_annotation_with_a_finishing_step(user: User) -> None:
    followers = UserFactory.create_batch(3)
    for follower in followers:
        FollowFactory(follower=follower, followee=user)
    queryset = User.objects.filter(following_rel__followee=user).annotate(
        edge=F("following_rel__id")
    )
    finished: list[list[str]] = []

    def finish(rows: list[User]) -> list[str]:
        finished.append([r.username for r in rows])
        return [r.username for r in rows]

    names: list[str] = []
    cursor = None
    while True:
        page = pagination.keyset(queryset, cursor=cursor, size=2, key="edge", finish=finish)
        names.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert names == [f.username for f in reversed(followers)]
    assert [len(chunk) for chunk in finished] == [2, 1]
