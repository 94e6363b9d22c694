"""The note cards of the feeds, cached.

A card (``community.serializers.NoteSerializer``) is mostly the same for
everyone and changes rarely: the title, the photos and their renditions, the
author's name and avatar, the extras of the apps above (the shop's tagged
products). What changes all the time (the counts) and what belongs to the
viewer (liked, collected) is read with the ranking keys in the feed's one
query (``community.selectors.cards.CardKey``). So the feeds of the API read
the rest from the shared cache (Redis in production) in one round trip:

- ``card`` entries: a note's card without its author, per note and origin
  (the URLs in a card are absolute);
- ``author`` entries: an author's brief, per member and origin, shared by
  all their cards.

A miss is built the uncached way (``note_cards_by_ids`` and the serializer)
and stored. Whatever changes what a card shows forgets it: the community's
services and the signal receivers of ``community.apps`` (notes, photos,
members), and the apps whose extras a card carries (the shop: products,
their images, their tags, shops opening and closing) through
:func:`note_cards_forget` and :func:`authors_forget`. Entries also expire
after ``SPROUT_FEED_CARD_SECONDS`` (ten minutes; 0 caches nothing, every
card built as before the cache), a bound on anything a path forgot to forget
and on the one race forgetting leaves: a miss that read a note just before
an edit committed, and stores its card after the edit forgot it.
``tests/community/test_card_cache.py`` holds the cached and the uncached
paths equal after every such change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache

from community import serializers
from community.models import Note, Photo, User
from community.selectors.cards import CardKey, note_cards_by_ids
from core.cache import forget_after_change


def _seconds() -> int:
    return int(getattr(settings, "SPROUT_FEED_CARD_SECONDS", 600))


VERSION = 1

# What ``build`` answers for the notes missing from the cache: ``{note id:
# (card without the author, author id)}`` and ``{author id: brief}``.
type CardEntry = tuple[dict[str, Any], int]
type Build = Callable[[Sequence[int]], tuple[dict[int, CardEntry], dict[int, dict[str, Any]]]]
type BuildAuthors = Callable[[Sequence[int]], dict[int, dict[str, Any]]]


# One entry per note (and per author), holding the card for each origin it
# was asked for (the URLs in a card are absolute: a site may answer under its
# domain and an internal name), so that forgetting is one key whatever the
# origins.
def _card_key(note_id: int) -> str:
    return f"community:card:v{VERSION}:{note_id}"


def _author_key(user_id: int) -> str:
    return f"community:card-author:v{VERSION}:{user_id}"


def cards(
    keys: Sequence[tuple[int, int]], *, origin: str, build: Build, build_authors: BuildAuthors
) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """``{note id: (card without the author, author brief)}`` for ``keys``
    (``(note id, author id)`` pairs): cards and briefs from the cache in one
    round trip; what is missing from ``build`` (cards, with their authors'
    briefs) and ``build_authors`` (the other briefs), then stored. A note
    ``build`` leaves out (no longer visible) is left out."""
    if not keys:
        return {}
    card_keys = {pk: _card_key(pk) for pk, _ in keys}
    author_keys = {author: _author_key(author) for _, author in keys}
    found: dict[str, Any] = cache.get_many([*card_keys.values(), *author_keys.values()])
    entries: dict[int, CardEntry] = {}
    authors: dict[int, dict[str, Any]] = {}
    missing: list[int] = []
    for pk, key in card_keys.items():
        entry = (found.get(key) or {}).get(origin)
        if entry is None:
            missing.append(pk)
        else:
            entries[pk] = entry
    for author, key in author_keys.items():
        brief = (found.get(key) or {}).get(origin)
        if brief is not None:
            authors[author] = brief
    fresh: dict[str, Any] = {}
    if missing:
        built, built_authors = build(missing)
        entries.update(built)
        fresh.update({card_keys[pk]: entry for pk, entry in built.items()})
        for author, brief in built_authors.items():
            if author not in authors and author in author_keys:
                authors[author] = brief
                fresh[author_keys[author]] = brief
    absent = sorted({author for _, author in entries.values()} - authors.keys())
    if absent:
        loaded = build_authors(absent)
        authors.update(loaded)
        fresh.update({author_keys[pk]: brief for pk, brief in loaded.items() if pk in author_keys})
    _store(fresh, found, origin)
    return {
        pk: (card, authors[author]) for pk, (card, author) in entries.items() if author in authors
    }


def _store(values: dict[str, Any], found: dict[str, Any], origin: str) -> None:
    """Store each value under its key for ``origin``, beside what the entry
    read a moment ago (``found``) held for other origins."""
    seconds = _seconds()
    if values and seconds > 0:
        cache.set_many(
            {key: {**(found.get(key) or {}), origin: value} for key, value in values.items()},
            seconds,
        )


def note_cards_forget(note_ids: Iterable[int]) -> None:
    """The cached cards of these notes are stale (their title, photos,
    status, dates or an app's extras changed)."""
    forget_after_change([_card_key(pk) for pk in sorted(set(note_ids))])


def authors_forget(user_ids: Iterable[int]) -> None:
    """The cached briefs of these members are stale (their name or avatar
    changed)."""
    forget_after_change([_author_key(pk) for pk in sorted(set(user_ids))])


# Signal receivers (connected in ``community.apps``).


def note_saved(sender: Any, instance: Note, **kwargs: Any) -> None:
    note_cards_forget([instance.pk])


def photo_saved(sender: Any, instance: Photo, **kwargs: Any) -> None:
    if instance.note_id is not None:
        note_cards_forget([instance.note_id])


def author_saved(sender: Any, instance: User, **kwargs: Any) -> None:
    authors_forget([instance.pk])


def card_payloads(keys: Sequence[CardKey], request: Any) -> list[dict[str, Any]]:
    """The cards of a feed page from its card keys: what is the same for
    everyone from this cache (built here the uncached way on a
    miss: the same payload as ``NoteSerializer`` gives, extras
    included), the counts and the viewer's flags from the keys. Equal to
    ``NoteSerializer(notes, many=True)`` on the same notes
    (``tests/community/test_card_cache.py``)."""
    origin = serializers.origin(request)
    context = {"request": request}

    def build(ids: Sequence[int]) -> tuple[dict[int, CardEntry], dict[int, dict[str, Any]]]:
        notes = note_cards_by_ids(ids, viewer_id=None, blocked=())
        serializer = serializers.NoteSerializer(context=context)
        payloads = [serializer.payload(note) for note in notes]
        serializers.with_extras(payloads, notes, request)
        built: dict[int, CardEntry] = {}
        briefs: dict[int, dict[str, Any]] = {}
        for note, payload in zip(notes, payloads, strict=True):
            briefs[note.author_id] = payload["author"]
            payload["author"] = None  # kept apart: shared by all their cards
            built[note.pk] = (payload, note.author_id)
        return built, briefs

    def build_authors(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        users = User.objects.filter(pk__in=ids).only("id", "username", "display_name", "avatar")
        return {user.pk: serializers.user_brief(user, origin) for user in users}

    found = cards(
        [(key.id, key.author_id) for key in keys],
        origin=origin,
        build=build,
        build_authors=build_authors,
    )
    payloads = []
    for key in keys:
        entry = found.get(key.id)
        if entry is None:
            continue  # no longer visible
        card = dict(entry[0])  # the same key order as NoteSerializer's
        card["author"] = entry[1]
        card["like_count"] = key.like_count
        card["collect_count"] = key.collect_count
        card["comment_count"] = key.comment_count
        card["liked"] = key.liked
        card["collected"] = key.collected
        payloads.append(card)
    return payloads
