"""The creator pool's Django admin: moderators screen, verify and invite
creators and decide applications; agency managers see their own roster.

Who sees what: superusers and moderators (``kol.review_application`` or
``community.moderate_note``) see the whole pool. Any other staff account sees
only the agencies it manages (``Agency.managers``), their memberships, the
creators currently on their rosters and those creators' stats, read-only;
anything else is a 404. Every write goes through
``kol.services``; changelists join, annotate or prefetch
what their columns show, so a page costs the same queries whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied as AdminPermissionDenied
from django.db.models import (
    Count,
    F,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from community.models import User
from core.admin import DefaultStatusFilter, IsNullFilter, ReadOnlyAdminMixin
from kol import selectors, services
from kol.errors import DomainError
from kol.models import (
    BPS_MAX,
    Agency,
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Niche,
    RevenueShareChange,
)

if TYPE_CHECKING:
    pass

SCREENING_TOP = 50  # creators shown on the screening page
RECENT_STAT_DAYS = 14  # daily stats shown on a creator's page
SHARE_RANGE_MESSAGE = f"A share is between 0 and {BPS_MAX:,} basis points (0–100%)."


# --- who sees what ------------------------------------------------------------------


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin site only lets members in
    return user


def managed_agency_ids(user: Any) -> QuerySet[Agency, int]:
    """The agencies a member manages, as a subquery of ids."""
    return Agency.objects.filter(managers=user.pk).values_list("pk", flat=True)


def roster_creator_ids(user: Any) -> QuerySet[AgencyMembership, int]:
    """Creators currently on the rosters of the agencies a member manages."""
    return AgencyMembership.objects.filter(
        ended_at=None, agency_id__in=managed_agency_ids(user)
    ).values_list("creator_id", flat=True)


class PoolAdmin(admin.ModelAdmin):
    """Base of the creator pool's admins: pool staff see everything; agency
    managers see their part (``scope``), read-only, and a 404 for the rest."""

    def is_scoped(self, request: HttpRequest) -> bool:
        return not selectors.sees_whole_pool(request.user)

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        """The rows an agency manager may see; nothing unless a subclass says."""
        return queryset.none()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.is_scoped(request):
            return self.scope(queryset, _acting_user(request))
        return queryset

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.is_scoped(request):
            # Not the admin's usual redirect: another agency's rows do not exist
            # for an agency manager.
            raise Http404("No such object.")
        return obj

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.is_scoped(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.is_scoped(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.is_scoped(request) and super().has_delete_permission(request, obj)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return selectors.is_reviewer(request.user)

    def has_invite_permission(self, request: HttpRequest) -> bool:
        return selectors.can_send_invitations(request.user)


class ReadOnlyPoolAdmin(ReadOnlyAdminMixin, PoolAdmin):
    """Rows the site writes itself (stats, history, invitations): shown, and
    changed only by actions that call a service."""


# --- helpers ------------------------------------------------------------------------


def _admin_link(obj: Model, label: object) -> SafeString:
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


def _changelist_link(model: type[Model], label: str, **params: str | int) -> SafeString:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(params), label)


def _percent(bps: int | None) -> str:
    return "—" if bps is None else f"{bps / 100:.2f}%"


def _bullets(lines: Iterable[str]) -> SafeString | str:
    items = [(line,) for line in lines]
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", items))


def _web_links(links: Any) -> SafeString | str:
    """A member's ``[{"label", "url"}]`` links (http(s) only, checked by the
    services) as a list of links that open outside the admin."""
    items = [
        (link.get("url", ""), link.get("label") or link.get("url", ""))
        for link in links or []
        if isinstance(link, dict)
    ]
    if not items:
        return "—"
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "", '<li><a href="{}" rel="nofollow noopener" target="_blank">{}</a></li>', items
        ),
    )


def _log_change(user: User, objects: Sequence[Model], message: str) -> None:
    """Record what an action changed in the admin history."""
    if objects:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=objects, action_flag=CHANGE, change_message=message
        )


def _plain(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The selected rows without the changelist's annotations and prefetches,
    which the services do not need (and row locks dislike)."""
    ids = list(queryset.values_list("pk", flat=True))
    return queryset.model._default_manager.filter(pk__in=ids)


def _current_memberships() -> Prefetch:
    """Each creator's current agency membership, with its agency, in one query."""
    return Prefetch(
        "agency_memberships",
        queryset=AgencyMembership.objects.filter(ended_at=None).select_related("agency"),
        to_attr="current_memberships",
    )


def _current_agency(creator: CreatorProfile) -> SafeString | str:
    current: list[AgencyMembership] = getattr(creator, "current_memberships", [])
    if not current:
        return "—"
    membership = current[0]
    return format_html("{} ({})", membership.agency.name, _percent(membership.share_bps))


class AgencyFilter(admin.SimpleListFilter):
    """The agencies the viewer may see. ``lookup`` is the path to the agency
    id; with ``roster`` it is the path to the creator, filtered to the
    agency's current roster."""

    title = "agency"
    parameter_name = "agency"
    lookup = "agency_id"
    roster = False
    no_agency = "none"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        agencies = Agency.objects.order_by("name")
        if not selectors.sees_whole_pool(request.user):
            agencies = agencies.filter(pk__in=managed_agency_ids(request.user))
        choices = [(str(pk), name) for pk, name in agencies.values_list("pk", "name")]
        if self.roster:
            choices.append((self.no_agency, "No agency"))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if self.roster:
            current = AgencyMembership.objects.filter(ended_at=None)
            if value == self.no_agency:
                return queryset.exclude(**{f"{self.lookup}__in": current.values("creator_id")})
            if value.isdigit():
                on_roster = current.filter(agency_id=int(value)).values("creator_id")
                return queryset.filter(**{f"{self.lookup}__in": on_roster})
            return queryset.none()
        return queryset.filter(**{self.lookup: int(value)}) if value.isdigit() else queryset.none()


class CreatorAgencyFilter(AgencyFilter):
    lookup = "pk"
    roster = True


class StatAgencyFilter(AgencyFilter):
    lookup = "creator_id"
    roster = True


class ShareChangeAgencyFilter(AgencyFilter):
    lookup = "membership__agency_id"


# --- niches -------------------------------------------------------------------------


@admin.register(Niche)
class NicheAdmin(PoolAdmin):
    """The managed list creators pick from. A niche is retired by deactivating
    it (creators and applications keep it), never deleted."""

    list_display = ("name", "slug", "position", "is_active", "creator_count")
    list_display_links = ("name",)
    list_editable = ("position",)
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    ordering = ("position", "name")
    prepopulated_fields = {"slug": ("name",)}
    actions = ("activate", "deactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Niche]:
        # A short managed list: a plain JOIN + GROUP BY is cheap here.
        return super().get_queryset(request).annotate(creators_in=Count("creators"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Creators", ordering="creators_in")
    def creator_count(self, obj: Niche) -> int:
        return int(getattr(obj, "creators_in", 0))

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Niche], active: bool) -> None:
        changed = services.niches_set_active(niches=_plain(queryset), active=active)
        word = "activated" if active else "deactivated"
        self.message_user(
            request,
            ngettext("%d niche %s.", "%d niches %s.", changed) % (changed, word),
            messages.SUCCESS if changed else messages.WARNING,
        )

    @admin.action(description="Activate selected niches", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Niche]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected niches", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Niche]) -> None:
        self._set_active(request, queryset, False)


# --- creators -----------------------------------------------------------------------


class HasScoreFilter(IsNullFilter):
    title = "screening score"
    parameter_name = "scored"
    field = "score"
    options = (("yes", "Has a score", False), ("no", "Not screened yet", True))


class CreatorProfileForm(forms.ModelForm):
    class Meta:
        model = CreatorProfile
        fields = ("user", "niches", "bio")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "niches" in self.fields:
            niches = self.fields["niches"]
            assert isinstance(niches, forms.ModelMultipleChoiceField)
            niches.queryset = Niche.objects.filter(is_active=True)
            niches.help_text = "Up to five active niches."

    def clean_user(self) -> User:
        user: User = self.cleaned_data["user"]
        if CreatorProfile.objects.filter(user=user).exists():
            raise forms.ValidationError("This member is already in the creator pool.")
        return user

    def clean_niches(self) -> list[Niche]:
        niches = list(self.cleaned_data["niches"])
        if len(niches) > 5:
            raise forms.ValidationError("Pick at most five niches.")
        return niches


@admin.register(CreatorProfile)
class CreatorProfileAdmin(PoolAdmin):
    form = CreatorProfileForm
    list_display = (
        "user",
        "tier",
        "verified",
        "niche_list",
        "followers",
        "engagement",
        "score_display",
        "current_agency",
    )
    list_filter = ("tier", "verified", "niches", CreatorAgencyFilter, HasScoreFilter)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__display_name", "user__email")
    ordering = (F("score").desc(nulls_last=True), "id")
    autocomplete_fields = ("user",)
    actions = ("verify", "remove_verified_badge", "recompute_tiers", "invite_to_host")
    change_form_fields = (
        "user_link",
        "verified",
        "tier",
        "followers",
        "niches",
        "bio",
        "link_list",
        "engagement",
        "score_display",
        "score_reason_list",
        "scored_at",
        "current_agency",
        "joined_at",
        "recent_stats",
    )
    # Tier is derived, the score comes from screening and the badge changes by
    # the actions: only niches and bio are edited here, through the services.
    change_form_readonly = tuple(f for f in change_form_fields if f not in ("niches", "bio"))

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        return queryset.filter(pk__in=roster_creator_ids(user))

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreatorProfile]:
        return super().get_queryset(request).prefetch_related("niches", _current_memberships())

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "niches", "bio") if obj is None else self.change_form_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if not self.has_change_permission(request, obj):
            return self.change_form_fields
        return self.change_form_readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # creator_profile_update lets the creator or a reviewer edit.
        return super().has_change_permission(request, obj) and selectors.is_reviewer(request.user)

    # -- columns and fields

    @admin.display(description="Member")
    def user_link(self, obj: CreatorProfile) -> SafeString:
        return _admin_link(obj.user, obj.user.username)

    @admin.display(description="Niches")
    def niche_list(self, obj: CreatorProfile) -> str:
        return ", ".join(niche.name for niche in obj.niches.all()) or "—"

    @admin.display(description="Followers", ordering="user__follower_count")
    def followers(self, obj: CreatorProfile) -> str:
        return f"{obj.user.follower_count:,}"

    @admin.display(description="Engagement", ordering="engagement_rate")
    def engagement(self, obj: CreatorProfile) -> str:
        return f"{obj.engagement_rate * 100:.1f}%"

    @admin.display(description="Score", ordering=F("score").desc(nulls_last=True))
    def score_display(self, obj: CreatorProfile) -> str:
        return "—" if obj.score is None else f"{obj.score:.1f}"

    @admin.display(description="Why this score")
    def score_reason_list(self, obj: CreatorProfile) -> SafeString | str:
        return _bullets(str(reason) for reason in obj.score_reasons or [])

    @admin.display(description="Agency")
    def current_agency(self, obj: CreatorProfile) -> SafeString | str:
        return _current_agency(obj)

    @admin.display(description="Links")
    def link_list(self, obj: CreatorProfile) -> SafeString | str:
        return _web_links(obj.links)

    @admin.display(description=f"Last {RECENT_STAT_DAYS} days")
    def recent_stats(self, obj: CreatorProfile) -> SafeString | str:
        days = list(obj.daily_stats.order_by("-date")[:RECENT_STAT_DAYS])
        history = _changelist_link(CreatorDailyStat, "Full history", creator__id__exact=obj.pk)
        if not days:
            return format_html("No stats yet. {}", history)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    day.date.isoformat(),
                    f"{day.followers:,}",
                    f"{day.new_followers:+,}",
                    day.notes_published,
                    f"{day.engagement_rate * 100:.1f}%",
                )
                for day in days
            ),
        )
        return format_html(
            "<table><thead><tr><th>Day</th><th>Followers</th><th>New</th><th>Notes</th>"
            "<th>Engagement</th></tr></thead><tbody>{}</tbody></table><p>{}</p>",
            rows,
            history,
        )

    # -- saving through the services

    def save_model(
        self, request: HttpRequest, obj: CreatorProfile, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            profile = services.creator_profile_create(
                user=data["user"],
                niche_slugs=[niche.slug for niche in data["niches"]],
                bio=data.get("bio", ""),
            )
            obj.pk, obj.tier, obj.joined_at = profile.pk, profile.tier, profile.joined_at
            return
        changed = set(form.changed_data)
        services.creator_profile_update(
            actor=_acting_user(request),
            profile=obj,
            bio=data["bio"] if "bio" in changed else None,
            niche_slugs=[niche.slug for niche in data["niches"]] if "niches" in changed else None,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Niches were set by the service in save_model; there are no inlines.
        return None

    # -- actions

    def _set_verified(
        self, request: HttpRequest, queryset: QuerySet[CreatorProfile], verified: bool
    ) -> None:
        user = _acting_user(request)
        plain = _plain(queryset)
        affected = list(plain.exclude(verified=verified).select_related("user"))
        try:
            changed = services.creator_profiles_set_verified(
                actor=user, profiles=plain.exclude(verified=verified), verified=verified
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        description = "Verified" if verified else "Removed the verified badge"
        _log_change(user, affected, description)
        if verified:
            message = ngettext("%d creator verified.", "%d creators verified.", changed)
        else:
            message = ngettext(
                "Verified badge removed from %d creator.",
                "Verified badge removed from %d creators.",
                changed,
            )
        self.message_user(
            request, message % changed, messages.SUCCESS if changed else messages.WARNING
        )

    @admin.action(description="Verify", permissions=["review"])
    def verify(self, request: HttpRequest, queryset: QuerySet[CreatorProfile]) -> None:
        self._set_verified(request, queryset, True)

    @admin.action(description="Remove verified badge", permissions=["review"])
    def remove_verified_badge(
        self, request: HttpRequest, queryset: QuerySet[CreatorProfile]
    ) -> None:
        self._set_verified(request, queryset, False)

    @admin.action(description="Recompute tiers (whole pool)", permissions=["review"])
    def recompute_tiers(self, request: HttpRequest, queryset: QuerySet[CreatorProfile]) -> None:
        # Tiers follow audience sizes across the pool; one set-based pass is
        # as cheap as recomputing the selection alone.
        changed = services.tiers_refresh()
        self.message_user(
            request,
            ngettext(
                "Tiers recomputed for the whole pool: %d creator changed tier.",
                "Tiers recomputed for the whole pool: %d creators changed tier.",
                changed,
            )
            % changed,
            messages.SUCCESS,
        )

    @admin.action(description="Invite to host live rooms", permissions=["invite"])
    def invite_to_host(self, request: HttpRequest, queryset: QuerySet[CreatorProfile]) -> None:
        creators = list(_plain(queryset).select_related("user"))
        _invite_creators(
            self,
            request,
            [(creator, creator.score, list(creator.score_reasons or [])) for creator in creators],
        )

    # -- screening

    def get_urls(self) -> list[URLPattern]:
        screening_url = path(
            "screening/",
            self.admin_site.admin_view(self.screening_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_screening",
        )
        return [screening_url, *super().get_urls()]

    def may_screen(self, request: HttpRequest) -> bool:
        return not self.is_scoped(request) and self.has_view_permission(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "may_screen": self.may_screen(request)}
        return super().changelist_view(request, extra_context=context)

    def screening_view(self, request: HttpRequest) -> HttpResponse:
        """The pool ranked for live-host invitations (best first, with the
        reasons), and a form to invite the chosen creators."""
        if not self.may_screen(request):
            raise AdminPermissionDenied
        may_invite = self.has_invite_permission(request)
        form = ScreeningForm(request.POST if request.method == "POST" else request.GET)
        niche = form.cleaned_data["niche"] if form.is_valid() else None
        results = selectors.creator_ranking(niche=niche.slug if niche else None, top=SCREENING_TOP)
        prefetch_related_objects([result.creator for result in results], "user")

        if request.method == "POST":
            if not may_invite:
                raise AdminPermissionDenied
            chosen = {int(pk) for pk in request.POST.getlist("creator") if pk.isdigit()}
            picked = [r for r in results if r.creator.pk in chosen]
            if not form.is_valid():
                errors = "; ".join(str(e) for field in form.errors.values() for e in field)
                self.message_user(request, f"Nothing sent: {errors}", messages.ERROR)
            elif not picked:
                self.message_user(request, "Pick at least one creator to invite.", messages.WARNING)
            else:
                _invite_creators(
                    self,
                    request,
                    [(r.creator, r.score, list(r.reasons)) for r in picked],
                    niche=niche,
                    message=form.cleaned_data["message"],
                )
            query = f"?{urlencode({'niche': niche.slug})}" if niche else ""
            return HttpResponseRedirect(request.path + query)

        open_invitations = set(
            Invitation.objects.filter(
                user_id__in=[r.creator.user_id for r in results], status=Invitation.Status.SENT
            ).values_list("user_id", flat=True)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Screening: the pool ranked for live hosts",
            "form": form,
            "niche": niche,
            "rows": [
                {
                    "rank": rank,
                    "result": result,
                    "components": [
                        (name, result.components.get(name, 0.0)) for name in selectors.WEIGHTS
                    ],
                    "invited": result.creator.user_id in open_invitations,
                }
                for rank, result in enumerate(results, start=1)
            ],
            "may_invite": may_invite,
            "top": SCREENING_TOP,
            "weights": list(selectors.WEIGHTS.items()),
        }
        return TemplateResponse(request, "admin/kol/creatorprofile/screening.html", context)


class ScreeningForm(forms.Form):
    niche = forms.ModelChoiceField(
        queryset=Niche.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        empty_label="Any niche",
    )
    message = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Sent with every invitation (optional).",
    )


def _invite_creators(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    picked: Sequence[tuple[CreatorProfile, float | None, Sequence[str]]],
    *,
    niche: Niche | None = None,
    message: str = "",
) -> None:
    """Invite each picked creator (with the score and reasons that motivated
    it) and say how many were new: inviting is idempotent."""
    actor = _acting_user(request)
    sent, already = 0, 0
    for creator, score, reasons in picked:
        try:
            _, created = services.invitation_send(
                actor=actor,
                user=creator.user,
                message=message,
                niche=niche,
                score=score,
                reasons=reasons,
            )
        except DomainError as exc:
            modeladmin.message_user(request, f"{creator.user}: {exc.message}", messages.ERROR)
            continue
        if created:
            sent += 1
        else:
            already += 1
    text = f"{sent} invited, {already} already had an open invitation."
    modeladmin.message_user(request, text, messages.SUCCESS if sent else messages.WARNING)


# --- agencies -----------------------------------------------------------------------


class MembershipForm(forms.ModelForm):
    share_bps = forms.IntegerField(
        min_value=0,
        max_value=BPS_MAX,
        label="Share (bps)",
        help_text="Basis points: 2,500 = 25%.",
        # Django %-formats these messages with the limit: escape the "%".
        error_messages={
            "min_value": SHARE_RANGE_MESSAGE.replace("%", "%%"),
            "max_value": SHARE_RANGE_MESSAGE.replace("%", "%%"),
        },
    )
    reason = forms.CharField(required=False, max_length=200, label="Reason for the change")
    end_now = forms.BooleanField(required=False, label="End membership")

    class Meta:
        model = AgencyMembership
        fields = ("creator", "share_bps")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "creator" in self.fields:
            # A membership belongs to one creator; another creator is a new row.
            self.fields["creator"].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.ended_at is not None and self.has_changed():
            raise forms.ValidationError("This membership has ended; add the creator again.")
        return cleaned

    def validate_constraints(self) -> None:
        # "One current agency per creator" is kept by agency_creator_add, which
        # ends the creator's current membership elsewhere; the share's range
        # is checked by its field.
        return None


class MembershipFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        current = {
            form.instance.creator_id
            for form in self.initial_forms
            if form.instance.ended_at is None
        }
        for form in self.extra_forms:
            creator = form.cleaned_data.get("creator") if form.has_changed() else None
            if creator is None:
                continue
            if creator.pk in seen or creator.pk in current:
                form.add_error("creator", "This creator is already on the roster.")
            seen.add(creator.pk)


class MembershipInline(admin.TabularInline):
    """The roster. Saved by AgencyAdmin.save_formset through the services, so
    every share change leaves a RevenueShareChange row."""

    model = AgencyMembership
    verbose_name = "roster entry"
    verbose_name_plural = "roster"
    form = MembershipForm
    formset = MembershipFormSet
    extra = 1
    can_delete = False
    autocomplete_fields = ("creator",)
    fields = (
        "creator",
        "share_bps",
        "share_percent",
        "reason",
        "started_at",
        "ended_at",
        "end_now",
    )
    readonly_fields = ("share_percent", "started_at", "ended_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgencyMembership]:
        # Current members first, then the past ones.
        return (
            super()
            .get_queryset(request)
            .select_related("creator__user", "agency")
            .order_by(F("ended_at").desc(nulls_first=True), "-started_at")
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if not self.has_change_permission(request, obj):
            return ("creator", "share_bps", "share_percent", "started_at", "ended_at")
        return self.fields

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "creator" and formfield is not None:
            # Creators join the pool through applications, not from a roster.
            formfield.widget.can_add_related = False
            formfield.widget.can_change_related = False
        return formfield

    def _may_edit(self, request: HttpRequest) -> bool:
        return selectors.sees_whole_pool(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Share")
    def share_percent(self, obj: AgencyMembership) -> str:
        return _percent(obj.share_bps if obj.pk else None)


@admin.register(Agency)
class AgencyAdmin(PoolAdmin):
    list_display = ("name", "contact_name", "contact_email", "roster_size", "created_at")
    search_fields = ("name", "slug", "contact_name", "contact_email")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("managers",)
    inlines = (MembershipInline,)
    fields = (
        "name",
        "slug",
        ("contact_name", "contact_email"),
        ("phone", "website"),
        "notes",
        "managers",
        "share_history",
        "created_at",
    )
    readonly_fields = ("share_history", "created_at")

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        return queryset.filter(pk__in=managed_agency_ids(user))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        roster = (
            AgencyMembership.objects.filter(agency=OuterRef("pk"), ended_at=None)
            .order_by()
            .values("agency")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(roster_count=Coalesce(Subquery(roster), 0))

    @admin.display(description="Creators on the roster", ordering="roster_count")
    def roster_size(self, obj: Agency) -> int:
        return int(getattr(obj, "roster_count", 0))

    @admin.display(description="Share history")
    def share_history(self, obj: Agency) -> SafeString | str:
        if obj.pk is None:
            return "—"
        changes = (
            RevenueShareChange.objects.filter(membership__agency=obj)
            .select_related("membership__creator__user", "changed_by")
            .order_by("-changed_at", "-id")[:10]
        )
        lines = [
            f"{change.changed_at:%Y-%m-%d} {change.membership.creator.user}: "
            f"{_percent(change.old_bps)} → {_percent(change.new_bps)}"
            + (f" ({change.reason})" if change.reason else "")
            for change in changes
        ]
        every = _changelist_link(RevenueShareChange, "All changes", agency=obj.pk)
        return format_html("{}{}", _bullets(lines), every) if lines else every

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not AgencyMembership:
            super().save_formset(request, form, formset, change)
            return
        actor = _acting_user(request)
        agency: Agency = form.instance
        # What the admin's change message and history read (formset.save()
        # would set them; the services do the saving here).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.initial_forms:
            if not row.has_changed():
                continue
            membership: AgencyMembership = row.instance
            try:
                if row.cleaned_data.get("end_now"):
                    services.agency_membership_end(actor=actor, membership=membership)
                    formset.changed_objects.append((membership, ["ended_at"]))
                elif "share_bps" in row.changed_data:
                    services.agency_share_change(
                        actor=actor,
                        membership=membership,
                        share_bps=row.cleaned_data["share_bps"],
                        reason=row.cleaned_data.get("reason", ""),
                    )
                    formset.changed_objects.append((membership, ["share_bps"]))
            except DomainError as exc:
                self.message_user(request, f"{membership}: {exc.message}", messages.ERROR)
        for row in formset.extra_forms:
            if not row.has_changed() or row.cleaned_data.get("creator") is None:
                continue
            creator: CreatorProfile = row.cleaned_data["creator"]
            try:
                membership = services.agency_creator_add(
                    actor=actor,
                    agency=agency,
                    creator=creator,
                    share_bps=row.cleaned_data["share_bps"],
                )
            except DomainError as exc:
                self.message_user(request, f"{creator}: {exc.message}", messages.ERROR)
                continue
            formset.new_objects.append(membership)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(ReadOnlyPoolAdmin):
    """Every roster entry, past and present; changed from the agency's page."""

    list_display = ("creator", "agency", "share_percent", "started_at", "ended_at")
    list_filter = (AgencyFilter, ("ended_at", admin.EmptyFieldListFilter))
    list_select_related = ("creator__user", "agency")
    search_fields = ("creator__user__username", "agency__name")

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        return queryset.filter(agency_id__in=managed_agency_ids(user))

    @admin.display(description="Share", ordering="share_bps")
    def share_percent(self, obj: AgencyMembership) -> str:
        return _percent(obj.share_bps)


@admin.register(RevenueShareChange)
class RevenueShareChangeAdmin(ReadOnlyPoolAdmin):
    list_display = (
        "creator",
        "agency",
        "old_share",
        "new_share",
        "changed_by",
        "changed_at",
        "reason",
    )
    list_filter = (ShareChangeAgencyFilter, "changed_at")
    list_select_related = ("membership__creator__user", "membership__agency", "changed_by")
    search_fields = ("membership__creator__user__username", "membership__agency__name", "reason")
    date_hierarchy = "changed_at"

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        return queryset.filter(membership__agency_id__in=managed_agency_ids(user))

    @admin.display(description="Creator", ordering="membership__creator__user__username")
    def creator(self, obj: RevenueShareChange) -> str:
        return str(obj.membership.creator.user)

    @admin.display(description="Agency", ordering="membership__agency__name")
    def agency(self, obj: RevenueShareChange) -> str:
        return obj.membership.agency.name

    @admin.display(description="From", ordering="old_bps")
    def old_share(self, obj: RevenueShareChange) -> str:
        return _percent(obj.old_bps)

    @admin.display(description="To", ordering="new_bps")
    def new_share(self, obj: RevenueShareChange) -> str:
        return _percent(obj.new_bps)


# --- applications ---------------------------------------------------------------------


class ApplicationStatusFilter(DefaultStatusFilter):
    """Status, defaulting to the pending applications: what needs a decision."""

    statuses = Application.Status.choices
    default = Application.Status.PENDING.value


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=1000,
        help_text="The applicants read this in their notifications.",
        error_messages={"required": "Tell the applicants why."},
    )


@admin.register(Application)
class ApplicationAdmin(ReadOnlyPoolAdmin):
    list_display = ("applicant", "niche_list", "status", "created_at", "reviewed_by")
    list_filter = (ApplicationStatusFilter, "niches", "created_at")
    list_select_related = ("applicant", "reviewed_by")
    search_fields = ("applicant__username", "applicant__email", "pitch")
    actions = ("approve", "reject")
    fields = (
        "applicant_link",
        "niche_list",
        "pitch",
        "link_list",
        "status",
        "created_at",
        "decision_reason",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).prefetch_related("niches")

    @admin.display(description="Applicant")
    def applicant_link(self, obj: Application) -> SafeString:
        return _admin_link(obj.applicant, obj.applicant.username)

    @admin.display(description="Niches")
    def niche_list(self, obj: Application) -> str:
        return ", ".join(niche.name for niche in obj.niches.all()) or "—"

    @admin.display(description="Links")
    def link_list(self, obj: Application) -> SafeString | str:
        return _web_links(obj.links)

    @admin.action(description="Approve", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        reviewer = _acting_user(request)
        approved: list[Application] = []
        for application in _plain(queryset).select_related("applicant"):
            try:
                services.application_approve(reviewer=reviewer, application=application)
            except DomainError as exc:
                self.message_user(
                    request, f"{application.applicant} not approved: {exc.message}", messages.ERROR
                )
                continue
            approved.append(application)
        _log_change(reviewer, approved, "Approved")
        if approved:
            count = len(approved)
            self.message_user(
                request,
                ngettext(
                    "%d application approved; the applicant joined the pool.",
                    "%d applications approved; the applicants joined the pool.",
                    count,
                )
                % count,
                messages.SUCCESS,
            )

    @admin.action(description="Reject…", permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        """Asks for the reason on an intermediate page, then rejects."""
        applications = list(_plain(queryset).select_related("applicant"))
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reviewer = _acting_user(request)
            rejected: list[Application] = []
            for application in applications:
                try:
                    services.application_reject(
                        reviewer=reviewer,
                        application=application,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    self.message_user(
                        request,
                        f"{application.applicant} not rejected: {exc.message}",
                        messages.ERROR,
                    )
                    continue
                rejected.append(application)
            _log_change(reviewer, rejected, "Rejected")
            if rejected:
                count = len(rejected)
                self.message_user(
                    request,
                    ngettext("%d application rejected.", "%d applications rejected.", count)
                    % count,
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Reject applications",
            "objects": applications,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/kol/application/reject.html", context)


# --- invitations ------------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyPoolAdmin):
    list_display = ("user", "status", "invited_by", "niche", "score", "created_at", "expires_at")
    list_filter = ("status", "niche", "created_at")
    list_select_related = ("user", "invited_by", "niche")
    search_fields = ("user__username", "invited_by__username")
    date_hierarchy = "created_at"
    actions = ("expire_now",)
    fields = (
        "user",
        "status",
        "invited_by",
        "niche",
        "score",
        "reason_list",
        "message",
        "created_at",
        "expires_at",
        "responded_at",
    )
    readonly_fields = fields

    @admin.display(description="Why this creator")
    def reason_list(self, obj: Invitation) -> SafeString | str:
        return _bullets(str(reason) for reason in obj.reasons or [])

    @admin.action(description="Expire now", permissions=["invite"])
    def expire_now(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        user = _acting_user(request)
        open_ones = _plain(queryset).filter(status=Invitation.Status.SENT)
        affected = list(open_ones.select_related("user"))
        # Expiring chosen open invitations early is the same single UPDATE as
        # invitations_expire_due (by due date), without a notice.
        expired = services.invitations_expire(invitations=open_ones)
        _log_change(user, affected, "Expired")
        message = ngettext("%d invitation expired.", "%d invitations expired.", expired) % expired
        if expired < queryset.count():
            message += " Only open invitations expire."
        self.message_user(request, message, messages.SUCCESS if expired else messages.WARNING)


# --- daily stats ------------------------------------------------------------------------


@admin.register(CreatorDailyStat)
class CreatorDailyStatAdmin(ReadOnlyPoolAdmin):
    list_display = (
        "creator",
        "date",
        "followers",
        "new_followers",
        "notes_published",
        "likes_received",
        "collects_received",
        "comments_received",
        "engagement",
        "live_hours_display",
        "gift_income",
        "sales",
    )
    list_filter = ("creator__tier", StatAgencyFilter)
    list_select_related = ("creator__user",)
    search_fields = ("creator__user__username",)
    date_hierarchy = "date"

    def scope(self, queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
        return queryset.filter(creator_id__in=roster_creator_ids(user))

    @admin.display(description="Engagement", ordering="engagement_rate")
    def engagement(self, obj: CreatorDailyStat) -> str:
        return f"{obj.engagement_rate * 100:.1f}%"

    @admin.display(description="Live hours", ordering="live_seconds")
    def live_hours_display(self, obj: CreatorDailyStat) -> str:
        return f"{obj.live_hours:.1f}"
