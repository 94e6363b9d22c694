"""The one image pipeline's size parameter (``max_side``, what covers use)
and its form and model fields. Validation and stripping are proven in
test_photos.py and, for every entry point, in tests/test_image_uploads.py."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django import forms
from django.db import models
from PIL import Image

from core import images as pipeline
from core.images import CleanImageField, ImageUploadField
from live.models import COVER_MAX_SIDE, Room
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
    field = ImageUploadField(required=False, max_side=COVER_MAX_SIDE)
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


def test_the_model_field_hands_its_max_side_to_its_form_field() -> None:
    cover = Room._meta.get_field("cover")
    assert isinstance(cover, CleanImageField)
    formfield = cover.formfield()
    assert isinstance(formfield, ImageUploadField)
    assert formfield.max_side == COVER_MAX_SIDE


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
