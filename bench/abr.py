"""ABR benchmark: the CPU one live broadcast costs with ABR on, per rendition.

A 720p30 H.264 + AAC source (lavfi ``testsrc``, 3 Mb/s, 2-second keyframes,
as the room page asks hosts to send) is made once; then ffmpeg runs on it at
real time (``-re``), as nginx-rtmp's ``exec_push`` runs it, writing FLV to
/dev/null:

- ``decode``: reading and decoding the source alone (paid once per broadcast);
- ``src``: the copied source (``live.abr.copy_args``);
- each configured rendition (``SPROUT_LIVE_ABR_RENDITIONS``), encoded with
  ``live.abr.encode_args`` exactly as ``exec_push`` does (decoding included;
  the table shows the encode alone too);
- ``broadcast``: the whole ``exec_push`` command, source copy and every
  rendition from one decode: what one ABR broadcast costs.

CPU is the child's own rusage (user + system) per second of media: the cores
it takes to keep up with real time; speed is ffmpeg's own (below 1x: it fell
behind).
From the broadcast's figure: how many ABR broadcasts fit this machine and a
``SPROUT_LIVE_ABR_MIN_CORES`` machine at half their CPU (the other half for
the site, nginx and the Celery worker that makes replays). docs/live-video.md
reads these figures. ``testsrc`` is easy to encode; camera video costs more
(``--source testsrc2`` is busier).

Goals (issue 14): the broadcast keeps up with real time here (>= 0.95x),
and at least 2 fit the half of a SPROUT_LIVE_ABR_MIN_CORES machine (auto's
threshold is sized from this). Exit 1 when a goal is missed, 2 without
ffmpeg.

    .venv/bin/python bench/abr.py [--seconds 10] [--renditions 720p=1280x720@2800,...]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench.common import record  # noqa: E402
from live import abr  # noqa: E402

GOAL_SPEED = 0.95
GOAL_FIT = 2
SHARE = 0.5  # of a machine's cores, for transcoding


@dataclass(frozen=True)
class Measured:
    name: str
    what: str
    cores: float  # CPU seconds (user + system) per media second
    speed: float  # ffmpeg's own speed at the end: media time / its elapsed time


def make_source(path: Path, *, seconds: int, pattern: str) -> None:
    subprocess.run(
        [abr.ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", f"{pattern}=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-profile:v", "main", "-b:v", "3000k", "-maxrate", "3000k", "-bufsize", "6000k",
         "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
         "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(path)],
        check=True,
        timeout=300,
    )  # fmt: skip


def run(name: str, what: str, source: Path, outputs: list[str], *, seconds: int) -> Measured:
    """ffmpeg at real time on ``source`` with ``outputs``: its own rusage
    per media second (the cores it needs to keep up), and the speed it
    reports (below 1x: it fell behind)."""
    command = [abr.ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-nostdin", "-nostats",
               "-progress", "pipe:1", "-re", "-i", str(source), *outputs]  # fmt: skip
    with tempfile.TemporaryFile() as progress:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=progress)
        _, status, usage = os.wait4(child.pid, 0)
        progress.seek(0)
        lines = progress.read().decode(errors="replace").splitlines()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"ffmpeg failed ({code}) for {name}: {' '.join(command)}")
    speeds = [
        line.split("=", 1)[1].strip().rstrip("x") for line in lines if line.startswith("speed=")
    ]
    speed = float(speeds[-1]) if speeds and speeds[-1] not in ("", "N/A") else 0.0
    return Measured(name, what, (usage.ru_utime + usage.ru_stime) / seconds, speed)


def to_null(args: list[str]) -> list[str]:
    return [*args, "-f", "flv", "-y", os.devnull]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="media seconds per run (10)")
    parser.add_argument(
        "--renditions",
        default=str(settings.SPROUT_LIVE_ABR_RENDITIONS),
        help="name=WxH@KBPS,... (default: SPROUT_LIVE_ABR_RENDITIONS)",
    )
    parser.add_argument("--source", default="testsrc", help="lavfi pattern (testsrc, testsrc2)")
    options = parser.parse_args()
    if shutil.which(abr.ffmpeg_binary()) is None:
        print("ffmpeg is not installed: apt-get install -y ffmpeg", file=sys.stderr)
        return 2
    renditions = abr.renditions_parse(options.renditions)
    seconds = options.seconds
    cores = os.cpu_count() or 1
    min_cores = int(settings.SPROUT_LIVE_ABR_MIN_CORES)

    with tempfile.TemporaryDirectory(prefix="sprout-bench-abr-") as tmp:
        source = Path(tmp) / "source.flv"
        make_source(source, seconds=seconds, pattern=options.source)
        decode_only = ["-map", "0:v:0", "-map", "0:a:0?", "-f", "null", "-"]
        decode = run("decode", "read + decode the source", source, decode_only, seconds=seconds)
        copy = run("src", "copy (no encode)", source, to_null(abr.copy_args()), seconds=seconds)
        rows = [decode, copy]
        for rendition in renditions:
            what = f"{rendition.width}x{rendition.height} @ {rendition.video_kbps} kb/s"
            outputs = to_null(abr.encode_args(rendition))
            rows.append(run(rendition.name, what, source, outputs, seconds=seconds))
        everything = to_null(abr.copy_args())
        for rendition in renditions:
            everything += to_null(abr.encode_args(rendition))
        what = "src + every rendition, one decode (exec_push)"
        whole = run("broadcast", what, source, everything, seconds=seconds)

    print(f"ABR cost on this machine ({cores} cores), {seconds} s of 720p30 {options.source}, -re")
    print()
    print("| run | what | CPU (cores) | encode alone (cores) | speed |")
    print("| --- | --- | --- | --- | --- |")
    for row in [*rows, whole]:
        alone = row.cores - decode.cores if row.name not in ("decode", "src", "broadcast") else None
        shown = f"{alone:.2f}" if alone is not None else "-"
        print(f"| {row.name} | {row.what} | {row.cores:.2f} | {shown} | {row.speed:.2f}x |")
        if row.name not in ("decode", "broadcast"):
            detail = f"{row.what}; decode {decode.cores:.2f} cores"
            record(
                f"abr.{row.name}.cores",
                row.cores,
                goal="measured",
                met=True,
                unit="cores",
                detail=detail,
            )
    here = math.floor(cores * SHARE / whole.cores) if whole.cores else 0
    fit = math.floor(min_cores * SHARE / whole.cores) if whole.cores else 0
    print()
    print(f"one ABR broadcast: {whole.cores:.2f} cores at {whole.speed:.2f}x real time")
    print(f"ABR broadcasts in half of this machine ({cores} cores): {here}")
    print(f"ABR broadcasts in half of SPROUT_LIVE_ABR_MIN_CORES={min_cores} cores: {fit}")
    speed_met, fit_met = whole.speed >= GOAL_SPEED, fit >= GOAL_FIT
    record(
        "abr.broadcast.speed",
        whole.speed,
        unit="x",
        goal=f">= {GOAL_SPEED}x real time",
        met=speed_met,
        detail=f"{whole.cores:.2f} cores on {cores}",
    )
    record(
        "abr.broadcast.fit",
        fit,
        unit="broadcasts",
        goal=f">= {GOAL_FIT}",
        met=fit_met,
        detail=f"{whole.cores:.2f} cores each; {here} in half of this machine",
    )
    return 0 if speed_met and fit_met else 1


if __name__ == "__main__":
    sys.exit(main())
