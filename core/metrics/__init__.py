"""Prometheus metrics (``prometheus_client``), served at ``/metrics``.

Two kinds, each contributed by the app that owns it (``docs/observability.md``
lists every metric):

- **recorded** metrics, moved where things happen (a request served, a frame
  fanned out, a gift batch committed): ``prometheus_client`` counters,
  gauges and histograms built with :func:`counter`, :func:`gauge` and
  :func:`histogram` (outside any global registry) and contributed to
  :data:`recorded_metrics` from the owning app's ``AppConfig.ready()``
  (``live.metrics``, ``shop.metrics``); the kernel's own are the HTTP
  request metrics below.
- **computed** metrics, read when scraped (the Celery queue's length from
  the broker, the ledger reconcile's age from its last recorded run):
  collectors contributed to :data:`scrape_collectors`.

An app out of ``INSTALLED_APPS`` contributes nothing (``core.extensions``):
its metrics are neither registered nor read, whatever a process imported.

Processes. Production runs several ASGI worker processes and Celery; any of
them may answer a scrape. With ``PROMETHEUS_MULTIPROC_DIR`` set (``make
stack`` gives every start a fresh directory), ``prometheus_client``'s
multiprocess mode keeps each process's values in memory-mapped files there
and a scrape sums them (``core.metrics.exposition``); without it (``make
run``, tests) one process's plain registry is read. The variable must be
set before the process starts: ``prometheus_client`` picks its mode when it
is first imported. Gauges of one process (a room's viewers) are declared
twice: ``livesum`` (the total over live processes) and ``liveall`` (one
series per process, labelled ``pid`` by the multiprocess collector; no
``pid`` label in plain mode, where there is one process).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

from core.extensions import Slot

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, or None (one process's registry)."""
    return os.environ.get(MULTIPROC_ENV) or None


# A process whose directory is missing would fail on its first metric (the
# files are opened when a metric is built): made here, on import of the
# module whose factories build them all.
if (_dir := multiprocess_dir()) is not None:
    os.makedirs(_dir, exist_ok=True)


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A counter of this app's, in no global registry (the scrape reads the
    installed apps' own: :data:`recorded_metrics`). ``_total`` is added to
    ``name`` in the exposition."""
    return Counter(name, documentation, labels, registry=None)


def gauge(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    *,
    multiprocess_mode: Literal["livesum", "liveall", "max", "min"],
) -> Gauge:
    """A gauge, with how processes combine in multiprocess mode: ``livesum``
    (the total over running processes) or ``liveall`` (one series per
    running process, labelled ``pid``)."""
    return Gauge(name, documentation, labels, registry=None, multiprocess_mode=multiprocess_mode)


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    *,
    buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS,
) -> Histogram:
    """A histogram (``buckets``: the upper bounds, ``+Inf`` added)."""
    return Histogram(name, documentation, labels, registry=None, buckets=buckets)


class Collector(Protocol):
    """What ``prometheus_client`` calls a custom collector."""

    def collect(self) -> Iterable[Metric]: ...


recorded_metrics: Slot[Sequence[MetricWrapperBase]] = Slot(
    "core.recorded_metrics",
    doc="An app's Prometheus metrics moved in its processes (counters, gauges, histograms).",
)
scrape_collectors: Slot[Collector] = Slot(
    "core.scrape_collectors",
    doc="Collectors computed when /metrics is scraped (a queue's length, a job's age).",
)


# --- the kernel's own: HTTP requests (core.metrics.http.RequestMetricsMiddleware) ---

HTTP_REQUESTS = counter(
    "sprout_http_requests",
    "HTTP requests answered by Django, by method, resolved route and status class.",
    ["method", "route", "status"],
)
HTTP_REQUEST_SECONDS = histogram(
    "sprout_http_request_duration_seconds",
    "Time Django took to answer an HTTP request (middleware to response), by route.",
    ["method", "route"],
)
CORE_METRICS: tuple[MetricWrapperBase, ...] = (HTTP_REQUESTS, HTTP_REQUEST_SECONDS)
