"""Domain errors of the notes community.

Every app raises subclasses of :class:`DomainError`. Each carries a stable
``code`` (part of the public API), an HTTP status and a human message; one DRF
handler (``config.errors``) and, later, one websocket helper map them to the
wire. Services never raise DRF or Django HTTP exceptions themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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


class TooManyPhotos(DomainError):
    code = "too_many_photos"
    status = 400
    message = "A note holds at most 9 photos."


class PhotosRequired(DomainError):
    code = "photos_required"
    status = 400
    message = "A published note needs at least one photo."


class Blocked(DomainError):
    code = "blocked"
    status = 403
    message = "You cannot interact with this member."


class SelfAction(DomainError):
    code = "self_action"
    status = 400
    message = "You cannot do this to yourself."


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    status = 400
    message = "The cursor is malformed or expired; start again from the first page."


class InvalidTransition(DomainError):
    code = "invalid_status"
    status = 400
    message = "This status change is not allowed."


class CommentDepthExceeded(DomainError):
    code = "invalid_parent"
    status = 400
    message = "Replies attach to a comment of the same note."


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
    connection lost mid-request, a deadlock, a locked SQLite file), looked
    for in ``exc`` and its causes, or None: a bug stays a ``server_error``."""
    from django.db import InterfaceError, OperationalError

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, TemporarilyUnavailable):
            return seen
        # SQLite says "no such table" for a missing migration: not transient.
        if isinstance(seen, InterfaceError) or (
            isinstance(seen, OperationalError) and not str(seen).startswith("no such ")
        ):
            return TemporarilyUnavailable()
        seen = seen.__cause__
    return None


class TooManyAttempts(DomainError):
    """A door into an account (log-in, sign-up) was knocked on too often:
    ``retry_after`` seconds until the window ends (``community.throttles``)."""

    code = "rate_limited"
    status = 429
    message = "Too many attempts; try again later."

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        minutes = -(-self.retry_after // 60)
        super().__init__(
            f"Too many attempts; try again in {minutes} minute{'' if minutes == 1 else 's'}."
        )
