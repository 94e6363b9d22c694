"""Test files for the photo pipeline, built in memory.

Each helper returns a ``SimpleUploadedFile``; names and content types are
misleading where it matters (the pipeline must look at the bytes only). The
metadata planted in files carries markers (``SECRET_MARKERS``) that must not
survive into anything Sprout stores.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw, PngImagePlugin

RED = (220, 40, 40)
BLUE = (40, 60, 220)
GREEN = (60, 140, 80)

# Strings planted in EXIF, XMP and text chunks; none may reach storage.
CAMERA = "SproutCam X100"
HOME = "GPS: 12 Garden Lane, Springfield"
# What a security probe found in a stored room cover (issue 8).
PROBE_COMMENT = b"secret comment GPS 48.85,2.29"
SECRET_MARKERS = (CAMERA.encode(), HOME.encode(), PROBE_COMMENT, b"WGS-84", b"Jane Doe")

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'exif:GPSLatitude="52,22.1N" exif:GPSLongitude="4,53.5E" '
    b'dc:creator="Jane Doe"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(
    size: tuple[int, int], left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB"
) -> Image.Image:
    """Left half one colour, right half another: shows rotations and flips."""
    image = Image.new(mode, size, left)
    ImageDraw.Draw(image).rectangle((size[0] // 2, 0, size[0], size[1]), fill=right)
    return image


def gradient(size: tuple[int, int]) -> Image.Image:
    """A smooth colour picture with some detail (JPEGs of it are not trivial)."""
    width, height = size
    base = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB", (base, base.transpose(Image.Transpose.ROTATE_180), Image.new("L", size, 120))
    )
    draw = ImageDraw.Draw(image)
    for i in range(0, width, max(8, width // 20)):
        draw.line((i, 0, width - i, height), fill=(250, 250, 250), width=2)
    return image


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.ImageDescription] = HOME
    exif[ExifTags.Base.DateTime] = "2026:05:04 10:11:12"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 5.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 30.0),
        ExifTags.GPS.GPSMapDatum: "WGS-84",
    }
    return exif


# --- accepted files ---------------------------------------------------------


def jpeg(
    size: tuple[int, int] = (800, 600), name: str = "photo.jpg", **options: Any
) -> SimpleUploadedFile:
    return upload(name, encode(gradient(size), "JPEG", quality=90, **options))


def plain_jpeg(size: tuple[int, int], color: tuple[int, int, int] = GREEN) -> SimpleUploadedFile:
    return upload("plain.jpg", encode(Image.new("RGB", size, color), "JPEG", quality=90))


def jpeg_with_gps_and_orientation() -> SimpleUploadedFile:
    """200x100 as stored, red left and blue right, Orientation 6 (the camera
    was turned: shown upright it is 100x200, red on top), GPS, XMP and a
    comment."""
    image = halves((200, 100), RED, BLUE)
    content = encode(
        image, "JPEG", quality=95, exif=gps_exif(orientation=6), xmp=XMP, comment=HOME.encode()
    )
    return upload("IMG_0001.JPG", content)


def jpeg_with_comment_and_gps(size: tuple[int, int] = (640, 480)) -> SimpleUploadedFile:
    """A JPEG with a comment (COM segment) and EXIF with GPS, as the probe
    uploaded it."""
    content = encode(gradient(size), "JPEG", quality=90, exif=gps_exif(), comment=PROBE_COMMENT)
    return upload("cover.jpg", content)


def jpeg_with_xmp() -> SimpleUploadedFile:
    return upload("xmp.jpg", encode(gradient((400, 300)), "JPEG", quality=90, xmp=XMP))


def png_with_text_chunks() -> SimpleUploadedFile:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_text("Comment", HOME, zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    content = encode(gradient((300, 200)), "PNG", pnginfo=info, exif=gps_exif())
    return upload("notes.png", content, "image/png")


def rgba_png(size: tuple[int, int] = (600, 400)) -> SimpleUploadedFile:
    """Opaque red left half, fully transparent right half."""
    return upload(
        "sticker.png", encode(halves(size, (*RED, 255), (0, 0, 0, 0), "RGBA"), "PNG"), "image/png"
    )


def palette_png_with_transparency() -> SimpleUploadedFile:
    image = halves((300, 200), (*RED, 255), (0, 0, 0, 0), "RGBA").convert(
        "P", palette=Image.Palette.ADAPTIVE, colors=4
    )
    transparent = image.getpixel((299, 0))
    return upload("logo.png", encode(image, "PNG", transparency=transparent), "image/png")


def grey16_png() -> SimpleUploadedFile:
    """16-bit greyscale at 40000/65535 (about 156 in 8 bits)."""
    return upload("scan.png", encode(Image.new("I;16", (300, 200), 40000), "PNG"), "image/png")


def webp_photo(name: str = "photo.webp", content_type: str = "image/webp") -> SimpleUploadedFile:
    content = encode(gradient((600, 400)), "WEBP", quality=90, exif=gps_exif(), xmp=XMP)
    return upload(name, content, content_type)


def lossless_webp() -> SimpleUploadedFile:
    return upload(
        "shot.webp", encode(halves((300, 200), RED, BLUE), "WEBP", lossless=True), "image/webp"
    )


def animated(fmt: str) -> SimpleUploadedFile:
    """Two frames, red then blue."""
    red, blue = Image.new("RGB", (120, 80), RED), Image.new("RGB", (120, 80), BLUE)
    content = encode(red, fmt, save_all=True, append_images=[blue], duration=200, loop=0)
    return upload(f"anim.{fmt.lower()}", content, f"image/{fmt.lower()}")


def cmyk_jpeg() -> SimpleUploadedFile:
    """Pure magenta+yellow ink: red once converted."""
    return upload("print.jpg", encode(Image.new("CMYK", (200, 100), (0, 255, 255, 0)), "JPEG"))


def mpo() -> SimpleUploadedFile:
    """A multi-picture JPEG as phones write them; the first picture is the photo."""
    first, second = gradient((320, 240)), Image.new("RGB", (320, 240), BLUE)
    return upload("IMG_0002.JPG", encode(first, "MPO", save_all=True, append_images=[second]))


def png_named_gif() -> SimpleUploadedFile:
    return upload("party.gif", encode(gradient((300, 200)), "PNG"), "image/gif")


# --- refused files ----------------------------------------------------------


def empty_file() -> SimpleUploadedFile:
    return upload("empty.jpg", b"")


def text_named_jpg() -> SimpleUploadedFile:
    return upload("holiday.jpg", b"Dear diary, today we went to the seaside.\n" * 20)


def html_named_png() -> SimpleUploadedFile:
    return upload("x.png", b"<html><script>alert(1)</script></html>", "image/png")


def gif_named_jpg() -> SimpleUploadedFile:
    return upload("cat.jpg", encode(Image.new("RGB", (100, 100), RED), "GIF"))


def heic() -> SimpleUploadedFile:
    """The start of an iPhone HEIC file (Pillow cannot read HEIC)."""
    content = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    return upload("IMG_0003.HEIC", content, "image/heic")


def bmp() -> SimpleUploadedFile:
    return upload("paint.jpg", encode(Image.new("RGB", (100, 100), RED), "BMP"))


def tiff() -> SimpleUploadedFile:
    return upload("scan.png", encode(Image.new("RGB", (100, 100), RED), "TIFF"), "image/png")


def ico() -> SimpleUploadedFile:
    return upload("favicon.png", encode(Image.new("RGB", (64, 64), RED), "ICO"), "image/png")


def truncated_jpeg() -> SimpleUploadedFile:
    content = encode(gradient((800, 600)), "JPEG", quality=95)
    return upload("cut.jpg", content[: len(content) * 2 // 3])


def truncated_png() -> SimpleUploadedFile:
    content = encode(gradient((800, 600)), "PNG")
    return upload("cut.png", content[: len(content) // 2], "image/png")


def header_only_jpeg() -> SimpleUploadedFile:
    """Cut inside the header: not even the dimensions arrived."""
    return upload("cut.jpg", encode(gradient((800, 600)), "JPEG")[:40])


def tiny_png() -> SimpleUploadedFile:
    return upload("dot.png", encode(Image.new("RGB", (10, 10), RED), "PNG"), "image/png")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> SimpleUploadedFile:
    """A few hundred bytes whose header claims ``width`` x ``height`` RGB
    pixels (a decompression bomb if anyone believed it)."""
    content = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _png_chunk(b"IEND", b"")
    )
    return upload("bomb.png", content, "image/png")


def jpeg_declaring(width: int, height: int) -> SimpleUploadedFile:
    """A small real JPEG whose frame header is rewritten to ``width`` x ``height``."""
    content = bytearray(encode(Image.new("RGB", (64, 64), RED), "JPEG"))
    sof = content.index(b"\xff\xc0")
    content[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return upload("bomb.jpg", bytes(content))


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 30) -> bool:
    """Two colours within ``tolerance`` of each other, channel by channel."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def assert_no_metadata(content: bytes) -> None:
    """Stored image bytes carry no EXIF, GPS, XMP, text chunk nor marker."""
    image = Image.open(io.BytesIO(content))
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(0x8825)
    leaked = {
        "exif",
        "xmp",
        "XML:com.adobe.xmp",
        "comment",
        "Comment",
        "Author",
        "Raw profile type exif",
    } & set(image.info)
    assert not leaked
    assert not getattr(image, "text", {})
    for marker in (b"Exif", b"GPS", b"xmp", *SECRET_MARKERS):
        assert marker not in content, marker
