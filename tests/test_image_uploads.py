"""Every way a picture enters Sprout goes through the one image pipeline
(``core.images``): note photos, avatars, room covers and the gift
catalog, from the pages, the API and the admin. Each entry point refuses the
same files with the same codes and stores what it accepts without a byte of
metadata.

A new entry point is one more ``EntryPoint`` in ``ENTRY_POINTS``; a new image
field on a model fails ``test_every_model_image_field_has_an_entry_point_here``
until it has one (and fails the next test if it is not a ``CleanImageField``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from community.models import Note, Photo, User
from core.images import CleanImageField, ImageUploadField
from live.models import Room
from tests import images
from tests.clients import api_client, logged_in
from tests.factories import (
    GiftFactory,
    HostFactory,
    NoteFactory,
    RoomFactory,
    SuperuserFactory,
    UserFactory,
)
from wallet.models import Gift

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Outcome:
    """What an entry point did with an upload: the error codes it answered,
    or the bytes it stored."""

    codes: tuple[str, ...] = ()
    stored: bytes | None = None


@dataclass(frozen=True)
class EntryPoint:
    name: str
    fields: tuple[tuple[type[models.Model], str], ...]  # the model fields it writes
    submit: Callable[[SimpleUploadedFile], Outcome]

    def __str__(self) -> str:
        return self.name


def _read(file: FieldFile) -> bytes:
    with file.open("rb") as stored:
        return stored.read()


def _api_outcome(response: Any, stored: Callable[[], FieldFile]) -> Outcome:
    if response.status_code in (200, 201):
        return Outcome(stored=_read(stored()))
    assert response.status_code == 400, response.content
    return Outcome(codes=(response.json()["error"]["code"],))


def _page_outcome(
    response: Any, field: str, stored: Callable[[], FieldFile], *, success: int = 302
) -> Outcome:
    if response.status_code == success:
        return Outcome(stored=_read(stored()))
    assert response.status_code in (200, 400), response.status_code
    errors = response.context["form"].errors.as_data()
    return Outcome(codes=tuple(str(e.code) for e in errors.get(field, [])))


def _latest_photo(owner: User) -> FieldFile:
    return Photo.objects.filter(owner=owner).latest("id").original


# --- the entry points ---------------------------------------------------------------------


def api_photo(upload: SimpleUploadedFile) -> Outcome:
    user = UserFactory()
    response = api_client(user).post("/api/v1/photos", {"image": upload}, format="multipart")
    return _api_outcome(response, lambda: _latest_photo(user))


def api_note_create(upload: SimpleUploadedFile) -> Outcome:
    user = UserFactory()
    response = api_client(user).post(
        "/api/v1/notes/", {"title": "Breakfast", "images": [upload]}, format="multipart"
    )
    return _api_outcome(response, lambda: _latest_photo(user))


def api_note_update(upload: SimpleUploadedFile) -> Outcome:
    note = NoteFactory(status=Note.Status.DRAFT)
    response = api_client(note.author).patch(
        f"/api/v1/notes/{note.pk}", {"images": [upload]}, format="multipart"
    )
    return _api_outcome(response, lambda: _latest_photo(note.author))


def api_avatar(upload: SimpleUploadedFile) -> Outcome:
    user = UserFactory()
    response = api_client(user).patch("/api/v1/me", {"avatar": upload}, format="multipart")
    return _api_outcome(response, lambda: User.objects.get(pk=user.pk).avatar)


def api_room_cover(upload: SimpleUploadedFile) -> Outcome:
    host = HostFactory()
    response = api_client(host).post(
        "/api/v1/live/rooms/", {"title": "Dumplings", "cover": upload}, format="multipart"
    )
    return _api_outcome(response, lambda: Room.objects.get(host=host).cover)


def page_compose(upload: SimpleUploadedFile) -> Outcome:
    user = UserFactory()
    response = logged_in(user).post(reverse("compose"), {"title": "Breakfast", "images": upload})
    return _page_outcome(response, "images", lambda: _latest_photo(user))


def page_profile_avatar(upload: SimpleUploadedFile) -> Outcome:
    user = UserFactory()
    response = logged_in(user).post(reverse("settings_profile"), {"bio": "Hi", "avatar": upload})
    return _page_outcome(response, "avatar", lambda: User.objects.get(pk=user.pk).avatar)


def page_go_live_cover(upload: SimpleUploadedFile) -> Outcome:
    host = HostFactory()
    response = logged_in(host).post(reverse("go_live"), {"title": "Dumplings", "cover": upload})
    return _page_outcome(response, "cover", lambda: Room.objects.get(host=host).cover)


def _admin_field(
    model: type[models.Model], field: str, make: Callable[[], models.Model]
) -> Callable[[SimpleUploadedFile], Outcome]:
    """The admin's change form of ``model``: its form field for ``field``
    cleans the upload and the model form stores it (``save_form_data``),
    as a staff member's POST would."""

    def submit(upload: SimpleUploadedFile) -> Outcome:
        instance = make()
        request = RequestFactory().get("/admin/")
        request.user = SuperuserFactory()
        form_class = admin.site._registry[model].get_form(request, instance)
        form_field = form_class.base_fields[field]
        assert isinstance(form_field, forms.FileField)
        try:
            cleaned = form_field.clean(upload, getattr(instance, field))
        except ValidationError as exc:
            return Outcome(codes=tuple(str(e.code) for e in exc.error_list))
        model_field = model._meta.get_field(field)
        assert isinstance(model_field, models.FileField)
        model_field.save_form_data(instance, cleaned)
        instance.save()
        instance.refresh_from_db()
        return Outcome(stored=_read(getattr(instance, field)))

    return submit


ENTRY_POINTS = [
    EntryPoint("api-photo", ((Photo, "original"),), api_photo),
    EntryPoint("api-note-create", ((Photo, "original"),), api_note_create),
    EntryPoint("api-note-update", ((Photo, "original"),), api_note_update),
    EntryPoint("api-avatar", ((User, "avatar"),), api_avatar),
    EntryPoint("api-room-cover", ((Room, "cover"),), api_room_cover),
    EntryPoint("page-compose", ((Photo, "original"),), page_compose),
    EntryPoint("page-profile-avatar", ((User, "avatar"),), page_profile_avatar),
    EntryPoint("page-go-live-cover", ((Room, "cover"),), page_go_live_cover),
    EntryPoint("admin-user-avatar", ((User, "avatar"),), _admin_field(User, "avatar", UserFactory)),
    EntryPoint(
        "admin-room-cover",
        ((Room, "cover"),),
        _admin_field(Room, "cover", RoomFactory),
    ),
    EntryPoint(
        "admin-gift-image",
        ((Gift, "image"),),
        _admin_field(Gift, "image", lambda: GiftFactory(name="Kite", slug="kite-upload", coins=1)),
    ),
]


def api_product_create(upload: SimpleUploadedFile) -> Outcome:
    from shop.models import ProductImage

    user = UserFactory()
    response = api_client(user).post(
        "/api/v1/shop/products/",
        {"title": "Tote", "price": 5900, "stock": 3, "images": [upload]},
        format="multipart",
    )
    return _api_outcome(
        response,
        lambda: ProductImage.objects.filter(product__shop__owner=user).latest("id").image,
    )


if apps.is_installed("shop"):  # optional (SHOP_ENABLED)
    from shop.models import ProductImage

    ENTRY_POINTS.append(
        EntryPoint("api-product-create", ((ProductImage, "image"),), api_product_create)
    )

REFUSED = [
    (images.text_named_jpg, "not_an_image"),
    (images.empty_file, "empty_file"),
    (images.tiff, "unsupported_image_format"),
    (images.gif_named_jpg, "unsupported_image_format"),
    (images.bmp, "unsupported_image_format"),
    (images.ico, "unsupported_image_format"),
    (images.heic, "unsupported_image_format"),
    (images.tiny_png, "image_too_small"),
    (images.truncated_jpeg, "image_truncated"),
    (lambda: images.png_declaring(20_000, 20_000), "image_too_many_pixels"),
]
REFUSED_IDS = [
    "text",
    "empty",
    "tiff",
    "gif",
    "bmp",
    "ico",
    "heic",
    "10x10",
    "truncated",
    "decompression-bomb",
]


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
@pytest.mark.parametrize(("make_upload", "code"), REFUSED, ids=REFUSED_IDS)
def test_every_entry_point_refuses_a_bad_picture_with_the_photo_code(
    entry: EntryPoint, make_upload: Callable[[], SimpleUploadedFile], code: str
) -> None:
    assert entry.submit(make_upload()) == Outcome(codes=(code,))


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
def test_every_entry_point_refuses_a_file_over_the_size_limit(
    entry: EntryPoint, settings: Any
) -> None:
    settings.SPROUT_PHOTO_MAX_BYTES = 2_000
    assert entry.submit(images.jpeg((400, 300))) == Outcome(codes=("image_too_large",))


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
def test_every_entry_point_stores_a_picture_without_comment_or_gps(entry: EntryPoint) -> None:
    outcome = entry.submit(images.jpeg_with_comment_and_gps())

    assert outcome.codes == ()
    assert outcome.stored is not None
    stored = Image.open(io.BytesIO(outcome.stored))
    assert stored.format == "JPEG"
    assert "comment" not in stored.info
    assert "exif" not in stored.info
    assert len(stored.getexif()) == 0
    for marker in (b"Exif", b"GPS", b"48.85", *images.SECRET_MARKERS):
        assert marker not in outcome.stored, marker


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
def test_every_entry_point_stores_a_picture_upright(entry: EntryPoint) -> None:
    # 200x100 as stored with EXIF orientation 6: upright it is 100x200.
    outcome = entry.submit(images.jpeg_with_gps_and_orientation())

    assert outcome.stored is not None
    assert Image.open(io.BytesIO(outcome.stored)).size == (100, 200)


def _model_image_fields() -> set[tuple[type[models.Model], str]]:
    return {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }


def test_every_model_image_field_has_an_entry_point_here() -> None:
    covered = {field for entry in ENTRY_POINTS for field in entry.fields}
    missing = _model_image_fields() - covered
    assert not missing, f"uploads without an entry point in ENTRY_POINTS: {missing}"


def test_every_model_image_field_cleans_uploads_through_the_pipeline() -> None:
    for model, name in _model_image_fields():
        field = model._meta.get_field(name)
        assert isinstance(field, CleanImageField), f"{model.__name__}.{name}"
        assert isinstance(field.formfield(), ImageUploadField), f"{model.__name__}.{name}"
