"""Domain errors of live rooms. Their ``code`` is what the websocket ``error``
frame and the REST error shape carry (SPEC.md's websocket contract lists
them)."""

from __future__ import annotations

from core.errors import (
    AuthenticationRequired,
    DomainError,
    NotFound,
    PermissionDenied,
    TemporarilyUnavailable,
    ValidationFailed,
    transient_error,
)

__all__ = [
    "AuthenticationRequired",
    "Banned",
    "DomainError",
    "Muted",
    "NotAHost",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RecordingRefused",
    "ReplayGone",
    "ReplayStateConflict",
    "ReplayUnavailable",
    "RoomNotLive",
    "SlowMode",
    "TemporarilyUnavailable",
    "TimelineWindowInvalid",
    "TooLong",
    "ValidationFailed",
    "transient_error",
]


class NotAHost(DomainError):
    code = "not_a_host"
    status = 403
    message = "Only creators whose invitation to host was accepted can go live."


class RoomNotLive(DomainError):
    code = "room_not_live"
    status = 409
    message = "This room is not live."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "You are sending messages too fast."


class SlowMode(DomainError):
    code = "slow_mode"
    status = 429
    message = "Slow mode is on: wait a moment before your next message."


class Muted(DomainError):
    code = "muted"
    status = 403
    message = "A moderator muted you in this room."


class Banned(DomainError):
    code = "banned"
    status = 403
    message = "A moderator banned you from this room."


class TooLong(DomainError):
    code = "too_long"
    status = 400
    message = "Chat messages are at most 200 characters."


class RecordingRefused(DomainError):
    """nginx-rtmp reported a recording Sprout will not take (``on_record_done``
    through ``live.services.replays.replay_source_add``). ``code`` says why:
    ``recording_stream_unknown``, ``recording_rendition_unknown``,
    ``recording_no_session``, ``recording_path_not_absolute``,
    ``recording_not_flv``, ``recording_missing``, ``recording_symlink``,
    ``recording_not_a_file``, ``recording_outside_record_dir``,
    ``recording_name_mismatch``."""

    code = "recording_refused"
    status = 400
    message = "This recording cannot be kept as a replay."


class ReplayStateConflict(DomainError):
    code = "replay_state_conflict"
    status = 409
    message = "The replay is not in a state that allows this."


class ReplayUnavailable(NotFound):
    """No replay this viewer may watch: none was kept, it is not ready,
    unpublished, hidden, deleted or expired (which of them is not told to
    those who may not see it)."""

    code = "replay_unavailable"
    message = "This broadcast has no replay you can watch."


class ReplayGone(DomainError):
    code = "replay_gone"
    status = 409
    message = "This replay was deleted or has expired."


class TimelineWindowInvalid(ValidationFailed):
    """A timeline window that cannot be read: ``window_reversed`` (``to_ms``
    before ``from_ms``) or ``window_too_long``."""

    code = "invalid_window"
