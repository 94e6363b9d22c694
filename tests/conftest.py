"""Test-run wiring: which tests run in which pass of ``make test``, service
checks, and the shared fixtures.

Fixtures of people: ``user`` and ``other_user`` (plain members; the
other-user case of every permission), ``moderator`` (staff in the
Moderators group), ``superuser``, ``host`` (may host live rooms) and
``funded_member`` (1,000 coins bought through the sandbox), with logged-in
clients for some; of rooms, ``room`` (a scheduled room of ``host``) and
``live_room`` (a live one with its open session), for the live and wallet
tests alike. Wiring of one app's tests lives in that app's conftest
(``tests/live/conftest.py``: room events checked against their schema). A higher app's
factories are imported inside its fixtures, so that a run with only
``community`` installed can load this file.

Passes: ``sqlite`` (everything not marked postgres/redis/celery_worker/browser),
``postgres`` (everything not marked browser, on PostgreSQL + Redis, with real
Celery workers), ``browser`` (Playwright in Debian's Chromium). A test that
belongs to another pass is deselected, not skipped; a test whose service is
missing is skipped with the reason, or fails when ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from community.models import User
from tests import services
from tests.celery_worker import celery_worker, celery_worker_process  # noqa: F401  (fixtures)
from tests.clients import logged_in
from tests.factories import ModeratorFactory, SuperuserFactory, UserFactory

if TYPE_CHECKING:  # live may not be installed (the community-only pass)
    from live.models import Room

SERVICE_MARKS = ("postgres", "redis", "celery_worker")


def _apps_missing(item: pytest.Item) -> bool:
    """The test needs an app this run does not install (``@pytest.mark.apps``)."""
    from django.apps import apps

    needed = [name for mark in item.iter_markers("apps") for name in mark.args]
    return any(not apps.is_installed(name) for name in needed)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        other_pass = services.TEST_PASS == "sqlite" and any(
            m in item.keywords for m in SERVICE_MARKS
        )
        (drop if other_pass or _apps_missing(item) else keep).append(item)
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
def user_client(user: User) -> Client:
    """A browser logged in as ``user``."""
    return logged_in(user)


@pytest.fixture
def other_client(other_user: User) -> Client:
    return logged_in(other_user)


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


@pytest.fixture
def moderator(db: Any) -> User:
    return ModeratorFactory()


@pytest.fixture
def moderator_client(moderator: User) -> Client:
    return logged_in(moderator)


@pytest.fixture
def superuser(db: Any) -> User:
    return SuperuserFactory()


@pytest.fixture
def superuser_client(superuser: User) -> Client:
    return logged_in(superuser)


@pytest.fixture
def host(db: Any) -> User:
    """A member allowed to host live rooms."""
    from tests.factories import HostFactory

    return HostFactory()


@pytest.fixture
def room(host: User) -> Room:
    """A scheduled room of ``host``, as hosts create them."""
    from tests.factories import RoomFactory

    return RoomFactory(host=host)


@pytest.fixture
def live_room(host: User) -> Room:
    """A live room of ``host`` with its open session."""
    from tests.factories import RoomFactory

    return RoomFactory(host=host, live=True)


@pytest.fixture
def funded_member(db: Any) -> User:
    """A member with 1,000 coins, bought with a sandbox recharge."""
    from tests.factories import FundedMemberFactory

    return FundedMemberFactory(coins=1_000)
