"""The site as production runs it, once per test run: ``collectstatic`` with
``config.settings.production`` (whitenoise's manifest storage) into a
temporary STATIC_ROOT, then uvicorn serving ``config.asgi`` with those
settings (``tests.production.settings``: plus one failing URL) against the
PostgreSQL test database, which the tests fill through the ORM."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from community import services as community_services
from community.models import Photo
from live import services as live_services
from tests import services
from tests.factories import HostFactory, NoteFactory, PhotoFactory, UserFactory, jpeg_bytes
from tests.production.web import Response, request
from tests.services import free_port, shared_database_url, stop

ROOT = Path(__file__).resolve().parents[2]
SITE_NAME = "localhost"
# Stays out of the environment the tests hand to production processes.
_OURS = ("DJANGO_", "SPROUT_", "CELERY_")
_ALSO_OURS = {"DATABASE_URL", "REDIS_URL", "DATABASE_CONN_MAX_AGE"}


def production_env(**values: str) -> dict[str, str]:
    """This process's environment without Sprout's and Django's settings,
    plus what production requires and ``values``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_OURS) and key not in _ALSO_OURS
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "prod-site-test-" + "Kq7!x" * 10,
        "DJANGO_ALLOWED_HOSTS": SITE_NAME,
        "PYTHONUNBUFFERED": "1",
        **values,
    }


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """STATIC_ROOT filled by ``collectstatic`` under production settings,
    as a deployment does it (once per test run)."""
    root = tmp_path_factory.mktemp("production-static")
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        # Production settings require a database URL; collectstatic never opens it.
        env=production_env(
            DATABASE_URL="postgres://sprout@db.invalid:5432/sprout", DJANGO_STATIC_ROOT=str(root)
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        "collectstatic fails under production settings:\n" + done.stdout[-3000:] + done.stderr
    )
    assert (root / "staticfiles.json").exists()
    return root


@dataclass
class Server:
    """uvicorn with production settings. Requests go to it as nginx sends
    them: over loopback, ``X-Forwarded-Proto: https``."""

    url: str
    log: Path

    def get(self, path: str, **headers: str) -> Response:
        return request(
            self.url, path, headers={"X-Forwarded-Proto": "https", **headers}, server_name=SITE_NAME
        )

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_until_up(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn did not start:\n{server.log_tail()}")
        try:
            server.get("/login")
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"uvicorn did not answer in 60 s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def production_server(
    static_root: Path, django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    if not services.on_postgres():
        services.unavailable("needs PostgreSQL: run it in the PostgreSQL pass (make test-postgres)")
    port = free_port()
    log = tmp_path_factory.mktemp("production-server") / "uvicorn.log"
    server = Server(url=f"http://127.0.0.1:{port}", log=log)
    env = production_env(
        DJANGO_SETTINGS_MODULE="tests.production.settings",
        DATABASE_URL=shared_database_url(),
        # No connection outlives a request: the test database is flushed
        # between tests and dropped at the end.
        DATABASE_CONN_MAX_AGE="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            # As README.md's production section runs it.
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port),
             "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--lifespan", "off",
             "--ws-per-message-deflate", "false"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_up(server, process)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="module")
def content(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """A note whose photo has its renditions, its author's profile, a live
    room; made once for the module (the tests only read, over HTTP) and
    gone after it: the database is flushed and what the migrations put in
    it (the Moderators group, the gift catalog) comes back, so that the
    tests after these find the database as the migrations left it."""
    with django_db_blocker.unblock():
        migrated = connection.creation.serialize_db_to_string()
        author = UserFactory()
        note = NoteFactory(author=author, photos=0)
        photo = PhotoFactory(
            note=note,
            owner=author,
            original=ContentFile(jpeg_bytes(640, 480), name="production.jpg"),
        )
        community_services.photo_render(photo_id=photo.pk)
        assert Photo.objects.get(pk=photo.pk).renditions
        room = live_services.room_create(host=HostFactory(), title="Tea time")
    yield {"note": str(note.pk), "user": author.username, "room": str(room.pk)}
    with django_db_blocker.unblock():
        # Without post_migrate: the content types and permissions come back
        # with the rest, under the ids the migrations gave them.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(migrated)
        # The flush restarted the id sequences; the rows came back with their
        # ids, so the sequences move past them (PostgreSQL; SQLite needs none).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                cursor.execute(sql)
