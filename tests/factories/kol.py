"""Factories of the creator pool (``kol.models``), and the member who may
host live rooms (the pool's ``kol.host_live`` permission). They write rows
directly; tiers, scores and share histories that services keep are left as
given unless a factory says otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from community.models import User
from kol.models import (
    Agency,
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Niche,
    RevenueShareChange,
)
from kol.selectors import host_permission, tier_for
from tests.factories.base import ModelFactory
from tests.factories.community import UserFactory


class HostFactory(UserFactory):
    """A member allowed to host live rooms: what accepting an invitation
    grants (``kol.host_live``)."""

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        super()._after_postgeneration(instance, create, results)
        if create:
            instance.user_permissions.add(host_permission())


class NicheFactory(ModelFactory[Niche]):
    class Meta:
        model = Niche
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"niche-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class CreatorFactory(ModelFactory[CreatorProfile]):
    """A member in the creator pool, in the tier their followers give them
    (as ``kol.services`` derives it)."""

    class Meta:
        model = CreatorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    bio = "Slow mornings, good coffee."
    tier = factory.LazyAttribute(lambda o: tier_for(o.user.follower_count))

    @factory.post_generation
    def niches(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.niches.set(extracted)


class AgencyFactory(ModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Bright Sprout Media {n}")
    slug = factory.Sequence(lambda n: f"bright-sprout-{n}")
    contact_email = factory.LazyAttribute(lambda o: f"hello@{o.slug}.example.com")


class AgencyMembershipFactory(ModelFactory[AgencyMembership]):
    """A creator on an agency's roster (no share history: that is what
    ``kol.services.agency_creator_add`` adds)."""

    class Meta:
        model = AgencyMembership

    agency = factory.SubFactory(AgencyFactory)
    creator = factory.SubFactory(CreatorFactory)
    share_bps = 2_000


class RevenueShareChangeFactory(ModelFactory[RevenueShareChange]):
    class Meta:
        model = RevenueShareChange

    membership = factory.SubFactory(AgencyMembershipFactory)
    old_bps = None
    new_bps = factory.SelfAttribute("membership.share_bps")


class ApplicationFactory(ModelFactory[Application]):
    """A pending application to join the pool."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    applicant = factory.SubFactory(UserFactory)
    pitch = "I write about slow mornings and good coffee, twice a week."

    @factory.post_generation
    def niches(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.niches.set(extracted)


class CreatorDailyStatFactory(ModelFactory[CreatorDailyStat]):
    """One day of a creator (today unless ``date`` is given)."""

    class Meta:
        model = CreatorDailyStat

    creator = factory.SubFactory(CreatorFactory)
    date = factory.LazyFunction(lambda: timezone.now().date())


class InvitationFactory(ModelFactory[Invitation]):
    """An open invitation to host, sent by the system, expiring in 14 days."""

    class Meta:
        model = Invitation

    user = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
