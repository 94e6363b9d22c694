"""Celery beat, as production runs it: a real ``celery beat`` process with
django-celery-beat's database scheduler sends a due periodic task, and the
real worker runs it. (django-celery-beat 2.1 could not even save a crontab
in the admin under Django 6; this is the proof the upgrade runs the
scheduler itself, not only its models.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from community.models import Photo
from config.celery import app as celery_app
from tests.factories import PhotoFactory
from tests.services import shared_database_url, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def beat(celery_worker: subprocess.Popen[bytes], tmp_path: Path) -> Iterator[Path]:
    """A beat process on the test database, sending to the worker's queue."""
    log_path = tmp_path / "beat.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SPROUT_CELERY_QUEUE": celery_app.conf.task_default_queue,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "beat",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval", "1", "--pidfile=", "--loglevel", "INFO",
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )  # fmt: skip
        try:
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_beat_sends_a_due_periodic_task_and_the_worker_runs_it(beat: Path) -> None:
    photo = PhotoFactory()  # made directly: no render task was ever sent
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(hours=1))
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="test: render stale photos",
        task="community.tasks.rerender_stale_photos",
        interval=every_second,
    )

    wait_for(
        lambda: Photo.objects.filter(pk=photo.pk).exclude(renditions={}).exists(),
        timeout=45,
        what=f"beat to send the sweep and the worker to run it; beat said:\n{_tail(beat)}",
    )
    assert "Sending due task test: render stale photos" in beat.read_text()


def _tail(path: Path) -> str:
    return path.read_text()[-3000:] if path.exists() else "(no log)"
