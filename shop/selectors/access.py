"""Who may do what in the shop (predicates; the guards that raise are in
the services)."""

from __future__ import annotations

from typing import Any


def is_shop_moderator(user: Any) -> bool:
    """Superusers and members with ``shop.moderate_shop`` (the Moderators
    group has it)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.has_perm("shop.moderate_shop"))
    )
