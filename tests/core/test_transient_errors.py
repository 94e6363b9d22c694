"""Which infrastructure failures answer "try again" (``temporarily_unavailable``,
503 with ``Retry-After`` over HTTP, an ``error`` frame over a websocket)
instead of ``server_error``: the ones that go away by themselves."""

from __future__ import annotations

import pytest
import redis
from django.db import InterfaceError, OperationalError

from core.errors import TemporarilyUnavailable, transient_error


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
        # Redis restarting or failing over: the hot state and the channel
        # layer reconnect by themselves.
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        redis.TimeoutError("Timeout reading from socket"),
    ],
)
def test_a_failure_that_goes_away_by_itself_is_transient(failure: Exception) -> None:
    assert isinstance(transient_error(failure), TemporarilyUnavailable)
    # Also when it is the cause of what reached the caller.
    wrapped = RuntimeError("the batch failed")
    wrapped.__cause__ = failure
    assert isinstance(transient_error(wrapped), TemporarilyUnavailable)


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("no such table: live_room"),  # a missing migration
        redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        KeyError("a bug"),
    ],
)
def test_a_bug_is_not_transient(failure: Exception) -> None:
    assert transient_error(failure) is None
