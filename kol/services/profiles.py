"""Writes of creator profiles: putting a member in the pool, editing a
profile, and the verified badge.

Same discipline as ``community.services``: keyword-only functions, checks
first, one transaction, notifications on commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlparse

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from community.models import User
from kol.errors import AlreadyCreator, PermissionDenied, ValidationFailed
from kol.models import CreatorProfile, Niche
from kol.selectors.access import is_reviewer
from kol.selectors.creators import tier_for

MAX_LINKS = 5


def _clean_links(raw: Any) -> list[dict[str, str]]:
    """``[{"label", "url"}]`` with http(s) URLs only, at most five."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LINKS:
        raise ValidationFailed(fields={"links": [f"Give at most {MAX_LINKS} links."]})
    links = []
    for item in raw:
        if isinstance(item, str):
            item = {"label": "", "url": item}
        if not isinstance(item, dict):
            raise ValidationFailed(fields={"links": ["Each link is a URL or {label, url}."]})
        url = str(item.get("url", "")).strip()
        label = str(item.get("label", "")).strip()[:40]
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 300:
            raise ValidationFailed(fields={"links": [f"Not a web address: {url[:80]!r}."]})
        links.append({"label": label or parsed.netloc, "url": url})
    return links


def _niches(slugs: Iterable[str]) -> list[Niche]:
    wanted = list(dict.fromkeys(slugs))
    found = {n.slug: n for n in Niche.objects.filter(slug__in=wanted, is_active=True)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ValidationFailed(fields={"niches": [f"Unknown niches: {', '.join(unknown)}."]})
    if len(found) > 5:
        raise ValidationFailed(fields={"niches": ["Pick at most five niches."]})
    return [found[slug] for slug in wanted]


def creator_profile_create(
    *,
    user: User,
    niche_slugs: Sequence[str] = (),
    bio: str = "",
    links: Any = None,
    verified: bool = False,
) -> CreatorProfile:
    """Put a member in the pool (from an approved application, or by staff)."""
    if CreatorProfile.objects.filter(user=user).exists():
        raise AlreadyCreator()
    niches = _niches(niche_slugs)
    clean_links = _clean_links(links)
    try:
        with transaction.atomic():
            profile = CreatorProfile.objects.create(
                user=user,
                bio=bio.strip()[:500],
                links=clean_links,
                verified=verified,
                tier=tier_for(user.follower_count),
            )
            profile.niches.set(niches)
    except IntegrityError as exc:
        raise AlreadyCreator() from exc
    return profile


def creator_profile_update(
    *,
    actor: User,
    profile: CreatorProfile,
    bio: str | None = None,
    links: Any = None,
    niche_slugs: Sequence[str] | None = None,
) -> CreatorProfile:
    """The creator (or a reviewer) edits bio, links and niches. Tier and badge
    are not editable here: the tier is derived, the badge is staff's."""
    if actor.pk != profile.user_id and not is_reviewer(actor):
        raise PermissionDenied("Only the creator or staff can change this profile.")
    fields = []
    if bio is not None:
        profile.bio = bio.strip()[:500]
        fields.append("bio")
    if links is not None:
        profile.links = _clean_links(links)
        fields.append("links")
    with transaction.atomic():
        if fields:
            profile.save(update_fields=fields)
        if niche_slugs is not None:
            profile.niches.set(_niches(niche_slugs))
    return profile


def creator_profiles_set_verified(
    *, actor: User, profiles: QuerySet[CreatorProfile], verified: bool
) -> int:
    """Give or take the verified badge (staff only)."""
    if not is_reviewer(actor):
        raise PermissionDenied("Only staff verify creators.")
    return profiles.update(verified=verified)
