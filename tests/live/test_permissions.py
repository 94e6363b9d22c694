"""``live.selectors.member_standing``: one query that must say what
``is_banned`` and ``is_room_moderator`` say, for every kind of member."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from live import permissions
from live.models import Room, RoomRestriction
from live.selectors import is_banned, member_standing
from tests.factories import (
    ModeratorFactory,
    RoomFactory,
    RoomRestrictionFactory,
    SuperuserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BAN, MUTE = RoomRestriction.Kind.BAN, RoomRestriction.Kind.MUTE


def _granted(app_label: str, codename: str, *, through_group: bool = False) -> Any:
    user = UserFactory()
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    if through_group:
        group = Group.objects.create(name=f"holders of {codename} {user.pk}")
        group.permissions.add(permission)
        user.groups.add(group)
    else:
        user.user_permissions.add(permission)
    return user


def _moderating(room: Room) -> Any:
    user = UserFactory()
    room.moderators.add(user)
    return user


def _restricted(room: Room, kind: str, **fields: Any) -> Any:
    return RoomRestrictionFactory(room=room, kind=kind, **fields).user


MEMBERS: dict[str, Callable[[Room], Any]] = {
    "a member": lambda room: UserFactory(),
    "the host": lambda room: room.host,
    "a room moderator": lambda room: _moderating(room),
    "another room's moderator": lambda room: _moderating(RoomFactory(live=True)),
    "live.moderate_room": lambda room: _granted("live", "moderate_room"),
    "live.moderate_room through a group": lambda room: _granted(
        "live", "moderate_room", through_group=True
    ),
    "community.moderate_note": lambda room: _granted("community", "moderate_note"),
    "the Moderators group": lambda room: ModeratorFactory(),
    "another permission": lambda room: _granted("live", "add_room"),
    "a superuser": lambda room: SuperuserFactory(),
    "banned": lambda room: _restricted(room, BAN),
    "banned in another room": lambda room: _restricted(RoomFactory(live=True), BAN),
    "banned, lifted": lambda room: _restricted(room, BAN, lifted_at=timezone.now()),
    "banned, expired": lambda room: _restricted(
        room, BAN, expires_at=timezone.now() - timedelta(minutes=1)
    ),
    "banned until later": lambda room: _restricted(
        room, BAN, expires_at=timezone.now() + timedelta(hours=1)
    ),
    "muted": lambda room: _restricted(room, MUTE),
}


@pytest.mark.parametrize("kind", MEMBERS)
def test_member_standing_says_what_is_banned_and_is_room_moderator_say(kind: str) -> None:
    room = RoomFactory(live=True)
    member = MEMBERS[kind](room)
    member = type(member).objects.get(pk=member.pk)  # no permission cache

    with CaptureQueriesContext(connection) as one:
        standing = member_standing(member, room)

    assert len(one.captured_queries) == 1
    fresh = type(member).objects.get(pk=member.pk)
    assert standing == (is_banned(fresh, room), permissions.is_room_moderator(fresh, room)), kind
