"""Multi-resolution live (ABR): which renditions a broadcast is transcoded
into, from the settings ``SPROUT_LIVE_ABR`` (``on``, ``off``, ``auto``: on
with at least ``SPROUT_LIVE_ABR_MIN_CORES`` cores) and
``SPROUT_LIVE_ABR_RENDITIONS`` (``name=WIDTHxHEIGHT@KBPS`` comma-separated,
best first).

With ABR on, nginx-rtmp's ``exec_push`` runs one ffmpeg per broadcast that
copies the source (rendition ``src``) and encodes each rendition, into an
application whose ``hls_variant`` writes a master playlist; the broadcast is
recorded in each of them, and its replay keeps them all.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SOURCE = "src"
_RENDITION = re.compile(
    r"^(?P<name>[a-z0-9]{1,12})=(?P<w>\d{2,4})x(?P<h>\d{2,4})@(?P<kbps>\d{2,5})$"
)


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int

    @property
    def audio_kbps(self) -> int:
        return 64 if self.height < 360 else 96

    @property
    def bandwidth(self) -> int:
        """Bits per second, as a master playlist's ``BANDWIDTH`` says it."""
        return (self.video_kbps + self.audio_kbps) * 1000


def renditions_parse(text: str) -> list[Rendition]:
    """``720p=1280x720@2800,360p=640x360@700`` as renditions; a mistake is
    ImproperlyConfigured, saying which part and the form expected."""
    found: list[Rendition] = []
    for part in (piece.strip() for piece in (text or "").split(",")):
        if not part:
            continue
        match = _RENDITION.match(part)
        if match is None:
            raise ImproperlyConfigured(
                f"SPROUT_LIVE_ABR_RENDITIONS: {part!r} is not name=WIDTHxHEIGHT@KBPS "
                "(e.g. 360p=640x360@700; names: a-z 0-9, at most 12)"
            )
        width, height = int(match["w"]), int(match["h"])
        if width % 2 or height % 2:
            raise ImproperlyConfigured(
                f"SPROUT_LIVE_ABR_RENDITIONS: {part!r}: width and height must be even (H.264)"
            )
        if match["name"] == SOURCE or any(r.name == match["name"] for r in found):
            raise ImproperlyConfigured(
                f"SPROUT_LIVE_ABR_RENDITIONS: the name {match['name']!r} is taken"
            )
        found.append(Rendition(match["name"], width, height, int(match["kbps"])))
    return found


def abr_enabled() -> bool:
    mode = str(getattr(settings, "SPROUT_LIVE_ABR", "auto")).strip().lower()
    if mode in ("on", "true", "1", "yes"):
        return True
    if mode in ("off", "false", "0", "no", ""):
        return False
    if mode != "auto":
        raise ImproperlyConfigured(f"SPROUT_LIVE_ABR is {mode!r}: on, off or auto")
    return (os.cpu_count() or 1) >= int(getattr(settings, "SPROUT_LIVE_ABR_MIN_CORES", 8))


def renditions() -> list[Rendition]:
    """The encoded renditions of a broadcast starting now (none: ABR off)."""
    if not abr_enabled():
        return []
    return renditions_parse(str(getattr(settings, "SPROUT_LIVE_ABR_RENDITIONS", "")))


def live_rendition_names() -> list[str]:
    """What ``LiveSession.renditions`` records at the start: ``["src", ...]``
    with ABR on, ``[]`` without (the source alone, no master playlist)."""
    encoded = renditions()
    return [SOURCE, *(r.name for r in encoded)] if encoded else []
