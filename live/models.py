"""Live rooms: rooms and their broadcasts (sessions), stream keys, chat and
its moderation, and the traffic each session brought.

Hot per-room state (viewers, hearts, rate limits) lives in Redis or process
memory while a session runs (``live.hub``, ``live.state``) and is folded into
``LiveSession`` when it ends.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.images import CleanImageField

# Covers show at most this wide (the player's poster, the "Live now" cards):
# stored scaled down to it, whatever was uploaded.
COVER_MAX_SIDE = 1280


def public_name() -> str:
    """The room's public stream name: what HLS files are called. Never the key."""
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


class Room(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rooms"
    )
    title = models.CharField(max_length=100)
    cover = CleanImageField(upload_to="covers/%Y/%m/", blank=True, max_side=COVER_MAX_SIDE)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.SCHEDULED, db_index=True
    )
    stream_name = models.CharField(max_length=32, unique=True, default=public_name, editable=False)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="moderated_rooms", blank=True
    )
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    # Extra words refused in this room's chat, on top of SPROUT_LIVE_BLOCKED_WORDS.
    blocked_words = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The last time the publisher was seen (ingest callbacks, HLS activity);
    # end_stale_rooms ends live rooms that went quiet.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["host", "state", "-created_at"])]
        permissions = [("moderate_room", "Can moderate any live room and end it")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("live_room", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.state == self.State.LIVE


class StreamKey(models.Model):
    """A host's secret RTMP key, stored only as a SHA-256 hash. One active key
    per host; rotating revokes the old one at once."""

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_keys"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, to tell keys apart in the admin and studio.
    hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "host", condition=Q(revoked_at__isnull=True), name="one_active_stream_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hint}… ({'revoked' if self.revoked_at else 'active'})"


class LiveSession(models.Model):
    """One broadcast of a room, from publish to publish-done, with the traffic
    it brought (written when it ends) — and, once the wallet exists, the cash."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="sessions")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    client_addr = models.CharField(max_length=64, blank=True)
    peak_viewers = models.PositiveIntegerField(default=0)
    unique_viewers = models.PositiveIntegerField(default=0)
    watch_seconds = models.PositiveBigIntegerField(default=0)
    chat_messages = models.PositiveIntegerField(default=0)
    hearts = models.PositiveBigIntegerField(default=0)
    new_followers = models.PositiveIntegerField(default=0)
    dropped_connections = models.PositiveIntegerField(
        default=0, help_text="Viewers disconnected because they could not keep up."
    )
    # The live renditions (names, best first: ["src", "480p", ...]) when ABR
    # was on as it started; empty: the source alone.
    renditions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                "room", condition=Q(ended_at__isnull=True), name="one_open_session_per_room"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> int:
        if self.ended_at is None:
            return 0
        return int((self.ended_at - self.started_at).total_seconds())


class ChatMessage(models.Model):
    """Every chat line, kept for moderation (deleted ones too, marked)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    session = models.ForeignKey(
        LiveSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages"
    )
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["room", "-id"])]

    def __str__(self) -> str:
        return self.text[:50]


class RoomRestriction(models.Model):
    """A mute (may watch, may not chat) or a ban (may not join) in one room."""

    class Kind(models.TextChoices):
        MUTE = "mute", "Muted"
        BAN = "ban", "Banned"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="restrictions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_restrictions"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "room",
                "user",
                "kind",
                condition=Q(lifted_at__isnull=True),
                name="one_active_restriction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display().lower()} in {self.room}"


class HeartsMark(models.Model):
    """The session's running hearts total at one moment (one per second that
    had hearts), folded from ``live.state`` when the session ends: the
    replay's timeline plays hearts back from these."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="hearts_marks")
    offset_ms = models.PositiveIntegerField(help_text="From the session's start.")
    total = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["session", "offset_ms"]
        constraints = [
            models.UniqueConstraint("session", "offset_ms", name="one_hearts_mark_per_moment"),
        ]

    def __str__(self) -> str:
        return f"{self.total} hearts at {self.offset_ms} ms"


def replay_token() -> str:
    """A replay's directory name in storage: unguessable, so an unpublished or
    hidden replay's files cannot be found by counting."""
    return secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")


class Replay(models.Model):
    """A live session kept to be watched again: what nginx-rtmp recorded
    (``ReplaySource``, one per rendition) finished by a Celery task into an
    HLS VOD in storage (``live.services.replays``).

    ``state`` is where the work is; whether members may watch is
    ``published`` (the host's choice) and ``hidden_at`` (a moderator's)."""

    class State(models.TextChoices):
        RECORDING = "recording", "Recording"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Deleted"
        EXPIRED = "expired", "Expired"

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="replay")
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.RECORDING, db_index=True
    )
    token = models.CharField(max_length=32, unique=True, default=replay_token, editable=False)
    # The renditions the broadcast was recorded in (names: "src", "360p", ...),
    # known when it starts: the replay is finished once each has arrived.
    expected_renditions = models.JSONField(default=list, blank=True)
    # What was made: [{"name", "width", "height", "bandwidth", "playlist"}], best first.
    renditions = models.JSONField(default=list, blank=True)
    playlist = models.CharField(
        max_length=255, blank=True, help_text="Storage name of the playlist players open."
    )
    poster = models.CharField(max_length=255, blank=True)
    preview = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # Where the video's time 0 falls on the session's clock (the timeline's).
    start_offset_ms = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    published = models.BooleanField(default=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=200, blank=True)
    # Replay traffic, apart from the live session's.
    views = models.PositiveIntegerField(default=0)
    watch_seconds = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the running finishing attempt began (state "processing"): a claim
    # another run respects until it is older than the broker's visibility
    # timeout (then its worker died and the sweep sends it again).
    processing_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "finished_at"])]

    def __str__(self) -> str:
        return f"replay of {self.session} ({self.state})"

    @property
    def watchable(self) -> bool:
        """May members watch it (the host and moderators may see more)."""
        return self.state == self.State.READY and self.published and self.hidden_at is None


class ReplaySource(models.Model):
    """One recording nginx-rtmp finished (``on_record_done``): a rendition of
    the session as an FLV file in ``SPROUT_LIVE_RECORD_DIR``, removed once the
    replay is made."""

    replay = models.ForeignKey(Replay, on_delete=models.CASCADE, related_name="sources")
    rendition = models.CharField(max_length=16)
    path = models.CharField(max_length=500)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replay", "rendition", "pk"]
        constraints = [
            models.UniqueConstraint("replay", "path", name="one_source_per_recording"),
        ]

    def __str__(self) -> str:
        return f"{self.rendition}: {self.path}"
