"""``/live/``: live now (most watched first), coming up, recently live; and
the live ring / badge beside a live host's name elsewhere on the site."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from live.models import Room
from tests.factories import LiveSessionFactory, NoteFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_the_directory_lists_live_upcoming_and_recent_rooms(client: Client) -> None:
    live = RoomFactory(title="Dumplings live", live=True)
    upcoming = RoomFactory(title="Sunday market haul")
    ended = RoomFactory(title="Pottery night", state=Room.State.ENDED)
    LiveSessionFactory(room=ended, ended_at=timezone.now() - timedelta(hours=2), peak_viewers=140)
    page = client.get(reverse("live_list"))
    html = page.content.decode()
    assert page.status_code == 200
    for room in (live, upcoming, ended):
        assert room.title in html and room.get_absolute_url() in html
    assert (
        html.index("Dumplings live")
        < html.index("Sunday market haul")
        < html.index("Pottery night")
    )
    assert "140 at the peak" in html
    # Reachable from the header's (and the Me page's) navigation.
    assert f'href="{reverse("live_list")}"' in client.get(reverse("discover")).content.decode()


def test_an_empty_directory_helps(client: Client) -> None:
    html = client.get(reverse("live_list")).content.decode()
    assert "Nobody is live right now" in html and reverse("creators") in html


def test_the_directory_costs_the_same_queries_for_many_rooms(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    RoomFactory(live=True)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("live_list"))
    for _ in range(8):
        RoomFactory(live=True)
        RoomFactory()
        LiveSessionFactory(room=RoomFactory(state=Room.State.ENDED), ended_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("live_list"))


def test_a_live_host_is_ringed_and_badged_beside_their_name(client: Client) -> None:
    room = RoomFactory(live=True)
    note = NoteFactory(author=room.host, title="Tonight's menu", photos=1)
    html = client.get(note.get_absolute_url()).content.decode()
    assert "avatar--ring" in html and "badge--live" in html
    Room.objects.filter(pk=room.pk).update(state=Room.State.ENDED)
    html = client.get(note.get_absolute_url()).content.decode()
    assert "avatar--ring" not in html and "badge--live" not in html
