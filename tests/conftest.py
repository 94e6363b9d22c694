"""Test-run wiring: which tests run in which pass of ``make test``, service
checks, and the shared fixtures.

Passes: ``sqlite`` (everything not marked postgres/redis/celery_worker/browser),
``postgres`` (everything not marked browser, on PostgreSQL + Redis, with real
Celery workers), ``browser`` (Playwright in Debian's Chromium). A test that
belongs to another pass is deselected, not skipped; a test whose service is
missing is skipped with the reason, or fails when ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import services
from tests.celery_worker import celery_worker  # noqa: F401  (fixture)
from tests.factories import UserFactory

SERVICE_MARKS = ("postgres", "redis", "celery_worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if services.TEST_PASS != "sqlite":
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if any(m in item.keywords for m in SERVICE_MARKS) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_setup(item: pytest.Item) -> None:
    marks = {m.name for m in item.iter_markers()}
    if marks & {"postgres", "celery_worker"} and not services.on_postgres():
        services.unavailable("needs PostgreSQL: run it in the PostgreSQL pass (make test-postgres)")
    if marks & {"postgres", "celery_worker"} and not services.reachable(
        services.database_url(), 5432
    ):
        services.unavailable(
            f"PostgreSQL is not reachable at {services.database_url()}; start it "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
        )
    if marks & {"redis", "celery_worker"}:
        url = services.redis_url()
        if not url:
            services.unavailable("needs Redis: set REDIS_URL (make test-postgres does)")
        elif not services.reachable(url, 6379):
            services.unavailable(
                f"Redis is not reachable at {url}; start it "
                "(redis-server --daemonize yes --bind 127.0.0.1 --port 6379)"
            )


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Throttle counters and cached fragments must not leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def other_user(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def user_api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_api(other_user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(other_user)
    return client
