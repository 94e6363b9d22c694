"""scripts/nginx-rtmp's rendered config: recording (in ``show`` without ABR,
in ``abr`` with it) and ABR's exec_push and master playlist, rendered from
Django's settings, pass ``nginx -t``; the record directory is made and
named in the run directory's ``paths``.

As root in a checkout under a private directory (root's home, ``mktemp
-d``): nginx's workers (user nobody) cannot reach the run directory's HLS
and record folders, so the script writes them to folders of the checkout's
own under $TMPDIR instead of refusing to start, and says so.

Needs nginx and libnginx-mod-rtmp (``config`` runs ``nginx -t``; skipped
without them, a failure under CI=true); the private-checkout tests need root
(only root's workers switch to nobody)."""

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


TINY = "180p=320x180@300,90p=160x90@100"


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "config"],
        env={
            **os.environ,
            "SPROUT_LIVE_INGEST_SECRET": "script-test-secret",
            "SPROUT_LIVE_ABR": "off",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=30,
    )


def require_nginx() -> None:
    if test_services.nginx_binary() is None or not os.path.exists(MODULE):
        test_services.unavailable(f"nginx with the RTMP module is not installed: {INSTALL}")


def require_root_and_nginx() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root's nginx workers run as nobody")
    require_nginx()


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
    record_dir = Path(paths(run_dir)["record_dir"])
    assert record_dir.parent == tmpdir and record_dir.name.startswith("sprout-rec-")
    assert f"Recording goes to {record_dir}" in done.stdout
    assert record_dir.owner() == "nobody"
    assert f"record_path {record_dir};" in (run_dir / "nginx.conf").read_text()


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


def without_comments(conf: str) -> str:
    return "\n".join(line.split("#", 1)[0].rstrip() for line in conf.splitlines())


def application(conf: str, name: str) -> str:
    """The text of ``application <name> { ... }`` in a rendered config."""
    start = conf.index(f"application {name} {{")
    return conf[start : conf.index("\n        }", start)]


def test_without_abr_show_records_and_there_is_no_transcoding(scratch: Path) -> None:
    require_nginx()
    scratch.chmod(0o755)  # mkdtemp's 700 would send everything to $TMPDIR as root
    run_dir = scratch / "run"

    done = config({"SPROUT_NGINX_DIR": str(run_dir)})

    assert done.returncode == 0, done.stdout + done.stderr
    conf = without_comments((run_dir / "nginx.conf").read_text())
    record_dir = run_dir / "rec"
    assert paths(run_dir)["record_dir"] == str(record_dir) and record_dir.is_dir()
    assert paths(run_dir)["abr"] == "off"
    show = application(conf, "show")
    assert "record all;" in show and f"record_path {record_dir};" in show
    assert "record_unique on;" in show
    assert "on_record_done http://127.0.0.1:" in show and "/live/ingest/record-done;" in show
    assert "record" not in application(conf, "ingest").replace("record off;", "")
    assert "exec_push" not in conf and "application abr" not in conf
    assert "hls_variant" not in conf


def test_with_abr_show_transcodes_into_abr_which_records_and_lists_the_renditions(
    scratch: Path,
) -> None:
    require_nginx()
    scratch.chmod(0o755)  # mkdtemp's 700 would send everything to $TMPDIR as root
    run_dir = scratch / "run"

    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_LIVE_ABR": "on",
                   "SPROUT_LIVE_ABR_RENDITIONS": TINY})  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    conf = (run_dir / "nginx.conf").read_text()
    info = paths(run_dir)
    assert info["abr"] == "on"
    log = Path(info["abr_log"])
    assert log.parent == run_dir / "logs" / "ffmpeg" and log.parent.is_dir()
    show, abr = application(conf, "show"), application(conf, "abr")
    # Recorded where the names are public, once: in abr, every rendition.
    assert "record" not in show and "record all;" in abr
    assert f"record_path {info['record_dir']};" in abr
    assert "/live/ingest/record-done;" in abr
    # One ffmpeg per broadcast, by absolute path, its errors in the log.
    push = next(line.strip() for line in show.splitlines() if "exec_push" in line)
    assert push.startswith('exec_push /bin/sh -c "exec /')
    ffmpeg = push.split()[4]
    assert os.path.isabs(ffmpeg) and ffmpeg.endswith("/ffmpeg")
    assert f"2>>'{log}'" in push
    assert "/show/${name}'" in push
    for rendition in ("src", "180p", "90p"):
        assert f"/abr/${{name}}_{rendition}'" in push
    assert "scale=320:180" in push and "scale=160:90" in push
    assert show.index("allow play 127.0.0.1;") < show.index("deny play all;")
    assert [line.strip() for line in abr.splitlines() if "hls_variant" in line] == [
        "hls_variant _src BANDWIDTH=4128000;",
        "hls_variant _180p BANDWIDTH=364000,RESOLUTION=320x180;",
        "hls_variant _90p BANDWIDTH=164000,RESOLUTION=160x90;",
    ]
    assert f"hls_path {info['hls_dir']}/abr;" in abr and "hls_nested on;" in abr
    assert "allow publish 127.0.0.1;" in abr and "deny play all;" in abr


def test_the_record_dir_setting_is_used_and_must_agree_with_djangos(scratch: Path) -> None:
    require_nginx()
    scratch.chmod(0o755)  # mkdtemp's 700 would send everything to $TMPDIR as root
    run_dir, chosen = scratch / "run", scratch / "recordings"

    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_NGINX_RECORD_DIR": str(chosen)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert paths(run_dir)["record_dir"] == str(chosen) and chosen.is_dir()

    # Django's SPROUT_LIVE_RECORD_DIR is the default, and a different one is refused.
    django_dir = scratch / "django-recordings"
    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_LIVE_RECORD_DIR": str(django_dir)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert paths(run_dir)["record_dir"] == str(django_dir)
    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_LIVE_RECORD_DIR": str(django_dir),
                   "SPROUT_NGINX_RECORD_DIR": str(chosen)})  # fmt: skip
    assert done.returncode != 0
    assert "Django would refuse every recording" in done.stderr


def test_bad_abr_settings_stop_the_render(scratch: Path) -> None:
    require_nginx()
    scratch.chmod(0o755)
    done = config({"SPROUT_NGINX_DIR": str(scratch / "run"), "SPROUT_LIVE_ABR": "on",
                   "SPROUT_LIVE_ABR_RENDITIONS": "180p=321x180@300"})  # fmt: skip
    assert done.returncode != 0
    assert "must be even" in done.stderr
    assert not (scratch / "run" / "nginx.conf").exists()


def test_as_root_the_record_group_may_remove_recordings(scratch: Path) -> None:
    require_root_and_nginx()
    scratch.chmod(0o755)
    run_dir = scratch / "run"

    done = config({"SPROUT_NGINX_DIR": str(run_dir), "SPROUT_NGINX_RECORD_GROUP": "daemon"})

    assert done.returncode == 0, done.stdout + done.stderr
    record_dir = Path(paths(run_dir)["record_dir"])
    assert record_dir.owner() == "nobody" and record_dir.group() == "daemon"
    assert record_dir.stat().st_mode & 0o7777 == 0o2775
