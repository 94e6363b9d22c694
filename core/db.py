"""Database connections and HTTP requests."""

from __future__ import annotations

from django.db import connections


def close_request_connections(**kwargs: object) -> None:
    """Close the finished request's database connections, whatever
    ``CONN_MAX_AGE`` says (connected to ``request_finished`` where
    ``SPROUT_DB_CLOSE_AFTER_REQUEST`` is on).

    ``make run`` (``config/settings/local.py``) keeps SQLite connections so
    that the live room's websocket consumers, which make every database call
    on one shared thread, do not open and close SQLite around each call. Its
    HTTP requests must not keep theirs: under ASGI every request runs on a
    thread of its own, and a kept connection stays open behind it until the
    garbage collector finds it (63 SQLite handles after 1,000 requests).
    Websockets send no request signals, so their thread keeps its connection.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
