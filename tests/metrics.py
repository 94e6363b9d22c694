"""Reading ``/metrics`` in tests, and processes that write metrics in
multiprocess mode (``core.metrics``).

:func:`sample` reads one sample of an exposition. :class:`MetricsWriter` is
a real Python process with ``PROMETHEUS_MULTIPROC_DIR`` pointing at a
test's directory: it imports the apps' metric modules (they need no
``django.setup()``, which would cost seconds per process), runs a few
statements moving metrics the way the app's code does, and then exits, or
stays alive until told to stop, so that a test sees what a scrape sums over
live and dead processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import MULTIPROC_ENV

READY = "metrics-writer-ready"
TIMEOUT = 60.0


def samples(text: str | bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: ``{(name, labels): value}``."""
    if isinstance(text, bytes):
        text = text.decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(text: str | bytes, name: str, **labels: str) -> float | None:
    """The value of sample ``name`` with exactly ``labels``, or None."""
    return samples(text).get((name, frozenset(labels.items())))


def recorded(metric: MetricWrapperBase, suffix: str = "", **labels: str) -> float:
    """This process's value of a recorded metric's sample (``suffix``:
    ``_count``, ``_sum`` of a histogram; ``_total`` of a counter is added),
    0 when it has none yet. Read without a scrape: no database, no broker."""
    for family in metric.collect():
        name = family.name + (suffix or ("_total" if family.type == "counter" else ""))
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def families(text: str | bytes) -> set[str]:
    if isinstance(text, bytes):
        text = text.decode()
    return {family.name for family in text_string_to_metric_families(text)}


class MetricsWriter:
    """A process in multiprocess mode that runs ``code``; with ``stay`` it
    keeps running (its ``live*`` gauges count) until :meth:`stop`."""

    def __init__(self, directory: Path, code: str, *, stay: bool = False) -> None:
        script = "\n".join(
            [
                "import sys",
                textwrap.dedent(code),
                f"print({READY!r}, flush=True)",
                "sys.stdin.read()" if stay else "",
            ]
        )
        env = {**os.environ, MULTIPROC_ENV: str(directory)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        """Until the code ran (the process then exits or waits)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != READY:
            self.process.kill()
            _, errors = self.process.communicate(timeout=TIMEOUT)
            raise AssertionError(f"the metrics writer failed: {line}{errors[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.communicate(input="", timeout=TIMEOUT)
        else:
            self.process.communicate(timeout=TIMEOUT)
