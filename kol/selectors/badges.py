"""The creator pool's badges.

Beside member names everywhere on the site (``community.badges``: note
cards, comments, profiles) only the verified tick: the public sees that a
creator is verified and how many follow them. The tier ("Micro creator")
belongs to the creators directory, where members filter by it: its cards
render :func:`badges_of` (``{% creator_badges %}``), which adds the tier
badge linking to the creator's page."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from community.badges import Badge
from community.models import User
from kol.models import CreatorProfile, Tier

VERIFIED = Badge(label="Verified", kind="verified", title="Verified creator")


def badges_of(*, username: str, tier: str, verified: bool) -> list[Badge]:
    """The badges of one creator (no query: pages that already loaded the
    profile render them with ``{% creator_badges %}``)."""
    badges = []
    if verified:
        badges.append(VERIFIED)
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
    """The verified tick of the verified creators among ``users``, linking to
    their page in the directory: one query for every member on the page."""
    usernames = {u.pk: u.username for u in users}
    rows = CreatorProfile.objects.filter(user__in=list(usernames), verified=True).values_list(
        "user_id", flat=True
    )
    return {
        user_id: [
            Badge(
                label=VERIFIED.label,
                kind=VERIFIED.kind,
                title=VERIFIED.title,
                url=reverse("creator_detail", args=[usernames[user_id]]),
            )
        ]
        for user_id in rows
    }
