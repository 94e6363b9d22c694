"""Data of the notes community: members, notes and their photos, topics, the
social graph (likes, collects, comments, follows, blocks), reports and
notifications.

Counters (likes on a note, followers of a member, ...) are denormalised and
kept exact by ``community.services`` inside the same transaction as the row
they count; the database guards the invariants it can (uniqueness, no
self-follow, one report target).
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from core.images import CleanImageField

USERNAME_PATTERN = r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_])"
USERNAME_MAX_LENGTH = 30
username_validator = RegexValidator(
    rf"^{USERNAME_PATTERN}$",
    "3–30 characters: letters, digits, underscores and inner dots.",
    code="invalid_username",
)


class SproutUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Log-in and @mentions are case-insensitive, like the uniqueness rule.
        # Django's log-in form does not bound the name it looks up, and a
        # long one fails in SQLite's LIKE instead of matching nobody.
        if username is not None and len(username) > USERNAME_MAX_LENGTH:
            raise self.model.DoesNotExist("No member has so long a name.")
        return self.get(username__iexact=username)


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        validators=[username_validator],
        help_text="3–30 characters: letters, digits, underscores and inner dots.",
        error_messages={"unique": "This username is taken."},
    )
    email = models.EmailField("email address")
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the member followed the link sent to this e-mail."
    )
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = CleanImageField(upload_to="avatars/%Y/%m/", blank=True)
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    note_count = models.PositiveIntegerField(default=0, help_text="Published notes.")

    objects: ClassVar[SproutUserManager] = SproutUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.username])


class Topic(models.Model):
    """A #topic. ``key`` is the case-folded name used for lookups; ``name`` keeps
    the spelling of its first use."""

    name = models.CharField(max_length=50)
    key = models.CharField(max_length=50, unique=True, editable=False)
    note_count = models.PositiveIntegerField(default=0)
    follower_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-note_count", "key"]

    def __str__(self) -> str:
        return f"#{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("topic", args=[self.key])


class Note(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden by moderators"

    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(max_length=100)
    body = models.TextField(max_length=2000, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    hidden_reason = models.CharField(
        max_length=500, blank=True, help_text="Why moderators hid it (the author is told)."
    )
    topics = models.ManyToManyField(Topic, related_name="notes", blank=True)
    mentions = models.ManyToManyField(User, related_name="mentioned_in", blank=True)
    like_count = models.PositiveIntegerField(default=0)
    collect_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Reads of the published note by others than its author, once per reader
    # per NOTE_VIEW_WINDOW (community.services.note_view_record): the
    # audience the shop's conversion per note is measured against.
    view_count = models.PositiveBigIntegerField(default=0)
    # Ranking key of the discover feed (community.ranking): engagement on a log
    # scale plus publication time; it never decreases, so keyset pages never
    # repeat a note.
    hot_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Filled on PostgreSQL only (full-text search); SQLite searches by LIKE.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(
                F("hot_score").desc(),
                F("id").desc(),
                name="note_hot_idx",
                condition=Q(status="published"),
            ),
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="note_recent_idx",
                condition=Q(status="published"),
            ),
            models.Index(
                "author", F("published_at").desc(), F("id").desc(), name="note_author_recent_idx"
            ),
        ]
        permissions = [("moderate_note", "Can hide and restore any member's notes")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("note", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


def photo_upload_to(instance: Photo, filename: str) -> str:
    # The stored name never reuses the uploader's file name (it can leak
    # personal data); the pipeline passes a random one.
    return f"photos/{filename[:2]}/{filename}"


class Photo(models.Model):
    """One photo of a note, stored with orientation applied and every metadata
    block removed. ``renditions`` maps a width to its WebP and JPEG files:
    ``{"540": {"webp": "photos/..", "jpeg": "photos/.."}}``; until the
    background task has made them it is empty and pages show the original."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="photos")
    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="photos", null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)
    original = CleanImageField(
        upload_to=photo_upload_to, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    format = models.CharField(max_length=10)
    color = models.CharField(max_length=7, blank=True, help_text="Dominant colour, #rrggbb.")
    renditions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["note", "position"])]

    def __str__(self) -> str:
        return f"photo {self.pk} of note {self.note_id}"

    @property
    def is_ready(self) -> bool:
        return bool(self.renditions)


class Like(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="likes")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "note", name="like_once")]
        indexes = [models.Index(fields=["note", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.note_id}"


class Board(models.Model):
    """A named collection of notes ("Recipes to try"). Every member gets a
    default board the first time they collect without naming one."""

    DEFAULT_NAME = "Saved"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=50)
    description = models.CharField(max_length=200, blank=True)
    is_private = models.BooleanField(default=False)
    collect_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="board_name_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class Collect(models.Model):
    """A member keeps a note in one of their boards (one board per note)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="collects")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="collects")
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="collects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "note", name="collect_once")]
        indexes = [models.Index(fields=["note", "user"]), models.Index(fields=["board", "-id"])]

    def __str__(self) -> str:
        return f"{self.user_id} keeps {self.note_id} in {self.board_id}"


class Comment(models.Model):
    """A comment on a note; ``parent`` makes it a reply (one level deep: a reply
    to a reply attaches to the same top-level comment and names ``reply_to``)."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden by moderators"

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, related_name="replies", null=True, blank=True
    )
    reply_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    body = models.TextField(max_length=1000)
    body_html = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["note", "parent", "id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="comment_not_own_parent"),
        ]
        permissions = [("moderate_comment", "Can hide and restore any member's comments")]

    def __str__(self) -> str:
        return self.body[:50]


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_rel")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_rel")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("follower", "followee", name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="no_self_follow"),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"


class TopicFollow(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="topic_follows")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("user", "topic", name="topic_follow_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows topic {self.topic_id}"


class Block(models.Model):
    """``blocker`` no longer sees ``blocked``'s notes and comments; ``blocked``
    can no longer follow, comment on, like, collect or mention ``blocker``."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("blocker", "blocked", name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Report(models.Model):
    """A member flags a note, a comment or another member for moderators."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        HARASSMENT = "harassment", "Harassment or hate"
        NUDITY = "nudity", "Nudity or sexual content"
        VIOLENCE = "violence", "Violence or dangerous acts"
        MISINFORMATION = "misinformation", "False information"
        INTELLECTUAL_PROPERTY = "ip", "Copyright or trademark"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTIONED = "actioned", "Content hidden"
        DISMISSED = "dismissed", "Dismissed"

    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports_filed")
    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="reports_received"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_handled"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(note__isnull=False, comment__isnull=True, user__isnull=True)
                    | Q(note__isnull=True, comment__isnull=False, user__isnull=True)
                    | Q(note__isnull=True, comment__isnull=True, user__isnull=False)
                ),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                "reporter", "note", condition=Q(status="open"), name="report_note_once_open"
            ),
            models.UniqueConstraint(
                "reporter", "comment", condition=Q(status="open"), name="report_comment_once_open"
            ),
            models.UniqueConstraint(
                "reporter", "user", condition=Q(status="open"), name="report_user_once_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} report #{self.pk}"

    @property
    def target(self) -> Note | Comment | User | None:
        return self.note or self.comment or self.user


class Notification(models.Model):
    class Verb(models.TextChoices):
        LIKE = "like", "liked your note"
        COLLECT = "collect", "collected your note"
        COMMENT = "comment", "commented on your note"
        REPLY = "reply", "replied to your comment"
        FOLLOW = "follow", "started following you"
        MENTION = "mention", "mentioned you"
        WENT_LIVE = "went_live", "is live now"
        # From staff or a later app: ``data`` holds {"title", "text", "url"}.
        NOTICE = "notice", "sent you a notice"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    verb = models.CharField(max_length=20, choices=Verb.choices)
    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Extension point for later apps (a live room's id and URL, ...).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"]),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_verb_display()}"
