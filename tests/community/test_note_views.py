"""Note views: each reader's read of a published note counts once per
window (``community.services.note_view_record``), from its page and from
the API; its author's own reads and unpublished notes never count."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Note
from tests.clients import api_client, logged_in
from tests.factories import NoteFactory, UserFactory

pytestmark = pytest.mark.django_db


def views_of(note: Note) -> int:
    return int(Note.objects.values_list("view_count", flat=True).get(pk=note.pk))


def test_a_readers_views_count_once_per_window_from_the_page_and_the_api() -> None:
    note = NoteFactory()
    reader, other = UserFactory(), UserFactory()

    for _ in range(3):
        assert logged_in(reader).get(reverse("note", args=[note.pk])).status_code == 200
    assert api_client(reader).get(f"/api/v1/notes/{note.pk}/").status_code == 200
    api_client(other).get(f"/api/v1/notes/{note.pk}/")

    assert views_of(note) == 2


def test_visitors_count_by_their_address() -> None:
    note = NoteFactory()
    Client(REMOTE_ADDR="10.0.0.1").get(reverse("note", args=[note.pk]))
    Client(REMOTE_ADDR="10.0.0.1").get(reverse("note", args=[note.pk]))
    Client(REMOTE_ADDR="10.0.0.2").get(reverse("note", args=[note.pk]))

    assert views_of(note) == 2


def test_the_authors_own_reads_and_drafts_do_not_count() -> None:
    note = NoteFactory()
    logged_in(note.author).get(reverse("note", args=[note.pk]))
    api_client(note.author).get(f"/api/v1/notes/{note.pk}/")
    draft = NoteFactory(status=Note.Status.DRAFT, published_at=None)
    logged_in(draft.author).get(reverse("note", args=[draft.pk]))

    assert views_of(note) == 0
    assert views_of(draft) == 0
