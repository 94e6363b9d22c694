"""The photos of notes: the image pipeline, no database writes.

An upload goes through three steps:

1. ``core.images.prepare_upload`` (the one image pipeline, shared by
   every upload) validates the bytes, applies the EXIF orientation and
   re-encodes the picture without any metadata block except the ICC colour
   profile. It runs in the request: a bad file is refused with a precise
   ``InvalidImage`` code.
2. ``community.services.photo_create`` stores the cleaned file under a random
   name and enqueues ``community.tasks.render_photo`` once the transaction
   commits.
3. ``community.services.photo_render`` (in the background) makes the WebP and
   JPEG renditions at ``SPROUT_PHOTO_WIDTHS`` and the dominant colour with
   core's rendition pipeline (``core.renditions``, shared with the shop's
   product images; its names are re-exported here). Until it has run, pages show the original
   (``photo_payload`` says ``ready: False``).

``photo_payload`` is the one representation of a photo that the API and the
templates use; ``generate_demo_photo`` paints photo-like pictures for the demo
data and the benchmark (``bench/thumbnails.py``).
"""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from community import demo_pictures
from community.models import Photo
from core.renditions import (
    CARD_WIDTH,
    JPEG_BACKGROUND,
    RENDITION_FORMATS,
    RENDITION_JPEG_QUALITY,
    RENDITION_WEBP_QUALITY,
    RenderedImage,
    Rendition,
    dominant_color,
    make_renditions,
    rendition_names,
    rendition_payload,
    rendition_sizes,
)

# The pipeline is core's (``core.renditions``), shared with product images;
# its names stay importable from here, where the photos' code has used them.
RenderedPhoto = RenderedImage

__all__ = [
    "CARD_WIDTH",
    "JPEG_BACKGROUND",
    "RENDITION_FORMATS",
    "RENDITION_JPEG_QUALITY",
    "RENDITION_WEBP_QUALITY",
    "RenderedPhoto",
    "Rendition",
    "dominant_color",
    "generate_demo_photo",
    "make_renditions",
    "photo_payload",
    "rendition_sizes",
    "stored_names",
]

# --- stored files ------------------------------------------------------------


def stored_names(photo: Photo) -> list[str]:
    """Every file stored for a photo: the original and all renditions."""
    return rendition_names(photo.original.name or "", photo.renditions)


# --- representation -------------------------------------------------------------


def photo_payload(photo: Photo) -> dict[str, Any]:
    """The one representation of a photo for the API and the templates.

    ``src`` is what a 540 px feed card loads: the smallest JPEG rendition at
    least that wide, or the original when it is wider than every rendition
    (and always before the renditions exist). ``srcset_*`` list the
    renditions by their real widths for the browser to choose.

    Feeds build this for every card of every page, so it is memoised per
    process: a photo's files never change once its renditions exist (see
    ``photo_render``), which makes (id, original, rendered?) a complete key.
    (Storage URLs must then be stable: true of the file system and of
    public buckets, not of expiring signed URLs.)
    A fresh copy is returned each time so callers may change it."""
    key = (photo.pk, photo.original.name or "", photo.is_ready)
    payload = _PAYLOADS.get(key)
    if payload is None:
        if len(_PAYLOADS) >= _PAYLOADS_MAX:
            _PAYLOADS.clear()
        payload = _PAYLOADS[key] = rendition_payload(
            photo.pk,
            photo.original.name or "",
            photo.width,
            photo.height,
            photo.color,
            photo.renditions or {},
        )
    return {**payload, "renditions": {k: dict(v) for k, v in payload["renditions"].items()}}


_PAYLOADS: dict[tuple[int, str, bool], dict[str, Any]] = {}
_PAYLOADS_MAX = 50_000


# --- demo pictures -------------------------------------------------------------

# (sky or wall, ground or table, accents): palettes of the kinds of photos
# people post: a latte on a table, a seaside, a garden, blossoms, citrus, a
# city night.
_RGB = tuple[int, int, int]
_PALETTES: tuple[tuple[_RGB, _RGB, list[_RGB]], ...] = (
    ((250, 222, 186), (196, 128, 96), [(120, 72, 60), (255, 244, 228), (214, 96, 80)]),
    ((188, 222, 232), (84, 146, 170), [(244, 242, 232), (36, 86, 108), (232, 184, 124)]),
    ((216, 234, 204), (92, 138, 84), [(250, 246, 232), (56, 88, 48), (222, 124, 112)]),
    ((248, 232, 238), (214, 160, 182), [(255, 252, 248), (150, 88, 112), (120, 162, 140)]),
    ((246, 238, 224), (180, 150, 118), [(86, 58, 40), (255, 255, 252), (170, 110, 70)]),
    ((255, 238, 184), (236, 164, 60), [(250, 248, 236), (200, 78, 40), (92, 140, 60)]),
    ((64, 72, 112), (22, 26, 50), [(250, 204, 124), (206, 92, 124), (124, 154, 222)]),
)


DEMO_SUBJECTS = (*demo_pictures.SUBJECTS, "abstract")


def generate_demo_photo(
    seed: int, width: int, height: int, *, quality: int = 90, subject: str | None = None
) -> bytes:
    """A photo-like JPEG drawn with Pillow only, no download: an illustrated
    scene of ``subject`` (``community.demo_pictures``: ``food``, ``room``,
    ``plants``, ``flatlay``; by default one of them chosen by the seed), or
    with ``"abstract"`` soft blurred shapes and bokeh (avatars), finished
    with a vignette, texture and sensor-like grain. The same arguments
    always give the same bytes."""
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    if subject is None:
        subject = demo_pictures.SUBJECTS[seed % len(demo_pictures.SUBJECTS)]
    if subject == "abstract":
        picture = _abstract(rng, seed, width, height)
    else:
        return _finish(
            demo_pictures.paint_scene(subject, rng, width, height),
            rng,
            quality=quality,
            texture=_SCENE_TEXTURE,
        )
    return _finish(picture, rng, quality=quality)


def _abstract(rng: random.Random, seed: int, width: int, height: int) -> Image.Image:
    """Soft gradient ground, a few blurred shapes and bokeh."""
    # Consecutive seeds (the demo seeder's) walk through the palettes.
    sky, ground, accents = _PALETTES[seed % len(_PALETTES)]
    # The scene is painted at an eighth of the size and blurred: soft shapes
    # are what a shallow-depth-of-field photo looks like, and it is fast.
    sw, sh = max(48, width // 8), max(48, height // 8)
    gradient = Image.linear_gradient("L").resize((sw, sh), Image.Resampling.BILINEAR)
    scene = Image.composite(
        Image.new("RGB", (sw, sh), ground), Image.new("RGB", (sw, sh), sky), gradient
    ).convert("RGBA")

    layer = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    horizon = int(sh * rng.uniform(0.45, 0.7))
    tilt = int(sh * rng.uniform(-0.08, 0.08))
    table = _shade(ground, rng.uniform(0.75, 0.95))
    draw.polygon([(0, horizon - tilt), (sw, horizon + tilt), (sw, sh), (0, sh)], fill=(*table, 235))
    for _ in range(rng.randint(2, 4)):  # the subjects: a cup, a plate, a fruit...
        colour = rng.choice(accents)
        cx, cy = rng.uniform(0.15, 0.85) * sw, rng.uniform(0.35, 0.85) * sh
        rx = rng.uniform(0.08, 0.22) * sw
        ry = rx * rng.uniform(0.55, 1.0)
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(*colour, rng.randint(190, 255)))
        inner = _shade(colour, rng.uniform(0.7, 1.2))
        draw.ellipse(
            (cx - rx * 0.6, cy - ry * 0.6, cx + rx * 0.6, cy + ry * 0.6), fill=(*inner, 200)
        )
    scene = Image.alpha_composite(scene, layer.filter(ImageFilter.GaussianBlur(max(1.2, sw / 300))))

    bokeh = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(bokeh)
    for _ in range(rng.randint(6, 18)):
        colour = _shade(rng.choice(accents), 1.3)
        x, y, r = rng.uniform(0, sw), rng.uniform(0, horizon), rng.uniform(0.01, 0.05) * sw
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, rng.randint(40, 110)))
    scene = Image.alpha_composite(scene, bokeh.filter(ImageFilter.GaussianBlur(sw / 60)))

    return scene.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)


# Texture octaves, (scale in pixels, amplitude): the abstract pictures' are
# strong (they stand in for real photos in the thumbnail benchmark: detail
# at every size costs what real photos cost to encode); the illustrated
# scenes keep a lighter touch, enough to look photographed, not mottled.
_ABSTRACT_TEXTURE = ((24, 12), (6, 7), (2, 6), (1, 6))
_SCENE_TEXTURE = ((24, 5), (6, 4), (1, 6))


def _finish(
    picture: Image.Image,
    rng: random.Random,
    *,
    quality: int,
    texture: tuple[tuple[int, int], ...] = _ABSTRACT_TEXTURE,
) -> bytes:
    """A lens's and a sensor's marks on a picture, as a JPEG."""
    width, height = picture.size
    vignette = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: max(0, v - 170) * 2)
    picture = Image.composite(
        ImageChops.multiply(picture, Image.new("RGB", (width, height), (150, 150, 150))),
        picture,
        vignette,
    )
    # Texture at several scales (surfaces, foliage, fabric) and sensor grain.
    (scale, amplitude), *finer = texture
    grain = _noise(rng, (width, height), scale, amplitude)
    for scale, amplitude in finer:
        grain = ImageChops.add(grain, _noise(rng, (width, height), scale, amplitude), offset=-128)
    picture = ImageChops.add(picture, Image.merge("RGB", (grain,) * 3), offset=-128)

    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _noise(rng: random.Random, size: tuple[int, int], scale: int, amplitude: int) -> Image.Image:
    """Random values around 128 (+-``amplitude``), smooth over ``scale`` pixels."""
    width, height = max(2, size[0] // scale), max(2, size[1] // scale)
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    noise = noise.point(lambda v: 128 + (v - 128) * amplitude // 128)
    return noise if scale == 1 else noise.resize(size, Image.Resampling.BICUBIC)


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (min(255, max(0, round(c * factor))) for c in colour)
    return r, g, b
