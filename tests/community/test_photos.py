"""Note photos (``community.photos``): stored without metadata and upright,
renditions made in the background, the dominant colour and the payload.
What the image pipeline refuses and accepts: tests/core/test_images.py."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image, ImageCms, ImageDraw

from community import demo_pictures, photos, services
from community.management import demo_plan
from community.models import Photo, User
from community.tasks import render_photo, sweep_unattached_photos
from core import images as pipeline
from core import renditions
from tests import images
from tests.factories import NoteFactory, PhotoFactory

pytestmark = pytest.mark.django_db

HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


@pytest.fixture
def store(user: User, django_capture_on_commit_callbacks: Any) -> Iterator[Callable[..., Photo]]:
    """Upload -> prepared -> stored photo, rendered by the (eager) task on commit."""

    def store(upload: File, *, owner: User = user) -> Photo:
        prepared = pipeline.prepare_upload(upload)
        with django_capture_on_commit_callbacks(execute=True):
            photo = services.photo_create(owner=owner, prepared=prepared)
        photo.refresh_from_db()
        return photo

    yield store


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def open_stored(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(read(name)))
    image.load()
    return image


def stored_files(photo: Photo) -> list[str]:
    return [photo.original.name or ""] + [
        name for files in photo.renditions.values() for name in files.values()
    ]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# --- what is stored -------------------------------------------------------------


@pytest.mark.parametrize(
    "make_upload",
    [
        images.jpeg_with_gps_and_orientation,
        images.jpeg_with_xmp,
        images.png_with_text_chunks,
        images.webp_photo,
    ],
    ids=["jpeg-gps-exif", "jpeg-xmp", "png-text-chunks", "webp-exif-xmp"],
)
def test_metadata_is_absent_from_original_and_every_rendition(
    store: Callable[..., Photo], make_upload: Callable[[], File]
) -> None:
    photo = store(make_upload())
    assert photo.renditions
    for name in stored_files(photo):
        images.assert_no_metadata(read(name))


def test_orientation_is_applied_to_the_stored_photo(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg_with_gps_and_orientation())

    original = open_stored(photo.original.name or "")
    assert original.size == (100, 200) == (photo.width, photo.height)
    # Orientation 6: turn a quarter clockwise; the left (red) half ends on top.
    assert images.near(original.getpixel((50, 30)), images.RED, 40)  # type: ignore[arg-type]
    assert images.near(original.getpixel((50, 170)), images.BLUE, 40)  # type: ignore[arg-type]
    rendition = open_stored(photo.renditions["240"]["jpeg"])
    assert rendition.size == (100, 200)


def test_icc_profile_is_kept(store: Callable[..., Photo]) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = images.upload(
        "p3.jpg",
        images.encode(images.gradient((300, 200)), "JPEG", icc_profile=icc, exif=images.gps_exif()),
    )
    photo = store(upload)
    for name in stored_files(photo):
        assert open_stored(name).info.get("icc_profile") == icc


def test_cmyk_jpeg_is_stored_as_rgb(store: Callable[..., Photo]) -> None:
    photo = store(images.cmyk_jpeg())
    original = open_stored(photo.original.name or "")
    assert photo.format == "jpeg"
    assert original.mode == "RGB"
    assert images.near(original.getpixel((10, 10)), (255, 0, 0), 50)  # type: ignore[arg-type]


def test_png_alpha_is_kept_and_jpeg_fallback_is_flattened(store: Callable[..., Photo]) -> None:
    photo = store(images.rgba_png())
    original = open_stored(photo.original.name or "")
    assert original.mode == "RGBA"
    assert original.getpixel((500, 10))[3] == 0  # type: ignore[index]

    webp = open_stored(photo.renditions["540"]["webp"])
    assert webp.mode == "RGBA"
    assert webp.getpixel((500, 10))[3] == 0  # type: ignore[index]
    jpeg = open_stored(photo.renditions["540"]["jpeg"])
    assert jpeg.mode == "RGB"
    assert images.near(jpeg.getpixel((500, 10)), (255, 255, 255), 8)  # type: ignore[arg-type]
    assert images.near(jpeg.getpixel((20, 10)), images.RED, 30)  # type: ignore[arg-type]


def test_palette_png_keeps_its_transparency(store: Callable[..., Photo]) -> None:
    photo = store(images.palette_png_with_transparency())
    original = open_stored(photo.original.name or "")
    assert original.mode == "P"
    assert original.convert("RGBA").getpixel((290, 10))[3] == 0  # type: ignore[index]
    assert open_stored(photo.renditions["240"]["webp"]).mode == "RGBA"


def test_16_bit_png_renditions_keep_their_tones(store: Callable[..., Photo]) -> None:
    photo = store(images.grey16_png())
    assert open_stored(photo.original.name or "").mode == "I;16"
    pixel = open_stored(photo.renditions["240"]["jpeg"]).getpixel((20, 20))
    assert images.near(pixel, (156, 156, 156), 4)  # type: ignore[arg-type]


# --- storing -------------------------------------------------------------------


def test_stored_name_is_random_and_never_the_upload_name(store: Callable[..., Photo]) -> None:
    first = store(images.jpeg_with_gps_and_orientation())
    second = store(images.jpeg_with_gps_and_orientation())
    for photo in (first, second):
        assert re.fullmatch(r"photos/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", photo.original.name or "")
        assert "IMG_0001" not in (photo.original.name or "")
    assert first.original.name != second.original.name


def test_failed_save_leaves_no_file_behind(user: User) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((64, 64)))
    before = set(_all_stored_files())
    with (
        mock.patch.object(Photo, "save", side_effect=RuntimeError("database down")),
        pytest.raises(RuntimeError),
    ):
        services.photo_create(owner=user, prepared=prepared)
    assert set(_all_stored_files()) == before


def _all_stored_files() -> Iterator[str]:
    def walk(folder: str) -> Iterator[str]:
        if folder and not default_storage.exists(folder):
            return
        subfolders, files = default_storage.listdir(folder)
        yield from (f"{folder}/{name}" for name in files)
        for sub in subfolders:
            yield from walk(f"{folder}/{sub}" if folder else sub)

    yield from walk("photos")


def test_rendering_is_enqueued_only_after_commit(
    user: User, django_capture_on_commit_callbacks: Any
) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((400, 300)))
    with mock.patch("community.tasks.render_photo.delay") as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            photo = services.photo_create(owner=user, prepared=prepared)
            assert not delay.called
        assert len(callbacks) == 1
        callbacks[0]()
    delay.assert_called_once_with(photo.pk)


def test_original_is_served_before_rendering(
    user: User, django_capture_on_commit_callbacks: Any
) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((1600, 1200)))
    with (
        mock.patch("community.tasks.render_photo.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        photo = services.photo_create(owner=user, prepared=prepared)
    delay.assert_called_once_with(photo.pk)

    payload = photos.photo_payload(Photo.objects.get(pk=photo.pk))
    assert payload["ready"] is False
    assert payload["original"] == default_storage.url(photo.original.name or "")
    assert payload["src"] == payload["original"]
    assert payload["srcset_webp"] == payload["srcset_jpeg"] == ""
    assert payload["renditions"] == {}
    assert (payload["width"], payload["height"]) == (1600, 1200)


# --- renditions ------------------------------------------------------------------


def test_renditions_are_made_in_webp_and_jpeg_at_each_width(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((2000, 1500)))
    assert set(photo.renditions) == {"1080", "540", "240"}
    for key, files in photo.renditions.items():
        assert set(files) == {"webp", "jpeg"}
        webp, jpeg = open_stored(files["webp"]), open_stored(files["jpeg"])
        assert webp.format == "WEBP" and jpeg.format == "JPEG"
        width = int(key)
        assert webp.size == jpeg.size == (width, round(1500 * width / 2000))
        assert jpeg.info.get("progressive") or jpeg.info.get("progression")
        assert files["webp"].endswith(f"_{key}.webp") and files["jpeg"].endswith(f"_{key}.jpg")


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1080, 720), {"540": 540, "240": 240}),
        ((300, 200), {"240": 240}),
        ((200, 150), {"240": 200}),
        ((240, 400), {"240": 240}),
    ],
)
def test_renditions_are_never_upscaled(
    store: Callable[..., Photo], size: tuple[int, int], expected: dict[str, int]
) -> None:
    photo = store(images.jpeg(size))
    assert {key: open_stored(f["jpeg"]).width for key, f in photo.renditions.items()} == expected
    assert {key: open_stored(f["webp"]).width for key, f in photo.renditions.items()} == expected


def test_portrait_renditions_keep_the_aspect_ratio(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((1200, 1600)))
    assert open_stored(photo.renditions["1080"]["webp"]).size == (1080, 1440)
    assert open_stored(photo.renditions["240"]["jpeg"]).size == (240, 320)


def _picture(
    background: tuple[int, int, int], patches: list[tuple[tuple[int, int, int], float]]
) -> SimpleUploadedFile:
    """``background`` with horizontal bands of other colours covering the
    given fractions of the picture."""
    image = Image.new("RGB", (400, 300), background)
    draw, top = ImageDraw.Draw(image), 0
    for colour, share in patches:
        bottom = top + round(300 * share)
        draw.rectangle((0, top, 400, bottom - 1), fill=colour)
        top = bottom
    return images.upload("colours.jpg", images.encode(image, "JPEG", quality=92))


def test_colour_is_the_dominant_colour(store: Callable[..., Photo]) -> None:
    photo = store(_picture(images.GREEN, [((255, 255, 255), 0.2), ((0, 0, 0), 0.1)]))
    assert HEX_COLOUR.match(photo.color)
    assert images.near(rgb(photo.color), images.GREEN, 20)


def test_colour_skips_a_white_background_for_a_real_colour(store: Callable[..., Photo]) -> None:
    photo = store(_picture((255, 255, 255), [(images.RED, 0.25)]))
    assert images.near(rgb(photo.color), images.RED, 30)


def test_colour_of_a_black_photo_is_black(store: Callable[..., Photo]) -> None:
    photo = store(_picture((5, 5, 5), [(images.BLUE, 0.03)]))
    assert images.near(rgb(photo.color), (5, 5, 5), 15)


def test_colour_ignores_transparent_pixels(store: Callable[..., Photo]) -> None:
    photo = store(images.rgba_png())
    assert images.near(rgb(photo.color), images.RED, 30)


def test_render_is_idempotent(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((1200, 900)))
    renditions = photo.renditions
    with mock.patch.object(default_storage, "save", wraps=default_storage.save) as save:
        services.photo_render(photo_id=photo.pk)
    assert not save.called
    photo.refresh_from_db()
    assert photo.renditions == renditions


def test_render_remakes_a_missing_rendition(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((1200, 900)))
    lost = photo.renditions["540"]["webp"]
    default_storage.delete(lost)

    services.photo_render(photo_id=photo.pk)

    photo.refresh_from_db()
    assert photo.renditions["540"]["webp"] == lost
    assert all(default_storage.exists(name) for name in stored_files(photo))


def test_render_tolerates_a_deleted_photo(user: User) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((400, 300)))
    with mock.patch("community.tasks.render_photo.delay"):
        photo = services.photo_create(owner=user, prepared=prepared)
    photo_id = photo.pk
    photo.delete()

    services.photo_render(photo_id=photo_id)
    services.photo_render(photo_id=10**9)

    assert not Photo.objects.filter(pk=photo_id).exists()


def test_photo_deleted_during_rendering_leaves_no_renditions(user: User) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((800, 600)))
    with mock.patch("community.tasks.render_photo.delay"):
        photo = services.photo_create(owner=user, prepared=prepared)
    real = photos.make_renditions

    def delete_then_render(data: bytes, **options: Any) -> photos.RenderedPhoto:
        Photo.objects.filter(pk=photo.pk).delete()
        return real(data, **options)

    stem = (photo.original.name or "").rsplit(".", 1)[0]
    with mock.patch.object(renditions, "make_renditions", delete_then_render):
        services.photo_render(photo_id=photo.pk)
    assert not [name for name in _all_stored_files() if name.startswith(f"{stem}_")]


def test_task_renders_the_photo(user: User) -> None:
    prepared = pipeline.prepare_upload(images.jpeg((800, 600)))
    with mock.patch("community.tasks.render_photo.delay"):
        photo = services.photo_create(owner=user, prepared=prepared)

    render_photo.delay(photo.pk)

    photo.refresh_from_db()
    assert set(photo.renditions) == {"540", "240"}
    assert HEX_COLOUR.match(photo.color)


def test_task_is_retried_on_storage_errors_and_acknowledged_late() -> None:
    assert render_photo.acks_late is True
    assert render_photo.max_retries == 3
    assert OSError in render_photo.autoretry_for  # type: ignore[attr-defined]


# --- payload ---------------------------------------------------------------------


def test_payload_lists_renditions_by_their_real_widths(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((2000, 1500)))
    payload = photos.photo_payload(photo)
    url = default_storage.url
    r = photo.renditions

    assert payload["ready"] is True
    assert payload["id"] == photo.pk
    assert HEX_COLOUR.match(payload["color"])
    assert payload["src"] == url(r["540"]["jpeg"])
    assert payload["srcset_webp"] == (
        f"{url(r['240']['webp'])} 240w, {url(r['540']['webp'])} 540w, "
        f"{url(r['1080']['webp'])} 1080w"
    )
    assert payload["srcset_jpeg"].endswith(f"{url(r['1080']['jpeg'])} 1080w")
    assert payload["renditions"]["1080"] == {
        "webp": url(r["1080"]["webp"]),
        "jpeg": url(r["1080"]["jpeg"]),
    }
    assert payload["original"].startswith("/media/photos/")


def test_payload_of_a_narrow_photo_uses_its_real_width(store: Callable[..., Photo]) -> None:
    photo = store(images.jpeg((200, 150)))
    payload = photos.photo_payload(photo)
    assert payload["srcset_webp"] == f"{default_storage.url(photo.renditions['240']['webp'])} 200w"
    assert payload["src"] == default_storage.url(photo.renditions["240"]["jpeg"])


def test_payload_prefers_the_original_when_no_rendition_is_wide_enough(
    store: Callable[..., Photo],
) -> None:
    photo = store(images.jpeg((500, 375)))
    payload = photos.photo_payload(photo)
    assert set(photo.renditions) == {"240"}
    assert payload["src"] == payload["original"]
    assert payload["srcset_jpeg"] == f"{default_storage.url(photo.renditions['240']['jpeg'])} 240w"


# --- demo pictures ---------------------------------------------------------------


def test_demo_photo_is_a_deterministic_jpeg_per_seed() -> None:
    first = photos.generate_demo_photo(7, 540, 720)
    assert first == photos.generate_demo_photo(7, 540, 720)
    assert first != photos.generate_demo_photo(8, 540, 720)
    image = Image.open(io.BytesIO(first))
    assert (image.format, image.size) == ("JPEG", (540, 720))
    assert pipeline.prepare_upload(images.upload("demo.jpg", first)).format == "jpeg"


@pytest.mark.parametrize("subject", [*demo_pictures.SUBJECTS, "abstract"])
def test_each_demo_subject_is_a_deterministic_jpeg_of_the_asked_size(subject: str) -> None:
    first = photos.generate_demo_photo(11, 345, 460, subject=subject)
    assert first == photos.generate_demo_photo(11, 345, 460, subject=subject)
    assert first != photos.generate_demo_photo(12, 345, 460, subject=subject)
    image = Image.open(io.BytesIO(first))
    assert (image.format, image.size, image.mode) == ("JPEG", (345, 460), "RGB")


@pytest.mark.parametrize(
    "size",
    [(a[1], a[2]) for a in demo_plan.ASPECTS] + [(320, 320), (560, 996), (690, 518), (480, 480)],
)
def test_demo_scenes_come_at_the_demos_sizes(size: tuple[int, int]) -> None:
    for k, subject in enumerate(demo_pictures.SUBJECTS):
        image = Image.open(io.BytesIO(photos.generate_demo_photo(k, *size, subject=subject)))
        assert image.size == size


def test_the_seed_picks_a_subject_when_none_is_named() -> None:
    for seed in range(4):
        subject = demo_pictures.SUBJECTS[seed % len(demo_pictures.SUBJECTS)]
        assert photos.generate_demo_photo(seed, 200, 160) == photos.generate_demo_photo(
            seed, 200, 160, subject=subject
        )


def test_scenes_differ_from_each_other_and_are_not_flat() -> None:
    pictures = {
        subject: Image.open(io.BytesIO(photos.generate_demo_photo(5, 300, 400, subject=subject)))
        for subject in demo_pictures.SUBJECTS
    }
    for picture in pictures.values():
        low, high = picture.convert("L").getextrema()
        assert isinstance(low, int) and isinstance(high, int)
        assert high - low > 120  # drawn objects with light and shade, not a blur
    assert len({p.tobytes() for p in pictures.values()}) == len(pictures)


def test_an_unknown_subject_is_refused() -> None:
    with pytest.raises(ValueError, match="no demo scene"):
        photos.generate_demo_photo(1, 100, 100, subject="spaceship")


# --- uploads no note took -------------------------------------------------------


def _aged(photo: Photo, hours: float) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return photo


def test_sweep_deletes_old_unattached_uploads_with_their_files(
    store: Callable[..., Photo], django_capture_on_commit_callbacks: Any
) -> None:
    old = _aged(store(images.jpeg((600, 400))), hours=25)
    recent = _aged(store(images.jpeg((600, 400))), hours=23)
    taken = store(images.jpeg((600, 400)))
    Photo.objects.filter(pk=taken.pk).update(note=NoteFactory(author=taken.owner))
    _aged(taken, hours=48)
    files = stored_files(old)
    assert len(files) > 1 and all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.photos_unattached_sweep() == 1

    assert not Photo.objects.filter(pk=old.pk).exists()
    assert Photo.objects.filter(pk__in=[recent.pk, taken.pk]).count() == 2
    assert not any(default_storage.exists(name) for name in files)
    assert all(default_storage.exists(name) for name in stored_files(taken))


def test_sweep_is_bounded_per_call_and_oldest_first(user: User) -> None:
    made = [_aged(PhotoFactory(owner=user, note=None), hours=30 + n) for n in range(3)]

    assert services.photos_unattached_sweep(limit=2) == 2
    assert list(Photo.objects.values_list("pk", flat=True)) == [made[0].pk]
    assert services.photos_unattached_sweep(limit=2) == 1
    assert services.photos_unattached_sweep() == 0


@override_settings(SPROUT_UNATTACHED_PHOTO_HOURS=1)
def test_sweep_age_comes_from_the_setting(user: User) -> None:
    _aged(PhotoFactory(owner=user, note=None), hours=2)

    assert sweep_unattached_photos.delay().get() == 1
    assert not Photo.objects.exists()


def test_sweep_is_on_the_beat_schedule() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-unattached-photos"]
    assert entry["task"] == "community.tasks.sweep_unattached_photos"
