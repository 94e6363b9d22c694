"""The HTTP side of the metrics: the middleware that counts and times
requests, and the ``/metrics`` view.

``/metrics`` is for the operator's Prometheus, not the public: it answers a
client on a loopback address that came straight to the process (no
forwarding header: a request through the front nginx carries one), or any
client sending ``Authorization: Bearer <SPROUT_METRICS_TOKEN>`` when that
setting is not empty (compared in constant time). Anyone else gets the
site's 404 page (a wrong or unexpected token: its 403 page). It is a plain
Django view (no DRF, so not in the OpenAPI schema), GET and HEAD only,
never cached, and never a 500: the scrape runs in a thread of its own
bounded by ``SPROUT_METRICS_TIMEOUT_SECONDS`` (a 503 past it), off the
event loop the live rooms' websockets share.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from core import http_errors
from core.health import in_thread
from core.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS
from core.metrics.exposition import scrape

logger = logging.getLogger("sprout.metrics")

# --- requests -------------------------------------------------------------------------

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The route of a request no URL pattern took (a 404, or refused by a
#: middleware before the URL was resolved).
UNMATCHED = "unmatched"


def record_request(request: HttpRequest, response: HttpResponseBase, seconds: float) -> None:
    """Count and time one answered request. The labels stay few whatever
    the traffic: the route is the URL pattern's name (``view_name``), never
    the path, and an unknown method is ``other``."""
    match = request.resolver_match
    route = match.view_name if match is not None else UNMATCHED
    method = request.method if request.method in METHODS else "other"
    HTTP_REQUESTS.labels(method, route, f"{response.status_code // 100}xx").inc()
    HTTP_REQUEST_SECONDS.labels(method, route).observe(seconds)


Handler = Callable[[HttpRequest], Any]


@sync_and_async_middleware
def request_metrics(get_response: Handler) -> Handler:
    """Outermost middleware: every request Django answers, refusals and
    errors included (the flash sale's edge answers its sold-out crowd before
    Django: ``sprout_flash_gate_answers_total`` counts those). The time runs
    until the response is ready, not until a streamed body is sent."""
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponseBase:
            started = time.perf_counter()
            response: HttpResponseBase = await get_response(request)
            record_request(request, response, time.perf_counter() - started)
            return response

        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response: HttpResponseBase = get_response(request)
        record_request(request, response, time.perf_counter() - started)
        return response

    return middleware


# --- who may read /metrics ---------------------------------------------------------------

# Headers a proxy adds on the way in: a loopback peer carrying one is the
# front server relaying someone else.
FORWARDING_HEADERS = ("HTTP_FORWARDED", "HTTP_X_REAL_IP", "HTTP_X_CLIENT_IP")
FORWARDING_PREFIX = "HTTP_X_FORWARDED_"


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a unix socket's peer, or nothing
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def forwarded(request: HttpRequest) -> bool:
    return any(
        key in FORWARDING_HEADERS or key.startswith(FORWARDING_PREFIX) for key in request.META
    )


def metrics_token() -> str:
    return str(getattr(settings, "SPROUT_METRICS_TOKEN", "") or "")


def refusal_status(request: HttpRequest) -> int | None:
    """None when ``request`` may read the metrics; else 404 (nothing here for
    the public) or 403 (a credential, but not the right one)."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, credential = authorization.partition(" ")
        token = metrics_token()
        if (
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(credential.strip().encode(), token.encode())
        ):
            return None
        return 403
    if _loopback(str(request.META.get("REMOTE_ADDR", ""))) and not forwarded(request):
        return None
    return 404


# --- the view ------------------------------------------------------------------------------


def timeout_seconds() -> float:
    return float(getattr(settings, "SPROUT_METRICS_TIMEOUT_SECONDS", 5.0))


def _scrape_in_thread(accept: str) -> tuple[bytes, str]:
    try:
        return scrape(accept)
    finally:
        # The thread is the scrape's own: its database connection goes with it.
        connections.close_all()


def _unavailable(message: str) -> HttpResponse:
    response = HttpResponse(f"# {message}\n", status=503, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_safe
async def metrics_view(request: HttpRequest) -> HttpResponseBase:
    """The installed apps' metrics for Prometheus (module docstring)."""
    status = refusal_status(request)
    if status is not None:
        # The site's own error pages (they read the session: not on the loop).
        handler = http_errors.handler404 if status == 404 else http_errors.handler403
        refused: HttpResponseBase = await sync_to_async(handler)(request)
        return refused
    accept = request.headers.get("Accept", "")
    work: Awaitable[tuple[bytes, str]] = in_thread(lambda: _scrape_in_thread(accept))
    try:
        body, content_type = await asyncio.wait_for(work, timeout_seconds())
    except TimeoutError:
        logger.warning("a metrics scrape took longer than %ss", timeout_seconds())
        return _unavailable(f"the scrape took longer than {timeout_seconds()}s")
    except Exception:
        logger.exception("a metrics scrape failed")
        return _unavailable("the scrape failed; it has been logged")
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
