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
   JPEG renditions at ``SPROUT_PHOTO_WIDTHS`` with ``make_renditions`` here,
   and the dominant colour. Until it has run, pages show the original
   (``photo_payload`` says ``ready: False``).

``photo_payload`` is the one representation of a photo that the API and the
templates use; ``generate_demo_photo`` paints photo-like pictures for the demo
data and the benchmark (``bench/thumbnails.py``).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from community.models import Photo
from core.images import matching_icc

RENDITION_FORMATS = ("webp", "jpeg")

RENDITION_WEBP_QUALITY = 80
RENDITION_JPEG_QUALITY = 82
# The width a feed card shows a photo at (``photo_payload``'s ``src``).
CARD_WIDTH = 540
# The fallback JPEG of a transparent photo is flattened on the page colour.
JPEG_BACKGROUND = (255, 255, 255)


@dataclass(frozen=True)
class Rendition:
    """One size of a photo: ``width`` is the configured width it stands for
    (the key in ``Photo.renditions``); ``size`` is the real size, smaller when
    the original is narrower than ``width`` (photos are never upscaled)."""

    width: int
    size: tuple[int, int]
    files: dict[str, bytes]  # format ("webp", "jpeg") -> encoded bytes


@dataclass(frozen=True)
class RenderedPhoto:
    """The output of ``make_renditions``: renditions largest first, and the
    dominant colour as ``#rrggbb``."""

    renditions: tuple[Rendition, ...]
    color: str


# --- stored files ------------------------------------------------------------


def stored_names(photo: Photo) -> list[str]:
    """Every file stored for a photo: the original and all renditions."""
    names = [photo.original.name] if photo.original.name else []
    for files in (photo.renditions or {}).values():
        names.extend(files.values())
    return names


# --- renditions --------------------------------------------------------------


def rendition_sizes(
    width: int, height: int, widths: Sequence[int]
) -> list[tuple[int, tuple[int, int]]]:
    """``(configured width, real size)`` of the renditions of a ``width`` x
    ``height`` photo, largest first: every configured width smaller than the
    photo, and always the smallest one (at the photo's own width if narrower)."""
    wanted = sorted({w for w in widths if w < width} | {min(widths)}, reverse=True)
    sizes = []
    for key in wanted:
        real = min(key, width)
        sizes.append((key, (real, max(1, round(height * real / width)))))
    return sizes


def make_renditions(
    data: bytes,
    *,
    widths: Sequence[int],
    formats: Sequence[str] = RENDITION_FORMATS,
) -> RenderedPhoto:
    """Renditions of a stored original (bytes in, bytes out, no database).

    Speed comes from decoding once: a JPEG is decoded straight to about the
    largest size needed (``draft``: the DCT scales while decoding), and each
    smaller size is derived from the previous one, never from the original."""
    with Image.open(io.BytesIO(data)) as image:
        sizes = rendition_sizes(image.width, image.height, widths)
        image.draft(None, sizes[0][1])  # a no-op for PNG and WebP
        icc: bytes | None = image.info.get("icc_profile") or None
        image.load()
        current = _for_resampling(image)
    icc = matching_icc(icc, "RGB")
    renditions = []
    for key, size in sizes:
        if current.size != size:
            # reducing_gap=3.0: an integer box reduction first, then Lanczos
            # over the last factor of three; indistinguishable from Lanczos
            # over the whole range and much faster.
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        renditions.append(Rendition(width=key, size=size, files=_encode(current, formats, icc)))
    return RenderedPhoto(renditions=tuple(renditions), color=dominant_color(current))


def _for_resampling(image: Image.Image) -> Image.Image:
    """The decoded image as RGB, or RGBA when it is really transparent."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        # 16-bit samples: scale to 8 bits (a plain convert would clip to white).
        return image.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    if mode == "P":
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif mode != "RGBA":
        return image.convert("RGB") if mode != "RGB" else image
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        # Opaque in fact: three channels are faster and JPEG-friendly.
        return image.convert("RGB")
    return image


def _encode(image: Image.Image, formats: Sequence[str], icc: bytes | None) -> dict[str, bytes]:
    files = {}
    for fmt in formats:
        buffer = io.BytesIO()
        if fmt == "webp":
            image.save(
                buffer, "WEBP", quality=RENDITION_WEBP_QUALITY, method=4, icc_profile=icc or ""
            )
        elif fmt == "jpeg":
            opaque = image
            if image.mode == "RGBA":
                opaque = Image.new("RGB", image.size, JPEG_BACKGROUND)
                opaque.paste(image, mask=image.getchannel("A"))
            opaque.save(
                buffer,
                "JPEG",
                quality=RENDITION_JPEG_QUALITY,
                progressive=True,
                optimize=True,
                icc_profile=icc,
            )
        else:
            raise ValueError(f"Unknown rendition format {fmt!r}")
        files[fmt] = buffer.getvalue()
    return files


def dominant_color(image: Image.Image) -> str:
    """The main colour of a picture as ``#rrggbb``, for the placeholder shown
    while the photo loads. Near-white and near-black (backgrounds, shadows)
    give way to a real colour covering at least a tenth of the picture."""
    small = image.copy()
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    if small.mode == "RGBA":
        # Only what is actually visible counts.
        visible = [p[:3] for p in small.get_flattened_data() if p[3] >= 128]  # type: ignore[index]
        if not visible:
            return "#ffffff"
        small = Image.new("RGB", (len(visible), 1))
        small.putdata(visible)
    else:
        small = small.convert("RGB")
    quantized = small.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = sorted(quantized.getcolors() or [], reverse=True)
    total = sum(count for count, _ in counts)
    colours = [
        (count, (palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]))
        for count, i in counts
        if isinstance(i, int)
    ]
    if not colours:
        return "#ffffff"
    best = colours[0][1]
    for count, rgb in colours:
        if count * 10 < total:
            break
        if max(rgb) >= 32 and min(rgb) <= 224:
            best = rgb
            break
    return "#{:02x}{:02x}{:02x}".format(*best)


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
        payload = _PAYLOADS[key] = _payload(
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


def _payload(
    pk: int,
    original_name: str,
    width: int,
    height: int,
    color: str,
    renditions: dict[str, dict[str, str]],
) -> dict[str, Any]:
    url = _media_url
    keys = sorted(renditions, key=int, reverse=True)

    def real_width(key: str) -> int:
        return min(int(key), width) if width else int(key)

    def srcset(fmt: str) -> str:
        return ", ".join(
            f"{url(renditions[k][fmt])} {real_width(k)}w"
            for k in reversed(keys)
            if fmt in renditions[k]
        )

    original = url(original_name) if original_name else ""
    # What a ~540 px card should load: the smallest JPEG that is wide enough,
    # counting the original when it is wider than every rendition.
    candidates = [
        (real_width(k), url(renditions[k]["jpeg"]))
        for k in reversed(keys)
        if "jpeg" in renditions[k]
    ]
    if original and (not candidates or width > candidates[-1][0]):
        candidates.append((width, original))
    wide_enough = [src for w, src in candidates if w >= CARD_WIDTH]
    src = wide_enough[0] if wide_enough else (candidates[-1][1] if candidates else "")
    return {
        "id": pk,
        "width": width,
        "height": height,
        "color": color,
        "ready": bool(renditions),
        "original": original,
        "renditions": {k: {fmt: url(name) for fmt, name in renditions[k].items()} for k in keys},
        "src": src,
        "srcset_webp": srcset("webp"),
        "srcset_jpeg": srcset("jpeg"),
    }


def _media_url(name: str) -> str:
    return default_storage.url(name)


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


def generate_demo_photo(seed: int, width: int, height: int, *, quality: int = 90) -> bytes:
    """A pleasant, photo-like JPEG painted with Pillow only: a soft gradient
    scene, a few blurred subjects, bokeh, a vignette and sensor-like grain.
    The same seed always gives the same bytes."""
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
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

    picture = scene.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
    vignette = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: max(0, v - 150) * 2)
    picture = Image.composite(
        ImageChops.multiply(picture, Image.new("RGB", (width, height), (150, 150, 150))),
        picture,
        vignette,
    )
    # Texture at several scales (surfaces, foliage, fabric) and sensor grain:
    # real photos have detail at every size, so their renditions (and this
    # picture's) cost what real ones cost to encode.
    texture = _noise(rng, (width, height), 24, 12)
    for scale, amplitude in ((6, 7), (2, 6), (1, 6)):
        texture = ImageChops.add(
            texture, _noise(rng, (width, height), scale, amplitude), offset=-128
        )
    picture = ImageChops.add(picture, Image.merge("RGB", (texture,) * 3), offset=-128)

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
