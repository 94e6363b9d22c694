"""The one rendition pipeline: the sizes of every picture Sprout shows
smaller than it was stored (note photos, product images), bytes in, bytes
out, and how a stored picture's renditions are described to pages and the
API.

- :func:`make_renditions`: WebP and JPEG renditions of a stored original at
  the given widths, and its dominant colour (no database, no storage).
- :func:`renditions_store`: reads a stored original, makes its renditions
  and stores them beside it (``<stem>_<width>.<ext>``); the callers (the
  community's ``photo_render``, the shop's ``product_image_render``) only
  record the names it answers on their own rows.
- :func:`rendition_payload`: the one representation (``src``, ``srcset_*``,
  ``renditions``...) of a stored picture and its renditions.

``bench/thumbnails.py`` measures :func:`make_renditions`
(``docs/performance.md``, "Thumbnails"); ``core.images`` validates and cleans
the upload before any of this runs.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from core.images import EXTENSIONS, matching_icc

logger = logging.getLogger(__name__)

RENDITION_FORMATS = ("webp", "jpeg")

RENDITION_WEBP_QUALITY = 80
# libwebp's effort (0 fastest .. 6 smallest). 2 encodes about 2.5x faster
# than the default 4 for 3-10% more bytes and 0.1-0.25 dB less PSNR at the
# same quality on the demo scenes (docs/performance.md, "Thumbnails"); the
# encoder is most of a rendition's time, and one run per upload.
RENDITION_WEBP_METHOD = 2
RENDITION_JPEG_QUALITY = 82
# The width a feed card shows a photo at (``rendition_payload``'s ``src`` by default).
CARD_WIDTH = 540
# The fallback JPEG of a transparent photo is flattened on the page colour.
JPEG_BACKGROUND = (255, 255, 255)


@dataclass(frozen=True)
class Rendition:
    """One size of a picture: ``width`` is the configured width it stands for
    (the key in a ``renditions`` field); ``size`` is the real size, smaller when
    the original is narrower than ``width`` (pictures are never upscaled)."""

    width: int
    size: tuple[int, int]
    files: dict[str, bytes]  # format ("webp", "jpeg") -> encoded bytes


@dataclass(frozen=True)
class RenderedImage:
    """The output of ``make_renditions``: renditions largest first, and the
    dominant colour as ``#rrggbb``."""

    renditions: tuple[Rendition, ...]
    color: str


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
) -> RenderedImage:
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
            current = _resize(current, size)
        renditions.append(Rendition(width=key, size=size, files=_encode(current, formats, icc)))
    return RenderedImage(renditions=tuple(renditions), color=dominant_color(current))


# reducing_gap=3.0: an integer box reduction first, then Lanczos over the
# last factor of three; indistinguishable from Lanczos over the whole range
# and much faster.
REDUCING_GAP = 3.0
# Below this many output rows per band a split costs more than it saves.
_BAND_MIN_ROWS = 256
_bands_pool: ThreadPoolExecutor | None = None
_bands_lock = threading.Lock()


def _bands_executor() -> ThreadPoolExecutor | None:
    """Threads to resample bands of one picture on (Pillow releases the GIL
    while it resamples); None on a single core."""
    global _bands_pool
    workers = min(2, os.cpu_count() or 1)
    if workers < 2:
        return None
    with _bands_lock:
        if _bands_pool is None:
            _bands_pool = ThreadPoolExecutor(workers, thread_name_prefix="renditions")
        return _bands_pool


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resized to ``size`` with Lanczos, in horizontal bands on two
    threads when it is large, in about 60% of the time on two cores. Each
    band is resampled from the whole picture (``box`` names the band's
    source rows; the filter still reads the rows around them), so there is
    no seam: a pixel differs from one ``resize`` by at most 2 of 255 levels,
    from the filter's window positions rounding otherwise
    (tests/core/test_renditions.py). Bands only where no integer reduction
    runs first (a factor below ``REDUCING_GAP``, as after a JPEG's draft
    decode): a reduction of a band could round its edges differently."""
    width, height = size
    source_width, source_height = image.size
    executor = _bands_executor()
    if (
        executor is None
        or height < 2 * _BAND_MIN_ROWS
        or source_width >= width * REDUCING_GAP
        or source_height >= height * REDUCING_GAP
    ):
        return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    split = height // 2
    bands = [(0, split), (split, height)]

    def band(rows: tuple[int, int]) -> Image.Image:
        top, bottom = rows
        box = (
            0.0,
            source_height * top / height,
            float(source_width),
            source_height * bottom / height,
        )
        return image.resize((width, bottom - top), Image.Resampling.LANCZOS, box=box)

    resized = Image.new(image.mode, size)
    for (top, _), part in zip(bands, executor.map(band, bands), strict=True):
        resized.paste(part, (0, top))
    return resized


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
                buffer,
                "WEBP",
                quality=RENDITION_WEBP_QUALITY,
                method=RENDITION_WEBP_METHOD,
                icc_profile=icc or "",
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


# --- stored renditions ---------------------------------------------------------------

type RenditionNames = dict[str, dict[str, str]]  # {"540": {"webp": name, "jpeg": name}}


def rendition_names(original_name: str, renditions: RenditionNames | None) -> list[str]:
    """Every file stored for a picture: the original and all its renditions."""
    names = [original_name] if original_name else []
    for files in (renditions or {}).values():
        names.extend(files.values())
    return names


def renditions_exist(renditions: RenditionNames | None) -> bool:
    """Whether a picture has renditions and every one of their files is stored."""
    return bool(renditions) and all(
        default_storage.exists(n) for files in (renditions or {}).values() for n in files.values()
    )


@dataclass(frozen=True)
class StoredRenditions:
    """What :func:`renditions_store` wrote: the names by width and format,
    and the dominant colour."""

    names: RenditionNames
    color: str


def renditions_store(original_name: str, *, widths: Sequence[int]) -> StoredRenditions | None:
    """Make the renditions of the stored picture ``original_name`` and store
    them beside it, as ``<stem>_<width>.<ext>`` (a file left there by a
    half-finished earlier run is replaced, so names stay predictable).
    None when the original is gone (retrying cannot bring it back)."""
    try:
        with default_storage.open(original_name, "rb") as original:
            data = original.read()
    except FileNotFoundError:
        logger.error("No original file %r to make renditions of", original_name)
        return None
    rendered = make_renditions(data, widths=widths)
    stem = original_name.rsplit(".", 1)[0]
    names: RenditionNames = {}
    for rendition in rendered.renditions:
        for fmt, content in rendition.files.items():
            name = f"{stem}_{rendition.width}.{EXTENSIONS[fmt]}"
            if default_storage.exists(name):
                default_storage.delete(name)
            names.setdefault(str(rendition.width), {})[fmt] = default_storage.save(
                name, ContentFile(content)
            )
    return StoredRenditions(names=names, color=rendered.color)


def stored_files_delete(names: Iterable[str]) -> None:
    """Delete stored files (of deleted pictures); missing files are fine.
    Call it with ``transaction.on_commit`` so a rollback keeps them."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete stored picture file %s", name, exc_info=True)


# --- representation ------------------------------------------------------------------


def rendition_payload(
    pk: int,
    original_name: str,
    width: int,
    height: int,
    color: str,
    renditions: dict[str, dict[str, str]],
    *,
    card_width: int = CARD_WIDTH,
) -> dict[str, Any]:
    """The representation of a stored picture: its original, its renditions
    by width and format, ``srcset_webp`` / ``srcset_jpeg`` by real widths,
    and ``src``, the smallest JPEG at least ``card_width`` wide (the original
    when it is wider than every rendition, and before renditions exist)."""
    url = media_url
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
    wide_enough = [src for w, src in candidates if w >= card_width]
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


def media_url(name: str) -> str:
    return default_storage.url(name)
