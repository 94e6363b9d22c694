"""Static files under production settings (issue 8, defect 2).

``collectstatic`` with ``config.settings.production`` failed (whitenoise's
manifest storage could not find ``hls.min.js.map``, named by the vendored
hls.js), and without its manifest every page, the API docs, the admin and
the 500 page answered 500; ``check --deploy`` cannot see it. So: a real
``collectstatic`` with production settings, then real pages from uvicorn with
those settings (DEBUG off, manifest storage), each answering its status
with every static file it names served under its hashed name, and the files
those name (CSS ``url()``, module imports, source maps) too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.http_errors import BARE_500, handler500
from tests.production.conftest import Server
from tests.production.urls import FAULT_PATH
from tests.production.web import Response, StaticWalk

# (name, path, status); {note}, {room} and {user} are filled in per test.
PAGES = [
    ("discover", "/", 200),
    ("note", "/n/{note}/", 200),
    ("profile", "/u/{user}/", 200),
    ("login", "/login", 200),
    ("signup", "/signup", 200),
    ("live room", "/live/{room}/", 200),
    ("API docs", "/api/docs/", 200),
    ("admin login", "/admin/login/", 200),
    ("not found", "/no-such-page/", 404),
    ("server error", f"/{FAULT_PATH}", 500),
]

# Static files answered once per run: pages share most of them.
_fetched: dict[str, Response] = {}


def test_collectstatic_with_production_settings_hashes_every_file(static_root: Path) -> None:
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ("css/base.css", "js/app.js", "vendor/htmx.min.js", "vendor/hls.js/hls.min.js"):
        assert name in manifest, f"{name} is not in the manifest"
        assert (static_root / manifest[name]).is_file()
    hls = (static_root / manifest["vendor/hls.js/hls.min.js"]).read_text()
    # The source map it names was collected and rewritten to its hashed name.
    assert f"sourceMappingURL={Path(manifest['vendor/hls.js/hls.min.js.map']).name}" in hls


@pytest.mark.postgres
# Declares the database (pytest-django creates it only for tests that do);
# the rows come from ``content``, committed for the server to read.
@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_under_production_settings_with_its_static_files(
    production_server: Server, content: dict[str, str], name: str, path: str, status: int
) -> None:
    page = production_server.get(path.format(**content))

    assert page.status == status, f"{name} answered {page.status}:\n{production_server.log_tail()}"
    assert page.header("Content-Type").startswith("text/html")
    if status == 500:
        # The site's own 500 page, not the bare fallback of a broken one.
        assert "Something went wrong on our side" in page.text
        assert page.text != BARE_500
    walk = StaticWalk(fetch=production_server.get, seen=_fetched)
    found = walk.page(name, page.text)
    assert found, f"{name} names no static file at all"
    assert walk.problems == []


def test_the_500_page_is_still_a_page_when_its_static_files_are_missing(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    request = RequestFactory().get("/somewhere")
    request.user = AnonymousUser()
    assert "oops-title" in handler500(request).content.decode()

    # A deployment that skipped (or failed) collectstatic: no manifest.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with caplog.at_level(logging.ERROR, logger="sprout.api"):
        response = handler500(request)

    assert response.status_code == 500
    assert response.content.decode() == BARE_500
    assert "The 500 page could not be rendered" in caplog.text
