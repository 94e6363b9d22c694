"""Invitations to host live rooms: sent by staff (by hand, from the admin or
after ``manage.py screen_creators``), answered by the member, expired by
Celery (``kol.tasks.expire_invitations``). Who may send them and which a
member sees are ``kol.selectors.invitations``.

A member has at most one open (``sent``) invitation: the partial unique
index ``one_open_invitation`` guarantees it even when two staff members
invite at the same moment. Accepting grants the permission ``kol.host_live``
that the live app checks. An invitation past its ``expires_at`` is expired
whether or not the periodic task has marked it yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from community.models import User
from kol.errors import InvitationClosed, NotFound, PermissionDenied, ValidationFailed
from kol.models import Invitation, Niche
from kol.selectors.access import can_host_live, host_permission
from kol.selectors.invitations import can_send_invitations
from kol.services.notifications import notification_send

#: Where an invited member answers (the creator studio lists invitations).
STUDIO_URL = "/studio/"
MAX_MESSAGE = 1000


def _expires_at(now: datetime) -> datetime:
    return now + timedelta(days=settings.SPROUT_KOL_INVITATION_DAYS)


def invitation_send(
    *,
    actor: User | None,
    user: User,
    message: str = "",
    niche: Niche | None = None,
    score: float | None = None,
    reasons: Sequence[str] = (),
) -> tuple[Invitation, bool]:
    """Invite ``user`` to host live rooms; returns ``(invitation, created)``.

    Idempotent: if the member already has an open invitation it is returned
    with ``created=False`` (a stale one past its expiry is expired first and
    a fresh one sent). ``actor`` is the staff member (checked with
    :func:`can_send_invitations`); ``None`` means the system (a management
    command). ``score`` and ``reasons`` freeze the screening that motivated
    it. The member gets a notice linking to the creator studio.
    """
    if actor is not None and not can_send_invitations(actor):
        raise PermissionDenied("Only staff invite members to host live rooms.")
    if not user.is_active:
        raise ValidationFailed(fields={"user": ["This account is not active."]})
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationFailed(fields={"message": [f"Keep it within {MAX_MESSAGE:,} characters."]})
    if can_host_live(user):
        raise ValidationFailed(f"{user.username} already hosts live rooms.", code="already_host")

    now = timezone.now()
    open_invitation = Invitation.objects.filter(user=user, status=Invitation.Status.SENT).first()
    if open_invitation is not None:
        if open_invitation.expires_at > now:
            return open_invitation, False
        Invitation.objects.filter(pk=open_invitation.pk, status=Invitation.Status.SENT).update(
            status=Invitation.Status.EXPIRED
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                user=user,
                invited_by=actor,
                message=message,
                niche=niche,
                score=score,
                reasons=[str(reason) for reason in reasons],
                expires_at=_expires_at(now),
            )
            notification_send(
                user=user,
                actor=actor,
                title="You are invited to host live rooms",
                text=message
                or "Sprout would love to see you live. Answer from your creator studio.",
                url=STUDIO_URL,
            )
    except IntegrityError:
        # Another invite for this member committed first (one_open_invitation).
        winner = Invitation.objects.filter(user=user, status=Invitation.Status.SENT).first()
        if winner is None:
            raise
        return winner, False
    return invitation, True


def _own_open(*, user: User, invitation: Invitation) -> Invitation:
    """Lock the invitation; another member's looks like it does not exist."""
    if not getattr(user, "is_authenticated", False) or invitation.user_id != user.pk:
        raise NotFound("No such invitation.")
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if locked is None or locked.user_id != user.pk:
        raise NotFound("No such invitation.")
    if locked.status != Invitation.Status.SENT:
        raise InvitationClosed(f"This invitation is already {locked.get_status_display().lower()}.")
    return locked


def _answer(*, user: User, invitation: Invitation, status: str) -> Invitation:
    """Record the member's answer, or expire the invitation if it is past due
    (then raise :class:`InvitationClosed`, after the expiry is saved)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _own_open(user=user, invitation=invitation)
        past_due = locked.expires_at <= now
        Invitation.objects.filter(pk=locked.pk).update(
            status=Invitation.Status.EXPIRED if past_due else status,
            responded_at=None if past_due else now,
        )
        if not past_due and status == Invitation.Status.ACCEPTED:
            user.user_permissions.add(host_permission())
            # Django caches permissions on the instance; the caller's user
            # must see the new right at once.
            for cache in ("_perm_cache", "_user_perm_cache"):
                user.__dict__.pop(cache, None)
        inviter = locked.invited_by if not past_due else None
        if inviter is not None:
            verb = "accepted" if status == Invitation.Status.ACCEPTED else "declined"
            notification_send(
                user=inviter,
                actor=user,
                title=f"{user.username} {verb} your invitation to host",
                text=f"{user.username} {verb} the invitation sent on {locked.created_at:%Y-%m-%d}.",
                url=reverse("profile", args=[user.username]),
            )
    invitation.refresh_from_db()
    if past_due:
        raise InvitationClosed(f"This invitation expired on {locked.expires_at:%Y-%m-%d}.")
    return invitation


def invitation_accept(*, user: User, invitation: Invitation) -> Invitation:
    """The invited member accepts while the invitation is open: they get the
    right to host live rooms (``kol.host_live``) and the inviter a notice."""
    return _answer(user=user, invitation=invitation, status=Invitation.Status.ACCEPTED)


def invitation_decline(*, user: User, invitation: Invitation) -> Invitation:
    """The invited member declines while the invitation is open; the inviter
    gets a notice."""
    return _answer(user=user, invitation=invitation, status=Invitation.Status.DECLINED)


def invitations_expire_due(*, now: datetime | None = None) -> int:
    """Expire every open invitation past its ``expires_at`` (one UPDATE);
    returns how many."""
    return Invitation.objects.filter(
        status=Invitation.Status.SENT, expires_at__lte=now or timezone.now()
    ).update(status=Invitation.Status.EXPIRED)


def invitations_expire(*, invitations: QuerySet[Invitation]) -> int:
    """Expire the open invitations among ``invitations`` now, before their
    date (staff, from the admin): one ``UPDATE``, no notice. Returns how
    many."""
    return invitations.filter(status=Invitation.Status.SENT).update(
        status=Invitation.Status.EXPIRED
    )
