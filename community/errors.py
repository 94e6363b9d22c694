"""Domain errors of the notes community (the base classes and the errors
every app shares are the kernel's: :mod:`core.errors`)."""

from __future__ import annotations

from core.errors import DomainError


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


class InvalidTransition(DomainError):
    code = "invalid_status"
    status = 400
    message = "This status change is not allowed."


class CommentDepthExceeded(DomainError):
    code = "invalid_parent"
    status = 400
    message = "Replies attach to a comment of the same note."


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


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 400
    message = "This link is not valid: it may have been mistyped, or the e-mail address changed."


class LinkExpired(DomainError):
    code = "link_expired"
    status = 400
    message = "This link has expired: ask for a new one."


class UnknownPhoto(DomainError):
    code = "unknown_photo"
    status = 404
    message = "This note has no such photo."


class PhotoOrderMismatch(DomainError):
    code = "photo_order_mismatch"
    status = 400
    message = "List each of the note's photos exactly once, in the new order."
