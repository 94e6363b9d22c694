"""Input and output serializers of the creator pool's API.

As in ``community.serializers``: inputs only check shape and types (the rules
live in ``kol.services``); outputs are read-only and
render what ``kol.selectors`` loaded, so a page of creators never queries.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.serializers import avatar_url
from kol.models import (
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Tier,
)
from kol.selectors import CREATOR_ORDERS, CreatorDetail, creator_current_membership


def _origin(request: Any) -> str:
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


# --- output -------------------------------------------------------------------

AVATAR = {"type": "string", "format": "uri", "nullable": True}


class NicheBriefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class NicheSerializer(NicheBriefSerializer):
    description = serializers.CharField()


class AgencyBriefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()


class CreatorSerializer(serializers.Serializer):
    """A creator as the directory lists them."""

    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.shown_name")
    avatar = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    verified = serializers.BooleanField()
    niches = NicheBriefSerializer(many=True, source="niches.all")
    followers = serializers.IntegerField(source="user.follower_count")
    engagement_rate = serializers.FloatField(help_text="0.071 = 7.1%, over the last 30 days.")
    score = serializers.FloatField(
        allow_null=True,
        help_text="Latest screening score (0–100); null until screened, and null unless you "
        "are the creator, one of their agency's managers or staff who see the whole pool.",
    )
    score_reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Empty for the same people as `score`."
    )
    agency = serializers.SerializerMethodField()

    def screening_visible(self, creator: CreatorProfile) -> bool:
        """Set by the view (``kol.selectors.creator_screening_visible``);
        without it, nothing internal is shown."""
        return creator.pk in self.context.get("screening_visible", ())

    def to_representation(self, instance: CreatorProfile) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self.screening_visible(instance):
            data.update(score=None, score_reasons=[], agency=None)
        return data

    @extend_schema_field(AVATAR)
    def get_avatar(self, creator: CreatorProfile) -> str | None:
        return avatar_url(creator.user, _origin(self.context.get("request")))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, creator: CreatorProfile) -> str:
        return _absolute(self.context.get("request"), creator.get_absolute_url())

    @extend_schema_field(AgencyBriefSerializer(allow_null=True))
    def get_agency(self, creator: CreatorProfile) -> dict[str, Any] | None:
        membership = creator_current_membership(creator)
        if membership is None:
            return None
        return {"name": membership.agency.name, "slug": membership.agency.slug}


# A creator's daily figures that are money (kol.selectors.can_see_money).
MONEY_STATS = ("gift_income", "sales")


class DailyStatSerializer(serializers.Serializer):
    date = serializers.DateField()
    followers = serializers.IntegerField()
    new_followers = serializers.IntegerField()
    notes_published = serializers.IntegerField()
    likes_received = serializers.IntegerField()
    collects_received = serializers.IntegerField()
    comments_received = serializers.IntegerField()
    engagement_rate = serializers.FloatField()
    live_hours = serializers.FloatField()
    gift_income = serializers.IntegerField(
        allow_null=True,
        help_text="Minor units; null unless you are the creator, staff or one of their "
        "agency's managers.",
    )
    sales = serializers.IntegerField(
        allow_null=True,
        help_text="Minor units; null unless you are the creator, staff or one of their "
        "agency's managers.",
    )

    def to_representation(self, instance: CreatorDailyStat) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["live_hours"] = round(instance.live_hours, 2)
        return dict(data)


class AgencyMembershipSerializer(AgencyBriefSerializer):
    share_bps = serializers.IntegerField(
        allow_null=True,
        help_text="The agency's share in basis points (2,500 = 25%); null unless you are "
        "the creator, staff or one of the agency's managers.",
    )
    since = serializers.DateTimeField()


class CreatorDetailSerializer(CreatorSerializer):
    """One creator with their recent daily stats and current agency."""

    # Renders ``detail.creator``; the rest comes from ``context["detail"]``
    # (a ``kol.selectors.CreatorDetail``).

    bio = serializers.CharField()
    links = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    joined_at = serializers.DateTimeField()
    agency = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()

    @property
    def detail(self) -> CreatorDetail:
        return self.context["detail"]

    def screening_visible(self, creator: CreatorProfile) -> bool:
        return self.detail.money_visible

    @extend_schema_field(AgencyMembershipSerializer(allow_null=True))
    def get_agency(self, creator: CreatorProfile) -> dict[str, Any] | None:
        membership: AgencyMembership | None = self.detail.membership
        if membership is None:
            return None
        return {
            "name": membership.agency.name,
            "slug": membership.agency.slug,
            "share_bps": membership.share_bps if self.detail.share_visible else None,
            "since": serializers.DateTimeField().to_representation(membership.started_at),
        }

    @extend_schema_field(DailyStatSerializer(many=True))
    def get_stats(self, creator: CreatorProfile) -> list[dict[str, Any]]:
        days = [dict(day) for day in DailyStatSerializer(self.detail.stats, many=True).data]
        if not self.detail.money_visible:
            for day in days:
                day.update(dict.fromkeys(MONEY_STATS))
        return days


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Application.Status.choices)
    pitch = serializers.CharField()
    niches = NicheBriefSerializer(many=True, source="niches.all")
    links = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    decision_reason = serializers.CharField(help_text="The moderator's reason, once reviewed.")
    created_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)


class MemberBriefSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(source="shown_name")
    avatar = serializers.SerializerMethodField()

    @extend_schema_field(AVATAR)
    def get_avatar(self, user: Any) -> str | None:
        return avatar_url(user, _origin(self.context.get("request")))


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = MemberBriefSerializer(help_text="The invited member.")
    invited_by = serializers.CharField(
        source="invited_by.username", allow_null=True, default=None, help_text="Staff username."
    )
    status = serializers.ChoiceField(choices=Invitation.Status.choices)
    message = serializers.CharField()
    niche = NicheBriefSerializer(allow_null=True)
    score = serializers.FloatField(
        allow_null=True, help_text="The screening score that motivated it, frozen."
    )
    reasons = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


# --- input --------------------------------------------------------------------


class BlankIsAnyBooleanField(serializers.BooleanField):
    """A boolean query parameter where only an empty value means "any"
    (None): ``verified=null`` is not a boolean, as the schema says, and is
    refused rather than read as absent."""

    NULL_VALUES = {"", None}


class CreatorQueryInput(serializers.Serializer):
    """The directory's query string. Empty values mean "any"; the niche and
    agency are checked against the database by ``kol.selectors.creator_list``."""

    niche = serializers.SlugField(
        max_length=40, required=False, allow_blank=True, help_text="A niche slug."
    )
    tier = serializers.ChoiceField(choices=Tier.values, required=False, allow_blank=True)
    agency = serializers.SlugField(
        max_length=100, required=False, allow_blank=True, help_text="An agency slug: its roster."
    )
    verified = BlankIsAnyBooleanField(required=False, allow_null=True, default=None)
    order = serializers.ChoiceField(
        choices=list(CREATOR_ORDERS),
        required=False,
        allow_blank=True,
        help_text="`score` (default; latest screening, unscreened last), `followers` or "
        "`engagement` (rate over 30 days); best first.",
    )


class ApplicationInput(serializers.Serializer):
    pitch = serializers.CharField(
        allow_blank=True, max_length=5000, help_text="20–1,000 characters: who you are."
    )
    niches = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        max_length=20,
        help_text="1–5 niche slugs from GET /api/v1/niches/.",
    )
    links = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        default=list,
        max_length=20,
        help_text='Up to 5 links: a URL or {"label", "url"}, http(s) only.',
    )


class InvitationInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The member to invite.")
    message = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    niche = serializers.SlugField(
        max_length=40,
        required=False,
        allow_null=True,
        default=None,
        help_text="The niche the invitation is for (a slug).",
    )
