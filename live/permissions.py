"""Who may moderate live rooms: one definition for pages, services, chat,
the admin and the websocket consumer (and the guard that refuses the
others, :func:`check_can_moderate`)."""

from __future__ import annotations

from typing import Any

from community.models import User
from community.permissions import is_moderator as is_community_moderator
from live.errors import AuthenticationRequired, PermissionDenied
from live.models import Room

# The permissions that make a site moderator (is_site_moderator): live's own,
# and the community's moderators (community.permissions.is_moderator);
# live.selectors.member_standing reads them in SQL.
SITE_MODERATOR_PERMISSIONS = (("live", "moderate_room"), ("community", "moderate_note"))


def is_site_moderator(user: Any) -> bool:
    """Staff who moderate and may end every room: holders of
    ``live.moderate_room`` and the community's moderators (superusers
    included)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.has_perm("live.moderate_room") or is_community_moderator(user))
    )


def is_room_moderator(user: Any, room: Room) -> bool:
    """True when ``user`` may moderate ``room``: its host, one of its room
    moderators, or a site moderator. What pages use to show moderation
    controls; slow mode does not apply to these members."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if room.host_id == user.pk:
        return True
    if is_site_moderator(user):
        return True
    return room.moderators.filter(pk=user.pk).exists()


def check_can_moderate(*, actor: Any, room: Room) -> User:
    """The actor, when they may moderate ``room``; otherwise an error."""
    if not getattr(actor, "is_authenticated", False):
        raise AuthenticationRequired()
    if not is_room_moderator(actor, room):
        raise PermissionDenied("Only this room's moderators can do this.")
    return actor
