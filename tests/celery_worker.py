"""A real Celery worker for the tests whose behaviour depends on one.

The worker is a separate process (``celery -A config worker``) talking to the
test run's Redis broker and to the very test database pytest-django created,
on a queue of its own so concurrent runs never share tasks. Tests that use it
must commit their data: mark them ``django_db(transaction=True)``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.services import shared_database_url

READY_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start one worker for the session, on a queue of its own: (the
    process, its queue)."""
    queue = f"sprout-test-{uuid.uuid4().hex[:8]}"
    log_path = Path(tmp_path_factory.mktemp("celery")) / "worker.log"
    with django_db_blocker.unblock():
        database_url = shared_database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SPROUT_CELERY_QUEUE": queue,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    hostname = f"{queue}@%h"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    try:
        yield process, queue
    finally:
        process.terminate()  # warm shutdown: finishes the task at hand
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def celery_worker(
    celery_worker_process: tuple[subprocess.Popen[bytes], str],
) -> Iterator[subprocess.Popen[bytes]]:
    """The session's worker, for this test: tasks it sends go to the worker;
    the tests after it are eager again (a task enqueued on commit by a later
    test must not run in the worker while that test's data is flushed)."""
    process, queue = celery_worker_process
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
