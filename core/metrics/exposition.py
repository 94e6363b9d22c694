"""One scrape: the installed apps' metrics in the text exposition format.

Blocking (it reads the multiprocess files, asks the broker, reads the
database): ``core.metrics.http`` runs it in a thread of its own, never on
the event loop.

- Recorded metrics come from this process's registry (plain mode) or from
  the files of every process in ``PROMETHEUS_MULTIPROC_DIR``, keeping only
  the families the installed apps declare (the files may hold an app's
  metrics from a process that had it installed).
- Before the files are read, the ``live*`` gauge files of processes that
  are gone are removed (``prometheus_client.multiprocess.mark_process_dead``):
  uvicorn restarts a dead worker without a hook to call it, and a killed
  worker's viewers must not be counted for ever. The processes share the
  directory, so they share the machine and its process ids (a reused id
  keeps a dead process's gauges until the new one exits: rare, and the
  directory is emptied at every start of the stack).
- Computed metrics (``core.metrics.scrape_collectors``) run one by one; one
  that fails (the broker down) is left out and reported by
  ``sprout_metrics_collector_up{collector="..."} 0``, never a failed scrape.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, disable_created_metrics
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from core.metrics import CORE_METRICS, multiprocess_dir, recorded_metrics, scrape_collectors

logger = logging.getLogger("sprout.metrics")

# The multiprocess mode has no ``_created`` series: none in plain mode
# either, so that both expose the same families.
disable_created_metrics()


def installed_metrics() -> list[MetricWrapperBase]:
    """The recorded metrics of the kernel and of every installed app."""
    return [*CORE_METRICS, *(metric for metrics in recorded_metrics for metric in metrics)]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def forget_dead_processes(path: str) -> list[int]:
    """Remove the ``live*`` gauge files of processes that no longer run;
    their ids."""
    pids: set[int] = set()
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(path):
            # gauge_livesum_1234.db, gauge_liveall_1234.db
            if name.startswith("gauge_live") and name.endswith(".db"):
                digits = name.removesuffix(".db").rsplit("_", 1)[-1]
                if digits.isdigit():
                    pids.add(int(digits))
    dead = sorted(pid for pid in pids if pid != os.getpid() and not _pid_alive(pid))
    for pid in dead:
        mark_process_dead(pid, path)
    return dead


class _Recorded(Collector):
    """The installed recorded metrics, from this process or from the files."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def collect(self) -> Iterable[Metric]:
        metrics = installed_metrics()
        if self.path is None:
            for metric in metrics:
                yield from metric.collect()
            return
        forget_dead_processes(self.path)
        names = {family.name for metric in metrics for family in metric.describe()}
        for family in MultiProcessCollector(None, self.path).collect():
            if family.name in names:
                yield family


def collector_name(collector: object) -> str:
    return str(getattr(collector, "name", type(collector).__name__))


class _Computed(Collector):
    """The installed scrape-time collectors, each on its own."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "sprout_metrics_collector_up",
            "Whether a metric computed at scrape time could be read (0: left out, see the log).",
            labels=["collector"],
        )
        for collector in scrape_collectors:
            name = collector_name(collector)
            try:
                families = list(collector.collect())
            except Exception as exc:  # one source down must not fail the scrape
                logger.warning("metrics collector %s failed: %r", name, exc)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def registry(path: str | None = None) -> CollectorRegistry:
    """What one scrape reads: ``path`` is the multiprocess directory (default:
    ``PROMETHEUS_MULTIPROC_DIR``, none in plain mode)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Recorded(path if path is not None else multiprocess_dir()))
    registry.register(_Computed())
    return registry


def scrape(accept: str = "", path: str | None = None) -> tuple[bytes, str]:
    """The exposition (text format, or OpenMetrics when ``accept`` asks for
    it) and its content type."""
    encode, content_type = choose_encoder(accept)
    return encode(registry(path)), content_type
