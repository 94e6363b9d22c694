"""Money: accounts, a double-entry ledger, idempotency records, recharges
through payment providers, the gift catalog and payouts.

Rules the database enforces, not only Python:
- amounts are integers in minor units (coins for coin accounts, cents of the
  payout currency for money accounts);
- a member's coins, a creator's earnings and an agency's balance never go
  below zero (CHECK constraints);
- every idempotency key is used once per member and purpose (UNIQUE);
- one payout per creator per payout run (UNIQUE).
That every entry's lines sum to zero is guaranteed by ``wallet.services.ledger`` (the
only writer) and proven by ``manage.py reconcile_ledger``; on PostgreSQL a
deferred constraint trigger checks it at commit as well (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.images import CleanImageField


class Account(models.Model):
    """A balance in one unit. ``balance`` is the rolled-up part of the ledger:
    the true balance is ``balance`` plus the account's lines not yet rolled up
    (credits are appended, not applied, so a popular host is not a hot row)."""

    class Kind(models.TextChoices):
        MEMBER_COINS = "member_coins", "Member coins"
        CREATOR_EARNINGS = "creator_earnings", "Creator earnings (coins)"
        CREATOR_PAYABLE = "creator_payable", "Owed to creator (money)"
        AGENCY_PAYABLE = "agency_payable", "Owed to agency (money)"
        PLATFORM_COINS = "platform_coins", "Platform share (coins)"
        PLATFORM_REVENUE = "platform_revenue", "Platform revenue (money)"
        PROVIDER_CLEARING = "provider_clearing", "Payment provider clearing (money)"
        COIN_ISSUANCE = "coin_issuance", "Coins issued (coins)"
        PAYOUT_CONVERSION = "payout_conversion", "Coins converted at payout"
        # Orders (the shop books them through payment purposes, see
        # wallet.extensions): what a seller is owed for their sales, and an
        # affiliate creator's commission, pending until delivery, then earned
        # (paid out with their gift earnings).
        SELLER_PAYABLE = "seller_payable", "Owed to seller (money)"
        COMMISSION_PENDING = "commission_pending", "Commission pending delivery (money)"
        COMMISSION_EARNED = "commission_earned", "Commission earned (money)"
        # Commission of refunded orders that had already been paid out: the
        # platform bears it (shop.services.money).
        COMMISSION_WRITEOFF = "commission_writeoff", "Commission written off (money)"

    # Accounts that represent the outside world and may go negative: the
    # provider owes us what members paid; issued coins are a liability.
    MAY_GO_NEGATIVE = (
        Kind.PROVIDER_CLEARING,
        Kind.COIN_ISSUANCE,
        Kind.PAYOUT_CONVERSION,
        Kind.COMMISSION_WRITEOFF,
    )

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    # Owners that are not members (an agency: "agency:<id>"): the wallet sits
    # below the creator pool and does not know its models.
    owner_key = models.CharField(max_length=40, blank=True, default="")
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0)
                | Q(
                    kind__in=[
                        "provider_clearing",
                        "coin_issuance",
                        "payout_conversion",
                        "commission_writeoff",
                    ]
                ),
                name="account_balance_not_negative",
            ),
            models.UniqueConstraint(
                "kind",
                "user",
                condition=Q(user__isnull=False),
                name="one_account_per_kind_per_user",
            ),
            models.UniqueConstraint(
                "kind",
                "owner_key",
                condition=Q(user__isnull=True),
                name="one_account_per_kind_per_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user or self.owner_key or "platform"
        return f"{self.get_kind_display()} of {owner}"


class Entry(models.Model):
    """One movement of value: its lines sum to zero."""

    class Kind(models.TextChoices):
        RECHARGE = "recharge", "Recharge"
        GIFT = "gift", "Gift"
        PAYOUT = "payout", "Payout"
        PAYOUT_REVERSAL = "payout_reversal", "Payout reversal"
        ADJUSTMENT = "adjustment", "Adjustment"
        ORDER_PAYMENT = "order_payment", "Order payment"
        COMMISSION_RELEASE = "commission_release", "Commission released"
        ORDER_REFUND = "order_refund", "Order refund"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    memo = models.CharField(max_length=200, blank=True)
    # What caused it (kept loosely typed so lower apps need not know higher ones).
    reference = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Line(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    amount = models.BigIntegerField()
    # False until the amount is part of account.balance (see Account).
    rolled_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["account", "-id"]),
            models.Index(
                fields=["account"], condition=Q(rolled_up=False), name="line_pending_rollup_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="line_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} on {self.account_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a money-moving request, replayed for its retries.
    ``fingerprint`` is a hash of the request's parameters: the same key with
    other parameters is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "scope", "key", name="idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Payment(models.Model):
    """Money charged through a payment provider, for a ``purpose``: a
    recharge (coins bought: ``coins``), or what an app above the wallet
    registered (``wallet.extensions.payment_purposes``: the shop's
    ``order``, with ``coins`` 0), which books the money itself when the
    payment succeeds."""

    RECHARGE = "recharge"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=30)
    provider_ref = models.CharField(max_length=100)
    purpose = models.CharField(max_length=20, default=RECHARGE, db_index=True)
    coins = models.PositiveBigIntegerField()
    amount = models.PositiveBigIntegerField(help_text="Price in minor units of the currency.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "provider", "provider_ref", name="one_payment_per_provider_ref"
            ),
        ]

    def __str__(self) -> str:
        if self.purpose != self.RECHARGE:
            return f"{self.purpose} payment of {self.amount} by {self.user} ({self.status})"
        return f"{self.coins} coins for {self.user} ({self.status})"


class Gift(models.Model):
    class Tier(models.IntegerChoices):
        SMALL = 1, "Small (inline)"
        MEDIUM = 2, "Medium (banner)"
        LARGE = 3, "Large (full screen)"

    name = models.CharField(max_length=40)
    slug = models.SlugField(max_length=40, unique=True)
    coins = models.PositiveIntegerField(help_text="Price in coins.")
    animation_tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.SMALL)
    image = CleanImageField(upload_to="gifts/", blank=True)
    emoji = models.CharField(max_length=8, blank=True, help_text="Shown when there is no image.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "coins"]
        constraints = [models.CheckConstraint(condition=Q(coins__gt=0), name="gift_price_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.coins} coins)"


class GiftSend(models.Model):
    """One gift sent in a room: the fact tallies and leaderboards read."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="gift_send")
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="sends")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent"
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_received"
    )
    quantity = models.PositiveIntegerField()
    coins = models.PositiveBigIntegerField()
    # Where it happened (live room and session ids; the live app is a higher layer).
    room_id = models.BigIntegerField(db_index=True)
    session_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["host", "-created_at"]),
            # A room's last gifts (every live room page's chat).
            models.Index(fields=["room_id", "-id"], name="wallet_gift_room_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.gift.slug} from {self.sender_id} to {self.host_id}"


class PayoutRun(models.Model):
    """One execution of the payout schedule (or of ``run_payouts``). While it
    is being paid, ``holder`` (a Celery task id, or the command's token)
    holds its lease and renews ``heartbeat_at`` as it goes
    (``wallet.services.payout_lease``)."""

    period_end = models.DateField(unique=True, help_text="Earnings up to this day are paid.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(
        max_length=64, blank=True, help_text="Who is paying the run now (empty: nobody)."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When its holder was last seen paying it."
    )

    class Meta:
        ordering = ["-period_end"]

    def __str__(self) -> str:
        return f"payout run up to {self.period_end}"


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    # The agency that takes a share (from the creator pool's hook), as a key
    # and a name frozen at payout time.
    agency_key = models.CharField(max_length=40, blank=True)
    agency_name = models.CharField(max_length=100, blank=True)
    coins = models.PositiveBigIntegerField()
    rate = models.DecimalField(
        max_digits=12, decimal_places=6, help_text="Minor units of money per coin."
    )
    gross = models.BigIntegerField()
    agency_share_bps = models.PositiveIntegerField(default=0)
    agency_amount = models.BigIntegerField(default=0)
    net = models.BigIntegerField()
    # Affiliate commission earned on orders (money, not converted, no agency share).
    commission = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="payout")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("run", "creator", name="one_payout_per_creator_per_run"),
            models.CheckConstraint(
                condition=Q(net__gte=0, agency_amount__gte=0, gross__gte=0),
                name="payout_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(commission__gte=0), name="payout_commission_not_negative"
            ),
        ]
        permissions = [("review_payout", "Can approve or reject payouts")]

    def __str__(self) -> str:
        return f"payout of {self.net} {self.currency} to {self.creator}"


class ReconcileRun(models.Model):
    """One run of ``manage.py reconcile_ledger`` or of its daily beat task
    (``wallet.reconcile.ledger_reconcile_record``): when it finished and
    whether the books reconciled. The age of the newest run that did is on
    ``/metrics`` (``wallet.metrics``): a ledger nobody proved for a day is
    an alert."""

    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    discrepancies = models.PositiveIntegerField(default=0)
    first_discrepancy = models.TextField(blank=True)
    entries = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(help_text="How long the checks took.")

    class Meta:
        ordering = ["-finished_at"]
        indexes = [models.Index(fields=["ok", "-finished_at"], name="reconcile_run_ok_finished")]

    def __str__(self) -> str:
        return f"reconcile {'ok' if self.ok else 'FAILED'} at {self.finished_at:%Y-%m-%d %H:%M}"
