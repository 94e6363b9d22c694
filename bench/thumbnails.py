"""Thumbnail benchmark: Sprout's rendition code against libvips.

One synthetic 12 MP photo-like JPEG (4000x3000, quality 90) is made into
three WebP sizes (1080, 540 and 240 px wide, quality 80), in the same process:

(a) pyvips ``thumbnail_buffer`` once per size (shrink-on-load each time);
(b) ``core.renditions.make_renditions`` (also ``community.photos.make_renditions``),
    the exact code ``photo_render`` and ``product_image_render`` run, asked for
    WebP only.

Prints the median of 5 timed runs (after one warm-up) and the ratio
sprout / pyvips beside the goal (issue 13: at most 0.5, half libvips' time)
and the output sizes (speed must not be bought with bytes). Exit status 2 when
pyvips is not installed, 1 when Sprout is slower than twice libvips (the
floor that fails ``make bench``).

    .venv/bin/python bench/thumbnails.py
"""

from __future__ import annotations

import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTHS = (1080, 540, 240)
RUNS = 5
SEED = 2026
GOAL_RATIO = 0.5
FLOOR_RATIO = 2.0

try:
    import pyvips
except (ImportError, OSError) as exc:  # OSError: the libvips shared library is missing
    print(
        f"pyvips cannot be imported ({exc}); install pyvips and pyvips-binary "
        "(pip install pyvips pyvips-binary) to run this benchmark.",
        file=sys.stderr,
    )
    sys.exit(2)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()
# Django's logging settings make the root logger chatty; pyvips logs every step.
logging.getLogger("pyvips").setLevel(logging.WARNING)

import PIL  # noqa: E402

from bench.common import record  # noqa: E402
from community import photos  # noqa: E402


def vips_renditions(data: bytes) -> list[bytes]:
    # height is generous so that the width alone decides, as in Sprout.
    return [
        pyvips.Image.thumbnail_buffer(data, width, height=width * 10).webpsave_buffer(Q=80)
        for width in WIDTHS
    ]


def sprout_renditions(data: bytes) -> list[bytes]:
    rendered = photos.make_renditions(data, widths=WIDTHS, formats=("webp",))
    return [rendition.files["webp"] for rendition in rendered.renditions]


def median_ms(work: Callable[[bytes], list[bytes]], data: bytes) -> tuple[float, list[bytes]]:
    outputs = work(data)  # warm-up: libraries loaded, caches and allocators primed
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        outputs = work(data)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), outputs


def main() -> int:
    data = photos.generate_demo_photo(SEED, 4000, 3000, quality=90, subject="abstract")
    vips_ms, vips_out = median_ms(vips_renditions, data)
    sprout_ms, sprout_out = median_ms(sprout_renditions, data)

    for label, outputs in (("pyvips", vips_out), ("sprout", sprout_out)):
        widths = [pyvips.Image.new_from_buffer(out, "").width for out in outputs]
        if widths != list(WIDTHS):
            print(f"{label} made widths {widths}, expected {list(WIDTHS)}", file=sys.stderr)
            return 1

    ratio = sprout_ms / vips_ms
    print(
        f"Input: {len(data) / 1e6:.1f} MB JPEG, 4000x3000, q90 -> WebP q80 at "
        f"{', '.join(map(str, WIDTHS))} px; median of {RUNS} runs"
    )
    print(
        f"Python {platform.python_version()}, Pillow {PIL.__version__}, pyvips "
        f"{pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)}."
        f"{pyvips.version(2)}), {os.cpu_count()} CPUs"
    )
    print()
    print("| method | median | output sizes (KB) |")
    print("| --- | --- | --- |")
    for label, ms, outputs in (
        ("pyvips `thumbnail_buffer` once per size", vips_ms, vips_out),
        ("Sprout `make_renditions` (one draft decode)", sprout_ms, sprout_out),
    ):
        sizes = " / ".join(f"{len(out) / 1024:.0f}" for out in outputs)
        print(f"| {label} | {ms:.0f} ms | {sizes} |")
    print()
    verdict = "goal met" if ratio <= GOAL_RATIO else "goal missed"
    if ratio > FLOOR_RATIO:
        verdict = f"SLOWER than the {FLOOR_RATIO:g}x floor"
    print(f"ratio sprout/pyvips: {ratio:.2f} (goal <= {GOAL_RATIO:g}: {verdict})")
    sizes = "/".join(f"{len(out) / 1024:.0f}" for out in sprout_out)
    record(
        "thumbnails.ratio",
        ratio,
        unit="x",
        goal=f"<= {GOAL_RATIO:g}x pyvips",
        met=ratio <= GOAL_RATIO,
        detail=f"{sprout_ms:.0f} vs {vips_ms:.0f} ms; {sizes} KB",
    )
    return 0 if ratio <= FLOOR_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
