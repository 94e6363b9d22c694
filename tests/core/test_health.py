"""/healthz and /readyz (core.health): the process up without a query, and
readiness checked against real services, down ones included (closed ports,
a listener that never answers), each bounded by its timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from celery import Celery
from django.db import connections
from django.test import Client, override_settings

from config.celery import app as celery_app
from core import health
from tests import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on: connections are refused."""
    return services.free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung service)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def check(name: str, probe: health.Probe, timeout: float = 1.0) -> health.CheckResult:
    return async_to_sync(health.readiness)({name: probe}, timeout)[name]


def test_healthz_answers_without_a_query(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_health_endpoints_take_no_writes() -> None:
    client = Client(enforce_csrf_checks=True)  # a 405, not a CSRF refusal
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_readyz_is_ready_with_eager_celery(client: Client) -> None:
    """``make run``'s embedded stack: tasks run eagerly, no worker to ask."""
    assert celery_app.conf.task_always_eager
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "channel_layer", "celery"}
    assert body["checks"]["celery"]["detail"] == "eager"
    assert all(result["ok"] and result["ms"] >= 0 for result in body["checks"].values())
    assert response["Cache-Control"] == "no-store"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_with_every_service_and_a_worker(
    client: Client, celery_worker: Any
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["database"]["detail"] == "postgresql"
    assert checks["redis"]["detail"] == "PONG"
    assert checks["channel_layer"]["detail"] == "RedisPubSubChannelLayer"
    assert checks["celery"]["detail"].startswith("sprout-test-")  # the fixture's worker
    assert checks["celery"]["detail"].endswith(" answered")
    assert checks["celery"]["ms"] < 1000  # the first answer ends the ping


def test_readyz_names_redis_down(client: Client, closed_port: int) -> None:
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert "Traceback" not in response.content.decode()


def _redis_layer(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }


def test_readyz_names_the_channel_layer_down(client: Client, closed_port: int) -> None:
    with override_settings(CHANNEL_LAYERS=_redis_layer(closed_port)):
        response = client.get("/readyz")
    assert response.status_code == 503
    layer = response.json()["checks"]["channel_layer"]
    assert layer["ok"] is False and layer["error"]


@override_settings(SPROUT_HEALTH_TIMEOUT_SECONDS=0.5)
def test_readyz_never_hangs_on_a_silent_service(client: Client, silent_port: int) -> None:
    url = f"redis://127.0.0.1:{silent_port}/0"
    started = time.monotonic()
    with override_settings(REDIS_URL=url, CHANNEL_LAYERS=_redis_layer(silent_port)):
        response = client.get("/readyz")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False
    assert checks["channel_layer"] == {
        "ok": False,
        "ms": checks["channel_layer"]["ms"],
        "error": "timed out after 0.5s",
    }


def test_database_down_is_named(closed_port: int, tmp_path: Any) -> None:
    settings_dict = dict(connections["default"].settings_dict)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = str(tmp_path / "missing-directory" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    result = check("database", partial(health.database_probe, settings_dict=settings_dict))
    assert result.ok is False
    assert "OperationalError" in result.detail


def test_celery_broker_down_is_named_within_the_timeout(closed_port: int) -> None:
    app = Celery("health-down", broker=f"redis://127.0.0.1:{closed_port}/0", set_as_current=False)
    app.conf.task_always_eager = False
    started = time.monotonic()
    result = check("celery", partial(health.celery_probe, app=app), timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.ok is False


@pytest.mark.redis
def test_no_celery_worker_is_named(client: Client) -> None:
    """Tasks go to a broker and no worker listens (none started here)."""
    celery_app.conf.task_always_eager = False
    try:
        response = client.get("/readyz")
    finally:
        celery_app.conf.task_always_eager = True
    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == {
        "ok": False,
        "ms": response.json()["checks"]["celery"]["ms"],
        "error": "RuntimeError: no worker answered a ping",
    }
