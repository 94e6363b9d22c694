"""Reads of host invitations: who may send them, which a member may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kol.errors import NotFound, ValidationFailed
from kol.models import Invitation


def can_send_invitations(user: Any) -> bool:
    """Staff who invite members to host: superusers and holders of
    ``kol.send_invitation`` (the Moderators group has it)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.has_perm("kol.send_invitation"))
    )


def invitation_list_for(user: Any) -> QuerySet[Invitation]:
    """The invitations a member may see: their own; staff see all."""
    invitations = Invitation.objects.select_related("user", "invited_by", "niche")
    if can_send_invitations(user):
        return invitations
    if not getattr(user, "is_authenticated", False):
        return invitations.none()
    return invitations.filter(user=user)


def invitation_list(
    invitations: QuerySet[Invitation], *, status: str | None = None
) -> QuerySet[Invitation]:
    """``invitations`` (from :func:`invitation_list_for`) with the
    invited member, the sender and the niche joined, optionally only those in
    ``status``; an unknown status raises ValidationFailed."""
    if status is not None:
        if status not in Invitation.Status.values:
            raise ValidationFailed(
                fields={"status": [f"Use one of: {', '.join(Invitation.Status.values)}."]}
            )
        invitations = invitations.filter(status=status)
    return invitations.select_related("user", "invited_by", "niche")


def invitation_for_member(*, invitation_id: int, user: Any) -> Invitation:
    """An invitation addressed to ``user``. Anyone else's is NotFound, staff
    included: only the invited member answers an invitation."""
    invitation = (
        Invitation.objects.filter(pk=invitation_id, user_id=user.pk)
        .select_related("user", "invited_by", "niche")
        .first()
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def invitation_own_list(user: Any) -> list[Invitation]:
    """The invitations addressed to ``user``, newest first (staff too see
    only their own here: this is the creator studio, not the admin)."""
    return list(
        invitation_list(Invitation.objects.filter(user_id=user.pk)).order_by("-created_at", "-pk")
    )
