"""ffprobe and ffmpeg, as the replays use them: each run with a timeout, its
failure a :class:`MediaError` that says what went wrong in a sentence (the
tool's last line of stderr), never a hang or a bare ``CalledProcessError``.

Nothing here knows about rooms or storage: paths in, files (and playlist
text) out (``live.services.replays`` does the rest).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The longest any one run may take: a remux of hours of video is a copy (a
# few seconds per hour), a poster or a preview reads seconds of it.
PROBE_TIMEOUT = 60
REMUX_TIMEOUT = 900
FRAME_TIMEOUT = 120

HLS_SEGMENT_SECONDS = 2
POSTER_MAX_WIDTH = 1280
PREVIEW_SECONDS = 6
PREVIEW_WIDTH = 320


class MediaError(Exception):
    """A recording ffmpeg or ffprobe could not read or convert (or the tool
    is missing, or took too long). The message is for people."""


@dataclass(frozen=True)
class Probe:
    duration_s: float
    size_bytes: int
    bit_rate: int  # bits per second, over the whole file
    width: int
    height: int
    has_audio: bool


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MediaError(f"{name} is not installed (apt-get install ffmpeg).")
    return found


def _run(args: Sequence[str], *, timeout: int, what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 (a fixed tool; paths as arguments, no shell)
            list(args), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"{what} took longer than {timeout} s.") from None
    except OSError as exc:
        raise MediaError(f"{what} could not run: {exc}.") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"{what} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "replace")


def probe(path: Path) -> Probe:
    """Duration, size, bitrate and picture size of a recording (a file with
    no video, or no duration, is a MediaError)."""
    out = _run(
        [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", str(path)],
        timeout=PROBE_TIMEOUT,
        what=f"ffprobe of {path.name}",
    )  # fmt: skip
    try:
        info = json.loads(out)
        streams = info.get("streams") or []
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        duration = float(info.get("format", {}).get("duration") or 0)
    except (ValueError, TypeError, AttributeError):
        raise MediaError(f"ffprobe of {path.name} said nothing readable.") from None
    if video is None:
        raise MediaError(f"{path.name} has no video.")
    if duration <= 0:
        raise MediaError(f"{path.name} has no duration (an empty or broken recording).")
    size = path.stat().st_size
    bit_rate = int(info["format"].get("bit_rate") or 0) or int(size * 8 / duration)
    return Probe(
        duration_s=duration,
        size_bytes=size,
        bit_rate=bit_rate,
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
    )


def hls_vod(sources: Sequence[Path], out_dir: Path, *, playlist: str = "index.m3u8") -> Path:
    """The recordings (one, or the parts of one rendition in order) remuxed
    without re-encoding into an HLS VOD in ``out_dir``: ``playlist`` (with
    ``#EXT-X-ENDLIST``) and its segments ``seg00000.ts``... of about
    ``HLS_SEGMENT_SECONDS`` (cut at keyframes). Returns the playlist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(sources) == 1:
        inputs = ["-i", str(sources[0])]
    else:
        listing = out_dir / "parts.txt"
        listing.write_text("".join(f"file '{_quoted(p)}'\n" for p in sources))
        inputs = ["-f", "concat", "-safe", "0", "-i", str(listing)]
    target = out_dir / playlist
    _run(
        [_tool("ffmpeg"), "-nostdin", "-y", "-v", "error", *inputs,
         "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
         "-f", "hls", "-hls_time", str(HLS_SEGMENT_SECONDS), "-hls_list_size", "0",
         "-hls_playlist_type", "vod", "-hls_segment_type", "mpegts",
         "-hls_segment_filename", str(out_dir / "seg%05d.ts"), str(target)],
        timeout=REMUX_TIMEOUT,
        what=f"the remux of {sources[0].name}",
    )  # fmt: skip
    (out_dir / "parts.txt").unlink(missing_ok=True)
    if "#EXT-X-ENDLIST" not in target.read_text():
        raise MediaError(f"the playlist of {sources[0].name} did not close (#EXT-X-ENDLIST).")
    return target


def _quoted(path: Path) -> str:
    # ffmpeg's concat list: a single quote is closed, escaped and reopened.
    return str(path.resolve()).replace("'", "'\\''")


def poster(source: Path, target: Path, *, at_s: float) -> Path:
    """A JPEG of the frame at ``at_s`` seconds, at most ``POSTER_MAX_WIDTH``
    wide (never upscaled)."""
    _run(
        [_tool("ffmpeg"), "-nostdin", "-y", "-v", "error", "-ss", f"{at_s:.3f}",
         "-i", str(source), "-frames:v", "1",
         "-vf", f"scale='min({POSTER_MAX_WIDTH},iw)':-2", "-q:v", "3", str(target)],
        timeout=FRAME_TIMEOUT,
        what=f"the poster of {source.name}",
    )  # fmt: skip
    if not target.exists() or target.stat().st_size == 0:
        raise MediaError(f"{source.name} has no frame at {at_s:.1f} s for a poster.")
    return target


def preview(source: Path, target: Path, *, start_s: float) -> Path:
    """A short muted MP4 (``PREVIEW_SECONDS`` from ``start_s``,
    ``PREVIEW_WIDTH`` wide, H.264, ``+faststart`` so it plays as it loads)."""
    _run(
        [_tool("ffmpeg"), "-nostdin", "-y", "-v", "error", "-ss", f"{start_s:.3f}",
         "-i", str(source), "-t", str(PREVIEW_SECONDS), "-an",
         "-vf", f"scale={PREVIEW_WIDTH}:-2", "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "30", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)],
        timeout=FRAME_TIMEOUT,
        what=f"the preview of {source.name}",
    )  # fmt: skip
    if not target.exists() or target.stat().st_size == 0:
        raise MediaError(f"{source.name} gave no preview.")
    return target


def pattern_clip(target: Path, *, seconds: int, width: int, height: int, caption: str) -> Path:
    """A recording as nginx-rtmp writes one (FLV: H.264 with a keyframe every
    2 s, AAC) of a slowly moving gradient with ``caption`` and the running
    time on it, and a quiet tone: a stand-in broadcast for the demo's
    replays. Fonts are optional: without a ``drawtext`` filter (an ffmpeg
    built without freetype) the plain gradient is made."""
    # Drawn at half the size and scaled up: as smooth (a quarter shows
    # blocks), and the gradient's per-pixel work was a third of the run.
    gradient = (
        f"gradients=s={width // 2}x{height // 2}:r=30:c0=0x1f7a4d:c1=0x9fd8a8:c2=0xf4c26b"
        f":nb_colors=3:speed=0.015,scale={width}:{height}"
    )
    text = "fontcolor=white:shadowcolor=black@0.4:shadowx=2:shadowy=2:x=(w-tw)/2"
    captioned = (
        f"{gradient},drawtext=text='{_filter_text(caption)}':{text}:fontsize={width // 13}"
        f":y=h*0.42,drawtext=text='%{{pts\\:hms}}':{text}:fontsize={width // 16}:y=h*0.5"
    )
    for video in (captioned, gradient):
        try:
            _run(
                [_tool("ffmpeg"), "-nostdin", "-y", "-v", "error",
                 "-f", "lavfi", "-i", video,
                 "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100",
                 "-t", str(seconds), "-af", "volume=0.15",
                 "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-maxrate", "900k",
                 "-bufsize", "1800k", "-pix_fmt", "yuv420p", "-profile:v", "main",
                 "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
                 "-c:a", "aac", "-b:a", "64k", "-f", "flv", str(target)],
                timeout=FRAME_TIMEOUT,
                what="the demo clip",
            )  # fmt: skip
        except MediaError:
            if video is gradient:
                raise
            continue
        break
    return target


def _filter_text(text: str) -> str:
    # drawtext's text inside single quotes in a filter graph: no quotes,
    # colons or backslashes, which would end or escape it.
    return "".join(c for c in text if c not in "'\\:%")


def peak_bandwidth(playlist: Path) -> int:
    """The highest bitrate of a segment (bits per second): what a master
    playlist's ``BANDWIDTH`` is, by the HLS spec."""
    peak = 0.0
    seconds = 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            seconds = float(line[len("#EXTINF:") :].split(",", 1)[0] or 0)
        elif line and not line.startswith("#") and seconds > 0:
            size = (playlist.parent / line).stat().st_size
            peak = max(peak, size * 8 / seconds)
            seconds = 0.0
    return int(peak)


def master_playlist(renditions: list[dict[str, Any]], prefix: str) -> str:
    """A master playlist over the renditions (``{"name", "width", "height",
    "bandwidth", "playlist"}``, best first: players start with the first),
    naming each media playlist relative to ``prefix``."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for entry in renditions:  # best first: players start with the first
        relative = str(entry["playlist"]).removeprefix(prefix)
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={entry['bandwidth']},"
            f"RESOLUTION={entry['width']}x{entry['height']}"
        )
        lines.append(relative)
    return "\n".join(lines) + "\n"
