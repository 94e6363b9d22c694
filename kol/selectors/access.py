"""Who may do what in the creator pool: the predicates the pool's services,
views and the apps above it check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

from community import permissions as community_permissions
from kol.models import AgencyMembership


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


def sees_whole_pool(user: Any) -> bool:
    """Staff whose work covers every creator: superusers, pool reviewers
    (``kol.review_application``) and moderators (``community.moderate_note``).
    Being staff is not enough: agency managers are staff too, and see only
    their own rosters."""
    return is_reviewer(user) or community_permissions.is_moderator(user)


_UNKNOWN: Any = object()


def can_see_money(
    viewer: Any, *, creator_user_id: int, membership: AgencyMembership | None = _UNKNOWN
) -> bool:
    """Who may see a creator's money (earnings, gift income and sales, a
    live session's cash, revenue shares, payouts): the creator, the
    managers of the agency whose roster they are on now, and staff who see
    the whole pool (:func:`sees_whole_pool`). Nobody else: not another
    agency's managers, not staff for being staff. ``membership``, when the
    caller has loaded the creator's current one (or knows there is none),
    spares a query."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return False
    if viewer.pk == creator_user_id or sees_whole_pool(viewer):
        return True
    if membership is _UNKNOWN:
        return AgencyMembership.objects.filter(
            creator__user_id=creator_user_id, ended_at=None, agency__managers=viewer.pk
        ).exists()
    if membership is None:
        return False
    return membership.agency.managers.filter(pk=viewer.pk).exists()
