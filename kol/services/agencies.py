"""Writes of agency rosters: a creator joins an agency, their revenue share
changes (the old one stays in the history), the membership ends."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from community.models import User
from kol.errors import ValidationFailed
from kol.models import BPS_MAX, Agency, AgencyMembership, CreatorProfile, RevenueShareChange


def _check_bps(share_bps: Any) -> int:
    if isinstance(share_bps, bool) or not isinstance(share_bps, int):
        raise ValidationFailed(fields={"share_bps": ["A whole number of basis points."]})
    if not 0 <= share_bps <= BPS_MAX:
        raise ValidationFailed(
            fields={"share_bps": [f"Between 0 and {BPS_MAX:,} basis points (0–100%)."]}
        )
    return share_bps


def agency_creator_add(
    *, actor: User | None, agency: Agency, creator: CreatorProfile, share_bps: int
) -> AgencyMembership:
    """Put a creator on an agency's roster (ending any current membership)."""
    share = _check_bps(share_bps)
    with transaction.atomic():
        now = timezone.now()
        AgencyMembership.objects.filter(creator=creator, ended_at=None).update(ended_at=now)
        membership = AgencyMembership.objects.create(
            agency=agency, creator=creator, share_bps=share
        )
        RevenueShareChange.objects.create(
            membership=membership,
            old_bps=None,
            new_bps=share,
            changed_by=actor,
            reason="joined the roster",
        )
    return membership


def agency_share_change(
    *, actor: User | None, membership: AgencyMembership, share_bps: int, reason: str = ""
) -> AgencyMembership:
    """Agree a new share; the old one stays in the history."""
    share = _check_bps(share_bps)
    with transaction.atomic():
        locked = AgencyMembership.objects.select_for_update().get(pk=membership.pk)
        if locked.ended_at is not None:
            raise ValidationFailed("This membership has ended.", code="membership_ended")
        if locked.share_bps != share:
            RevenueShareChange.objects.create(
                membership=locked,
                old_bps=locked.share_bps,
                new_bps=share,
                changed_by=actor,
                reason=reason.strip()[:200],
            )
            AgencyMembership.objects.filter(pk=locked.pk).update(share_bps=share)
    membership.refresh_from_db()
    return membership


def agency_membership_end(*, actor: User | None, membership: AgencyMembership) -> None:
    AgencyMembership.objects.filter(pk=membership.pk, ended_at=None).update(ended_at=timezone.now())
