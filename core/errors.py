"""The errors every app raises, and how they reach the wire.

Every app raises subclasses of :class:`DomainError`: each carries a stable
``code`` (part of the public API), an HTTP status and a human message. Apps
add their own in their ``errors.py``. One DRF handler
(:mod:`core.http_errors`) maps them to ``{"error": {"code", "message",
"fields"}}`` and pages; :func:`error_event` maps them to the websocket's
``error`` frame. Services never raise DRF or Django HTTP exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DomainError(Exception):
    code: str = "invalid"
    status: int = 400
    message: str = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, Sequence[str] | str] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.message
        if code is not None:
            self.code = code
        self.fields: dict[str, list[str]] = {
            name: [errors] if isinstance(errors, str) else list(errors)
            for name, errors in (fields or {}).items()
        }
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400
    message = "Some fields are invalid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "You do not have permission to do this."


class AuthenticationRequired(DomainError):
    code = "unauthenticated"
    status = 401
    message = "Log in to do this."


class InvalidImage(DomainError):
    """A photo upload that is not an image Sprout accepts. ``code`` says why:
    ``empty_file``, ``not_an_image``, ``unsupported_image_format``,
    ``image_truncated``, ``image_too_large``, ``image_too_many_pixels``,
    ``image_too_small``."""

    code = "invalid_image"
    status = 400
    message = "This file is not an image we can use."


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    status = 400
    message = "The cursor is malformed or expired; start again from the first page."


class TemporarilyUnavailable(DomainError):
    """A service the request needs (the database, most often) failed for a
    moment: nothing was done, and the same request (with the same idempotency
    key, where it has one) may be sent again."""

    code = "temporarily_unavailable"
    status = 503
    message = "The service is busy or restarting: nothing was done; try again in a moment."
    retry_after = 1


def transient_error(exc: BaseException) -> TemporarilyUnavailable | None:
    """The retryable answer for an infrastructure failure (a database
    connection lost mid-request, a deadlock, a locked SQLite file, Redis
    unreachable), looked
    for in ``exc`` and its causes, or None: a bug stays a ``server_error``."""
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, TemporarilyUnavailable):
            return seen
        # Redis away (a restart, a failover): the hot state and the channel
        # layer come back by themselves. SQLite says "no such table" for a
        # missing migration: not transient.
        if isinstance(seen, InterfaceError | RedisConnectionError | RedisTimeoutError) or (
            isinstance(seen, OperationalError) and not str(seen).startswith("no such ")
        ):
            return TemporarilyUnavailable()
        seen = seen.__cause__
    return None


def error_event(
    exc: DomainError, *, nonce: str | None = None, idempotency_key: str | None = None
) -> dict[str, Any]:
    """The websocket ``error`` frame for a domain error, echoing what the
    failed frame carried (its ``nonce`` or ``idempotency_key``)."""
    event: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if nonce is not None:
        event["nonce"] = nonce
    if idempotency_key is not None:
        event["idempotency_key"] = idempotency_key
    return event
