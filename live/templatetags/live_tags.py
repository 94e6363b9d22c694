"""Template helpers of the live pages: who sees "Go live", durations."""

from __future__ import annotations

from typing import Any

from django import template

from kol.selectors import can_host_live

register = template.Library()


@register.filter
def can_go_live(user: Any) -> bool:
    """True for members allowed to host (the account menu's "Go live")."""
    return can_host_live(user)


@register.filter
def duration(seconds: int | float | None) -> str:
    """A length of time, short: "45s", "12m", "1h 05m"."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m" if minutes >= 10 or not secs else f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def clock(seconds: int | float | None) -> str:
    """A video's length as players show it: "0:42", "12:05", "1:02:09"."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
