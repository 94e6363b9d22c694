"""The photos of an existing note: add, remove and reorder them, through the
services, the API (``/api/v1/notes/{id}/photos``) and the edit page. The
first photo is the cover; only a draft may be left without one; only the
note's author changes them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from community import services
from community.errors import PhotoOrderMismatch, PhotosRequired, TooManyPhotos, UnknownPhoto
from community.models import Note, Photo, User
from core.errors import InvalidImage, PermissionDenied
from tests import images
from tests.clients import assert_error
from tests.factories import ModeratorFactory, NoteFactory, PhotoFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


def jpeg(name: str = "photo.jpg", width: int = 320, height: int = 240) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(width, height), content_type="image/jpeg")


def ids(note: Note) -> list[int]:
    return list(note.photos.values_list("pk", flat=True))


def positions(note: Note) -> list[int]:
    return list(note.photos.values_list("position", flat=True))


@pytest.fixture
def draft(user: User) -> Note:
    return NoteFactory(author=user, status=Note.Status.DRAFT, photos=0, published_at=None)


@pytest.fixture
def note(user: User) -> Note:
    return NoteFactory(author=user, photos=3)


# --- services ---------------------------------------------------------------------------


def test_a_photo_added_to_a_draft_without_photos_becomes_its_cover(user: User, draft: Note) -> None:
    photo = services.note_photo_add(
        actor=user, note=draft, upload=images.jpeg_with_gps_and_orientation()
    )
    assert ids(draft) == [photo.pk]
    assert photo.owner == user and photo.position == 0
    stored = Photo.objects.get(pk=photo.pk).original.read()
    images.assert_no_metadata(stored)


def test_added_photos_go_last(user: User, note: Note) -> None:
    before = ids(note)
    photo = services.note_photo_add(actor=user, note=note, upload=jpeg())
    assert ids(note) == [*before, photo.pk]
    assert positions(note) == [0, 1, 2, 3]


def test_a_tenth_photo_is_refused(user: User) -> None:
    full = NoteFactory(author=user, photos=services.MAX_PHOTOS)
    with pytest.raises(TooManyPhotos):
        services.note_photo_add(actor=user, note=full, upload=jpeg())
    assert full.photos.count() == services.MAX_PHOTOS


def test_what_is_not_a_photo_is_refused(user: User, draft: Note) -> None:
    with pytest.raises(InvalidImage):
        services.note_photo_add(actor=user, note=draft, upload=images.html_named_png())
    assert ids(draft) == []


def test_removing_a_photo_closes_the_gap(user: User, note: Note) -> None:
    first, second, third = ids(note)
    services.note_photo_remove(actor=user, note=note, photo_id=first)
    assert ids(note) == [second, third]
    assert positions(note) == [0, 1]
    assert not Photo.objects.filter(pk=first).exists()


def test_a_draft_may_lose_its_last_photo(user: User) -> None:
    draft = NoteFactory(author=user, status=Note.Status.DRAFT, photos=1, published_at=None)
    services.note_photo_remove(actor=user, note=draft, photo_id=ids(draft)[0])
    assert ids(draft) == []


def test_a_published_note_keeps_its_last_photo(user: User) -> None:
    single = NoteFactory(author=user, photos=1)
    with pytest.raises(PhotosRequired) as raised:
        services.note_photo_remove(actor=user, note=single, photo_id=ids(single)[0])
    assert "draft" in raised.value.message
    assert single.photos.count() == 1


def test_a_hidden_note_keeps_a_photo_whichever_way_it_is_edited(user: User) -> None:
    hidden = NoteFactory(author=user, photos=1, status=Note.Status.HIDDEN)
    with pytest.raises(PhotosRequired):
        services.note_photo_remove(actor=user, note=hidden, photo_id=ids(hidden)[0])
    with pytest.raises(PhotosRequired):
        services.note_update(actor=user, note=hidden, photo_ids=[])
    assert hidden.photos.count() == 1


def test_removing_a_photo_of_another_note_is_unknown(user: User, note: Note) -> None:
    elsewhere = NoteFactory(author=user, photos=1)
    with pytest.raises(UnknownPhoto):
        services.note_photo_remove(actor=user, note=note, photo_id=ids(elsewhere)[0])
    assert elsewhere.photos.count() == 1


def test_reorder_puts_the_chosen_cover_first(user: User, note: Note) -> None:
    first, second, third = ids(note)
    services.note_photos_reorder(actor=user, note=note, photo_ids=[third, first, second])
    assert ids(note) == [third, first, second]
    assert positions(note) == [0, 1, 2]


@pytest.mark.parametrize("shape", ["missing", "extra", "twice", "foreign", "empty"])
def test_reorder_must_list_each_photo_once(user: User, note: Note, shape: str) -> None:
    first, second, third = ids(note)
    foreign = PhotoFactory(owner=user).pk
    wanted = {
        "missing": [first, second],
        "extra": [first, second, third, foreign],
        "twice": [first, second, second],
        "foreign": [first, second, foreign],
        "empty": [],
    }[shape]
    with pytest.raises(PhotoOrderMismatch):
        services.note_photos_reorder(actor=user, note=note, photo_ids=wanted)
    assert ids(note) == [first, second, third]


def test_only_the_author_changes_the_photos(other_user: User, note: Note) -> None:
    photo_id = ids(note)[0]
    for actor in (other_user, ModeratorFactory()):
        with pytest.raises(PermissionDenied):
            services.note_photo_add(actor=actor, note=note, upload=jpeg())
        with pytest.raises(PermissionDenied):
            services.note_photo_remove(actor=actor, note=note, photo_id=photo_id)
        with pytest.raises(PermissionDenied):
            services.note_photos_reorder(actor=actor, note=note, photo_ids=ids(note)[::-1])
        with pytest.raises(PermissionDenied):
            services.note_update(actor=actor, note=note, photo_ids=ids(note)[::-1])
    assert note.photos.count() == 3


# --- API --------------------------------------------------------------------------------


def url(note: Note, photo_id: int | None = None) -> str:
    base = f"/api/v1/notes/{note.pk}/photos/"
    return base if photo_id is None else f"{base}{photo_id}/"


def test_api_adds_reorders_and_removes_photos_of_a_draft(user_api: APIClient, draft: Note) -> None:
    first = user_api.post(url(draft), {"image": jpeg("1.jpg")}, format="multipart")
    assert first.status_code == 201, first.content
    second = user_api.post(url(draft), {"image": jpeg("2.jpg", 100, 200)}, format="multipart")
    assert second.status_code == 201
    photos = second.json()["photos"]
    assert [p["width"] for p in photos] == [320, 100]
    a, b = (p["id"] for p in photos)

    reordered = user_api.put(url(draft), {"photo_ids": [b, a]}, format="json")
    assert reordered.status_code == 200, reordered.content
    assert [p["id"] for p in reordered.json()["photos"]] == [b, a]
    assert user_api.get(url(draft)).json()["photos"][0]["id"] == b

    removed = user_api.delete(url(draft, b))
    assert removed.status_code == 200
    assert [p["id"] for p in removed.json()["photos"]] == [a]
    publish = user_api.patch(f"/api/v1/notes/{draft.pk}/", {"status": "published"}, format="json")
    assert publish.status_code == 200
    assert publish.json()["photos"][0]["id"] == a


def test_api_refuses_to_empty_a_published_note(user_api: APIClient, user: User) -> None:
    single = NoteFactory(author=user, photos=1)
    response = user_api.delete(url(single, ids(single)[0]))
    assert_error(response, 400, "photos_required")
    assert single.photos.count() == 1


def test_api_error_codes_for_bad_input(user_api: APIClient, user: User, note: Note) -> None:
    first, second, third = ids(note)
    assert_error(user_api.post(url(note), {}, format="multipart"), 400, "invalid")
    assert_error(
        user_api.post(url(note), {"image": images.text_named_jpg()}, format="multipart"),
        400,
        "not_an_image",
    )
    assert_error(user_api.delete(url(note, 2**40)), 404, "unknown_photo")
    assert_error(
        user_api.put(url(note), {"photo_ids": [first, second]}, format="json"),
        400,
        "photo_order_mismatch",
    )
    nul = user_api.put(url(note), {"photo_ids": [f"{first}\x00"]}, format="json")
    assert_error(nul, 400, "malformed_request")
    bad_ids: list[Any] = ["abc", [first, "x"], None, [first, second, third] * 4]
    for value in bad_ids:
        response = user_api.put(url(note), {"photo_ids": value}, format="json")
        assert_error(response, 400, "invalid")
    assert ids(note) == [first, second, third]
    full = NoteFactory(author=user, photos=services.MAX_PHOTOS)
    assert_error(
        user_api.post(url(full), {"image": jpeg()}, format="multipart"), 400, "too_many_photos"
    )


def test_api_other_members_cannot_change_photos(
    other_api: APIClient, api: APIClient, note: Note, draft: Note
) -> None:
    photo_id = ids(note)[0]
    assert_error(
        other_api.post(url(note), {"image": jpeg()}, format="multipart"), 403, "permission_denied"
    )
    assert_error(other_api.delete(url(note, photo_id)), 403, "permission_denied")
    assert_error(
        other_api.put(url(note), {"photo_ids": ids(note)[::-1]}, format="json"),
        403,
        "permission_denied",
    )
    # Someone else's draft does not exist for them.
    assert_error(
        other_api.post(url(draft), {"image": jpeg()}, format="multipart"), 404, "not_found"
    )
    assert_error(other_api.get(url(draft)), 404, "not_found")
    assert_error(api.post(url(note), {"image": jpeg()}, format="multipart"), 401, "unauthenticated")
    assert_error(
        api.put(url(note), {"photo_ids": ids(note)}, format="json"), 401, "unauthenticated"
    )
    assert_error(api.delete(url(note, photo_id)), 401, "unauthenticated")
    # Reading is for whoever may see the note.
    assert [p["id"] for p in api.get(url(note)).json()["photos"]] == ids(note)
    assert_error(api.get(url(draft)), 404, "not_found")
    assert note.photos.count() == 3


def test_api_photo_list_queries_do_not_grow_with_photos(user_api: APIClient, user: User) -> None:
    few = NoteFactory(author=user, photos=1)
    many = NoteFactory(author=user, photos=services.MAX_PHOTOS)
    with CaptureQueriesContext(connection) as one:
        assert user_api.get(url(few)).status_code == 200
    with CaptureQueriesContext(connection) as nine:
        assert user_api.get(url(many)).status_code == 200
    assert len(nine) == len(one)


# --- the edit page ----------------------------------------------------------------------


def edit(note: Note) -> str:
    return reverse("note_edit", args=[note.pk])


def form(note: Note, photo_ids: list[int], **fields: Any) -> dict[str, Any]:
    return {
        "title": note.title,
        "body": note.body,
        "status": note.status,
        "photos_in_form": "1",
        "photo_ids": [str(pk) for pk in photo_ids],
        **fields,
    }


def test_a_draft_without_photos_points_its_author_to_the_photo_control(
    user_client: Client, other_client: Client, user: User
) -> None:
    draft = NoteFactory(author=user, status=Note.Status.DRAFT, photos=0, published_at=None)
    page = user_client.get(reverse("note", args=[draft.pk])).content.decode()
    assert f'href="{edit(draft)}#photos"' in page
    assert "edit the note" not in page
    html = user_client.get(edit(draft)).content.decode()
    assert 'id="photos"' in html and 'name="images"' in html and "Add photos" in html


def test_publishing_a_draft_without_photos_shows_the_error_at_the_photos(
    user_client: Client, user: User, draft: Note
) -> None:
    response = user_client.post(edit(draft), form(draft, [], status="published"))
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="photos"') :]
    assert "Add at least one photo to publish." in section[: section.index("</section>")]
    assert '<a href="#id_images">Choose photos</a>' in html
    draft.refresh_from_db()
    assert draft.status == Note.Status.DRAFT


def test_the_edit_form_adds_reorders_and_removes_photos(
    user_client: Client, user_api: APIClient, user: User, draft: Note
) -> None:
    # With scripts: photos upload ahead, the form sends the list in order.
    uploaded = [
        user_api.post("/api/v1/photos/", {"image": jpeg(f"{n}.jpg")}, format="multipart").json()[
            "id"
        ]
        for n in range(2)
    ]
    response = user_client.post(edit(draft), form(draft, uploaded[::-1]))
    assert response.status_code == 302
    assert ids(draft) == uploaded[::-1]
    # Without scripts: files are added at the end on saving.
    response = user_client.post(edit(draft), form(draft, ids(draft), images=[jpeg("3.jpg")]))
    assert response.status_code == 302
    first, second, third = ids(draft)
    assert third not in uploaded
    # Removing one and publishing, in one save.
    response = user_client.post(edit(draft), form(draft, [third, first], status="published"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    assert ids(draft) == [third, first]
    assert not Photo.objects.filter(pk=second).exists()


def test_without_scripts_a_photo_button_changes_the_list_before_saving(
    user_client: Client, note: Note
) -> None:
    first, second, third = ids(note)
    posted = form(note, [first, second, third], title="Renamed", photo_op=f"later:{first}")
    response = user_client.post(edit(note), posted)
    assert response.status_code == 200
    html = response.content.decode()
    shown = [int(v) for v in re.findall(r'name="photo_ids" value="(\d+)"', html)]
    assert shown == [second, first, third]
    assert 'value="Renamed"' in html
    posted = form(note, shown, photo_op=f"remove:{third}")
    html = user_client.post(edit(note), posted).content.decode()
    assert [int(v) for v in re.findall(r'name="photo_ids" value="(\d+)"', html)] == [second, first]
    note.refresh_from_db()
    assert note.title != "Renamed" and ids(note) == [first, second, third]


def test_the_edit_form_refuses_bad_photo_lists(user_client: Client, user: User, note: Note) -> None:
    first, second, third = ids(note)
    foreign = NoteFactory(photos=1).photos.get().pk
    cases = {
        "not a number": {**form(note, []), "photo_ids": ["abc"]},
        "someone else's": form(note, [first, foreign]),
        "twice": form(note, [first, first]),
        "published, none left": form(note, []),
        "too many": form(note, [first, second, third], images=[jpeg(f"{n}.jpg") for n in range(7)]),
    }
    for name, posted in cases.items():
        response = user_client.post(edit(note), posted)
        assert response.status_code == 200, name
        assert 'class="field-error photos-error" role="alert" data-error-for="photo_ids">' in (
            response.content.decode()
        ), name
    # A NUL byte is refused before any form sees it (core's request checks).
    nul = user_client.post(edit(note), {**form(note, []), "photo_ids": [f"{first}\x00"]})
    assert nul.status_code == 400
    assert ids(note) == [first, second, third]


def test_only_the_author_gets_the_photo_control(
    user_client: Client, other_user: User, user: User
) -> None:
    theirs = NoteFactory(author=other_user, photos=2)
    kept = ids(theirs)
    moderator = ModeratorFactory()
    client = Client()
    client.force_login(moderator)
    page = client.get(edit(theirs)).content.decode()
    assert "data-edit-photos" not in page
    # A moderator's save leaves the photos alone, even if a list is sent.
    response = client.post(edit(theirs), form(theirs, [kept[1]], title="Tidied"))
    assert response.status_code == 302
    assert ids(theirs) == kept
    # Another member may not edit at all.
    assert user_client.post(edit(theirs), form(theirs, [kept[1]])).status_code == 403
    assert ids(theirs) == kept


def test_edit_page_queries_do_not_grow_with_photos(user_client: Client, user: User) -> None:
    few = NoteFactory(author=user, photos=1)
    many = NoteFactory(author=user, photos=services.MAX_PHOTOS)
    with CaptureQueriesContext(connection) as one:
        assert user_client.get(edit(few)).status_code == 200
    with CaptureQueriesContext(connection) as nine:
        assert user_client.get(edit(many)).status_code == 200
    assert len(nine) == len(one)
