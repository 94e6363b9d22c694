"""The creator pool's badges beside member names: the verified tick and the
tier ("Micro creator"), for ``community.badges``."""

from __future__ import annotations

from collections.abc import Sequence

from community.badges import Badge
from community.models import User
from kol.models import CreatorProfile, Tier


def creator_badges(users: Sequence[User]) -> dict[int, list[Badge]]:
    """One query for every member on the page."""
    found: dict[int, list[Badge]] = {}
    rows = CreatorProfile.objects.filter(user__in=[u.pk for u in users]).values_list(
        "user_id", "tier", "verified"
    )
    for user_id, tier, verified in rows:
        badges = []
        if verified:
            badges.append(Badge(label="Verified", kind="verified", title="Verified creator"))
        label = Tier(tier).label
        badges.append(
            Badge(label=label, kind=f"tier-{tier}", title=f"{label} creator in the Sprout pool",
                  url="/creators/")
        )
        found[user_id] = badges
    return found
