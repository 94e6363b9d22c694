"""Search over notes, topics and members (community.selectors.search). These run on
SQLite (LIKE) and in the PostgreSQL pass (full-text search): one contract."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from community import selectors, services
from community.models import Note, User
from core.errors import ValidationFailed
from tests.factories import NoteFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

VISITOR = AnonymousUser()


def note_ids(query: str, viewer: Any = VISITOR, size: int = 50) -> list[int]:
    return [
        n.pk
        for n in selectors.search_results(raw_query=query, viewer=viewer, size=size).notes.items
    ]


def all_pages(query: str, viewer: Any, size: int) -> list[int]:
    served: list[int] = []
    cursor = None
    for _ in range(100):
        results = selectors.search_results(raw_query=query, viewer=viewer, cursor=cursor, size=size)
        served.extend(n.pk for n in results.notes.items)
        if cursor is not None:
            assert (results.topics, results.users) == ([], [])
        cursor = results.notes.next_cursor
        if cursor is None:
            return served
    raise AssertionError("paging never ended")


@pytest.fixture
def kitchen(user: User, other_user: User) -> dict[str, Note]:
    return {
        "toast": NoteFactory(
            author=user, title="Sourdough toast", body="Butter and honey", photos=0
        ),
        "matcha": NoteFactory(
            author=other_user, title="Morning ritual", body="Whisking matcha before work", photos=0
        ),
        "both": NoteFactory(author=user, title="Matcha toast?", body="An odd pairing", photos=0),
        "cjk": NoteFactory(author=other_user, title="早餐 日记", body="今天 吃 粥", photos=0),
    }


# --- notes -----------------------------------------------------------------------


def test_notes_match_words_of_the_title(kitchen: dict[str, Note]) -> None:
    assert set(note_ids("sourdough")) == {kitchen["toast"].pk}
    assert set(note_ids("TOAST")) == {kitchen["toast"].pk, kitchen["both"].pk}


def test_notes_match_words_of_the_body(kitchen: dict[str, Note]) -> None:
    assert set(note_ids("honey")) == {kitchen["toast"].pk}
    assert set(note_ids("matcha")) == {kitchen["matcha"].pk, kitchen["both"].pk}


def test_every_word_of_the_query_must_match(kitchen: dict[str, Note]) -> None:
    assert set(note_ids("matcha whisking")) == {kitchen["matcha"].pk}
    assert note_ids("matcha honey") == []


def test_words_in_other_scripts_are_found(kitchen: dict[str, Note]) -> None:
    assert set(note_ids("早餐")) == {kitchen["cjk"].pk}
    assert set(note_ids("粥")) == {kitchen["cjk"].pk}


def test_no_match_gives_an_empty_page(kitchen: dict[str, Note]) -> None:
    results = selectors.search_results(raw_query="pancakes", viewer=VISITOR)
    assert (results.notes.items, results.notes.next_cursor) == ([], None)


def test_search_leaves_out_drafts_hidden_notes_and_blocked_authors(
    user: User, other_user: User
) -> None:
    shown = NoteFactory(author=user, title="Granola bowl", photos=0)
    NoteFactory(
        author=user, title="Granola draft", status=Note.Status.DRAFT, published_at=None, photos=0
    )
    NoteFactory(author=user, title="Granola hidden", status=Note.Status.HIDDEN, photos=0)
    by_other = NoteFactory(author=other_user, title="Granola bars", photos=0)
    assert set(note_ids("granola")) == {shown.pk, by_other.pk}

    viewer = UserFactory()
    services.user_block(blocker=viewer, blocked=other_user)
    assert note_ids("granola", viewer=viewer) == [shown.pk]


def test_search_finds_edited_text(user: User) -> None:
    note = services.note_create(
        author=user, title="Plain title", body="nothing here", status="draft"
    )
    services.note_update(actor=user, note=note, title="Kimchi pancakes")
    note = Note.objects.get(pk=note.pk)
    Note.objects.filter(pk=note.pk).update(status=Note.Status.PUBLISHED)
    assert note_ids("kimchi") == [note.pk]
    assert note_ids("plain") == []


def test_a_hotter_note_ranks_first_among_equal_matches(user: User) -> None:
    cold = NoteFactory(author=user, title="Oat latte", hot_score=100.0, photos=0)
    hot = NoteFactory(author=user, title="Oat latte", hot_score=300.0, photos=0)
    assert note_ids("oat latte") == [hot.pk, cold.pk]


@pytest.mark.parametrize("size", [1, 3, 4])
def test_paging_search_results_serves_each_note_once(user: User, size: int) -> None:
    expected = {
        NoteFactory(
            author=user,
            title=f"Picnic idea {i}",
            body="picnic " * (i % 3 + 1),
            hot_score=float(i % 2),
            photos=0,
        ).pk
        for i in range(10)
    }
    NoteFactory(author=user, title="Unrelated", photos=0)
    served = all_pages("picnic", VISITOR, size)
    assert len(served) == len(set(served))
    assert set(served) == expected


def test_search_results_carry_what_cards_need(user: User, other_user: User) -> None:
    liked = NoteFactory(author=other_user, title="Cold brew")
    services.like_add(user=user, note=liked)
    (found,) = selectors.search_results(
        raw_query="brew", viewer=User.objects.get(pk=user.pk)
    ).notes.items
    assert found.viewer_liked is True
    assert found.author == other_user
    assert len(found.photos.all()) == 1


# --- topics and members ------------------------------------------------------------------


def test_topics_match_exactly_first_then_by_prefix_or_contains(db: Any) -> None:
    exact = TopicFactory(name="Breakfast", key="breakfast", note_count=1)
    prefix = TopicFactory(name="breakfastclub", note_count=9)
    inner = TopicFactory(name="mybreakfast", note_count=5)
    TopicFactory(name="dinner", note_count=50)
    results = selectors.search_results(raw_query="#BREAKFAST", viewer=VISITOR)
    assert results.topics == [exact, prefix, inner]
    assert selectors.search_results(raw_query="break", viewer=VISITOR).topics == [
        prefix,
        inner,
        exact,
    ]


def test_topics_only_drafts_use_are_not_suggested(user: User) -> None:
    services.note_create(author=user, title="Plans", body="#SurpriseParty", status="draft")
    assert selectors.search_results(raw_query="surprise", viewer=VISITOR).topics == []
    followed = TopicFactory(name="surprises", note_count=0, follower_count=1)
    assert selectors.search_results(raw_query="surprise", viewer=VISITOR).topics == [followed]


def test_topics_in_other_scripts_are_found(db: Any) -> None:
    zao = TopicFactory(name="早餐", note_count=2)
    assert selectors.search_results(raw_query="早", viewer=VISITOR).topics == [zao]


def test_members_match_by_username_or_display_name(db: Any) -> None:
    by_name = UserFactory(username="matcha_lover", display_name="Aiko")
    by_display = UserFactory(username="aiko22", display_name="Matcha Master", follower_count=5)
    exact = UserFactory(username="matcha", display_name="Kenji")
    UserFactory(username="coffee_fan", display_name="Bean")
    inactive = UserFactory(username="matcha_old", is_active=False)

    users = selectors.search_results(raw_query="MATCHA", viewer=VISITOR).users
    assert users[0] == exact
    assert set(users) == {exact, by_name, by_display}
    assert inactive not in users
    # "Aiko" is by_name's whole display name: the exact name comes first.
    assert selectors.search_results(raw_query="aiko", viewer=VISITOR).users == [by_name, by_display]


def test_the_exact_full_name_ranks_first_and_every_word_must_match(db: Any) -> None:
    haddad = UserFactory(username="felixh", display_name="Felix Haddad", follower_count=900)
    romero = UserFactory(username="fromero", display_name="Felix Romero", follower_count=3)
    felicity = UserFactory(username="felix_romero_fan", display_name="Fan", follower_count=50)
    assert selectors.search_results(raw_query="Felix Romero", viewer=VISITOR).users == [
        romero,
        felicity,
    ]
    assert selectors.search_results(raw_query="felix", viewer=VISITOR).users == [
        haddad,
        felicity,
        romero,
    ]


def test_notes_are_found_by_any_form_of_a_word(user: User) -> None:
    bread = NoteFactory(author=user, title="Bread at home", body="A slow loaf", photos=0)
    breads = NoteFactory(author=user, title="Three breads", body="Rye, spelt, wheat", photos=0)
    assert set(note_ids("breads")) == {bread.pk, breads.pk}
    assert set(note_ids("bread")) == {bread.pk, breads.pk}
    assert note_ids("baking loaves") == []
    assert note_ids("bread -rye") == [bread.pk]


def test_members_the_viewer_blocks_are_not_found(user: User) -> None:
    blocked = UserFactory(username="matcha_spam")
    services.user_block(blocker=user, blocked=blocked)
    assert selectors.search_results(raw_query="matcha", viewer=user).users == []
    assert selectors.search_results(raw_query="matcha", viewer=VISITOR).users == [blocked]


# --- the query ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", None, 42, ["tea"], "x" * 101])
def test_empty_too_long_or_non_text_queries_are_refused(db: Any, raw: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        selectors.search_results(raw_query=raw, viewer=VISITOR)
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {"q"}


def test_whitespace_is_collapsed_before_the_length_check(db: Any) -> None:
    assert selectors.clean_query("  tea   " + " " * 200 + " time ") == "tea time"


@pytest.mark.parametrize(
    "raw",
    [
        "100%",
        "a_b",
        "'; DROP TABLE community_note; --",
        "!!!",
        "#",
        "@",
        "& | !",
        '"tea',
        "tea:*",
        "(((",
        "<->",
        "ab\\",
    ],
)
def test_odd_queries_never_fail(user: User, raw: str) -> None:
    NoteFactory(author=user, title="100% tea", body="a_b & more", photos=0)
    results = selectors.search_results(raw_query=raw, viewer=VISITOR)
    assert isinstance(results.notes.items, list)


def test_percent_and_underscore_are_not_wildcards(user: User) -> None:
    NoteFactory(author=user, title="Full marks", body="nothing special", photos=0)
    assert note_ids("%") == []
    assert note_ids("_") == []


@pytest.mark.postgres
def test_postgres_search_uses_the_full_text_index(user: User) -> None:
    assert connection.vendor == "postgresql"
    note = NoteFactory(author=user, title="Forest bathing", body="Quiet weekend", photos=0)
    note.refresh_from_db()
    assert note.search_vector is not None
    # Full-text search matches whole words, not fragments.
    assert note_ids("forest") == [note.pk]
    assert note_ids("fore") == []
    # websearch syntax: a quoted phrase and an excluded word.
    assert note_ids('"forest bathing"') == [note.pk]
    assert note_ids("forest -weekend") == []


def test_chinese_queries_match_inside_unspaced_text(user) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import NoteFactory

    note = NoteFactory(title="今天的早餐很好吃", body="")
    found = selectors.search_results(raw_query="早餐", viewer=user)
    assert [n.pk for n in found.notes.items] == [note.pk]
