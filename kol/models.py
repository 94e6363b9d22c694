"""The creator (KOL) pool: who is in it, with which niches and tier, which
agency (MCN) represents them at what revenue share, how they perform day by
day, how members apply, and the invitations to host live rooms that staff
send after screening the pool.

Money does not move here: an agency's share is data (basis points, with its
history) that the wallet's payouts read later.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

BPS_MAX = 10_000


class Niche(models.Model):
    """A managed list of subjects creators cover ("skincare", "home cooking")."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Tier(models.TextChoices):
    """Audience size classes; thresholds live in settings.SPROUT_KOL_TIERS and
    the tier is always derived (kol.tiers), never typed by hand."""

    NANO = "nano", "Nano"
    MICRO = "micro", "Micro"
    MID = "mid", "Mid-tier"
    MACRO = "macro", "Macro"
    MEGA = "mega", "Mega"


class CreatorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator"
    )
    niches = models.ManyToManyField(Niche, related_name="creators", blank=True)
    tier = models.CharField(
        max_length=10, choices=Tier.choices, default=Tier.NANO, editable=False, db_index=True
    )
    verified = models.BooleanField(default=False, db_index=True)
    bio = models.TextField(max_length=500, blank=True)
    # [{"label": "Blog", "url": "https://..."}], http(s) only (kol.services).
    links = models.JSONField(default=list, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    # The latest daily stat's engagement rate, copied by kol.services.stats so the
    # directory can order by it.
    engagement_rate = models.FloatField(default=0.0, editable=False, db_index=True)
    # The latest screening (kol.selectors.screening): what the directory orders by.
    score = models.FloatField(null=True, blank=True, editable=False, db_index=True)
    score_reasons = models.JSONField(default=list, blank=True, editable=False)
    scored_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-score", "id"]
        permissions = [("host_live", "Can host live rooms")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_tier_display()})"

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.user.username])


class Agency(models.Model):
    """A multi-channel network that represents creators for a share of what
    they earn. ``managers`` are the agency's own accounts: in the admin they
    see their roster and nothing else."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    contact_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="managed_agencies", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class AgencyMembership(models.Model):
    """A creator on an agency's roster at an agreed share of their earnings, in
    basis points (2,500 = 25%). A creator has at most one current agency;
    share changes are kept in RevenueShareChange."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="agency_memberships"
    )
    share_bps = models.PositiveIntegerField(validators=[MaxValueValidator(BPS_MAX)])
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_bps__gte=0, share_bps__lte=BPS_MAX),
                name="membership_share_bps_range",
            ),
            models.UniqueConstraint(
                "creator", condition=Q(ended_at__isnull=True), name="one_current_agency_per_creator"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator.user} @ {self.agency} ({self.share_bps / 100:.2f}%)"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class RevenueShareChange(models.Model):
    """History of an agency membership's share: every value it ever had."""

    membership = models.ForeignKey(
        AgencyMembership, on_delete=models.CASCADE, related_name="share_changes"
    )
    old_bps = models.PositiveIntegerField(null=True, blank=True)
    new_bps = models.PositiveIntegerField(validators=[MaxValueValidator(BPS_MAX)])
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(new_bps__lte=BPS_MAX), name="share_change_range"),
        ]

    def __str__(self) -> str:
        return f"{self.old_bps} -> {self.new_bps} bps"


class Application(models.Model):
    """A member asks to join the creator pool; a moderator decides."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_applications"
    )
    niches = models.ManyToManyField(Niche, related_name="applications", blank=True)
    pitch = models.TextField(max_length=1000)
    links = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decision_reason = models.TextField(max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "applicant", condition=Q(status="pending"), name="one_pending_application"
            ),
        ]
        permissions = [("review_application", "Can approve or reject creator applications")]

    def __str__(self) -> str:
        return f"{self.applicant} ({self.get_status_display()})"


class CreatorDailyStat(models.Model):
    """One creator's day, kept as history (kol.services.stats computes it set-based).

    ``live_seconds``, ``gift_income`` and ``sales`` stay zero until the live,
    wallet and shop apps register their providers (``kol.extensions.stat_providers``).
    Money is in minor units."""

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="daily_stats"
    )
    date = models.DateField()
    followers = models.PositiveIntegerField(default=0)
    new_followers = models.PositiveIntegerField(default=0)
    notes_published = models.PositiveIntegerField(default=0)
    likes_received = models.PositiveIntegerField(default=0)
    collects_received = models.PositiveIntegerField(default=0)
    comments_received = models.PositiveIntegerField(default=0)
    # Interactions received in the 30 days ending on ``date`` per follower and
    # per note published in those days (0.071 = 7.1%).
    engagement_rate = models.FloatField(default=0.0)
    live_seconds = models.PositiveIntegerField(default=0)
    gift_income = models.BigIntegerField(default=0)
    sales = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "creator_id"]
        constraints = [
            models.UniqueConstraint("creator", "date", name="one_stat_per_creator_day"),
        ]
        indexes = [models.Index(fields=["date", "creator"])]

    def __str__(self) -> str:
        return f"{self.creator_id} on {self.date}"

    @property
    def live_hours(self) -> float:
        return self.live_seconds / 3600


class Invitation(models.Model):
    """An invitation to host live rooms. At most one open (``sent``) per
    member; accepting grants ``kol.host_live``; Celery expires stale ones."""

    class Status(models.TextChoices):
        SENT = "sent", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(max_length=1000, blank=True)
    niche = models.ForeignKey(
        Niche, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The screening that motivated it, frozen for the record.
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SENT, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("user", condition=Q(status="sent"), name="one_open_invitation"),
        ]
        permissions = [("send_invitation", "Can invite members to host live rooms")]

    def __str__(self) -> str:
        return f"invitation of {self.user} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SENT
