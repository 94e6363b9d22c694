"""/metrics as Prometheus reaches it in production (core.metrics): over plain
HTTP straight to a worker (no HTTPS redirect), and refused when relayed by
the front server, whose forwarding headers uvicorn's ``--proxy-headers``
turns into the real client's address."""

from __future__ import annotations

from functools import partial

import pytest

from tests.metrics import sample
from tests.production.conftest import SITE_NAME, Server
from tests.production.web import request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_production_serves_metrics_to_a_local_scraper_only(production_server: Server) -> None:
    plain = partial(request, production_server.url, server_name=SITE_NAME)
    assert plain("/healthz").status == 200
    scraped = plain("/metrics")
    assert scraped.status == 200, scraped.text
    assert scraped.header("Content-Type").startswith("text/plain; version=0.0.4")
    healthz = sample(
        scraped.body, "sprout_http_requests_total", method="GET", route="healthz", status="2xx"
    )
    assert healthz is not None and healthz >= 1
    assert sample(scraped.body, "sprout_metrics_collector_up", collector="ledger_reconcile") == 1
    relayed = plain("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert relayed.status == 404
    assert b"sprout_http_requests" not in relayed.body
