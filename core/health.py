"""Readiness: whether the services a request may need answer now.

``/healthz`` says only that the process is up (no check, no query);
``/readyz`` runs the checks below concurrently, each bounded by
``SPROUT_HEALTH_TIMEOUT_SECONDS``, and names what is down, so a load
balancer takes a worker out of rotation instead of sending it traffic it
cannot serve:

- ``database``: ``SELECT 1`` on a connection of its own, closed afterwards;
- ``redis``: ``PING`` to ``REDIS_URL`` (the cache, the channel layer and
  the Celery broker; "not configured" is ready: ``make run`` keeps all
  three in memory);
- ``channel_layer``: a message sent to a private channel and received back;
- ``celery``: ``app.control.ping`` answered by a worker (the first to
  answer is named); with
  eager tasks (the embedded default of ``make run``) there is no worker to
  ask and the check reports ``eager``, ready.

Blocking clients run in threads the event loop waits on with a deadline: a
hung connect keeps its thread until the client's own timeout, never the
request. Every failure becomes a short error text, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

type Probe = Callable[[float], Awaitable[str]]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    ms: float
    detail: str = ""  # what answered ("eager", a worker's name); the error when not ok

    def as_json(self) -> dict[str, Any]:
        key = "detail" if self.ok else "error"
        return {
            "ok": self.ok,
            "ms": round(self.ms, 1),
            **({key: self.detail} if self.detail else {}),
        }


def timeout_seconds() -> float:
    return float(getattr(settings, "SPROUT_HEALTH_TIMEOUT_SECONDS", 1.5))


# --- the probes: each returns a detail or raises ------------------------------------


def in_thread[T](work: Callable[[], T]) -> Awaitable[T]:
    """``work()`` in a daemon thread of its own, awaited. Not the loop's
    executor: a probe stuck past its deadline keeps only its own thread, and
    a loop that closes (``async_to_sync``) does not wait for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # cancelled at its deadline
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (work(), None)
        except BaseException as exc:
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="health-probe", daemon=True).start()
    return future


async def database_probe(timeout: float, settings_dict: dict[str, Any] | None = None) -> str:
    """``SELECT 1`` on a connection of its own (``settings_dict``: another
    database than the default one)."""

    def select_one() -> str:
        from django.db.utils import load_backend

        config = settings_dict or connections["default"].settings_dict
        connection = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias=DEFAULT_DB_ALIAS)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return str(connection.vendor)
        finally:
            connection.close()

    return await in_thread(select_one)


async def redis_probe(timeout: float, url: str | None = None) -> str:
    url = settings.REDIS_URL if url is None else url
    if not url:
        return "not configured (in-memory cache and channel layer)"

    def ping() -> str:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
        )
        try:
            client.ping()
        finally:
            client.close()
        return "PONG"

    return await in_thread(ping)


async def channel_layer_probe(timeout: float, alias: str = "default") -> str:
    from channels.layers import InMemoryChannelLayer, channel_layers

    # A layer of its own, closed afterwards; the in-memory layer must be the
    # process's own (a second instance would prove nothing) and is never
    # flushed (that would empty the live rooms' groups).
    shared = channel_layers[alias]
    layer = (
        shared if isinstance(shared, InMemoryChannelLayer) else channel_layers.make_backend(alias)
    )
    try:
        channel = await layer.new_channel("health.")
        token = f"{time.monotonic_ns()}"
        await layer.send(channel, {"type": "health.probe", "token": token})
        message = await layer.receive(channel)
        if message.get("token") != token:
            raise RuntimeError("received another message than the one sent")
        return type(layer).__name__
    finally:
        if layer is not shared:
            # Closes its connections; bounded too, as it runs when the probe
            # is cancelled at its deadline.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(layer.flush(), timeout)


async def celery_probe(timeout: float, app: Any = None) -> str:
    if app is None:
        from config.celery import app
    if app.conf.task_always_eager:
        return "eager"

    def ping() -> list[dict[str, Any]]:
        # One connection attempt, not kombu's retries for a broker that is down.
        with app.connection_for_write(
            connect_timeout=timeout, transport_options={"max_retries": 0}
        ) as connection:
            return list(app.control.ping(timeout=timeout / 2, limit=1, connection=connection) or [])

    replies = await in_thread(ping)
    if not replies:
        raise RuntimeError("no worker answered a ping")
    # The first worker to answer is enough: the ping stops waiting there.
    return f"{next(iter(replies[0]))} answered"


def default_probes() -> dict[str, Probe]:
    return {
        "database": database_probe,
        "redis": redis_probe,
        "channel_layer": channel_layer_probe,
        "celery": celery_probe,
    }


# --- running them ---------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run_check(probe: Probe, timeout: float) -> CheckResult:
    started = time.monotonic()
    try:
        detail = await asyncio.wait_for(probe(timeout), timeout)
    except TimeoutError:
        return CheckResult(
            False, (time.monotonic() - started) * 1000, f"timed out after {timeout}s"
        )
    except Exception as exc:  # any failure is "down", named, never a traceback
        return CheckResult(False, (time.monotonic() - started) * 1000, _error_text(exc))
    return CheckResult(True, (time.monotonic() - started) * 1000, detail)


async def readiness(
    probes: dict[str, Probe] | None = None, timeout: float | None = None
) -> dict[str, CheckResult]:
    """Each check's result, run concurrently: the whole takes at most about
    one ``timeout``."""
    probes = default_probes() if probes is None else probes
    timeout = timeout_seconds() if timeout is None else timeout
    results = await asyncio.gather(*(run_check(probe, timeout) for probe in probes.values()))
    return dict(zip(probes, results, strict=True))


# --- the views (routed in config/urls.py) ----------------------------------------------
# Plain Django views: no DRF throttles or authentication, no log-in redirect;
# GET and HEAD only (anything else a 405, not a CSRF refusal); exempt from
# the HTTPS redirect in production (SECURE_REDIRECT_EXEMPT); never cached.


def _answer(body: dict[str, Any], status: int = 200) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and serving requests; nothing else is asked."""
    return _answer({"status": "ok"})


@csrf_exempt
@require_safe
async def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every check passes, else 503 naming what is down."""
    results = await readiness()
    ready = all(result.ok for result in results.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: result.as_json() for name, result in results.items()},
    }
    return _answer(body, 200 if ready else 503)
