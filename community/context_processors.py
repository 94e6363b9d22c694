"""Template context every page needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from community.selectors import notification_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread badge in the header, counted lazily: pages that never render
    the header (fragments loaded by htmx) pay no query."""
    user = getattr(request, "user", None)

    def count() -> int:
        return notification_unread_count(user=user)

    from django.utils.functional import SimpleLazyObject

    return {"unread_notifications": SimpleLazyObject(count)}
