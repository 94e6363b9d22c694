"""``/metrics`` (``core.metrics``): who may read it, what moves when a
request is served, the Celery queue read from a real broker, a failing or
slow source never failing the scrape, the multiprocess mode summing real
processes, and only the installed apps' metrics (this module runs in the
community-only pass too)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.apps import apps
from django.conf import settings
from django.test import Client, override_settings
from prometheus_client.metrics_core import Metric

from core.metrics import scrape_collectors
from core.metrics.exposition import scrape
from core.metrics.queues import PRIORITY_SEPARATOR, UNACKED_KEY, CeleryQueueCollector
from tests import services
from tests.metrics import MetricsWriter, families, sample

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1"  # what Prometheus sends when it scrapes a worker directly
TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def local() -> Client:
    """A client on loopback, straight to the process (REMOTE_ADDR 127.0.0.1)."""
    return Client(HTTP_HOST=HOST)


def scraped(client: Client, **extra: Any) -> bytes:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:500]
    return bytes(response.content)


# --- who may read it -----------------------------------------------------------------


def test_a_loopback_client_reads_the_text_format_never_cached(local: Client) -> None:
    response = local.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response["Cache-Control"] == "no-store"
    assert b"# TYPE sprout_http_requests_total counter" in response.content
    assert local.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert local.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "HTTP_X_FORWARDED_FOR",
        "HTTP_FORWARDED",
        "HTTP_X_REAL_IP",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
    ],
)
def test_a_request_relayed_by_a_proxy_is_not_local(local: Client, header: str) -> None:
    """The front nginx connects from loopback too: its forwarding headers
    say someone else asked."""
    relayed: dict[str, Any] = {header: "203.0.113.7"}
    response = local.get("/metrics", **relayed)
    assert response.status_code == 404
    assert b"sprout_" not in response.content


def test_a_remote_client_gets_the_sites_404_page(local: Client) -> None:
    response = local.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"sprout_http_requests" not in response.content


@override_settings(SPROUT_METRICS_TOKEN=TOKEN)
def test_the_token_opens_it_from_anywhere_and_a_wrong_one_is_refused(local: Client) -> None:
    remote: dict[str, Any] = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert local.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **remote).status_code == 200
    assert local.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}", **remote).status_code == 200
    for wrong in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", TOKEN):
        assert local.get("/metrics", HTTP_AUTHORIZATION=wrong, **remote).status_code == 403
    # A wrong credential is refused even on loopback: it is a misconfigured scraper.
    assert local.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 403
    # No credential: the loopback rule still holds.
    assert local.get("/metrics").status_code == 200
    assert local.get("/metrics", **remote).status_code == 404


def test_without_a_token_set_no_bearer_opens_it(local: Client) -> None:
    response = local.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_it_takes_no_writes_and_speaks_openmetrics_when_asked(local: Client) -> None:
    assert Client(HTTP_HOST=HOST, enforce_csrf_checks=True).post("/metrics").status_code == 405
    assert local.head("/metrics").status_code == 200
    response = local.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.endswith(b"# EOF\n")


def test_it_is_not_in_the_openapi_schema(local: Client) -> None:
    schema = local.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["paths"]
    assert not [path for path in schema["paths"] if "metrics" in path]


# --- HTTP requests -----------------------------------------------------------------------


def test_a_served_request_is_counted_and_timed_by_route_and_status_class(local: Client) -> None:
    before = scraped(local)
    assert local.get("/healthz").status_code == 200
    assert local.get("/no-such-page/").status_code == 404
    assert local.generic("BREW", "/healthz").status_code == 405
    after = scraped(local)

    def moved(name: str, **labels: str) -> float:
        return (sample(after, name, **labels) or 0) - (sample(before, name, **labels) or 0)

    assert moved("sprout_http_requests_total", method="GET", route="healthz", status="2xx") == 1
    assert moved("sprout_http_requests_total", method="GET", route="unmatched", status="4xx") == 1
    assert moved("sprout_http_requests_total", method="other", route="healthz", status="4xx") == 1
    # The scrape that read `before` is in `after`, under its own route.
    assert moved("sprout_http_requests_total", method="GET", route="metrics", status="2xx") == 1
    assert moved("sprout_http_request_duration_seconds_count", method="GET", route="healthz") == 1
    assert moved("sprout_http_request_duration_seconds_sum", method="GET", route="healthz") > 0
    bucket = "sprout_http_request_duration_seconds_bucket"
    assert moved(bucket, method="GET", route="healthz", le="+Inf") == 1


# --- scrape-time sources ---------------------------------------------------------------------


class Broken:
    name = "broken"

    def collect(self) -> Iterator[Metric]:
        raise ConnectionError("the source is down")


class Slow:
    name = "slow"

    def collect(self) -> Iterator[Metric]:
        time.sleep(1.0)
        return iter(())


def test_a_failing_source_is_left_out_and_named_never_a_500(local: Client) -> None:
    with scrape_collectors.override(Broken(), CeleryQueueCollector()):
        body = scraped(local)
    assert sample(body, "sprout_metrics_collector_up", collector="broken") == 0
    assert sample(body, "sprout_metrics_collector_up", collector="celery_queue") == 1
    assert b"sprout_http_requests_total" in body


@override_settings(SPROUT_METRICS_TIMEOUT_SECONDS=0.2)
def test_a_scrape_past_its_deadline_answers_503(local: Client) -> None:
    started = time.monotonic()
    with scrape_collectors.override(Slow()):
        response = local.get("/metrics")
    assert response.status_code == 503
    assert time.monotonic() - started < 0.9
    assert response["Cache-Control"] == "no-store"


def test_eager_celery_reports_an_empty_queue_labelled_eager(local: Client) -> None:
    body = scraped(local)
    assert sample(body, "sprout_celery_queue_length", queue="celery", broker="eager") == 0


def _broker_app(url: str, prefix: str) -> Celery:
    app = Celery("metrics-test", broker=url, set_as_current=False)
    app.conf.update(
        task_always_eager=False,
        task_default_queue="default",
        broker_transport_options={"global_keyprefix": prefix},
    )
    return app


@pytest.mark.redis
def test_the_queue_length_is_read_from_the_redis_broker() -> None:
    """Every priority list of the queue, under the transport's key prefix
    (a prefix of the test's own: the shared broker's keys are untouched)."""
    url, prefix = services.redis_url(), f"metrics-test-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(url)
    try:
        client.rpush(f"{prefix}default", "a", "b")
        client.rpush(f"{prefix}default{PRIORITY_SEPARATOR}6", "c")
        client.hset(f"{prefix}{UNACKED_KEY}", "tag", "task")
        collector = CeleryQueueCollector(_broker_app(url, prefix))
        got = {f.name: f for f in collector.collect()}
        [waiting] = got["sprout_celery_queue_length"].samples
        assert (waiting.labels, waiting.value) == ({"queue": "default", "broker": "redis"}, 3)
        assert got["sprout_celery_unacked_tasks"].samples[0].value == 1
    finally:
        client.delete(
            f"{prefix}default", f"{prefix}default{PRIORITY_SEPARATOR}6", f"{prefix}{UNACKED_KEY}"
        )
        client.close()


def test_a_broker_that_is_down_leaves_the_queue_out(local: Client) -> None:
    down = _broker_app(f"redis://127.0.0.1:{services.free_port()}/0", "")
    with scrape_collectors.override(CeleryQueueCollector(down)):
        body = scraped(local)
    assert sample(body, "sprout_metrics_collector_up", collector="celery_queue") == 0
    assert "sprout_celery_queue_length" not in families(body)


# --- installed apps only ---------------------------------------------------------------------

APP_FAMILIES = {
    "live": ("sprout_live_viewers", "sprout_live_frames_sent", "sprout_gift_batches"),
    "wallet": ("sprout_ledger_reconcile_age_seconds",),
    "shop": ("sprout_flash_gate_answers",),
}


def test_only_the_installed_apps_metrics_are_exposed(local: Client) -> None:
    """The community-only pass runs this with live, wallet and shop out."""
    exposed = families(scraped(local))
    for app, names in APP_FAMILIES.items():
        for name in names:
            assert (name in exposed) == apps.is_installed(app), (app, name)


@pytest.mark.apps("shop")
def test_switching_an_app_off_takes_its_metrics_out() -> None:
    assert "sprout_flash_gate_answers" in families(scrape()[0])
    with override_settings(INSTALLED_APPS=[a for a in settings.INSTALLED_APPS if a != "shop"]):
        assert "sprout_flash_gate_answers" not in families(scrape()[0])


# --- several processes ----------------------------------------------------------------------


def test_multiprocess_mode_sums_the_processes_of_one_directory(tmp_path: Path) -> None:
    """Two real processes count requests into one directory; a scrape sums
    them, and keeps out what no installed app declares."""
    code = """
        from prometheus_client import Counter
        from core.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS
        HTTP_REQUESTS.labels("GET", "healthz", "2xx").inc({n})
        HTTP_REQUEST_SECONDS.labels("GET", "healthz").observe(0.02)
        Counter("sprout_stray", "Declared by no app.", registry=None).inc()
    """
    writers = [MetricsWriter(tmp_path, code.format(n=n)) for n in (2, 3)]
    for writer in writers:
        writer.wait_ready()
        writer.stop()
    body, _ = scrape(path=str(tmp_path))
    requests = "sprout_http_requests_total"
    assert sample(body, requests, method="GET", route="healthz", status="2xx") == 5
    duration = "sprout_http_request_duration_seconds"
    assert sample(body, f"{duration}_count", method="GET", route="healthz") == 2
    assert sample(body, f"{duration}_bucket", method="GET", route="healthz", le="0.025") == 2
    assert "sprout_stray" not in families(body)
