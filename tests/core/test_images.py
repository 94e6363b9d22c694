"""The one image pipeline (``core.images``): uploads refused by their
content with a stable code, formats recognised by content, what a prepared
picture keeps (its first frame, lossless WebP) and loses (metadata, even
from damaged files), the size parameter (``max_side``, what covers use) and
its form and model fields. Stored photos and their renditions:
tests/community/test_photos.py; every entry point:
tests/test_image_uploads.py."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.core.files import File
from django.db import models
from PIL import Image

from core import images as pipeline
from core.errors import InvalidImage
from core.images import CleanImageField, ImageUploadField
from tests import images


def stored(prepared: pipeline.PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("size", "expected"),
    [((2400, 1600), (1280, 853)), ((1000, 3000), (427, 1280)), ((640, 480), (640, 480))],
    ids=["landscape", "portrait", "smaller-is-not-upscaled"],
)
def test_max_side_scales_the_longer_side_down_only(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    prepared = pipeline.prepare_upload(images.jpeg(size), max_side=1280)
    assert (prepared.width, prepared.height) == expected
    assert stored(prepared).size == expected


def test_max_side_applies_to_the_upright_picture() -> None:
    # 200x100 as stored, Orientation 6: upright it is 100x200, red on top.
    prepared = pipeline.prepare_upload(images.jpeg_with_gps_and_orientation(), max_side=50)
    picture = stored(prepared).convert("RGB")
    assert picture.size == (25, 50)
    red_top = picture.getpixel((12, 5))
    assert isinstance(red_top, tuple) and red_top[0] > 150 > red_top[2]


def test_a_scaled_transparent_palette_png_keeps_its_transparency() -> None:
    prepared = pipeline.prepare_upload(images.palette_png_with_transparency(), max_side=150)
    picture = stored(prepared)
    assert prepared.format == "png"
    assert picture.size == (150, 100)
    rgba = picture.convert("RGBA")
    assert rgba.getpixel((10, 50))[3] == 255  # type: ignore[index]
    assert rgba.getpixel((140, 50))[3] == 0  # type: ignore[index]


def test_a_scaled_picture_keeps_no_metadata() -> None:
    prepared = pipeline.prepare_upload(images.jpeg_with_comment_and_gps((1600, 1200)), max_side=800)
    picture = stored(prepared)
    assert picture.size == (800, 600)
    assert not {"comment", "exif", "xmp"} & set(picture.info)
    for marker in (b"Exif", b"GPS", *images.SECRET_MARKERS):
        assert marker not in prepared.content


def test_the_form_field_answers_the_pipeline_code() -> None:
    field = ImageUploadField(required=False, max_side=1280)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(images.tiff())
    assert refused.value.code == "unsupported_image_format"


def test_the_form_field_gives_the_cleaned_file_under_a_random_name() -> None:
    cleaned = ImageUploadField(max_side=100).clean(images.jpeg_with_comment_and_gps())
    assert cleaned.name.endswith(".jpg") and "cover" not in cleaned.name
    content = cleaned.read()
    assert Image.open(io.BytesIO(content)).size == (100, 75)
    assert images.PROBE_COMMENT not in content


def test_the_form_field_leaves_no_upload_and_a_cleared_one_alone() -> None:
    field = ImageUploadField(required=False)
    assert field.clean(None) is None
    assert field.clean(False, "covers/old.jpg") is False  # "clear" ticked


def test_the_file_picker_offers_what_the_pipeline_accepts() -> None:
    html = forms.Form()
    html.fields["picture"] = ImageUploadField()
    assert f'accept="{pipeline.ACCEPT}"' in str(html["picture"])


def test_the_model_field_migrates_as_a_plain_image_field() -> None:
    field = CleanImageField(upload_to="x/", blank=True, max_side=10)
    _, path, _, kwargs = field.deconstruct()
    assert path == "django.db.models.ImageField"
    assert "max_side" not in kwargs
    assert isinstance(models.ImageField(**kwargs), models.ImageField)


@pytest.mark.parametrize(
    "make_upload",
    [
        images.grey16_png,
        images.cmyk_jpeg,
        images.rgba_png,
        images.lossless_webp,
        images.mpo,
        lambda: images.animated("WEBP"),
        lambda: images.upload("bw.png", images.encode(Image.new("1", (300, 200), 1), "PNG")),
        lambda: images.upload(
            "key.png",
            images.encode(Image.new("RGB", (300, 200), (1, 2, 3)), "PNG", transparency=(1, 2, 3)),
        ),
    ],
    ids=["grey16", "cmyk", "rgba", "lossless-webp", "mpo", "animated-webp", "1-bit", "colour-key"],
)
def test_max_side_scales_every_accepted_kind_of_picture(make_upload: Any) -> None:
    prepared = pipeline.prepare_upload(make_upload(), max_side=50)
    assert max(prepared.width, prepared.height) == 50
    assert max(stored(prepared).size) == 50


# --- what the pipeline refuses and keeps --------------------------------------------

CODES = {
    "empty_file",
    "image_too_large",
    "not_an_image",
    "unsupported_image_format",
    "image_too_many_pixels",
    "image_truncated",
    "image_too_small",
}


@pytest.mark.parametrize(
    ("make_upload", "code"),
    [
        (images.empty_file, "empty_file"),
        (images.text_named_jpg, "not_an_image"),
        (images.html_named_png, "not_an_image"),
        (images.gif_named_jpg, "unsupported_image_format"),
        (images.bmp, "unsupported_image_format"),
        (images.tiff, "unsupported_image_format"),
        (images.truncated_jpeg, "image_truncated"),
        (images.truncated_png, "image_truncated"),
        (images.header_only_jpeg, "image_truncated"),
        (images.tiny_png, "image_too_small"),
        (lambda: images.png_declaring(20_000, 20_000), "image_too_many_pixels"),
        (lambda: images.jpeg_declaring(20_000, 20_000), "image_too_many_pixels"),
        # Over Sprout's 50 MP but under Pillow's own bomb threshold: our check.
        (lambda: images.png_declaring(8_000, 7_000), "image_too_many_pixels"),
    ],
    ids=[
        "empty",
        "text-named-jpg",
        "html-named-png",
        "gif",
        "bmp",
        "tiff",
        "truncated-jpeg",
        "truncated-png",
        "header-only-jpeg",
        "too-small",
        "png-bomb",
        "jpeg-bomb",
        "over-pixel-limit",
    ],
)
def test_bad_upload_is_refused_with_its_code(make_upload: Callable[[], File], code: str) -> None:
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(make_upload())
    assert refused.value.code == code
    assert refused.value.status == 400
    assert refused.value.message.endswith(".") and len(refused.value.message) > 15


def test_truncated_upload_says_it_was_cut_short() -> None:
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(images.truncated_jpeg())
    assert refused.value.message == "This file is cut short: it may not have finished uploading."


def test_heic_photo_is_refused_with_a_helpful_message() -> None:
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(images.heic())
    assert refused.value.code == "unsupported_image_format"
    assert "HEIC" in refused.value.message


def test_upload_over_the_byte_limit_is_refused(settings: Any) -> None:
    settings.SPROUT_PHOTO_MAX_BYTES = 1000
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(images.jpeg((400, 300)))
    assert refused.value.code == "image_too_large"


def test_oversized_upload_is_refused_before_it_is_read() -> None:
    class Unreadable(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("the file was read")

    upload = File(Unreadable(b"x"), name="huge.jpg")
    upload.size = 30 * 1024 * 1024
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(upload)
    assert refused.value.code == "image_too_large"
    assert "30.0 MB" in refused.value.message


def test_stream_longer_than_the_limit_is_refused_without_a_size(settings: Any) -> None:
    settings.SPROUT_PHOTO_MAX_BYTES = 1000
    upload = File(io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 5000), name="stream.jpg")
    upload.size = None  # type: ignore[assignment]
    with pytest.raises(InvalidImage) as refused:
        pipeline.prepare_upload(upload)
    assert refused.value.code == "image_too_large"


@pytest.mark.parametrize(
    ("make_upload", "expected"),
    [
        (images.jpeg, "jpeg"),
        (images.png_named_gif, "png"),
        (lambda: images.webp_photo("photo.jpg", "image/jpeg"), "webp"),
        (images.mpo, "jpeg"),
        (
            lambda: images.upload(
                "notes.txt", images.encode(images.gradient((64, 64)), "PNG"), "text/plain"
            ),
            "png",
        ),
    ],
    ids=["jpeg", "png-named-gif", "webp-named-jpg", "mpo", "png-sent-as-text"],
)
def test_format_is_recognised_by_content_not_name(
    make_upload: Callable[[], File], expected: str
) -> None:
    prepared = pipeline.prepare_upload(make_upload())
    assert prepared.format == expected
    assert Image.open(io.BytesIO(prepared.content)).format == expected.upper()


def test_prepared_photo_reports_its_size() -> None:
    prepared = pipeline.prepare_upload(images.jpeg((640, 480)))
    assert (prepared.width, prepared.height) == (640, 480)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_upload_keeps_its_first_frame_only(fmt: str) -> None:
    prepared = pipeline.prepare_upload(images.animated(fmt))
    stored = Image.open(io.BytesIO(prepared.content))
    assert not getattr(stored, "is_animated", False)
    assert images.near(stored.convert("RGB").getpixel((10, 10)), images.RED, 30)  # type: ignore[arg-type]


def test_lossless_webp_stays_lossless() -> None:
    prepared = pipeline.prepare_upload(images.lossless_webp())
    assert b"VP8L" in prepared.content
    stored = Image.open(io.BytesIO(prepared.content)).convert("RGB")
    assert stored.getpixel((10, 10)) == images.RED
    assert stored.getpixel((290, 10)) == images.BLUE


@pytest.mark.parametrize(
    "make_upload",
    [images.jpeg_with_gps_and_orientation, images.png_with_text_chunks, images.webp_photo],
    ids=["jpeg", "png", "webp"],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the damaged EXIF
def test_damaged_files_are_refused_cleanly_or_accepted(make_upload: Callable[[], File]) -> None:
    """Never anything but InvalidImage, whatever the bytes (no 500s)."""
    original = make_upload().read()
    rng = random.Random(len(original))
    for _ in range(40):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged = damaged[: rng.randint(len(damaged) // 4, len(damaged))]
        try:
            prepared = pipeline.prepare_upload(images.upload("damaged.jpg", bytes(damaged)))
        except InvalidImage as refused:
            assert refused.code in CODES
        else:
            images.assert_no_metadata(prepared.content)
