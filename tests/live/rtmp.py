"""nginx-rtmp for real-broadcast tests: started by ``scripts/nginx-rtmp`` on
free ports with its callbacks going to pytest-django's live server; a test
publisher (ffmpeg); and the checks that the stream key went nowhere.

Needs nginx, libnginx-mod-rtmp and ffmpeg: :func:`require_tools` skips
without them (a failure under CI=true)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import services as test_services
from tests.services import free_port, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "nginx-rtmp"
MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
SECRET = "rtmp-test-secret"
INSTALL = "apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp ffmpeg"


def require_tools() -> None:
    missing = [
        what
        for what, there in (
            ("nginx", nginx_binary() is not None),
            ("the nginx RTMP module", os.path.exists(MODULE)),
            ("ffmpeg", shutil.which("ffmpeg") is not None),
            ("ffprobe", shutil.which("ffprobe") is not None),
        )
        if not there
    ]
    if missing:
        test_services.unavailable(
            f"nginx with the RTMP module is not installed ({', '.join(missing)} missing): {INSTALL}"
        )


@dataclass
class Ingest:
    rtmp_port: int
    hls_port: int
    run_dir: Path
    paths: dict[str, str]

    @property
    def hls_dir(self) -> Path:
        return Path(self.paths["hls_dir"])

    @property
    def record_dir(self) -> Path:
        return Path(self.paths["record_dir"])

    def ffmpeg(self, key: str, *, seconds: int) -> subprocess.Popen[bytes]:
        """TOOLCHAIN.md's test publisher: 2-second keyframes, H.264 + AAC."""
        return subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
             "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine",
             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
             "-profile:v", "main", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
             "-c:a", "aac", "-t", str(seconds),
             "-f", "flv", f"rtmp://127.0.0.1:{self.rtmp_port}/ingest/{key}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def fetch(self, path: str) -> tuple[int, dict[str, str], bytes]:
        url = f"http://127.0.0.1:{self.hls_port}/hls/{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()


@contextmanager
def running_ingest(live_server: Any, **env: str) -> Iterator[Ingest]:
    """nginx-rtmp on free ports, calling back ``live_server``; ``env`` adds
    to the script's environment (``SPROUT_LIVE_ABR``...)."""
    require_tools()
    run_dir = Path(tempfile.mkdtemp(prefix="sprout-nginx-"))
    rtmp_port, hls_port = free_port(), free_port()
    full_env = {
        **os.environ,
        "SPROUT_NGINX_DIR": str(run_dir),
        "SPROUT_RTMP_PORT": str(rtmp_port),
        "SPROUT_HLS_PORT": str(hls_port),
        "SPROUT_LIVE_CALLBACK_URL": f"http://127.0.0.1:{live_server.url.rsplit(':', 1)[1]}",
        "SPROUT_LIVE_INGEST_SECRET": SECRET,
        "SPROUT_NGINX_UPDATE_SECONDS": "2",
        **env,
    }
    started = subprocess.run(
        [str(SCRIPT), "start"], env=full_env, capture_output=True, text=True, timeout=30
    )
    assert started.returncode == 0, started.stdout + started.stderr
    lines = (run_dir / "paths").read_text().splitlines()
    ingest = Ingest(rtmp_port, hls_port, run_dir, dict(line.split("=", 1) for line in lines))
    try:
        yield ingest
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=full_env, capture_output=True, timeout=30)
        for directory in (run_dir, ingest.hls_dir, ingest.record_dir):
            shutil.rmtree(directory, ignore_errors=True)


def files_holding(directory: Path, secret: str) -> list[str]:
    """Files under ``directory`` whose name or content holds ``secret``."""
    found = []
    for path in directory.rglob("*"):
        if secret in path.name or (path.is_file() and secret.encode() in path.read_bytes()):
            found.append(str(path))
    return found


def stop(publisher: subprocess.Popen[bytes]) -> None:
    if publisher.poll() is None:
        publisher.kill()
        publisher.wait()
