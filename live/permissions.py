"""Who may moderate live rooms: one definition for pages, services, chat,
the admin and the websocket consumer (and the guard that refuses the
others, :func:`check_can_moderate`)."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from community.models import User
from community.permissions import is_moderator as is_community_moderator
from live.errors import AuthenticationRequired, PermissionDenied
from live.models import Room, RoomRestriction

# The permissions that make a site moderator (is_site_moderator): live's own,
# and the community's moderators (community.permissions.is_moderator).
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


class Standing(NamedTuple):
    """A member's standing in a room: kept out by a ban in force; may moderate it."""

    banned: bool
    moderator: bool


@functools.cache
def _standing_sql() -> str:
    """The statement of :func:`member_standing`, named from the models' tables."""
    restriction = RoomRestriction._meta.db_table
    moderators = Room.moderators.through._meta.db_table
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
    own = User.user_permissions.through._meta.db_table
    membership = User.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    wanted = " OR ".join(
        ["(ct.app_label = %s AND p.codename = %s)"] * len(SITE_MODERATOR_PERMISSIONS)
    )
    return (
        "SELECT "  # noqa: S608 (table names from the models, values as parameters)
        f"EXISTS (SELECT 1 FROM {restriction} WHERE room_id = %s AND user_id = %s AND kind = %s "
        "AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > %s)), "
        f"EXISTS (SELECT 1 FROM {moderators} WHERE room_id = %s AND user_id = %s), "
        f"EXISTS (SELECT 1 FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id "
        f"WHERE ({wanted}) AND ("
        f"p.id IN (SELECT permission_id FROM {own} WHERE user_id = %s) "
        f"OR p.id IN (SELECT gp.permission_id FROM {group_permissions} gp "
        f"JOIN {membership} m ON m.group_id = gp.group_id WHERE m.user_id = %s)))"
    )


def member_standing(user: User, room: Room) -> Standing:
    """:func:`live.selectors.is_banned` and :func:`is_room_moderator` for a
    member, in one statement instead of four queries (the ban, the user's
    and their groups' permissions, the room's moderators): what admitting a
    member to the room's websocket asks, a crowd of them at once when a
    worker's viewers reconnect. In SQL of its own: the ORM took longer to
    compile it with three ``Exists`` than the four queries took to run.
    "In force" is ``live.selectors.chat._in_force``'s rule, the permissions
    are ModelBackend's (the only authentication backend configured;
    superusers have them all); ``tests/live/test_permissions.py`` holds it
    equal to the two it stands for, on both databases."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    wanted = [value for pair in SITE_MODERATOR_PERMISSIONS for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            _standing_sql(),
            [room.pk, user.pk, RoomRestriction.Kind.BAN.value, now, room.pk, user.pk, *wanted,
             user.pk, user.pk],
        )  # fmt: skip
        banned, room_moderator, permitted = cursor.fetchone()
    moderator = user.is_active and (
        room.host_id == user.pk or user.is_superuser or bool(room_moderator) or bool(permitted)
    )
    return Standing(banned=bool(banned), moderator=moderator)


def check_can_moderate(*, actor: Any, room: Room) -> User:
    """The actor, when they may moderate ``room``; otherwise an error."""
    if not getattr(actor, "is_authenticated", False):
        raise AuthenticationRequired()
    if not is_room_moderator(actor, room):
        raise PermissionDenied("Only this room's moderators can do this.")
    return actor
