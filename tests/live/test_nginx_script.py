"""scripts/nginx-rtmp as root in a checkout under a private directory (root's
home, ``mktemp -d``): nginx's workers (user nobody) cannot reach the run
directory's HLS folder, so the script writes HLS to a folder of the
checkout's own under $TMPDIR instead of refusing to start, and says so.

Needs nginx and libnginx-mod-rtmp (``config`` runs ``nginx -t``; skipped
without them, a failure under CI=true) and root (only root's workers switch
to nobody)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import services as test_services

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "nginx-rtmp"
MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
INSTALL = "apt-get install -y --no-install-recommends nginx libnginx-mod-rtmp"


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="sprout-nginx-script-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "config"],
        env={**os.environ, "SPROUT_LIVE_INGEST_SECRET": "script-test-secret", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def require_root_and_nginx() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root's nginx workers run as nobody")
    nginx = shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)
    if not nginx or not os.path.exists(MODULE):
        test_services.unavailable(f"nginx with the RTMP module is not installed: {INSTALL}")


def paths(run_dir: Path) -> dict[str, str]:
    lines = (run_dir / "paths").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_as_root_a_private_checkout_writes_hls_under_tmpdir(scratch: Path) -> None:
    require_root_and_nginx()
    private = scratch / "home"
    private.mkdir(mode=0o700)
    run_dir = private / "checkout" / ".run" / "nginx"
    tmpdir = scratch / "tmp"
    tmpdir.mkdir(mode=0o755)
    tmpdir.chmod(0o755)
    scratch.chmod(0o755)

    done = config({"SPROUT_NGINX_DIR": str(run_dir), "TMPDIR": str(tmpdir)})

    assert done.returncode == 0, done.stdout + done.stderr
    hls_dir = Path(paths(run_dir)["hls_dir"])
    assert hls_dir.parent == tmpdir
    assert hls_dir.name.startswith("sprout-hls-")
    assert f"HLS goes to {hls_dir}" in done.stdout
    assert hls_dir.owner() == "nobody"
    assert f"hls_path {hls_dir};" in (run_dir / "nginx.conf").read_text()


def test_an_hls_dir_the_developer_chose_is_not_moved(scratch: Path) -> None:
    require_root_and_nginx()
    private = scratch / "home"
    private.mkdir(mode=0o700)
    scratch.chmod(0o755)
    run_dir = scratch / "run"

    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_NGINX_HLS_DIR": str(private / "hls")})

    assert done.returncode != 0
    assert "is not reachable by nginx's workers" in done.stderr
    assert "Set SPROUT_NGINX_HLS_DIR" in done.stderr
