"""HTML pages of the creator pool: the directory, a creator's page, the
application form, the creator studio (with the answers to invitations and
the earnings) and the agency dashboard.

Same discipline as ``community.views``: thin views (parse, call one service
or selector, render), POST-only writes that also work without JavaScript,
htmx answers with the fragment that changed, domain errors turned into a
friendly message by ``handles_domain_errors``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import badges
from community import selectors as community_selectors
from community.models import User
from core.errors import DomainError
from core.forms import add_domain_errors
from core.views import (
    cursor_of,
    handles_domain_errors,
    is_htmx,
    member,
    member_required,
    page_size,
    partial,
)
from kol import extensions, selectors, services
from kol.errors import InvitationClosed
from kol.forms import ApplicationForm, DirectoryFilterForm
from kol.models import Application, Invitation, Tier
from kol.templatetags.kol_tags import stats_charts

STUDIO_RANGES = (30, 60)
STUDIO_NOTES = 12
CREATOR_PAGE_NOTES = 10


def is_history_restore(request: HttpRequest) -> bool:
    """htmx asking for a whole page to restore history (back button)."""
    return request.headers.get("HX-History-Restore-Request") == "true"


def wants_fragment(request: HttpRequest) -> bool:
    return is_htmx(request) and not is_history_restore(request)


def chosen_range(request: HttpRequest) -> int:
    """The studio's period in days: 30 (default) or 60."""
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in STUDIO_RANGES else STUDIO_RANGES[0]


# --- directory --------------------------------------------------------------------


@require_GET
@handles_domain_errors
def creators(request: HttpRequest) -> HttpResponse:
    """The creators directory, filtered by niche and tier. With htmx, a
    change of filter gets the results only and "More" the next cards only."""
    niches = list(selectors.niche_list())
    form = DirectoryFilterForm(request.GET, niches=niches)
    filters = form.filters()
    page = selectors.creator_directory_page(
        selectors.creator_list(niche=filters["niche"], tier=filters["tier"]),
        cursor=cursor_of(request),
        size=page_size(),
    )
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "creators": page.items,
        "next_cursor": page.next_cursor,
        "niche": next((n for n in niches if n.slug == filters["niche"]), None),
        "tier_label": Tier(filters["tier"]).label if filters["tier"] else "",
    }
    if wants_fragment(request) and cursor_of(request):
        template = "kol/partials/creator_page.html"
    elif wants_fragment(request):
        template = "kol/partials/directory_results.html"
        context["announce"] = True
    else:
        viewer_creator = selectors.creator_of(request.user)
        context["viewer_creator"] = viewer_creator
        if request.user.is_authenticated and viewer_creator is None:
            context["application"] = selectors.application_list_for(request.user).first()
        template = "kol/directory.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@handles_domain_errors
def creator_detail(request: HttpRequest, username: str) -> HttpResponse:
    """A creator's public page: tier, niches, figures, the last 30 days as a
    chart, links and recent notes."""
    detail = selectors.creator_detail(username, request.user)
    creator = detail.creator
    notes = community_selectors.feed_author(
        author=creator.user, viewer=request.user, size=CREATOR_PAGE_NOTES
    ).items
    badges.attach([creator.user, *(note.author for note in notes)])
    graph = community_selectors.viewer_graph(request.user)
    return render(
        request,
        "kol/creator_detail.html",
        {
            "detail": detail,
            "creator": creator,
            "member": creator.user,
            "notes": notes,
            "charts": stats_charts(detail.stats, days=30, end=selectors.stats_today()),
            "following": creator.user_id in graph.followed_users,
            "is_self": request.user.pk == creator.user_id,
        },
    )


# --- applications ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def creator_apply(request: HttpRequest) -> HttpResponse:
    """Apply to join the pool, and see what became of the last application."""
    user = member(request)
    niches = list(selectors.niche_list())
    form = ApplicationForm(request.POST or None, niches=niches)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.application_submit(
                applicant=user,
                pitch=data["pitch"],
                niche_slugs=data["niches"],
                links=data["links"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Thanks! Your application is in; we will let you know.")
            return redirect("creator_apply")
    latest = selectors.application_list_for(user).first()
    creator = selectors.creator_of(user)
    can_apply = creator is None and (latest is None or latest.status != Application.Status.PENDING)
    return render(
        request,
        "kol/apply.html",
        {
            "form": form,
            "application": latest,
            "creator": creator,
            "can_apply": can_apply,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@member_required
@handles_domain_errors
def creator_application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant takes back a pending application (anyone else's does
    not exist); back to the apply page, which offers the form again."""
    user = member(request)
    application = selectors.application_for_member(application_id=pk, user=user)
    try:
        services.application_withdraw(applicant=user, application=application)
    except DomainError as exc:  # a moderator decided in the meantime
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your application is withdrawn. You can send a new one.")
    return redirect("creator_apply")


# --- studio --------------------------------------------------------------------------


@require_GET
@member_required
@handles_domain_errors
def studio(request: HttpRequest) -> HttpResponse:
    """The creator studio: headline figures, performance over 30 or 60 days,
    invitations to host, and the notes with their counts. Members who are
    not creators get an explanation and the way to apply."""
    user = member(request)
    if selectors.creator_of(user) is None:
        return render(
            request,
            "kol/studio_join.html",
            {"application": selectors.application_list_for(user).first()},
        )
    days = chosen_range(request)
    detail = selectors.creator_detail(user.username, user, days=max(STUDIO_RANGES))
    charts = stats_charts(detail.stats, days=days, end=selectors.stats_today())
    context: dict[str, Any] = {
        "detail": detail,
        "creator": detail.creator,
        "charts": charts,
        "days": days,
        "ranges": STUDIO_RANGES,
    }
    if wants_fragment(request):
        response = render(request, "kol/partials/performance.html", context)
    else:
        own = selectors.invitation_own_list(user)
        now = timezone.now()
        notes = list(community_selectors.note_list(viewer=user, author=user)[:STUDIO_NOTES])
        note_columns = extensions.studio_note_columns_for(notes)
        context.update(
            open_invitations=[i for i in own if i.is_open and i.expires_at > now],
            past_invitations=[i for i in own if not (i.is_open and i.expires_at > now)],
            notes=notes,
            note_columns=note_columns,
            note_rows=[(note, [c.cell(note.pk) for c in note_columns]) for note in notes],
            studio_sections=extensions.studio_sections_for(request, user),
            **_hosting(user),
            follower_change=_follower_change(detail.stats, days=30),
            earnings=selectors.studio_earnings(user),
        )
        response = render(request, "kol/studio.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _hosting(user: User) -> dict[str, Any]:
    """Whether ``user`` may host live rooms, and where they go live: the
    page the live app registered (``kol.extensions.go_live``; empty without
    live rooms installed)."""
    url_name = extensions.go_live.get()
    return {
        "can_host": selectors.can_host_live(user),
        "go_live_url": reverse(url_name) if url_name else "",
    }


def _follower_change(rows: list[Any], *, days: int) -> int | None:
    """Followers gained (or lost) over the last ``days`` days of stats."""
    recent = [row for row in rows if (selectors.stats_today() - row.date).days < days]
    if len(recent) < 2:
        return None
    return int(recent[-1].followers - recent[0].followers)


@require_POST
@member_required
@handles_domain_errors
def invitation_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept or decline an invitation to host (only the invited member; for
    anyone else it does not exist)."""
    user = member(request)
    invitation = selectors.invitation_for_member(invitation_id=pk, user=user)
    answer_with = services.invitation_accept if answer == "accept" else services.invitation_decline
    closed = ""
    try:
        invitation = answer_with(user=user, invitation=invitation)
    except InvitationClosed as exc:  # expired, or answered in another tab
        invitation.refresh_from_db()
        closed = exc.message
    if invitation.status == Invitation.Status.ACCEPTED and not closed:
        said = "Invitation accepted: you can now host live rooms."
    else:
        said = closed or "Invitation declined."
    if not is_htmx(request):
        (messages.error if closed else messages.success)(request, said)
        return redirect("studio")
    if closed:
        extra = render_to_string(
            "kol/partials/toast_oob.html", {"message": closed, "level": "error"}, request=request
        )
    else:
        extra = render_to_string(
            "kol/partials/live_hosting.html",
            {**_hosting(user), "oob": True},
            request=request,
        )
    return partial(
        request,
        "kol/partials/invitation.html",
        {"invitation": invitation, "answered": True},
        announce=said,
        extra=extra,
    )


# --- agencies ------------------------------------------------------------------------


@require_GET
@member_required
@handles_domain_errors
def agency_dashboard(request: HttpRequest) -> HttpResponse:
    """An agency's roster with each creator's unpaid earnings, what the
    platform owes the agency and the payouts that carried its share. Only
    for the agency's managers (``?agency=<slug>`` picks one of several);
    other members get 403, another agency's dashboard does not exist (404)."""
    agency, agencies = selectors.agency_for_manager(
        member(request), slug=request.GET.get("agency", "")
    )
    return render(
        request,
        "kol/agency.html",
        {"dashboard": selectors.agency_earnings(agency), "agencies": agencies},
    )
