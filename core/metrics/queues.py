"""The Celery queue's length, read from the broker when scraped.

Tasks waiting in Redis are lists, one per queue and priority step (kombu's
Redis transport: the queue's name, then ``<name>\\x06\\x16<priority>`` for
the steps above 0, under the transport's ``global_keyprefix``); tasks a
worker took but has not acknowledged yet (``acks_late``) are in the
``unacked`` hash. One pipelined round trip asks for all of them.

With eager tasks (``make run``, the tests) nothing is queued: the queue is
reported as 0 with ``broker="eager"``, so a dashboard shows why. A broker
other than Redis is not read (no series).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import redis
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

# kombu.transport.redis: Channel.sep, PRIORITY_STEPS and Channel.unacked_key.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
UNACKED_KEY = "unacked"
# The broker answers on loopback or the LAN: a scrape never waits on it longer.
TIMEOUT_SECONDS = 1.0


def _celery_app() -> Any:
    from config.celery import app

    return app


def queue_names(app: Any) -> list[str]:
    """The queues this deployment sends to: the default one and any declared."""
    names = [str(app.conf.task_default_queue)]
    for queue in app.conf.task_queues or ():
        name = str(getattr(queue, "name", queue))
        if name not in names:
            names.append(name)
    return names


def queue_keys(queue: str, steps: tuple[int, ...] = PRIORITY_STEPS) -> list[str]:
    """The Redis lists holding ``queue``'s waiting tasks, one per priority step."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}" for step in steps]


class CeleryQueueCollector:
    """``sprout_celery_queue_length{queue, broker}`` and
    ``sprout_celery_unacked_tasks``, read from the broker at scrape time."""

    name = "celery_queue"

    def __init__(self, app: Any = None) -> None:
        self._app = app
        self._clients: dict[str, redis.Redis] = {}
        self._lock = threading.Lock()

    def _client(self, url: str) -> redis.Redis:
        # One connection pool per broker URL, kept between scrapes.
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=TIMEOUT_SECONDS,
                    socket_timeout=TIMEOUT_SECONDS,
                    retry_on_timeout=False,
                )
            return client

    def collect(self) -> Iterator[Metric]:
        app = self._app if self._app is not None else _celery_app()
        length = GaugeMetricFamily(
            "sprout_celery_queue_length",
            "Celery tasks waiting in the broker, by queue (0 with broker=eager: tasks run inline).",
            labels=["queue", "broker"],
        )
        if app.conf.task_always_eager:
            for queue in queue_names(app):
                length.add_metric([queue, "eager"], 0)
            yield length
            return
        url = str(app.conf.broker_url or "")
        if urlsplit(url).scheme not in ("redis", "rediss"):
            return
        options = app.conf.broker_transport_options or {}
        prefix = str(options.get("global_keyprefix", ""))
        steps = tuple(options.get("priority_steps", PRIORITY_STEPS))
        queues = queue_names(app)
        pipeline = self._client(url).pipeline(transaction=False)
        for queue in queues:
            for key in queue_keys(queue, steps):
                pipeline.llen(prefix + key)
        pipeline.hlen(prefix + UNACKED_KEY)
        answers = [int(n) for n in pipeline.execute()]
        for index, queue in enumerate(queues):
            waiting = answers[index * len(steps) : (index + 1) * len(steps)]
            length.add_metric([queue, "redis"], sum(waiting))
        yield length
        yield GaugeMetricFamily(
            "sprout_celery_unacked_tasks",
            "Celery tasks a worker took and has not acknowledged yet (running, or lost with "
            "their worker until the visibility timeout hands them out again).",
            value=answers[-1],
        )
