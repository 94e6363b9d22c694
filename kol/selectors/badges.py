"""The creator pool's badges beside member names: the verified tick and the
tier ("Micro creator"), for ``community.badges``. The tier badge links to
the creator's page in the directory."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from community.badges import Badge
from community.models import User
from kol.models import CreatorProfile, Tier


def badges_of(*, username: str, tier: str, verified: bool) -> list[Badge]:
    """The badges of one creator (no query: pages that already loaded the
    profile render them with ``{% creator_badges %}``)."""
    badges = []
    if verified:
        badges.append(Badge(label="Verified", kind="verified", title="Verified creator"))
    label = Tier(tier).label
    badges.append(
        Badge(
            label=label,
            kind=f"tier-{tier}",
            title=f"{label} creator in the Sprout pool",
            url=reverse("creator_detail", args=[username]),
        )
    )
    return badges


def creator_badges(users: Sequence[User]) -> dict[int, list[Badge]]:
    """One query for every member on the page."""
    usernames = {u.pk: u.username for u in users}
    rows = CreatorProfile.objects.filter(user__in=list(usernames)).values_list(
        "user_id", "tier", "verified"
    )
    return {
        user_id: badges_of(username=usernames[user_id], tier=tier, verified=verified)
        for user_id, tier, verified in rows
    }
