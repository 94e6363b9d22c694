"""Which outside services this test run has, and what to do when one is
missing: skip with a clear reason on a developer's machine, fail under CI
(``CI=true``), where a missing service means the run proves nothing."""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

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
