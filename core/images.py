"""The one image pipeline: every picture anyone uploads goes through it.

Note photos, avatars, room covers and the gift catalog's pictures, whether
they come from a page, the API or the admin, are validated and cleaned by
:func:`prepare_upload`, with the same limits, the same error codes and the
same stripping. A caller may only choose how large the stored picture is
(``max_side``); everything else is one rule.

1. Validation by the bytes, never the name or the declared content type:
   empty, over ``SPROUT_PHOTO_MAX_BYTES``, not an image, not JPEG/PNG/WebP,
   more than ``SPROUT_PHOTO_MAX_PIXELS`` (checked from the header before a
   pixel is decoded: decompression bombs), cut short, or smaller than
   ``SPROUT_PHOTO_MIN_SIDE`` each raise ``InvalidImage`` with their own code.
2. Cleaning: the EXIF orientation is applied, the first frame is kept and
   the picture is re-encoded in its own format with nothing but its ICC
   profile: no EXIF, GPS, XMP, IPTC, comment or text chunk survives.

Forms get the pipeline through :class:`ImageUploadField`, and every model's
image field is a :class:`CleanImageField`, whose form field (the admin's
too) is that one. ``community.photos`` makes the renditions of note photos.
"""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models
from PIL import Image, ImageCms, ImageOps
from PIL.JpegImagePlugin import get_sampling

from core.errors import InvalidImage

logger = logging.getLogger(__name__)

# Pillow's format names of what we accept -> our format names. MPO is the
# multi-picture JPEG many phones and cameras write; its first frame is the photo.
ACCEPTED_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}
# The plug-ins asked to open an upload (the JPEG one also answers for MPO).
_OPENERS = ["JPEG", "PNG", "WEBP"]
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
# What file pickers offer (a hint only: the bytes decide).
ACCEPT = "image/jpeg,image/png,image/webp"

# Magic numbers of the accepted formats: a file that starts like one of them
# but cannot even be opened was cut short (an interrupted upload), which
# deserves a better answer than "not an image".
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1"}

# What Pillow's plug-ins raise on damaged or hostile data (UnidentifiedImageError
# is an OSError); found by feeding the pipeline thousands of mutated files.
_BROKEN = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
)

ORIGINAL_JPEG_QUALITY = 92
ORIGINAL_WEBP_QUALITY = 90
# zlib's best compression (optimize) takes about 3.5 s on a 4 MP photo-like
# PNG for 5% less than the default level (1.7 s); on graphics and screenshots
# it is fast. Above this size the upload request uses the default level.
PNG_OPTIMIZE_MAX_PIXELS = 2_000_000


@dataclass(frozen=True)
class PreparedImage:
    """A validated upload, ready to store."""

    content: bytes  # the cleaned file to store: orientation applied, NO metadata at all
    format: str  # "jpeg" | "png" | "webp"
    width: int
    height: int

    def as_file(self) -> ContentFile[bytes]:
        """The cleaned file under a fresh random name, for a model's file field."""
        return ContentFile(self.content, name=random_name(self.format))


def random_name(format: str) -> str:
    """A fresh file name for a prepared image (``<32 hex>.<ext>``): stored
    names never reuse the uploader's file name, which can leak personal data."""
    return f"{secrets.token_hex(16)}.{EXTENSIONS[format]}"


# --- validation and cleaning -------------------------------------------------


def prepare_upload(upload: File, *, max_side: int | None = None) -> PreparedImage:
    """Validate an uploaded picture by its content and return it cleaned:
    orientation applied, re-encoded without EXIF, XMP, IPTC, GPS, comments or
    text chunks (only the ICC profile is kept), first frame only; with
    ``max_side``, scaled down (never up) so that no side is longer.

    Raises ``InvalidImage`` with code ``empty_file``, ``image_too_large``,
    ``not_an_image``, ``unsupported_image_format``, ``image_too_many_pixels``,
    ``image_truncated`` or ``image_too_small``."""
    data = _read_upload(upload)
    with _open_image(data) as image:
        fmt = ACCEPTED_FORMATS[image.format or ""]
        _check_dimensions(image.size)
        if max_side is not None and fmt == "jpeg":
            # Decode straight to about the size kept (DCT scaling): a cover
            # from a 50 MP camera is not decoded at full size for nothing.
            image.draft(None, (max_side, max_side))
        _decode_fully(image)
        sampling = get_sampling(image) if fmt == "jpeg" else -1
        transparency = image.info.get("transparency")
        icc: bytes | None = image.info.get("icc_profile") or None
        _apply_orientation(image)
        # Nothing of the original's metadata may reach the encoder: some
        # plug-ins copy comments, text or profiles from ``info`` on save.
        image.info.clear()
        cleaned, icc, keep_transparency = _storable(image, fmt, icc)
        if not keep_transparency:
            transparency = None
        if max_side is not None and max(cleaned.size) > max_side:
            cleaned, icc, transparency = _downscaled(cleaned, max_side, icc, transparency)
        buffer = io.BytesIO()
        if fmt == "jpeg":
            options: dict[str, Any] = {"quality": ORIGINAL_JPEG_QUALITY, "optimize": True}
            if sampling != -1:
                # Keep 4:4:4 photos sharp and 4:2:0 ones small, as their author chose.
                options["subsampling"] = sampling
            cleaned.save(buffer, "JPEG", icc_profile=icc, **options)
        elif fmt == "png":
            options = (
                {"optimize": True}
                if cleaned.width * cleaned.height <= PNG_OPTIMIZE_MAX_PIXELS
                else {"compress_level": 6}
            )
            if transparency is not None:
                options["transparency"] = transparency
            cleaned.save(buffer, "PNG", icc_profile=icc, **options)
        else:
            if _webp_is_lossless(data):
                # A lossless WebP is a graphic or a screenshot: lossy coding
                # would blur its edges and often make it bigger.
                options = {"lossless": True, "quality": 80}
            else:
                options = {"quality": ORIGINAL_WEBP_QUALITY}
            cleaned.save(buffer, "WEBP", icc_profile=icc or "", **options)
        return PreparedImage(
            content=buffer.getvalue(), format=fmt, width=cleaned.width, height=cleaned.height
        )


def prepare_uploads(uploads: Sequence[File], *, field: str = "images") -> list[PreparedImage]:
    """:func:`prepare_upload` for each of several files, in order; a refused
    one is named in the error (``"beach.jpg: ..."``, or ``"file 2: ..."``
    without a name) under ``field``, so a form or an API can point at it."""
    prepared = []
    for index, upload in enumerate(uploads):
        try:
            prepared.append(prepare_upload(upload))
        except InvalidImage as exc:
            name = getattr(upload, "name", None) or f"file {index + 1}"
            raise InvalidImage(
                f"{name}: {exc.message}",
                code=exc.code,
                fields={field: [f"{name}: {exc.message}"]},
            ) from exc
    return prepared


def _read_upload(upload: File) -> bytes:
    limit: int = settings.SPROUT_PHOTO_MAX_BYTES
    size: int | None
    try:
        size = upload.size
    except (AttributeError, OSError, TypeError):
        size = None  # a stream of unknown length: the bounded read below decides
    if size == 0:
        raise _empty_file()
    if size is not None and size > limit:
        raise _too_large(size)
    with contextlib.suppress(AttributeError, OSError):
        upload.seek(0)
    # Reading one byte past the limit tells "too large" apart without ever
    # holding more than the limit in memory.
    data = upload.read(limit + 1)
    if not data:
        raise _empty_file()
    if len(data) > limit:
        raise _too_large(None)
    return bytes(data)


def _empty_file() -> InvalidImage:
    return InvalidImage("This file is empty: choose a photo and try again.", code="empty_file")


def _too_large(size: int | None) -> InvalidImage:
    limit_mb = settings.SPROUT_PHOTO_MAX_BYTES / (1024 * 1024)
    what = f"This file is {size / (1024 * 1024):.1f} MB" if size else "This file is too large"
    return InvalidImage(f"{what}; photos can be at most {limit_mb:g} MB.", code="image_too_large")


def _too_many_pixels(size: tuple[int, int] | None) -> InvalidImage:
    limit_mp = settings.SPROUT_PHOTO_MAX_PIXELS / 1_000_000
    what = f"This image is {size[0]}x{size[1]} pixels" if size else "This image is too big"
    return InvalidImage(
        f"{what}; photos can have at most {limit_mp:g} megapixels.",
        code="image_too_many_pixels",
    )


def _truncated() -> InvalidImage:
    return InvalidImage(
        "This file is cut short: it may not have finished uploading.", code="image_truncated"
    )


def _open_image(data: bytes) -> Image.Image:
    """Open (read the header of) an accepted image, or raise the right error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=_OPENERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(None) from exc
    except _BROKEN:
        pass
    if data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise _truncated()
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        # iPhones' default format, which Pillow cannot read: say so plainly.
        raise InvalidImage(
            "HEIC photos are not supported: upload a JPEG, PNG or WebP photo "
            "(on an iPhone, choose Most Compatible in Settings > Camera > Formats).",
            code="unsupported_image_format",
        )
    # Which other image format it is only matters for the message; asking
    # every Pillow plug-in reads headers only.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as other:
                found = other.format or "This"
    except Image.DecompressionBombError:
        found = "This"
    except _BROKEN as exc:
        raise InvalidImage(
            "This file is not an image: upload a JPEG, PNG or WebP photo.", code="not_an_image"
        ) from exc
    raise InvalidImage(
        f"{found} images are not supported: upload a JPEG, PNG or WebP photo.",
        code="unsupported_image_format",
    )


def _check_dimensions(size: tuple[int, int]) -> None:
    # Header dimensions, before a single pixel is decoded: this is what stops
    # a small file that would inflate into gigabytes (a decompression bomb).
    width, height = size
    if width * height > settings.SPROUT_PHOTO_MAX_PIXELS:
        raise _too_many_pixels(size)
    minimum = settings.SPROUT_PHOTO_MIN_SIDE
    if width < minimum or height < minimum:
        raise InvalidImage(
            f"This image is {width}x{height} pixels; photos must be at least "
            f"{minimum} pixels on each side.",
            code="image_too_small",
        )


def _decode_fully(image: Image.Image) -> None:
    # Only a full decode finds a file that ends early or has a broken stream.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(image.size) from exc
    except _BROKEN as exc:
        raise _truncated() from exc


def _apply_orientation(image: Image.Image) -> None:
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:
        # Pillow's EXIF parser raises many kinds of errors on malformed tags;
        # a broken tag must not cost the author their photo, only its rotation.
        logger.warning("Ignoring unreadable EXIF orientation of an upload", exc_info=True)


def _storable(
    image: Image.Image, fmt: str, icc: bytes | None
) -> tuple[Image.Image, bytes | None, bool]:
    """The image in a mode its format can store, the ICC profile that still
    describes it, and whether ``info["transparency"]`` still applies."""
    if fmt == "jpeg":
        if image.mode == "CMYK":
            return _cmyk_to_rgb(image, icc), None, False
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
    elif fmt == "png":
        if image.mode == "I":
            # 16-bit greyscale is written back as 16-bit, never squashed to 8.
            image = image.convert("I;16")
        elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
            image = image.convert("RGBA")
            return image, matching_icc(icc, image.mode), False
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image, matching_icc(icc, image.mode), True


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    # Print-ready CMYK files carry a press profile: converting through it keeps
    # the colours; without one, Pillow's naive formula is the best guess. The
    # result is plain sRGB, which browsers assume for untagged images.
    if icc and icc[16:20] == b"CMYK":
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            logger.warning("Unusable CMYK profile in an upload; converting without it")
        else:
            if converted is not None:
                return converted
    return image.convert("RGB")


def matching_icc(icc: bytes | None, mode: str) -> bytes | None:
    """The profile, if its colour space is the image's (a grey profile on an
    RGB picture would make browsers draw wrong colours)."""
    if not icc or len(icc) < 20:
        return None
    space = icc[16:20]
    if mode in ("RGB", "RGBA", "P", "PA"):
        return icc if space == b"RGB " else None
    if mode in ("1", "L", "LA", "I;16"):
        return icc if space == b"GRAY" else None
    return None


def _webp_is_lossless(data: bytes) -> bool:
    """Whether the (first frame of the) WebP file is coded losslessly (VP8L)."""
    offset, end = 12, len(data)
    while offset + 8 <= end:
        fourcc = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":
            # A frame's own chunks follow its 16-byte header.
            offset += 8 + 16
            continue
        offset += 8 + length + (length & 1)
    return False


def _downscaled(
    image: Image.Image, max_side: int, icc: bytes | None, transparency: Any
) -> tuple[Image.Image, bytes | None, Any]:
    """The image scaled so that its longer side is ``max_side``, the ICC
    profile that still describes it, and the ``transparency`` to save with
    it (None once it became an alpha channel)."""
    if transparency is not None:
        # A transparent palette index or colour key does not survive
        # averaging: it becomes an alpha channel. The image's metadata was
        # cleared; this is the one key the conversion reads.
        image.info["transparency"] = transparency
        image = image.convert("RGBA")
        image.info.clear()
        transparency = None
    elif image.mode == "P":
        image = image.convert("RGB")  # palette indices cannot be averaged
    elif image.mode == "1":
        image = image.convert("L")
    ratio = max_side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    # reducing_gap=3.0: a box reduction first, then Lanczos over the last
    # factor of three (as the renditions do); Pillow cannot box-reduce
    # 16-bit greyscale, which is resized by Lanczos alone.
    gap = None if image.mode == "I;16" else 3.0
    resized = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=gap)
    return resized, matching_icc(icc, resized.mode), transparency


# --- forms and models --------------------------------------------------------


class ImageUploadField(forms.FileField):
    """A form field whose upload goes through :func:`prepare_upload`: its
    cleaned value is the prepared file under a random name (or what a plain
    ``FileField`` gives when nothing was uploaded), and a refused upload is a
    ``ValidationError`` with the pipeline's code."""

    def __init__(self, *, max_side: int | None = None, **kwargs: Any) -> None:
        # An empty file is the pipeline's to refuse, with its own code.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)
        self.max_side = max_side

    def to_python(self, data: Any) -> Any:
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            return prepare_upload(upload, max_side=self.max_side).as_file()
        except InvalidImage as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.FileInput) and "accept" not in widget.attrs:
            attrs["accept"] = ACCEPT
        return attrs


class CleanImageField(models.ImageField):
    """The model field of every uploaded picture: an ``ImageField`` whose
    form field (in any ModelForm, the admin's included) is
    :class:`ImageUploadField`, so no form can store an image the pipeline
    did not clean. ``max_side`` is passed on to the pipeline."""

    def __init__(self, *args: Any, max_side: int | None = None, **kwargs: Any) -> None:
        self.max_side = max_side
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(
            **{"form_class": ImageUploadField, "max_side": self.max_side, **kwargs}
        )

    def deconstruct(self) -> Any:
        name, _, args, kwargs = super().deconstruct()
        # Only forms behave differently: the column, and so the migrations,
        # are exactly ImageField's (no migration for adopting this field).
        return name, "django.db.models.ImageField", args, kwargs
