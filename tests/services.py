"""Which outside services this test run has, and what to do when one is
missing: skip with a clear reason on a developer's machine, fail under CI
(``CI=true``), where a missing service means the run proves nothing. And
what tests that start processes of their own (a Celery worker, a second
server, nginx) need to give them: a free port, the test database's URL,
a way to wait for them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import connection

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TEST_PASS = os.environ.get("SPROUT_TEST_PASS", "sqlite")
CHROMIUM = os.environ.get("SPROUT_CHROMIUM", "/usr/bin/chromium")


def unavailable(reason: str) -> None:
    """Skip (or, under CI, fail) the current test because a service is missing."""
    if CI:
        pytest.fail(f"CI=true and a required service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def on_postgres() -> bool:
    return database_url().startswith(("postgres://", "postgresql://"))


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def chromium_path() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now.

    The process the port is for binds it a moment later, so under
    pytest-xdist each worker takes its ports from its own share (worker N of
    K: port // 2 % K == N; halved, since Linux hands ``bind`` odd ports and
    keeps even ones for outgoing connections): two workers are never handed
    the same port in that moment."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    share = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")) % count
    probes: list[socket.socket] = []
    try:
        # Held open while looking, so that the kernel hands out another port each time.
        while len(probes) < 1000:
            probe = socket.socket()
            probes.append(probe)
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            if port // 2 % count == share:
                return port
        raise RuntimeError("no free port of this worker's share in 1,000 tries")
    finally:
        for probe in probes:
            probe.close()


def shared_database_url() -> str:
    """A ``DATABASE_URL`` naming the test database this run writes to, for a
    process the test starts (a Celery worker, a second server)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    what: str = "the condition",
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """End a process a test started: SIGTERM, then SIGKILL if it has not
    exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
