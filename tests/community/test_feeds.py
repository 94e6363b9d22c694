"""Feeds and cursor pagination (community.selectors.feeds): ranking, personalisation,
complete and duplicate-free paging, bad cursors, and queries per page."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from community import ranking, selectors, services
from community.models import Note, Topic, User
from core import pagination
from core.errors import InvalidCursor
from tests.core.test_pagination import ids, walk
from tests.factories import NoteFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

VISITOR = AnonymousUser()
HOUR = timedelta(hours=1)


# --- helpers -----------------------------------------------------------------------


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def make_note(
    author: User,
    now: datetime,
    *,
    age: timedelta = timedelta(0),
    likes: int = 0,
    topics: Iterable[Topic] = (),
    hot: float | None = None,
    photos: int = 0,
    **fields: Any,
) -> Note:
    """A published note ``age`` old with ``likes`` likes, scored as services
    would score it (or with an explicit ``hot`` score to force ties)."""
    published_at = now - age
    score = ranking.hot_score(likes=likes, collects=0, comments=0, published_at=published_at)
    note = NoteFactory(
        author=author,
        published_at=published_at,
        like_count=likes,
        hot_score=score if hot is None else hot,
        photos=photos,
        **fields,
    )
    note.topics.add(*topics)
    return note


def raw_cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def reload(member: User) -> User:
    """The member as a new request would load them (no cached graph)."""
    return User.objects.get(pk=member.pk)


def boosted_key(note: Note, viewer: User) -> float:
    graph = selectors.viewer_graph(viewer)
    if note.author_id in graph.followed_users:
        return note.hot_score + ranking.boost_creator()
    if set(note.topics.values_list("pk", flat=True)) & graph.followed_topics:
        return note.hot_score + ranking.boost_topic()
    return note.hot_score


@pytest.fixture
def mixed_notes(now: datetime) -> dict[str, Any]:
    """23 published notes by four authors, some in two topics, with scores
    that tie inside and across the boost streams; plus what must never show."""
    authors = UserFactory.create_batch(4)
    tea, coffee = TopicFactory(name="tea"), TopicFactory(name="coffee")
    notes = []
    for index in range(20):
        author = authors[index % 4]
        topics = [[], [tea], [coffee], [tea, coffee]][index % 3]
        likes = [0, 0, 3, 12, 1][index % 5]
        notes.append(make_note(author, now, age=(index % 7) * 5 * HOUR, likes=likes, topics=topics))
    # Exact ties: the same score in one stream, and a boosted score equal to
    # an unboosted one (a followed creator's note at s - boost, another at s).
    tie = round(notes[0].hot_score, 6)
    notes.append(make_note(authors[1], now, hot=tie))
    notes.append(make_note(authors[1], now, hot=tie))
    notes.append(make_note(authors[0], now, hot=tie - ranking.boost_creator(), topics=[tea]))
    hidden = [
        NoteFactory(author=authors[2], status=Note.Status.DRAFT, published_at=None, photos=0),
        make_note(authors[2], now, status=Note.Status.HIDDEN, likes=99),
    ]
    return {"authors": authors, "tea": tea, "coffee": coffee, "notes": notes, "hidden": hidden}


def member_with_follows(data: dict[str, Any]) -> User:
    viewer = UserFactory()
    services.user_follow(follower=viewer, followee=data["authors"][0])
    services.topic_follow(user=viewer, topic=data["tea"])
    return reload(viewer)


# --- discover: ranking ----------------------------------------------------------------


def test_discover_ranks_by_hot_score(user: User, other_user: User, now: datetime) -> None:
    fresh = make_note(user, now)
    popular = make_note(other_user, now, age=3 * HOUR, likes=40)
    stale = make_note(user, now, age=48 * HOUR, likes=40)
    liked_a_bit = make_note(other_user, now, age=HOUR, likes=2)
    page = selectors.feed_discover(viewer=VISITOR, size=10)
    assert ids(page) == [popular.pk, liked_a_bit.pk, fresh.pk, stale.pk]
    assert page.next_cursor is None


def test_discover_follows_likes_given_through_services(
    user: User, other_user: User, now: datetime
) -> None:
    first, second = make_note(user, now), make_note(user, now)
    assert ids(selectors.feed_discover(viewer=VISITOR)) == [second.pk, first.pk]
    services.like_add(user=other_user, note=first)
    assert ids(selectors.feed_discover(viewer=VISITOR)) == [first.pk, second.pk]


def test_followed_creators_older_note_outranks_a_newer_one_within_the_boost(
    user: User, other_user: User, now: datetime
) -> None:
    creator = UserFactory()
    followed_older = make_note(creator, now, age=12 * HOUR)
    newer = make_note(other_user, now)
    services.user_follow(follower=user, followee=creator)

    assert ids(selectors.feed_discover(viewer=VISITOR)) == [newer.pk, followed_older.pk]
    assert ids(selectors.feed_discover(viewer=reload(user))) == [followed_older.pk, newer.pk]


def test_followed_creators_note_older_than_the_boost_stays_behind(
    user: User, other_user: User, now: datetime
) -> None:
    creator = UserFactory()
    followed_old = make_note(creator, now, age=36 * HOUR)
    newer = make_note(other_user, now)
    services.user_follow(follower=user, followee=creator)
    assert ids(selectors.feed_discover(viewer=reload(user))) == [newer.pk, followed_old.pk]


def test_followed_topic_boost_is_smaller_than_the_creator_boost(
    user: User, other_user: User, now: datetime
) -> None:
    matcha = TopicFactory(name="matcha")
    in_topic_6h = make_note(other_user, now, age=6 * HOUR, topics=[matcha])
    in_topic_18h = make_note(other_user, now, age=18 * HOUR, topics=[matcha])
    plain_now = make_note(other_user, now)
    plain_10h = make_note(other_user, now, age=10 * HOUR)
    services.topic_follow(user=user, topic=matcha)
    # Topic boost: half a day. 6h old + 12h boost beats now; 18h old does not.
    assert ids(selectors.feed_discover(viewer=reload(user))) == [
        in_topic_6h.pk,
        plain_now.pk,
        in_topic_18h.pk,
        plain_10h.pk,
    ]


def test_a_note_is_boosted_once_even_when_creator_and_topic_are_followed(
    user: User, other_user: User, now: datetime
) -> None:
    matcha = TopicFactory(name="matcha")
    both = make_note(other_user, now, age=30 * HOUR, topics=[matcha])  # 1 day boost only
    plain = make_note(UserFactory(), now, age=5 * HOUR)
    services.user_follow(follower=user, followee=other_user)
    services.topic_follow(user=user, topic=matcha)
    page = selectors.feed_discover(viewer=reload(user))
    assert ids(page) == [plain.pk, both.pk]


# --- discover: paging -----------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 7])
def test_visitor_pages_through_every_published_note_exactly_once(
    mixed_notes: dict[str, Any], size: int
) -> None:
    served = walk(lambda cursor: selectors.feed_discover(viewer=VISITOR, cursor=cursor, size=size))
    expected = sorted(mixed_notes["notes"], key=lambda n: (n.hot_score, n.pk), reverse=True)
    assert served == [n.pk for n in expected]


@pytest.mark.parametrize("size", [2, 5])
def test_member_with_follows_pages_through_every_note_exactly_once_in_boosted_order(
    mixed_notes: dict[str, Any], size: int
) -> None:
    viewer = member_with_follows(mixed_notes)
    served = walk(lambda cursor: selectors.feed_discover(viewer=viewer, cursor=cursor, size=size))
    expected = sorted(
        mixed_notes["notes"], key=lambda n: (boosted_key(n, viewer), n.pk), reverse=True
    )
    assert served == [n.pk for n in expected]
    # The follows change the order, not the set.
    assert [n.pk for n in expected] != [
        n.pk for n in sorted(mixed_notes["notes"], key=lambda n: (n.hot_score, n.pk), reverse=True)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_likes_between_page_fetches_never_serve_a_note_twice(
    mixed_notes: dict[str, Any], seed: int
) -> None:
    rng = random.Random(seed)
    viewer = member_with_follows(mixed_notes) if seed % 2 else VISITOR
    likers = UserFactory.create_batch(3)
    notes = mixed_notes["notes"]
    liked: set[int] = set()

    def some_likes() -> None:
        for _ in range(rng.randint(0, 4)):
            note = rng.choice(notes)
            if services.like_add(user=rng.choice(likers), note=note):
                liked.add(note.pk)

    served = walk(
        lambda cursor: selectors.feed_discover(viewer=viewer, cursor=cursor, size=3),
        between=some_likes,
    )
    assert len(served) == len(set(served))
    # A note can only be skipped by rising above the page already read.
    assert {n.pk for n in notes} - set(served) <= liked


def test_discover_leaves_out_drafts_hidden_notes_and_blocked_authors(
    mixed_notes: dict[str, Any],
) -> None:
    viewer = member_with_follows(mixed_notes)
    blocked = mixed_notes["authors"][3]
    services.user_block(blocker=viewer, blocked=blocked)
    served = walk(lambda cursor: selectors.feed_discover(viewer=viewer, cursor=cursor, size=4))
    expected = {n.pk for n in mixed_notes["notes"] if n.author_id != blocked.pk}
    assert sorted(served) == sorted(expected)
    hidden = {n.pk for n in mixed_notes["hidden"]}
    assert not hidden & set(
        walk(lambda c: selectors.feed_discover(viewer=VISITOR, cursor=c, size=50))
    )


def test_discover_marks_what_the_viewer_liked_and_collected(
    user: User, other_user: User, now: datetime
) -> None:
    liked, collected, plain = (make_note(other_user, now, age=i * HOUR) for i in range(3))
    services.like_add(user=user, note=liked)
    services.collect_add(user=user, note=collected)
    flags = {
        n.pk: (n.viewer_liked, n.viewer_collected)
        for n in selectors.feed_discover(viewer=reload(user)).items
    }
    assert flags == {liked.pk: (True, False), collected.pk: (False, True), plain.pk: (False, False)}
    assert {
        (n.viewer_liked, n.viewer_collected) for n in selectors.feed_discover(viewer=VISITOR).items
    } == {(False, False)}


def test_empty_discover_has_no_next_page(db: Any) -> None:
    page = selectors.feed_discover(viewer=VISITOR)
    assert (page.items, page.next_cursor) == ([], None)


def test_a_full_last_page_has_no_next_cursor(user: User, now: datetime) -> None:
    for index in range(4):
        make_note(user, now, age=index * HOUR)
    first = selectors.feed_discover(viewer=VISITOR, size=2)
    second = selectors.feed_discover(viewer=VISITOR, size=2, cursor=first.next_cursor)
    assert len(second.items) == 2
    assert second.next_cursor is None


# --- following, topic and author feeds ----------------------------------------------------


def test_following_feed_is_newest_first_and_pages_by_cursor(
    user: User, other_user: User, now: datetime
) -> None:
    creator = UserFactory()
    stranger = UserFactory()
    same_time = now - 2 * HOUR
    mine = [
        make_note(creator, now, age=HOUR, likes=50),
        make_note(other_user, now, age=3 * HOUR),
        make_note(creator, now, age=5 * HOUR),
        make_note(other_user, now),
    ]
    # Two notes published at the same instant: the id breaks the tie.
    twins = [NoteFactory(author=creator, published_at=same_time, photos=0) for _ in range(2)]
    make_note(stranger, now)
    NoteFactory(author=creator, status=Note.Status.DRAFT, published_at=None, photos=0)
    services.user_follow(follower=user, followee=creator)
    services.user_follow(follower=user, followee=other_user)
    viewer = reload(user)

    expected = sorted(mine + twins, key=lambda n: (n.published_at, n.pk), reverse=True)
    for size in (1, 2, 4):
        served = walk(
            lambda cursor, s=size: selectors.feed_following(viewer=viewer, cursor=cursor, size=s)  # type: ignore[misc]
        )
        assert served == [n.pk for n in expected]


def test_following_feed_is_empty_without_follows(user: User, now: datetime) -> None:
    make_note(UserFactory(), now)
    assert selectors.feed_following(viewer=user).items == []
    assert selectors.feed_following(viewer=VISITOR).items == []


def test_following_feed_drops_a_creator_once_unfollowed(
    user: User, other_user: User, now: datetime
) -> None:
    note = make_note(other_user, now)
    services.user_follow(follower=user, followee=other_user)
    assert ids(selectors.feed_following(viewer=user)) == [note.pk]
    services.user_unfollow(follower=user, followee=other_user)
    assert ids(selectors.feed_following(viewer=user)) == []


def test_topic_feed_by_hot_score_and_by_recency(
    user: User, other_user: User, now: datetime
) -> None:
    tea = TopicFactory(name="tea")
    old_popular = make_note(user, now, age=5 * HOUR, likes=80, topics=[tea])
    fresh = make_note(other_user, now, topics=[tea])
    middle = make_note(user, now, age=10 * HOUR, likes=1, topics=[tea])
    make_note(user, now, likes=500)  # not in the topic
    NoteFactory(author=user, status=Note.Status.HIDDEN, photos=0).topics.add(tea)

    hot = walk(lambda c: selectors.feed_topic(topic=tea, viewer=VISITOR, cursor=c, size=1))
    assert hot == [old_popular.pk, fresh.pk, middle.pk]
    new = walk(
        lambda c: selectors.feed_topic(topic=tea, viewer=VISITOR, cursor=c, size=2, order="new")
    )
    assert new == [fresh.pk, old_popular.pk, middle.pk]

    services.user_block(blocker=other_user, blocked=user)
    assert ids(selectors.feed_topic(topic=tea, viewer=other_user)) == [fresh.pk]


def test_topic_feed_pages_across_equal_scores(user: User, now: datetime) -> None:
    tea = TopicFactory(name="tea")
    notes = [make_note(user, now, hot=500.0, topics=[tea]) for _ in range(5)]
    served = walk(lambda c: selectors.feed_topic(topic=tea, viewer=VISITOR, cursor=c, size=2))
    assert served == [n.pk for n in reversed(notes)]


def test_author_feed_is_newest_first_without_hidden_notes(
    user: User, other_user: User, now: datetime
) -> None:
    notes = [make_note(user, now, age=i * HOUR) for i in range(3)]
    make_note(user, now, status=Note.Status.HIDDEN)
    make_note(other_user, now)
    served = walk(lambda c: selectors.feed_author(author=user, viewer=VISITOR, cursor=c, size=2))
    assert served == [n.pk for n in notes]
    services.user_block(blocker=other_user, blocked=user)
    assert selectors.feed_author(author=user, viewer=reload(other_user)).items == []


# --- cursors (kernel cursors and page sizes: tests/core/test_pagination.py) ----------------


BAD_RANKED_CURSORS = [
    "%%%garbage%%%",
    "bm90IGpzb24",  # "not json"
    raw_cursor(b"\xff\xfe\xfd"),
    raw_cursor(b"[1, 2]"),
    raw_cursor(b'"just a string"'),
    pagination.encode_cursor({"k": 1.5}),
    pagination.encode_cursor({"k": 1.5, "i": 3, "extra": 1}),
    pagination.encode_cursor({"k": "1.5", "i": 3}),
    pagination.encode_cursor({"k": 1.5, "i": 3.0}),
    pagination.encode_cursor({"k": 1.5, "i": True}),
    pagination.encode_cursor({"k": None, "i": 3}),
    pagination.encode_cursor({"t": "2026-01-01T00:00:00+00:00", "i": 3}),
    raw_cursor(b'{"k": NaN, "i": 3}'),
    raw_cursor(b'{"k": Infinity, "i": 3}'),
    raw_cursor(b'{"k": 1e400, "i": 3}'),
    raw_cursor(b'{"k": 1.5, "i": 100000000000000000000000000000}'),
    raw_cursor(b'{"k": 1' + b"0" * 400 + b', "i": 3}')[:200],
    pagination.encode_cursor({"k": 10**300, "i": 3}),
    "A" * 201,
    "é",
    "eyJrIjoxLCJpIjoy\x00",
]

BAD_RECENT_CURSORS = [
    "%%%garbage%%%",
    pagination.encode_cursor({"k": 1.5, "i": 3}),
    pagination.encode_cursor({"t": "yesterday", "i": 3}),
    pagination.encode_cursor({"t": 1700000000, "i": 3}),
    pagination.encode_cursor({"t": "2026-01-01T00:00:00", "i": 3}),  # no time zone
    pagination.encode_cursor({"t": "2026-01-01T00:00:00+00:00", "i": -(2**70)}),
    pagination.encode_cursor({"t": "2026-01-01T00:00:00+00:00", "i": "3"}),
    "A" * 201,
]


@pytest.mark.parametrize("cursor", BAD_RANKED_CURSORS)
def test_bad_cursors_are_refused_by_ranked_feeds(user: User, now: datetime, cursor: str) -> None:
    tea = TopicFactory(name="tea")
    make_note(user, now, topics=[tea])
    services.topic_follow(user=user, topic=tea)
    for fetch in (
        lambda: selectors.feed_discover(viewer=VISITOR, cursor=cursor),
        lambda: selectors.feed_discover(viewer=user, cursor=cursor),
        lambda: selectors.feed_topic(topic=tea, viewer=VISITOR, cursor=cursor),
    ):
        with pytest.raises(InvalidCursor) as caught:
            fetch()
        assert caught.value.code == "invalid_cursor"
        assert caught.value.status == 400


@pytest.mark.parametrize("cursor", BAD_RECENT_CURSORS)
def test_bad_cursors_are_refused_by_newest_first_feeds(
    user: User, other_user: User, now: datetime, cursor: str
) -> None:
    tea = TopicFactory(name="tea")
    make_note(other_user, now, topics=[tea])
    services.user_follow(follower=user, followee=other_user)
    for fetch in (
        lambda: selectors.feed_following(viewer=user, cursor=cursor),
        lambda: selectors.feed_topic(topic=tea, viewer=VISITOR, cursor=cursor, order="new"),
        lambda: selectors.feed_author(author=other_user, viewer=VISITOR, cursor=cursor),
    ):
        with pytest.raises(InvalidCursor):
            fetch()


def test_well_formed_cursor_past_the_end_gives_an_empty_page(user: User, now: datetime) -> None:
    make_note(user, now)
    for page in (
        selectors.feed_discover(
            viewer=VISITOR, cursor=pagination.encode_cursor({"k": -1e9, "i": 1})
        ),
        selectors.feed_author(
            author=user,
            viewer=VISITOR,
            cursor=pagination.encode_cursor({"t": "2000-01-01T00:00:00+00:00", "i": 1}),
        ),
        pagination.keyset(User.objects.all(), cursor=pagination.encode_cursor({"p": 0}), size=5),
    ):
        assert (page.items, page.next_cursor) == ([], None)


def test_an_empty_cursor_means_the_first_page(user: User, now: datetime) -> None:
    note = make_note(user, now)
    assert ids(selectors.feed_discover(viewer=VISITOR, cursor="")) == [note.pk]
    assert ids(selectors.feed_discover(viewer=VISITOR, cursor=None)) == [note.pk]


# --- queries per page -----------------------------------------------------------------------


def _feed_world(count: int, now: datetime) -> User:
    """``count`` notes spread over a followed creator, a followed topic and
    strangers, each with a photo; returns the viewer (freshly loaded)."""
    viewer, creator, stranger = UserFactory.create_batch(3)
    tea = TopicFactory(name=f"tea{count}")
    for index in range(count):
        author = creator if index % 3 == 0 else stranger
        make_note(
            author,
            now,
            age=index * HOUR,
            likes=index % 4,
            topics=[tea] if index % 3 == 1 else [],
            photos=1,
        )
    services.user_follow(follower=viewer, followee=creator)
    services.topic_follow(user=viewer, topic=tea)
    liked = Note.objects.filter(author=creator).first()
    assert liked is not None
    services.like_add(user=viewer, note=liked)
    services.user_block(blocker=viewer, blocked=UserFactory())
    return reload(viewer)


@pytest.mark.parametrize(
    "fetch",
    [
        pytest.param(lambda viewer: selectors.feed_discover(viewer=viewer, size=20), id="discover"),
        pytest.param(
            lambda viewer: selectors.feed_discover(viewer=VISITOR, size=20), id="discover-visitor"
        ),
        pytest.param(
            lambda viewer: selectors.feed_following(viewer=viewer, size=20), id="following"
        ),
    ],
)
def test_queries_per_page_do_not_grow_with_the_number_of_notes(
    django_assert_max_num_queries: Any, now: datetime, fetch: Callable[[User], pagination.Page]
) -> None:
    counts = []
    for count in (5, 40):
        viewer = _feed_world(count, now)
        with django_assert_max_num_queries(6) as captured:
            page = fetch(viewer)
            for note in page.items:  # what a card reads
                _ = (
                    note.author.username,
                    [p.original.name for p in note.photos.all()],
                    note.viewer_liked,
                    note.viewer_collected,
                )
        assert page.items
        counts.append(len(captured.captured_queries))
        Note.objects.all().delete()
    assert counts[0] == counts[1]


def test_following_page_with_cursor_costs_no_more_queries(
    django_assert_max_num_queries: Any, now: datetime
) -> None:
    viewer = _feed_world(30, now)
    first = selectors.feed_following(viewer=viewer, size=3)
    viewer = reload(viewer)
    with django_assert_max_num_queries(3):
        second = selectors.feed_following(viewer=viewer, cursor=first.next_cursor, size=3)
        for note in second.items:
            _ = [p.pk for p in note.photos.all()], note.author.username
    assert not set(ids(first)) & set(ids(second))


def test_encoded_cursors_are_short_and_url_safe(user: User, now: datetime) -> None:
    for index in range(3):
        make_note(user, now, age=index * HOUR)
    cursor = selectors.feed_discover(viewer=VISITOR, size=1).next_cursor
    assert cursor is not None
    assert len(cursor) < 100
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert set(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))) == {
        "k",
        "i",
    }


def test_a_members_fresh_note_leads_their_own_discover_feed(
    user: User, other_user: User, now: datetime
) -> None:
    """A new member posting their first note finds it first on Discover, not
    around position 35 under notes with a head start in likes; on later
    pages it does not come back, and nobody else's feed changes."""
    popular = [make_note(other_user, now, likes=30 + i) for i in range(30)]
    mine = make_note(user, now)
    first = selectors.feed_discover(viewer=reload(user), size=10)
    assert ids(first)[0] == mine.pk
    served = ids(first)
    cursor = first.next_cursor
    while cursor:
        page = selectors.feed_discover(viewer=reload(user), cursor=cursor, size=10)
        served += ids(page)
        cursor = page.next_cursor
    assert sorted(served) == sorted([mine.pk, *(n.pk for n in popular)])
    assert ids(selectors.feed_discover(viewer=reload(other_user), size=10))[0] != mine.pk
    old = make_note(user, now, age=30 * HOUR)
    assert old.pk not in ids(selectors.feed_discover(viewer=reload(user), size=5))
