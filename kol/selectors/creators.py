"""Reads of the creator pool.

Like ``community.selectors``, every list selector loads what its page or
endpoint shows (the member, the niches, the current agency) so that a page of
N creators costs the same few queries whatever N is. The directory pages by a
keyset on ``(ordering value, id)``, never by offset (``creator_page``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet

from core.errors import InvalidCursor
from core.pagination import Page, decode_cursor, encode_cursor
from kol.errors import NotACreator, NotFound, ValidationFailed
from kol.models import (
    Agency,
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Niche,
    Tier,
)
from kol.selectors.access import can_see_money, sees_whole_pool
from kol.selectors.stats import stats_recent

# ``order`` name -> the field the directory sorts by (descending). Only the
# score can be missing (a creator not screened yet): those come last.
CREATOR_ORDERS: dict[str, str] = {
    "score": "score",
    "followers": "user__follower_count",
    "engagement": "engagement_rate",
}
NULLABLE_ORDERS = frozenset({"score"})
DEFAULT_ORDER = "score"
# Screening is an operations tool: its score orders the pool for staff who
# see the whole pool (kol.selectors.sees_whole_pool); everyone else gets the
# public orders, most followers first by default.
PUBLIC_ORDERS = ("followers", "engagement")
PUBLIC_DEFAULT_ORDER = "followers"
RECENT_STATS_DAYS = 30


# --- tiers ------------------------------------------------------------------


def tier_thresholds() -> list[tuple[str, int]]:
    """``[(tier, minimum followers), ...]`` from the highest tier down, from
    ``settings.SPROUT_KOL_TIERS``."""
    thresholds = dict(settings.SPROUT_KOL_TIERS)
    return sorted(
        ((tier, int(thresholds.get(tier, 0))) for tier in Tier.values if tier != Tier.NANO),
        key=lambda item: item[1],
        reverse=True,
    )


def tier_for(followers: int) -> str:
    """The tier an audience of ``followers`` puts a creator in."""
    for tier, minimum in tier_thresholds():
        if followers >= minimum:
            return tier
    return Tier.NANO.value


# --- creators -------------------------------------------------------------------


def _current_memberships_prefetch() -> Prefetch:
    """The current agency membership (at most one) with its agency, as the
    list ``creator.current_memberships``; ``creator_current_membership`` reads it."""
    return Prefetch(
        "agency_memberships",
        queryset=AgencyMembership.objects.filter(ended_at=None).select_related("agency"),
        to_attr="current_memberships",
    )


def creator_cards(profiles: QuerySet[CreatorProfile]) -> QuerySet[CreatorProfile]:
    """What a list of creators shows: the member, niches, current agency."""
    return profiles.select_related("user").prefetch_related(
        Prefetch("niches", queryset=Niche.objects.order_by("position", "name")),
        _current_memberships_prefetch(),
    )


def creator_list(
    *,
    niche: str | None = None,
    tier: str | None = None,
    agency: str | None = None,
    verified: bool | None = None,
) -> QuerySet[CreatorProfile]:
    """The pool of active members, filtered by niche slug, tier, agency slug
    (current members of its roster) and the verified badge; each row carries
    its member, niches and current agency. Unknown filter values raise
    ValidationFailed naming every bad field at once."""
    errors: dict[str, list[str]] = {}
    if tier is not None and tier not in Tier.values:
        errors["tier"] = [f"Use one of: {', '.join(Tier.values)}."]
    if niche is not None and not Niche.objects.filter(slug=niche).exists():
        errors["niche"] = [f"No niche is called {niche[:60]!r}."]
    if agency is not None and not Agency.objects.filter(slug=agency).exists():
        errors["agency"] = [f"No agency is called {agency[:100]!r}."]
    if errors:
        raise ValidationFailed(fields=errors)
    profiles = CreatorProfile.objects.filter(user__is_active=True)
    if niche is not None:
        profiles = profiles.filter(niches__slug=niche)
    if tier is not None:
        profiles = profiles.filter(tier=tier)
    if agency is not None:
        # One filter() call: both conditions apply to the same membership row.
        profiles = profiles.filter(
            agency_memberships__agency__slug=agency, agency_memberships__ended_at=None
        )
    if verified is not None:
        profiles = profiles.filter(verified=verified)
    return creator_cards(profiles)


def creator_orders_for(viewer: Any) -> tuple[str, ...]:
    """The orders ``viewer`` may list the pool by: the screening score only
    for staff who see the whole pool."""
    return tuple(CREATOR_ORDERS) if sees_whole_pool(viewer) else PUBLIC_ORDERS


def check_creator_order(order: str | None, viewer: Any = None) -> str:
    """``order`` if it is one the directory knows and ``viewer`` may use
    (default: by score for staff who see the whole pool, else by
    followers). Without a viewer every order is allowed (internal use)."""
    allowed = tuple(CREATOR_ORDERS) if viewer is None else creator_orders_for(viewer)
    if order is None or order == "":
        return allowed[0] if allowed[0] == DEFAULT_ORDER else PUBLIC_DEFAULT_ORDER
    if order not in allowed:
        raise ValidationFailed(fields={"order": [f"Use one of: {', '.join(allowed)}."]})
    return order


def creator_screening_visible(viewer: Any, creators: Sequence[CreatorProfile]) -> set[int]:
    """The ids of the ``creators`` whose screening (score, reasons) and
    agency ``viewer`` may see: the same people who see their money
    (:func:`can_see_money`): the creator, their agency's managers, staff who
    see the whole pool. One query at most, whatever the page size."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active or not creators:
        return set()
    if sees_whole_pool(viewer):
        return {c.pk for c in creators}
    visible = {c.pk for c in creators if c.user_id == viewer.pk}
    managed = AgencyMembership.objects.filter(
        creator__in=[c.pk for c in creators], ended_at=None, agency__managers=viewer.pk
    ).values_list("creator_id", flat=True)
    return visible | set(managed)


def creator_page(
    profiles: QuerySet[CreatorProfile],
    *,
    order: str = DEFAULT_ORDER,
    cursor: str | None = None,
    size: int = 20,
) -> Page:
    """One page of ``profiles``, best first by ``order`` (score, followers or
    engagement; ties and missing scores by id), with a cursor holding the
    last row's ``(order, value, id)``. A cursor of another order, or one that
    does not decode, raises InvalidCursor."""
    order = check_creator_order(order)
    field = CREATOR_ORDERS[order]
    nullable = order in NULLABLE_ORDERS
    after = decode_cursor(cursor, {"o": str, "k": (int, float, type(None)), "i": int})
    if after is not None:
        key, last_id = after["k"], after["i"]
        if after["o"] != order or (key is None and not nullable):
            raise InvalidCursor()
        if order == "followers" and not isinstance(key, int):
            raise InvalidCursor()
        if key is None:
            profiles = profiles.filter(**{f"{field}__isnull": True, "pk__gt": last_id})
        else:
            later = Q(**{f"{field}__lt": key}) | Q(**{field: key, "pk__gt": last_id})
            if nullable:
                later |= Q(**{f"{field}__isnull": True})
            profiles = profiles.filter(later)
    ordering = F(field).desc(nulls_last=True) if nullable else F(field).desc()
    rows = list(profiles.annotate(order_value=F(field)).order_by(ordering, "pk")[: size + 1])
    chosen = rows[:size]
    next_cursor = None
    if len(rows) > size and chosen:
        last = chosen[-1]
        next_cursor = encode_cursor({"o": order, "k": last.order_value, "i": last.pk})
    return Page(items=chosen, next_cursor=next_cursor)


def creator_for_username(username: str) -> CreatorProfile:
    """The creator profile of an active member, loaded like a directory row;
    NotACreator if the member is not in the pool (or does not exist)."""
    profile = (
        creator_cards(CreatorProfile.objects.all())
        .filter(user__username__iexact=username, user__is_active=True)
        .first()
    )
    if profile is None:
        raise NotACreator(f"{username[:30]!r} is not in the creator pool.")
    return profile


def creator_of(user: Any) -> CreatorProfile | None:
    """The member's creator profile, or None if they are not in the pool."""
    if not getattr(user, "is_authenticated", False):
        return None
    return CreatorProfile.objects.filter(user_id=user.pk).first()


def creator_current_membership(creator: CreatorProfile) -> AgencyMembership | None:
    """The creator's current agency membership (with its agency), from the
    prefetch of ``creator_cards`` when it ran, else from one query."""
    loaded = getattr(creator, "current_memberships", None)
    if loaded is not None:
        return loaded[0] if loaded else None
    return (
        AgencyMembership.objects.filter(creator=creator, ended_at=None)
        .select_related("agency")
        .first()
    )


@dataclass
class CreatorDetail:
    creator: CreatorProfile
    membership: AgencyMembership | None
    money_visible: bool
    stats: list[CreatorDailyStat]

    @property
    def share_visible(self) -> bool:
        """The agency's revenue share is shown to whoever may see the money."""
        return self.membership is not None and self.money_visible


def creator_detail(username: str, viewer: Any, *, days: int = RECENT_STATS_DAYS) -> CreatorDetail:
    """One creator with their daily stats of the last ``days`` days (oldest
    first) and current agency; ``money_visible`` says whether ``viewer`` may
    see their money (:func:`can_see_money`: gift income, sales, the agency's
    share)."""
    creator = creator_for_username(username)
    membership = creator_current_membership(creator)
    return CreatorDetail(
        creator=creator,
        membership=membership,
        money_visible=can_see_money(viewer, creator_user_id=creator.user_id, membership=membership),
        stats=list(stats_recent(creator, days=days)),
    )


# --- niches and applications ----------------------------------------------------------


def niche_list() -> QuerySet[Niche]:
    """The managed list of niches members can pick, in display order."""
    return Niche.objects.filter(is_active=True).order_by("position", "name")


def niche_for_slug(slug: str, *, field: str = "niche") -> Niche:
    """An active niche by slug; ValidationFailed on ``field`` otherwise."""
    niche = Niche.objects.filter(slug=slug, is_active=True).first()
    if niche is None:
        raise ValidationFailed(fields={field: [f"No niche is called {slug[:60]!r}."]})
    return niche


def application_list_for(user: Any) -> QuerySet[Application]:
    """The member's own applications to the pool with their niches."""
    return Application.objects.filter(applicant_id=user.pk).prefetch_related(
        Prefetch("niches", queryset=Niche.objects.order_by("position", "name"))
    )


def application_for_member(*, application_id: int, user: Any) -> Application:
    """One of the member's own applications; anyone else's is NotFound,
    staff included (moderators decide in the admin)."""
    application = application_list_for(user).filter(pk=application_id).first()
    if application is None:
        raise NotFound("No such application.")
    return application


# --- pages (kol.views) ------------------------------------------------------------------


def creator_directory_page(
    profiles: QuerySet[CreatorProfile], *, cursor: str | None = None, size: int = 20
) -> Page:
    """One page of the public creators directory: most followers first, then
    by id; the cursor holds the last row's ``(followers, id)``. (The
    screening score orders the pool only for staff, in the API and the
    admin: it is an operations tool, not a public ranking.)"""
    return creator_page(profiles, order="followers", cursor=cursor, size=size)
