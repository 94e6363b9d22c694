"""The public site's nginx config (issue 8, defect 6: with production settings
nothing served /media/, so every photo was a 404).

``scripts/nginx-site`` renders deploy/nginx/site.conf.template; here it passes
``nginx -t``, then runs on free ports with a throwaway certificate in front
of the production-settings server (tests/production/conftest.py): pages and
their static files (whitenoise, through the proxy), photos from MEDIA_ROOT
(images only, no sniffing, no script, cached for good), HLS from its
directory, websockets upgraded, plain HTTP redirected, ingest callbacks and
unknown host names kept out, large uploads let through to the app.

Needs nginx and openssl (skipped without them, a failure under CI=true).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from websockets.sync.client import connect
from websockets.typing import Origin

from tests import services
from tests.production.conftest import SITE_NAME, Server
from tests.production.web import Response, StaticWalk, request
from tests.services import free_port, nginx_binary, stop

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "nginx-site"
INSTALL = "apt-get install -y --no-install-recommends nginx openssl"
MEDIA_IN_PAGE = re.compile(r"""/media/[^"'\s<>()\\,]+""")

# The http block of Debian's nginx.conf, reduced to what a run of its own
# needs; the site is included as /etc/nginx/sites-enabled/ would be.
NGINX_CONF = """\
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/logs/access.log;
    client_body_temp_path {dir}/temp/client_body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    include {dir}/site.conf;
}}
"""


def require_tools() -> str:
    nginx = nginx_binary()
    if nginx is None or shutil.which("openssl") is None:
        services.unavailable(f"nginx and openssl are needed: {INSTALL}")
    assert nginx is not None
    return nginx


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={SITE_NAME}",
         "-addext", f"subjectAltName=DNS:{SITE_NAME}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def site_env(
    *, media: Path, hls: Path, cert: Path, key: Path, app: str, http: str, https: str
) -> dict[str, str]:
    return {
        **os.environ,
        "SPROUT_SITE_NAME": SITE_NAME,
        "DJANGO_MEDIA_ROOT": str(media),
        "SPROUT_NGINX_HLS_DIR": str(hls),
        "SPROUT_TLS_CERT": str(cert),
        "SPROUT_TLS_KEY": str(key),
        "SPROUT_APP_ADDR": app,
        "SPROUT_HTTP_LISTEN": http,
        "SPROUT_HTTPS_LISTEN": https,
    }


def test_the_rendered_site_config_passes_nginx_t(tmp_path: Path) -> None:
    require_tools()
    cert, key = self_signed(tmp_path)
    env = site_env(
        media=tmp_path / "media",
        hls=tmp_path / "hls",
        cert=cert,
        key=key,
        app="127.0.0.1:8000",
        http="80",
        https="443",
    )
    done = subprocess.run(
        [str(SCRIPT), "check"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stdout + done.stderr

    rendered = subprocess.run(
        [str(SCRIPT), "render"], env=env, capture_output=True, text=True, timeout=30
    ).stdout
    assert not re.findall(r"@[A-Z_]+@", rendered)
    assert f"alias {tmp_path / 'media'}/$1;" in rendered
    assert "return 301 https://$host$request_uri;" in rendered  # port 443: none in the URL


@dataclass
class PublicSite:
    url: str
    http_url: str
    tls: ssl.SSLContext
    media_root: Path
    hls_dir: Path

    def get(self, path: str, **headers: str) -> Response:
        return request(self.url, path, headers=headers, tls=self.tls)


@pytest.fixture(scope="module")
def public_site(production_server: Server) -> Iterator[PublicSite]:
    nginx = require_tools()
    # Not under pytest's private temporary directory: as root, nginx's
    # workers run as nobody, and pass through the run directory to read HLS
    # files (and MEDIA_ROOT's).
    run_dir = Path(tempfile.mkdtemp(prefix="sprout-nginx-site-"))
    media, hls = Path(settings.MEDIA_ROOT), run_dir / "hls"
    for directory in (run_dir, hls, run_dir / "logs", run_dir / "temp"):
        directory.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        for directory in (run_dir, media, hls):
            directory.chmod(0o755)
    cert, key = self_signed(run_dir)
    https_port, http_port = free_port(), free_port()
    app = production_server.url.removeprefix("http://")
    env = site_env(
        media=media,
        hls=hls,
        cert=cert,
        key=key,
        app=app,
        http=f"127.0.0.1:{http_port}",
        https=f"127.0.0.1:{https_port}",
    )
    rendered = subprocess.run(
        [str(SCRIPT), "render", str(run_dir / "site.conf")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert rendered.returncode == 0, rendered.stderr
    (run_dir / "nginx.conf").write_text(NGINX_CONF.format(dir=run_dir))
    error_log = run_dir / "logs" / "error.log"
    process = subprocess.Popen(
        [nginx, "-e", str(error_log), "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    tls = ssl.create_default_context(cafile=str(cert))
    site = PublicSite(
        url=f"https://{SITE_NAME}:{https_port}",
        http_url=f"http://{SITE_NAME}:{http_port}",
        tls=tls,
        media_root=media,
        hls_dir=hls,
    )
    try:
        deadline = time.monotonic() + 20
        while not listening(https_port) or not listening(http_port):
            if process.poll() is not None or time.monotonic() > deadline:
                errors = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"nginx did not start:\n{errors}\n{error_log.read_text()}")
            time.sleep(0.1)
        yield site
    finally:
        stop(process)
        shutil.rmtree(run_dir, ignore_errors=True)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_note_page_its_static_files_and_its_photos_come_through_nginx(
    public_site: PublicSite, content: dict[str, str]
) -> None:
    page = public_site.get(f"/n/{content['note']}/")
    assert page.status == 200
    assert page.header("Strict-Transport-Security")  # Django saw https

    walk = StaticWalk(fetch=public_site.get)
    assert walk.page("the note page", page.text)
    assert walk.problems == []

    photos = sorted(set(MEDIA_IN_PAGE.findall(page.text)))
    assert any(url.endswith(".webp") for url in photos), photos
    for url in photos:
        served = public_site.get(url)
        assert served.status == 200, url
        assert served.header("Content-Type") in {"image/jpeg", "image/webp", "image/png"}, url
        assert served.header("X-Content-Type-Options") == "nosniff"
        assert "default-src 'none'" in served.header("Content-Security-Policy")
        assert "sandbox" in served.header("Content-Security-Policy")
        assert served.header("Cache-Control") == "public, max-age=31536000, immutable"
        assert served.body == (public_site.media_root / url.removeprefix("/media/")).read_bytes()


@pytest.mark.postgres
@pytest.mark.django_db
def test_media_serves_images_only(public_site: PublicSite) -> None:
    planted = public_site.media_root / "planted"
    planted.mkdir(exist_ok=True)
    for name in ("page.html", "drawing.svg", "script.js", "photo.jpg.html"):
        (planted / name).write_text("<script>alert(1)</script>")
    (planted / "lying.png").write_text("<html><script>alert(1)</script></html>")

    for name in ("page.html", "drawing.svg", "script.js", "photo.jpg.html"):
        assert public_site.get(f"/media/planted/{name}").status == 404, name
    assert public_site.get("/media/planted/missing.jpg").status == 404
    assert public_site.get("/media/../config/settings/base.py").status in {400, 404}
    # A file that lies about its type is still served as an image, never run.
    lying = public_site.get("/media/planted/lying.png")
    assert lying.header("Content-Type") == "image/png"
    assert lying.header("X-Content-Type-Options") == "nosniff"
    assert "sandbox" in lying.header("Content-Security-Policy")


@pytest.mark.postgres
@pytest.mark.django_db
def test_replays_are_served_as_video_with_byte_ranges(public_site: PublicSite) -> None:
    replay = public_site.media_root / "replays" / "tok3n" / "src"
    replay.mkdir(parents=True, exist_ok=True)
    (replay / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (replay / "seg00000.ts").write_bytes(b"\x47" * 188 * 4)
    (replay.parent / "preview.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 100)
    (replay.parent / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (replay / "notes.html").write_text("<script>alert(1)</script>")

    playlist = public_site.get("/media/replays/tok3n/src/index.m3u8")
    assert playlist.status == 200 and playlist.body.endswith(b"#EXT-X-ENDLIST\n")
    assert playlist.header("Content-Type") == "application/vnd.apple.mpegurl"
    assert playlist.header("Cache-Control") == "no-cache"
    assert playlist.header("X-Content-Type-Options") == "nosniff"
    segment = public_site.get("/media/replays/tok3n/src/seg00000.ts", Range="bytes=188-375")
    assert segment.status == 206 and segment.body == b"\x47" * 188
    assert segment.header("Content-Type") == "video/mp2t"
    assert segment.header("Cache-Control") == "public, max-age=86400"
    assert public_site.get("/media/replays/tok3n/preview.mp4").header("Content-Type") == (
        "video/mp4"
    )
    assert public_site.get("/media/replays/tok3n/poster.jpg").header("Content-Type") == (
        "image/jpeg"
    )
    # Anything else under replays/ is not served.
    assert public_site.get("/media/replays/tok3n/src/notes.html").status == 404
    assert public_site.get("/media/replays/tok3n/src/missing.ts").status == 404


@pytest.mark.postgres
@pytest.mark.django_db
def test_hls_is_served_from_its_directory_with_playlists_never_cached(
    public_site: PublicSite,
) -> None:
    (public_site.hls_dir / "room-abc.m3u8").write_text("#EXTM3U\n")
    (public_site.hls_dir / "room-abc-1.ts").write_bytes(b"\x47" * 188)

    playlist = public_site.get("/hls/room-abc.m3u8")
    assert playlist.status == 200 and playlist.body == b"#EXTM3U\n"
    assert playlist.header("Content-Type") == "application/vnd.apple.mpegurl"
    assert playlist.header("Cache-Control") == "no-cache"
    fragment = public_site.get("/hls/room-abc-1.ts")
    assert fragment.header("Content-Type") == "video/mp2t"
    assert fragment.header("Cache-Control") == "public, max-age=60"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_live_room_websocket_upgrades_through_nginx(
    public_site: PublicSite, content: dict[str, str]
) -> None:
    uri = public_site.url.replace("https://", "wss://") + f"/ws/live/{content['room']}/"
    with connect(uri, ssl=public_site.tls, origin=Origin(public_site.url), open_timeout=20) as ws:
        hello = json.loads(ws.recv(timeout=20))
    assert hello["type"] == "hello"


@pytest.mark.postgres
@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(public_site: PublicSite) -> None:
    answer = request(public_site.http_url, "/n/1/?from=mail")
    assert answer.status == 301
    assert answer.header("Location") == f"{public_site.url}/n/1/?from=mail"


@pytest.mark.postgres
@pytest.mark.django_db
def test_ingest_callbacks_are_not_routed_to_the_app(public_site: PublicSite) -> None:
    answer = request(
        public_site.url,
        "/live/ingest/publish",
        method="POST",
        body=b"call=publish&name=k",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        tls=public_site.tls,
    )
    assert answer.status == 404
    assert b"forbidden" not in answer.body  # Django's refusal: it never got there


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_upload_larger_than_nginxs_default_limit_reaches_the_app(
    public_site: PublicSite,
) -> None:
    # nginx's default client_max_body_size (1 MB) would refuse most photos.
    answer = request(
        public_site.url,
        "/api/v1/notes/",
        method="POST",
        body=b"x" * (3 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
        tls=public_site.tls,
    )
    assert answer.header("Content-Type") == "application/json", answer.status
    assert "error" in json.loads(answer.body)


@pytest.mark.postgres
@pytest.mark.django_db
def test_other_host_names_never_reach_the_app(public_site: PublicSite) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        request(public_site.http_url, "/", server_name="evil.example")
    port = int(public_site.url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises(ssl.SSLError),
    ):
        public_site.tls.wrap_socket(raw, server_hostname="evil.example")
