"""Writes of the creator pool, a module per concept. Every public function is
also here, as ``kol.services.<name>``, where callers find it.

- :mod:`kol.services.profiles`: creator profiles and the verified badge.
- :mod:`kol.services.applications`: applications to the pool.
- :mod:`kol.services.agencies`: agency rosters and revenue shares.
- :mod:`kol.services.niches`: the managed list of niches.
- :mod:`kol.services.invitations`: invitations to host live rooms.
- :mod:`kol.services.stats`: the daily stats, computed set-based, and tiers.
- :mod:`kol.services.screening`: keeping screening scores on the profiles.
- :mod:`kol.services.notifications`: the pool's notices to members.

Same discipline as ``community.services``: keyword-only functions, checks
first, one transaction, notifications on commit. Reads are ``kol.selectors``.
"""

from kol.services.agencies import (
    agency_creator_add,
    agency_membership_end,
    agency_share_change,
)
from kol.services.applications import (
    application_approve,
    application_reject,
    application_submit,
    application_withdraw,
)
from kol.services.invitations import (
    MAX_MESSAGE,
    STUDIO_URL,
    invitation_accept,
    invitation_decline,
    invitation_send,
    invitations_expire,
    invitations_expire_due,
)
from kol.services.niches import niches_set_active
from kol.services.notifications import (
    notification_send,
)
from kol.services.profiles import (
    MAX_LINKS,
    creator_profile_create,
    creator_profile_update,
    creator_profiles_set_verified,
)
from kol.services.screening import (
    screening_scores_store,
)
from kol.services.stats import (
    PROVIDED_COLUMNS,
    WINDOW_DAYS,
    StatsResult,
    stats_compute_day,
    stats_recompute,
    tiers_refresh,
)

__all__ = [
    "MAX_LINKS",
    "MAX_MESSAGE",
    "PROVIDED_COLUMNS",
    "STUDIO_URL",
    "WINDOW_DAYS",
    "StatsResult",
    "agency_creator_add",
    "agency_membership_end",
    "agency_share_change",
    "application_approve",
    "application_reject",
    "application_submit",
    "application_withdraw",
    "creator_profile_create",
    "creator_profile_update",
    "creator_profiles_set_verified",
    "invitation_accept",
    "invitation_decline",
    "invitation_send",
    "invitations_expire",
    "invitations_expire_due",
    "niches_set_active",
    "notification_send",
    "screening_scores_store",
    "stats_compute_day",
    "stats_recompute",
    "tiers_refresh",
]
