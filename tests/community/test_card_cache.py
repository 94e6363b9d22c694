"""The feeds' cached cards (``community.card_cache``) equal the uncached ones:
the API's answer for every feed, page after page, is what ``NoteSerializer``
makes of the same notes loaded afresh, cold and warm, and again after each
change a card shows (a title, photos and their renditions, hiding and
restoring, the author's name and avatar) and each change that belongs to the
viewer (likes, collects, blocks), which shows at once.

The shop's part of a card (its products) has its own test beside the shop's
(``tests/shop/test_card_cache.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from rest_framework.test import APIClient

from community import card_cache, selectors, services
from community.models import Note, Topic, User
from community.serializers import NoteSerializer
from tests.factories import ModeratorFactory, NoteFactory, UserFactory, jpeg_bytes

pytestmark = pytest.mark.django_db

PAGE = 3


def _uncached(url: str, viewer: User, keys: Callable[..., Any], **kwargs: Any) -> list[Any]:
    """Every page of a feed the way the site's pages load it (the notes from
    the database, NoteSerializer), following the cursors."""
    request = RequestFactory().get(url)
    cards: list[Any] = []
    cursor = None
    while True:
        page = selectors.notes_for_keys(
            keys(viewer=viewer, cursor=cursor, size=PAGE, **kwargs), viewer
        )
        cards += NoteSerializer(page.items, many=True, context={"request": request}).data
        cursor = page.next_cursor
        if cursor is None:
            return cards


def _cached(client: APIClient, url: str) -> list[Any]:
    """Every page of a feed through the API (the card cache)."""
    cards: list[Any] = []
    next_url: str | None = f"{url}{'&' if '?' in url else '?'}page_size={PAGE}"
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        body = response.json()
        cards += body["results"]
        next_url = body["next"]
    return cards


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    viewer = UserFactory()
    followed = UserFactory(display_name="Followed Fig")
    other = UserFactory()
    topic = Topic.objects.create(name="tea", key="tea")
    services.user_follow(follower=viewer, followee=followed)
    notes = [
        *NoteFactory.create_batch(4, author=followed, photos=2),
        *NoteFactory.create_batch(5, author=other),
        NoteFactory(author=viewer),
    ]
    for note in notes[::2]:
        note.topics.add(topic)
    services.like_add(user=viewer, note=notes[0])
    services.like_add(user=other, note=notes[1])
    services.collect_add(user=viewer, note=notes[5], board_id=None, board_name="Mornings")
    client = APIClient()
    client.force_authenticate(viewer)
    return {
        "viewer": viewer,
        "followed": followed,
        "other": other,
        "topic": topic,
        "notes": notes,
        "client": client,
    }


def _feeds(world: dict[str, Any]) -> list[tuple[str, Callable[..., Any], dict[str, Any]]]:
    topic, followed = world["topic"], world["followed"]
    return [
        ("/api/v1/feed/discover", selectors.feed_discover_keys, {}),
        ("/api/v1/feed/following", selectors.feed_following_keys, {}),
        (f"/api/v1/topics/{topic.key}/notes", selectors.feed_topic_keys, {"topic": topic}),
        (
            f"/api/v1/topics/{topic.key}/notes?order=new",
            selectors.feed_topic_keys,
            {"topic": topic, "order": "new"},
        ),
        (
            f"/api/v1/users/{followed.username}/notes",
            selectors.feed_author_keys,
            {"author": followed},
        ),
    ]


def assert_same(world: dict[str, Any]) -> dict[str, list[Any]]:
    """Each feed: cached (twice: cold then warm) == uncached. Returns the
    cached cards by URL."""
    seen = {}
    for url, keys, kwargs in _feeds(world):
        expected = _uncached(url, world["viewer"], keys, **kwargs)
        assert expected, url
        first = _cached(world["client"], url)
        again = _cached(world["client"], url)
        # The same JSON, key order included, as before the cache.
        assert json.dumps(first) == json.dumps(expected), url
        assert json.dumps(again) == json.dumps(expected), url
        seen[url] = again
    return seen


def _card(cards: list[Any], note: Note) -> dict[str, Any]:
    return next(card for card in cards if card["id"] == note.pk)


def test_cached_cards_equal_the_uncached_ones_on_every_feed(world: dict[str, Any]) -> None:
    seen = assert_same(world)
    discover = seen["/api/v1/feed/discover"]
    assert {card["id"] for card in discover} == {note.pk for note in world["notes"]}
    assert _card(discover, world["notes"][0])["liked"] is True
    assert _card(discover, world["notes"][1])["like_count"] == 1
    assert _card(discover, world["notes"][1])["liked"] is False
    assert _card(discover, world["notes"][5])["collected"] is True


def test_what_a_card_shows_is_fresh_after_each_change(world: dict[str, Any]) -> None:
    assert_same(world)  # every card cached
    notes, followed = world["notes"], world["followed"]
    note = notes[0]

    services.note_update(actor=followed, note=note, title="Figs for breakfast")
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, note)["title"] == "Figs for breakfast"

    photo = services.note_photo_add(
        actor=followed,
        note=note,
        upload=SimpleUploadedFile("p.jpg", jpeg_bytes(64, 48), content_type="image/jpeg"),
    )
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert len(_card(cards, note)["photos"]) == 3
    ids = [p["id"] for p in _card(cards, note)["photos"]]
    services.note_photos_reorder(actor=followed, note=note, photo_ids=list(reversed(ids)))
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert [p["id"] for p in _card(cards, note)["photos"]] == list(reversed(ids))
    services.note_photo_remove(actor=followed, note=note, photo_id=photo.pk)
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert photo.pk not in [p["id"] for p in _card(cards, note)["photos"]]

    # A photo's renditions come later (a task): its card says so once ready.
    unready = notes[4].photos.get()
    before = _card(cards, notes[4])["photos"][0]
    services.photo_render(photo_id=unready.pk)
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, notes[4])["photos"][0] != before

    services.user_profile_update(
        user=followed,
        display_name="Fig Tree",
        avatar=SimpleUploadedFile("a.jpg", jpeg_bytes(64, 64), content_type="image/jpeg"),
    )
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, note)["author"]["display_name"] == "Fig Tree"
    assert _card(cards, note)["author"]["avatar"]

    moderator = ModeratorFactory()
    services.notes_set_hidden(
        moderator=moderator, notes=Note.objects.filter(pk=note.pk), hidden=True, reason="spam"
    )
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert note.pk not in {card["id"] for card in cards}
    services.notes_set_hidden(
        moderator=moderator, notes=Note.objects.filter(pk=note.pk), hidden=False
    )
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, note)["title"] == "Figs for breakfast"

    # An edit that does not go through a service (the admin's form saves the model).
    edited = Note.objects.get(pk=notes[2].pk)
    edited.title = "Edited in the admin"
    edited.save()
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, notes[2])["title"] == "Edited in the admin"


def test_the_viewers_own_bits_change_at_once(world: dict[str, Any]) -> None:
    assert_same(world)
    viewer, notes = world["viewer"], world["notes"]
    services.like_add(user=viewer, note=notes[3])
    services.like_remove(user=viewer, note=notes[0])
    services.collect_remove(user=viewer, note=notes[5])
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert _card(cards, notes[3])["liked"] is True
    assert _card(cards, notes[3])["like_count"] == 1
    assert _card(cards, notes[0])["liked"] is False
    assert _card(cards, notes[5])["collected"] is False

    services.user_block(blocker=viewer, blocked=world["other"])
    cards = assert_same(world)["/api/v1/feed/discover"]
    assert not {card["author"]["id"] for card in cards} & {world["other"].pk}


def test_forgetting_reaches_every_origin_a_card_was_cached_for(
    world: dict[str, Any], settings: Any
) -> None:
    """The URLs in a card are absolute: a site answering under two names
    keeps a card per name, and an edit forgets both."""
    settings.ALLOWED_HOSTS = ["testserver", "sprout.internal"]
    note = world["notes"][0]
    other_name = APIClient(SERVER_NAME="sprout.internal")
    other_name.force_authenticate(world["viewer"])
    for client in (world["client"], other_name):
        assert _cached(client, "/api/v1/feed/following")
    services.note_update(actor=world["followed"], note=note, title="Renamed")
    for client, host in ((world["client"], "testserver"), (other_name, "sprout.internal")):
        card = _card(_cached(client, "/api/v1/feed/following"), note)
        assert card["title"] == "Renamed"
        assert card["url"].startswith(f"http://{host}/")
    card_cache.note_cards_forget([])  # nothing to forget is fine


def test_search_results_cards_equal_the_uncached_ones(world: dict[str, Any]) -> None:
    services.note_update(actor=world["followed"], note=world["notes"][0], title="Fig jam")
    request = RequestFactory().get("/api/v1/search")
    for _ in range(2):  # cold, then warm
        body = world["client"].get("/api/v1/search", {"q": "fig"}).json()
        results = selectors.search_results(raw_query="fig", viewer=world["viewer"])
        expected = NoteSerializer(results.notes.items, many=True, context={"request": request})
        assert json.dumps(body["notes"]) == json.dumps(expected.data)
        assert [card["title"] for card in body["notes"]] == ["Fig jam"]
