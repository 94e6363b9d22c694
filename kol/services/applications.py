"""Writes of applications to the creator pool: a member submits (or
withdraws) one, a moderator approves or rejects it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from community.models import User
from kol.errors import (
    AlreadyCreator,
    ApplicationPending,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kol.models import Application, CreatorProfile
from kol.selectors.access import is_reviewer
from kol.services.notifications import notification_send
from kol.services.profiles import _clean_links, _niches, creator_profile_create


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
        notification_send(
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
        notification_send(
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
