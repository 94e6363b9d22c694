"""Helpers shared by the shop's tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from live.models import Room


def pin_url(room: Room) -> str:
    """The room's pin endpoint (``POST`` pins, ``DELETE`` unpins)."""
    return f"/api/v1/live/rooms/{room.pk}/pin"
