"""Reads of the creator pool, a module per concept. Every public function is
also here, as ``kol.selectors.<name>``, where callers find it.

- :mod:`kol.selectors.access`: who may do what (reviewers, hosts, who sees a
  creator's money).
- :mod:`kol.selectors.creators`: tiers, the directory, a creator's page,
  niches and applications.
- :mod:`kol.selectors.invitations`: host invitations.
- :mod:`kol.selectors.stats`: daily stats, and the gift income provider.
- :mod:`kol.selectors.screening`: ranking the pool for invitations.
- :mod:`kol.selectors.payouts`: agency splits, the studio's earnings and the
  agency dashboard.
- :mod:`kol.selectors.badges`: the badges beside member names.
"""

from kol.selectors.access import (
    can_host_live,
    can_see_money,
    host_permission,
    is_reviewer,
    sees_whole_pool,
)
from kol.selectors.badges import (
    badges_of,
    creator_badges,
)
from kol.selectors.creators import (
    CREATOR_ORDERS,
    DEFAULT_ORDER,
    RECENT_STATS_DAYS,
    CreatorDetail,
    application_for_member,
    application_list_for,
    check_creator_order,
    creator_cards,
    creator_current_membership,
    creator_detail,
    creator_directory_page,
    creator_for_username,
    creator_list,
    creator_of,
    creator_orders_for,
    creator_page,
    creator_screening_visible,
    niche_for_slug,
    niche_list,
    tier_for,
    tier_thresholds,
)
from kol.selectors.invitations import (
    can_send_invitations,
    invitation_for_member,
    invitation_list,
    invitation_list_for,
    invitation_own_list,
)
from kol.selectors.payouts import (
    AgencyEarnings,
    PayoutLine,
    RosterLine,
    StudioEarnings,
    agency_earnings,
    agency_for_manager,
    agency_key,
    agency_managed_list,
    agency_split,
    payout_lines,
    studio_earnings,
)
from kol.selectors.screening import (
    NEUTRAL,
    WEIGHTS,
    ScreeningResult,
    audience_prior,
    creator_ranking,
    niche_fit,
)
from kol.selectors.stats import (
    gift_income,
    stats_recent,
    stats_today,
)

__all__ = [
    "CREATOR_ORDERS",
    "DEFAULT_ORDER",
    "NEUTRAL",
    "RECENT_STATS_DAYS",
    "WEIGHTS",
    "AgencyEarnings",
    "CreatorDetail",
    "PayoutLine",
    "RosterLine",
    "ScreeningResult",
    "StudioEarnings",
    "agency_earnings",
    "agency_for_manager",
    "agency_key",
    "agency_managed_list",
    "agency_split",
    "application_for_member",
    "application_list_for",
    "audience_prior",
    "badges_of",
    "can_host_live",
    "can_see_money",
    "can_send_invitations",
    "check_creator_order",
    "creator_badges",
    "creator_cards",
    "creator_current_membership",
    "creator_detail",
    "creator_directory_page",
    "creator_for_username",
    "creator_list",
    "creator_of",
    "creator_orders_for",
    "creator_page",
    "creator_ranking",
    "creator_screening_visible",
    "gift_income",
    "host_permission",
    "invitation_for_member",
    "invitation_list",
    "invitation_list_for",
    "invitation_own_list",
    "is_reviewer",
    "niche_fit",
    "niche_for_slug",
    "niche_list",
    "payout_lines",
    "sees_whole_pool",
    "stats_recent",
    "stats_today",
    "studio_earnings",
    "tier_for",
    "tier_thresholds",
]
