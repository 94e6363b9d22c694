"""/healthz and /readyz as a load balancer reaches them in production
(core.health): over plain HTTP, straight to the worker."""

from __future__ import annotations

import json
from functools import partial

import pytest

from tests.production.conftest import SITE_NAME, Server
from tests.production.web import request

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_production_answers_probes_over_plain_http(production_server: Server) -> None:
    """A load balancer probes the worker directly, without TLS: no HTTPS
    redirect for the probes (pages still get theirs), and ready under
    uvicorn with production settings."""
    plain = partial(request, production_server.url, server_name=SITE_NAME)
    assert plain("/login").status == 301
    healthz = plain("/healthz")
    assert (healthz.status, json.loads(healthz.body)) == (200, {"status": "ok"})
    readyz = plain("/readyz")
    assert readyz.status == 200, readyz.text
    assert json.loads(readyz.body)["checks"]["database"]["detail"] == "postgresql"
    assert readyz.header("Cache-Control") == "no-store"
