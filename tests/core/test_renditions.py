"""The rendition pipeline's speed-ups change no size and no visible pixel."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from community.photos import generate_demo_photo
from core import renditions


def _decoded(width: int, height: int, draft: tuple[int, int]) -> Image.Image:
    data = generate_demo_photo(11, width, height, quality=85, subject="food")
    image = Image.open(io.BytesIO(data))
    image.draft(None, draft)
    image.load()
    return image.convert("RGB")


@pytest.mark.parametrize(
    ("source", "size"),
    [
        ((2000, 1500), (1080, 810)),  # a 12 MP JPEG after its draft decode
        ((1500, 2000), (1080, 1440)),  # portrait
        ((1200, 1201), (1080, 1081)),  # odd rows: the bands are not equal
    ],
)
def test_resizing_in_bands_gives_the_pixels_of_one_resize_within_rounding(
    source: tuple[int, int], size: tuple[int, int]
) -> None:
    image = _decoded(source[0] * 2, source[1] * 2, source)
    assert image.size == source
    whole = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=renditions.REDUCING_GAP)
    banded = renditions._resize(image, size)
    assert banded.size == size
    assert banded.mode == whole.mode
    # No seam, no shift: at most 2 of 255 levels anywhere (the filter's
    # window positions round differently from a band's own origin).
    difference = ImageChops.difference(whole, banded)
    worst = [band.getextrema()[1] for band in difference.split()]
    assert all(isinstance(level, int) and level <= 2 for level in worst), worst


def test_small_or_strongly_reduced_pictures_are_resized_in_one_piece() -> None:
    # Under two bands' worth of rows, or a factor where an integer reduction
    # runs first: one plain resize (the same call, so the same pixels).
    image = Image.new("RGB", (1600, 1200), (120, 80, 40))
    for size in ((400, 300), (500, 375)):
        assert (
            renditions._resize(image, size).tobytes()
            == image.resize(
                size, Image.Resampling.LANCZOS, reducing_gap=renditions.REDUCING_GAP
            ).tobytes()
        )


def test_renditions_keep_their_sizes_and_formats() -> None:
    data = generate_demo_photo(5, 4000, 3000, quality=90, subject="room")
    rendered = renditions.make_renditions(data, widths=(1080, 540, 240))
    assert [r.size for r in rendered.renditions] == [(1080, 810), (540, 405), (240, 180)]
    for rendition in rendered.renditions:
        assert set(rendition.files) == {"webp", "jpeg"}
        with Image.open(io.BytesIO(rendition.files["webp"])) as webp:
            assert (webp.format, webp.size) == ("WEBP", rendition.size)
    assert rendered.color.startswith("#")
    assert len(rendered.color) == 7
