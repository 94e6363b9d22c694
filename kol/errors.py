"""Domain errors of the creator pool (stable codes, mapped once to HTTP)."""

from __future__ import annotations

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = [
    "AlreadyCreator",
    "ApplicationPending",
    "DomainError",
    "InvitationClosed",
    "InvitationExists",
    "NotACreator",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
]


class AlreadyCreator(DomainError):
    code = "already_creator"
    status = 400
    message = "You are already in the creator pool."


class ApplicationPending(DomainError):
    code = "application_pending"
    status = 400
    message = "Your application is waiting for a moderator; you will be notified."


class NotACreator(DomainError):
    code = "not_a_creator"
    status = 404
    message = "This member is not in the creator pool."


class InvitationExists(DomainError):
    code = "invitation_open"
    status = 409
    message = "This member already has an open invitation."


class InvitationClosed(DomainError):
    code = "invitation_closed"
    status = 400
    message = "This invitation is no longer open."
