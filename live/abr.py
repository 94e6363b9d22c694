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
import shlex
import shutil
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
    return (os.cpu_count() or 1) >= int(getattr(settings, "SPROUT_LIVE_ABR_MIN_CORES", 4))


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


# --- nginx-rtmp: what scripts/nginx-rtmp renders from these settings ------------

#: The nginx-rtmp application the renditions are published to, and the
#: folder of the HLS directory its playlists are written to.
APPLICATION = "abr"
#: HLS fragments are cut at keyframes: every rendition has one this often.
KEYFRAME_SECONDS = 2
#: What hosts are asked to send at most (the room page's OBS settings): the
#: ``BANDWIDTH`` the master playlist announces for the copied source.
SOURCE_VIDEO_KBPS = 4000


def ffmpeg_binary() -> str:
    """An absolute path: nginx's workers (user nobody under root) have
    almost no ``PATH``."""
    found = shutil.which("ffmpeg")
    return os.path.abspath(found) if found else "/usr/bin/ffmpeg"


def source_bandwidth(encoded: list[Rendition]) -> int:
    """The copied source's ``BANDWIDTH``: above every encoded rendition."""
    best = max((r.bandwidth for r in encoded), default=0)
    return max((SOURCE_VIDEO_KBPS + 128) * 1000, best + 1000)


def copy_args() -> list[str]:
    """ffmpeg output options of the source rendition: the stream as sent."""
    return ["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"]


def encode_args(rendition: Rendition) -> list[str]:
    """ffmpeg output options that encode one rendition (``exec_push`` and
    ``bench/abr.py`` alike): H.264 main at the rendition's size and bitrate,
    capped (``maxrate``, a 2 s ``bufsize``) so the announced ``BANDWIDTH``
    holds, a keyframe every ``KEYFRAME_SECONDS`` whatever the frame rate
    (the HLS fragments), AAC stereo."""
    kbps = rendition.video_kbps
    return [
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", f"scale={rendition.width}:{rendition.height}",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
        "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k",
        "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", f"{rendition.audio_kbps}k", "-ac", "2", "-ar", "44100",
    ]  # fmt: skip


@dataclass(frozen=True)
class NginxBlocks:
    """Text for ``deploy/nginx/nginx.conf.template``'s ``@SHOW_OUTPUT@``
    (inside ``application show``) and ``@ABR_APPLICATION@`` (beside it),
    holding the template's own ``@PLACEHOLDERS@`` for the script to fill."""

    show: str
    application: str


def _recording(indent: str) -> str:
    # record_unique: <name>-<unix time>.flv, so a second broadcast of the
    # room never overwrites a recording not yet made into a replay.
    return "\n".join(
        indent + line
        for line in (
            "record all;",
            "record_path @RECORD_DIR@;",
            "record_unique on;",
            "notify_method post;",
            "on_record_done http://@RELAY@/live/ingest/record-done;",
        )
    )


def _exec_push(encoded: list[Rendition]) -> str:
    """One ffmpeg per broadcast, reading the public stream back from ``show``
    and publishing each rendition to ``abr`` as ``<name>_<rendition>``.
    Through ``/bin/sh`` only to send ffmpeg's errors to a log: nginx-rtmp
    points a child's output at /dev/null. ``exec`` leaves ffmpeg alone under
    the pid nginx-rtmp signals when the broadcast ends."""
    target = f"rtmp://@RTMP_LOCAL@:@RTMP_PORT@/{APPLICATION}/${{name}}"
    args = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
            "-i", "rtmp://@RTMP_LOCAL@:@RTMP_PORT@/show/${name}",
            *copy_args(), "-f", "flv", f"{target}_{SOURCE}"]  # fmt: skip
    for rendition in encoded:
        args += [*encode_args(rendition), "-f", "flv", f"{target}_{rendition.name}"]
    command = "exec " + " ".join(shlex.quote(arg) for arg in args) + " 2>>'@ABR_LOG@'"
    return f'exec_push /bin/sh -c "{command}";'


def nginx_blocks(encoded: list[Rendition]) -> NginxBlocks:
    """The recording and ABR parts of nginx-rtmp's config for ``encoded``
    (none: ABR off). Recording happens where the stream has its public name,
    never in ``ingest`` (named by the key): in ``show`` without ABR, in
    ``abr`` (every rendition, ``<name>_<rendition>``) with it."""
    if not encoded:
        return NginxBlocks(show=_recording("            "), application="")
    show = "\n".join(
        [
            "            # ABR: its ffmpeg reads the stream back from here (loopback only).",
            "            allow play @RTMP_LOCAL@;",
            "            exec_kill_signal term;",
            "            " + _exec_push(encoded),
        ]
    )
    variants = [f"hls_variant _{SOURCE} BANDWIDTH={source_bandwidth(encoded)};"] + [
        f"hls_variant _{r.name} BANDWIDTH={r.bandwidth},RESOLUTION={r.width}x{r.height};"
        for r in encoded
    ]
    lines = [
        "        # ABR (live.abr): the renditions show's ffmpeg publishes, as",
        "        # <name>_<rendition>; hls_variant writes the master playlist",
        f"        # {APPLICATION}/<name>.m3u8 listing them, best first.",
        f"        application {APPLICATION} {{",
        "            live on;",
        "            allow publish @RTMP_LOCAL@;",
        "            deny publish all;",
        "            deny play all;",
        "",
        "            hls on;",
        f"            hls_path @HLS_DIR@/{APPLICATION};",
        "            hls_nested on;",
        f"            hls_fragment {KEYFRAME_SECONDS}s;",
        "            hls_playlist_length 12s;",
        *("            " + v for v in variants),
        "",
        _recording("            "),
        "        }",
    ]
    return NginxBlocks(show=show, application="\n".join(lines))
