"""Writes of the creator pool: applications, creator profiles, tiers and agency
rosters. Screening and invitations live in ``kol.screening`` and
``kol.invitations``, daily stats in ``kol.stats``.

Same discipline as ``community.services``: keyword-only functions, checks
first, one transaction, notifications on commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from community.models import Notification, User
from kol.errors import (
    AlreadyCreator,
    ApplicationPending,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kol.models import (
    BPS_MAX,
    Agency,
    AgencyMembership,
    Application,
    CreatorProfile,
    Niche,
    RevenueShareChange,
    Tier,
)

MAX_LINKS = 5


# --- access -----------------------------------------------------------------


def is_reviewer(user: Any) -> bool:
    """Staff who decide applications (superusers, Moderators)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.has_perm("kol.review_application"))
    )


def can_host_live(user: Any) -> bool:
    """The right the live app checks: granted by accepting an invitation."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_perm("kol.host_live")
    )


def host_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="kol", codename="host_live")


# --- tiers ------------------------------------------------------------------


def tier_thresholds() -> list[tuple[str, int]]:
    """``[(tier, minimum followers), ...]`` from the highest tier down, from
    ``settings.SPROUT_KOL_TIERS``."""
    thresholds = dict(settings.SPROUT_KOL_TIERS)
    return sorted(
        ((tier, int(thresholds.get(tier, 0))) for tier in Tier.values if tier != Tier.NANO),
        key=lambda item: item[1],
        reverse=True,
    )


def tier_for(followers: int) -> str:
    """The tier an audience of ``followers`` puts a creator in."""
    for tier, minimum in tier_thresholds():
        if followers >= minimum:
            return tier
    return Tier.NANO.value


# --- profiles -----------------------------------------------------------------


def _clean_links(raw: Any) -> list[dict[str, str]]:
    """``[{"label", "url"}]`` with http(s) URLs only, at most five."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LINKS:
        raise ValidationFailed(fields={"links": [f"Give at most {MAX_LINKS} links."]})
    links = []
    for item in raw:
        if isinstance(item, str):
            item = {"label": "", "url": item}
        if not isinstance(item, dict):
            raise ValidationFailed(fields={"links": ["Each link is a URL or {label, url}."]})
        url = str(item.get("url", "")).strip()
        label = str(item.get("label", "")).strip()[:40]
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 300:
            raise ValidationFailed(fields={"links": [f"Not a web address: {url[:80]!r}."]})
        links.append({"label": label or parsed.netloc, "url": url})
    return links


def _niches(slugs: Iterable[str]) -> list[Niche]:
    wanted = list(dict.fromkeys(slugs))
    found = {n.slug: n for n in Niche.objects.filter(slug__in=wanted, is_active=True)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ValidationFailed(fields={"niches": [f"Unknown niches: {', '.join(unknown)}."]})
    if len(found) > 5:
        raise ValidationFailed(fields={"niches": ["Pick at most five niches."]})
    return [found[slug] for slug in wanted]


def creator_profile_create(
    *,
    user: User,
    niche_slugs: Sequence[str] = (),
    bio: str = "",
    links: Any = None,
    verified: bool = False,
) -> CreatorProfile:
    """Put a member in the pool (from an approved application, or by staff)."""
    if CreatorProfile.objects.filter(user=user).exists():
        raise AlreadyCreator()
    niches = _niches(niche_slugs)
    clean_links = _clean_links(links)
    try:
        with transaction.atomic():
            profile = CreatorProfile.objects.create(
                user=user,
                bio=bio.strip()[:500],
                links=clean_links,
                verified=verified,
                tier=tier_for(user.follower_count),
            )
            profile.niches.set(niches)
    except IntegrityError as exc:
        raise AlreadyCreator() from exc
    return profile


def creator_profile_update(
    *,
    actor: User,
    profile: CreatorProfile,
    bio: str | None = None,
    links: Any = None,
    niche_slugs: Sequence[str] | None = None,
) -> CreatorProfile:
    """The creator (or a reviewer) edits bio, links and niches. Tier and badge
    are not editable here: the tier is derived, the badge is staff's."""
    if actor.pk != profile.user_id and not is_reviewer(actor):
        raise PermissionDenied("Only the creator or staff can change this profile.")
    fields = []
    if bio is not None:
        profile.bio = bio.strip()[:500]
        fields.append("bio")
    if links is not None:
        profile.links = _clean_links(links)
        fields.append("links")
    with transaction.atomic():
        if fields:
            profile.save(update_fields=fields)
        if niche_slugs is not None:
            profile.niches.set(_niches(niche_slugs))
    return profile


def set_verified(*, actor: User, profiles: QuerySet[CreatorProfile], verified: bool) -> int:
    """Give or take the verified badge (staff only)."""
    if not is_reviewer(actor):
        raise PermissionDenied("Only staff verify creators.")
    return profiles.update(verified=verified)


# --- applications ---------------------------------------------------------------


def application_submit(
    *, applicant: User, pitch: str, niche_slugs: Sequence[str] = (), links: Any = None
) -> Application:
    """A member asks to join the pool. One pending application at a time;
    creators cannot apply again."""
    if CreatorProfile.objects.filter(user=applicant).exists():
        raise AlreadyCreator()
    pitch = pitch.strip()
    if len(pitch) < 20:
        raise ValidationFailed(
            fields={"pitch": ["Tell us a little more (at least 20 characters)."]}
        )
    if len(pitch) > 1000:
        raise ValidationFailed(fields={"pitch": ["Keep it within 1,000 characters."]})
    niches = _niches(niche_slugs)
    if not niches:
        raise ValidationFailed(fields={"niches": ["Pick at least one niche."]})
    clean_links = _clean_links(links)
    if Application.objects.filter(applicant=applicant, status=Application.Status.PENDING).exists():
        raise ApplicationPending()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=applicant, pitch=pitch, links=clean_links
            )
            application.niches.set(niches)
    except IntegrityError as exc:  # a concurrent submit won
        raise ApplicationPending() from exc
    return application


def _check_review(*, reviewer: User, application: Application) -> None:
    if not is_reviewer(reviewer):
        raise PermissionDenied("Only moderators review applications.")
    if reviewer.pk == application.applicant_id:
        raise PermissionDenied("Nobody reviews their own application.")


def application_approve(
    *, reviewer: User, application: Application, reason: str = ""
) -> CreatorProfile:
    """Approve: the applicant joins the pool with the niches and links they
    gave, and is notified."""
    _check_review(reviewer=reviewer, application=application)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != Application.Status.PENDING:
            raise ValidationFailed(
                f"This application is already {locked.get_status_display()}.",
                code="already_reviewed",
            )
        profile = creator_profile_create(
            user=locked.applicant,
            niche_slugs=list(locked.niches.values_list("slug", flat=True)),
            links=locked.links,
        )
        Application.objects.filter(pk=locked.pk).update(
            status=Application.Status.APPROVED,
            decision_reason=reason.strip()[:1000],
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
        )
        notify(
            user=locked.applicant,
            actor=reviewer,
            title="Welcome to the creator pool",
            text=reason.strip() or "Your application was approved.",
            url=profile.get_absolute_url(),
        )
    application.refresh_from_db()
    return profile


def application_reject(*, reviewer: User, application: Application, reason: str) -> Application:
    """Reject with a reason the applicant reads."""
    _check_review(reviewer=reviewer, application=application)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Tell the applicant why."]})
    with transaction.atomic():
        changed = Application.objects.filter(
            pk=application.pk, status=Application.Status.PENDING
        ).update(
            status=Application.Status.REJECTED,
            decision_reason=reason[:1000],
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
        )
        if not changed:
            raise ValidationFailed(
                "This application was already reviewed.", code="already_reviewed"
            )
        notify(
            user=application.applicant,
            actor=reviewer,
            title="About your creator application",
            text=reason,
            url="/creators/apply",
        )
    application.refresh_from_db()
    return application


def application_withdraw(*, applicant: User, application: Application) -> Application:
    """The applicant takes back a pending application (to send a better one,
    say: one may be pending at a time). Anyone else's is NotFound;
    withdrawing twice changes nothing; once a moderator has decided, it is
    too late (``already_reviewed``)."""
    if application.applicant_id != applicant.pk:
        raise NotFound("No such application.")
    # One conditional UPDATE: a moderator deciding at the same moment either
    # finds it withdrawn or has already decided.
    Application.objects.filter(pk=application.pk, status=Application.Status.PENDING).update(
        status=Application.Status.WITHDRAWN
    )
    application.refresh_from_db()
    if application.status != Application.Status.WITHDRAWN:
        raise ValidationFailed(
            f"This application is already {application.get_status_display().lower()}.",
            code="already_reviewed",
        )
    return application


# --- agencies -------------------------------------------------------------------


def _check_bps(share_bps: Any) -> int:
    if isinstance(share_bps, bool) or not isinstance(share_bps, int):
        raise ValidationFailed(fields={"share_bps": ["A whole number of basis points."]})
    if not 0 <= share_bps <= BPS_MAX:
        raise ValidationFailed(
            fields={"share_bps": [f"Between 0 and {BPS_MAX:,} basis points (0–100%)."]}
        )
    return share_bps


def agency_add_creator(
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


def agency_change_share(
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


def agency_end_membership(*, actor: User | None, membership: AgencyMembership) -> None:
    AgencyMembership.objects.filter(pk=membership.pk, ended_at=None).update(ended_at=timezone.now())


# --- notifications -------------------------------------------------------------------


def notify(*, user: User, actor: User | None, title: str, text: str, url: str) -> None:
    """A notice in the member's notifications (after commit)."""

    def send() -> None:
        Notification.objects.create(
            recipient=user,
            actor=actor or user,
            verb=Notification.Verb.NOTICE,
            data={"title": title, "text": text, "url": url},
        )

    transaction.on_commit(send)
