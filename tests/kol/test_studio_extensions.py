"""The creator studio's extension points (``kol.extensions``): columns of
the table of notes and sections from the apps above kol, and nothing of
them when none is registered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Note, User
from kol.extensions import StudioColumn, StudioSection, studio_note_columns, studio_sections
from tests.factories import CreatorFactory, NoteFactory

pytestmark = pytest.mark.django_db


def reposts(notes: Sequence[Note]) -> list[StudioColumn]:
    return [StudioColumn("reposts", "Reposts", {note.pk: "7" for note in notes}, hint="Shared")]


def eye_section(request: Any, member: User) -> StudioSection:
    return StudioSection("eye", "icons/eye.svg", stylesheets=("css/elsewhere.css",))


def test_other_apps_add_note_columns_and_sections(user_client: Client, user: User) -> None:
    CreatorFactory(user=user)
    NoteFactory(author=user, title="Tomato tart")

    with studio_note_columns.override(reposts), studio_sections.override(eye_section):
        page = user_client.get(reverse("studio")).content.decode()

    assert '<th scope="col" class="num" title="Shared">Reposts</th>' in page
    assert '<td class="num">7</td>' in page
    assert "icon-eye" in page and "css/elsewhere.css" in page
    assert 'class="table-scroll" role="region"' in page


def test_without_contributions_the_studio_has_its_own_columns_only(
    user_client: Client, user: User
) -> None:
    CreatorFactory(user=user)
    NoteFactory(author=user, title="Tomato tart")

    with studio_note_columns.override(), studio_sections.override():
        page = user_client.get(reverse("studio")).content.decode()

    assert "Tomato tart" in page
    assert "notes-table--wide" not in page and "studio-cols--wide" not in page
    assert '<span class="sr-only">Views</span>' in page
