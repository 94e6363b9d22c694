"""HTML pages of the creator pool: the directory and its filters, a
creator's page, the application form, the creator studio with its SVG
charts and the answers to invitations (and nobody else's), the badges on
community pages and the discover page's flat query count with them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from community.models import User
from kol import extensions, selectors, services
from kol.models import (
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Niche,
    Tier,
)
from kol.templatetags.kol_tags import (
    build_chart,
    nice_step,
    stats_charts,
    tick_label,
    tier_progress,
    value_range,
)
from tests.clients import logged_in
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    CommentFactory,
    CreatorFactory,
    ModeratorFactory,
    NoteFactory,
    UserFactory,
    fresh,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
GOOD_PITCH = "I post weeknight dinners for two, with a shopping list for each one."


@pytest.fixture
def cooking() -> Niche:
    return Niche.objects.get(slug="home-cooking")


@pytest.fixture
def skincare() -> Niche:
    return Niche.objects.get(slug="skincare")


@pytest.fixture
def creator(user: User, cooking: Niche) -> CreatorProfile:
    return CreatorFactory(user=user, niches=[cooking], bio="Dinners for two.")


def make_creator(name: str, *, niches: list[Niche] = (), **fields: Any) -> CreatorProfile:  # type: ignore[assignment]
    followers = fields.pop("followers", 0)
    person = UserFactory(username=name, display_name=name.title(), follower_count=followers)
    return CreatorFactory(user=person, niches=list(niches), **fields)


def daily_stats(creator: CreatorProfile, days: int, *, start_followers: int = 100) -> None:
    """One stat row per day for the last ``days`` days (today included)."""
    today = selectors.stats_today()
    CreatorDailyStat.objects.bulk_create(
        CreatorDailyStat(
            creator=creator,
            date=today - timedelta(days=days - 1 - i),
            followers=start_followers + 3 * i,
            new_followers=3,
            likes_received=10 + i,
            collects_received=2,
            comments_received=1,
        )
        for i in range(days)
    )


def card_names(html: str) -> list[str]:
    return re.findall(r'class="card-link" href="/creators/([^/]+)/"', html)


def points(html: str, chart: str) -> int:
    found = re.search(rf'data-chart="{chart}" data-points="(\d+)"', html)
    assert found, f"no {chart} chart"
    return int(found.group(1))


# --- directory ----------------------------------------------------------------------


def test_directory_shows_creators_to_visitors_with_a_call_to_apply(
    client: Client, cooking: Niche
) -> None:
    make_creator(
        "ada",
        niches=[cooking],
        followers=1_500,
        tier=Tier.MICRO,
        verified=True,
        bio="Sourdough every Sunday.",
    )
    response = client.get(reverse("creators"))
    assert response.status_code == 200
    page = response.content.decode()
    assert card_names(page) == ["ada"]
    assert "Sourdough every Sunday." in page
    assert "Home cooking" in page
    assert "1.5k" in page
    assert "badge--verified" in page and "badge--tier-micro" in page
    assert "Apply to join the creator pool" in page
    assert reverse("creator_apply") in page


def test_directory_invites_members_to_apply_and_sends_creators_to_their_studio(
    user_client: Client, other_client: Client, creator: CreatorProfile, other_user: User
) -> None:
    assert "Open your studio" in user_client.get(reverse("creators")).content.decode()
    page = other_client.get(reverse("creators")).content.decode()
    assert "Apply to join the creator pool" in page
    ApplicationFactory(applicant=other_user, pitch=GOOD_PITCH)
    page = other_client.get(reverse("creators")).content.decode()
    assert "Your application is waiting for review" in page
    assert "Apply to join the creator pool" not in page


def test_directory_filters_by_niche_and_tier(
    client: Client, cooking: Niche, skincare: Niche
) -> None:
    make_creator("cook_micro", niches=[cooking], tier=Tier.MICRO)
    make_creator("cook_nano", niches=[cooking], tier=Tier.NANO)
    make_creator("skin_micro", niches=[skincare], tier=Tier.MICRO)

    def names(**params: str) -> set[str]:
        response = client.get(reverse("creators"), params)
        assert response.status_code == 200
        return set(card_names(response.content.decode()))

    assert names() == {"cook_micro", "cook_nano", "skin_micro"}
    assert names(niche="home-cooking") == {"cook_micro", "cook_nano"}
    assert names(tier="micro") == {"cook_micro", "skin_micro"}
    assert names(niche="home-cooking", tier="micro") == {"cook_micro"}
    # Without scripts the form posts empty values for "all".
    assert names(niche="", tier="") == {"cook_micro", "cook_nano", "skin_micro"}
    # A value that is not offered is dropped, not a crash.
    assert names(niche="no-such-niche", tier="micro") == {"cook_micro", "skin_micro"}
    page = client.get(reverse("creators"), {"niche": "skincare", "tier": "mega"}).content.decode()
    assert "No creators match" in page
    assert "Mega creators in Skincare" in page


def test_directory_filter_with_htmx_answers_with_the_results_only(
    client: Client, cooking: Niche
) -> None:
    make_creator("ada", niches=[cooking])
    response = client.get(reverse("creators"), {"niche": "home-cooking"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="creator-results"' in html
    assert card_names(html) == ["ada"]
    assert "Showing creators in Home cooking." in html  # for screen readers
    assert "HX-Request" in response["Vary"]
    # Restoring history (back button) needs the whole page.
    restored = client.get(
        reverse("creators"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.content.decode()


def test_directory_orders_by_followers_and_pages_by_cursor(client: Client, settings: Any) -> None:
    """The public directory is ordered by followers: the screening score is
    an operations tool, not shown or used in public."""
    settings.SPROUT_PAGE_SIZE = 2
    make_creator("unscored_big", followers=9_000)
    make_creator("unscored_small", followers=10)
    make_creator("top", followers=5, score=90.0)
    make_creator("middle_more", followers=300, score=50.0)
    make_creator("middle_less", followers=200, score=50.0)
    expected = ["unscored_big", "middle_more", "middle_less", "unscored_small", "top"]

    first = client.get(reverse("creators"))
    assert "screening" not in first.content.decode().lower()
    seen = card_names(first.content.decode())
    cursor = first.context["next_cursor"]
    while cursor:
        more = client.get(reverse("creators"), {"cursor": cursor}, headers=HTMX)
        html = more.content.decode()
        assert "<html" not in html and 'id="creator-results"' not in html
        seen += card_names(html)
        cursor = more.context["next_cursor"]
    assert seen == expected


def test_a_bad_directory_cursor_is_a_friendly_400(client: Client) -> None:
    response = client.get(reverse("creators"), {"cursor": "nope"})
    assert response.status_code == 400


def test_directory_empty_pool_invites_the_first_applicants(client: Client) -> None:
    page = client.get(reverse("creators")).content.decode()
    assert "The pool is just getting started" in page


# --- a creator's page -------------------------------------------------------------------


def test_creator_page_shows_figures_chart_and_recent_notes(
    client: Client, creator: CreatorProfile, user: User
) -> None:
    daily_stats(creator, 30)
    NoteFactory(author=user, title="Miso aubergine")
    creator.links = [{"label": "Blog", "url": "https://example.com/blog"}]
    creator.save()
    response = client.get(reverse("creator_detail", args=[user.username]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dinners for two." in page
    assert 'href="https://example.com/blog"' in page
    assert points(page, "followers") == 30
    assert points(page, "interactions") == 30
    assert "Miso aubergine" in page
    assert "badge--tier-nano" in page  # badges were attached (the header and cards)


def test_creator_page_of_a_member_outside_the_pool_is_404(client: Client, user: User) -> None:
    assert client.get(reverse("creator_detail", args=[user.username])).status_code == 404
    assert client.get(reverse("creator_detail", args=["nobody_here"])).status_code == 404


def test_agency_share_is_shown_to_the_creator_only(
    user_client: Client, other_client: Client, creator: CreatorProfile, user: User
) -> None:
    agency = AgencyFactory(name="Bright Sprout Media")
    services.agency_creator_add(actor=None, agency=agency, creator=creator, share_bps=2_250)
    studio = user_client.get(reverse("studio")).content.decode()
    assert "Bright Sprout Media" in studio
    assert "22.5%" in studio
    public = other_client.get(reverse("creator_detail", args=[user.username])).content.decode()
    # Who represents a creator is for the creator, their agency and staff.
    assert "Bright Sprout Media" not in public
    assert "22.5%" not in public


def test_another_agencys_manager_does_not_see_the_share_on_the_creator_page(
    creator: CreatorProfile, user: User
) -> None:
    agency = AgencyFactory(name="Bright Sprout Media")
    services.agency_creator_add(actor=None, agency=agency, creator=creator, share_bps=2_250)
    managers = Group.objects.get(name="Agency managers")
    own, rival = UserFactory(is_staff=True), UserFactory(is_staff=True)
    for manager in (own, rival):
        manager.groups.add(managers)
    agency.managers.add(own)
    AgencyFactory(name="Other Agency").managers.add(rival)
    page = reverse("creator_detail", args=[user.username])

    assert "22.5%" in logged_in(own).get(page).content.decode()
    seen_by_rival = logged_in(rival).get(page).content.decode()
    assert "Bright Sprout Media" not in seen_by_rival
    assert "22.5%" not in seen_by_rival
    assert "22.5%" not in logged_in(UserFactory(is_staff=True)).get(page).content.decode()


# --- login ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["creator_apply", "studio"])
def test_member_pages_send_visitors_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={reverse(name)}"


def test_answering_invitations_needs_a_member(client: Client, user: User) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    response = client.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


# --- applications ---------------------------------------------------------------------------


def test_application_form_renders_the_managed_niches(user_client: Client) -> None:
    page = user_client.get(reverse("creator_apply")).content.decode()
    assert 'name="pitch"' in page
    assert 'data-counter-for="id_pitch"' in page
    for niche in Niche.objects.filter(is_active=True):
        assert f'value="{niche.slug}"' in page


def test_member_applies_and_sees_the_application_waiting(
    user_client: Client, user: User, cooking: Niche, skincare: Niche
) -> None:
    response = user_client.post(
        reverse("creator_apply"),
        {
            "pitch": GOOD_PITCH,
            "niches": ["home-cooking", "skincare"],
            "links": "https://example.com/blog\n\n  https://shop.example.com  ",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("creator_apply")
    application = Application.objects.get(applicant=user)
    assert application.status == Application.Status.PENDING
    assert set(application.niches.values_list("slug", flat=True)) == {"home-cooking", "skincare"}
    assert [link["url"] for link in application.links] == [
        "https://example.com/blog",
        "https://shop.example.com",
    ]
    page = user_client.get(reverse("creator_apply")).content.decode()
    assert "We have your application" in page
    assert 'name="pitch"' not in page  # no second form while one waits


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"pitch": "Too short", "niches": ["skincare"]}, "at least 20 characters"),
        ({"pitch": GOOD_PITCH}, "Pick at least one niche."),
        (
            {"pitch": GOOD_PITCH, "niches": ["skincare"], "links": "ftp://example.com/x"},
            "Not a web address",
        ),
        (
            {
                "pitch": GOOD_PITCH,
                "niches": ["skincare"],
                "links": "\n".join(f"https://example.com/{i}" for i in range(6)),
            },
            "at most 5 links",
        ),
        ({"pitch": "", "niches": ["skincare"]}, "Tell us about yourself"),
        ({"pitch": GOOD_PITCH, "niches": ["not-a-niche"]}, "Select a valid choice"),
    ],
)
def test_application_errors_are_shown_next_to_the_fields(
    user_client: Client, user: User, data: dict[str, Any], field_error: str
) -> None:
    response = user_client.post(reverse("creator_apply"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field-error"' in page
    assert escape(field_error) in page or field_error in page
    assert not Application.objects.filter(applicant=user).exists()
    # What the member typed is kept.
    if data.get("pitch"):
        assert escape(data["pitch"]) in page


def test_a_creator_cannot_apply_again(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    page = user_client.get(reverse("creator_apply")).content.decode()
    assert "You are in the creator pool" in page
    assert 'name="pitch"' not in page
    response = user_client.post(
        reverse("creator_apply"), {"pitch": GOOD_PITCH, "niches": ["skincare"]}
    )
    assert response.status_code == 400
    assert "already in the creator pool" in response.content.decode()
    assert not Application.objects.filter(applicant=user).exists()


def test_a_second_application_while_one_waits_is_refused(user_client: Client, user: User) -> None:
    data = {"pitch": GOOD_PITCH, "niches": ["skincare"]}
    assert user_client.post(reverse("creator_apply"), data).status_code == 302
    response = user_client.post(reverse("creator_apply"), data)
    assert response.status_code == 400
    assert "waiting for a moderator" in response.content.decode()
    assert Application.objects.filter(applicant=user).count() == 1


def test_a_rejected_member_reads_the_reason_and_may_apply_again(
    user_client: Client, user: User
) -> None:
    ApplicationFactory(
        applicant=user,
        pitch=GOOD_PITCH,
        status=Application.Status.REJECTED,
        decision_reason="Post a few more notes first.",
        reviewed_at=timezone.now(),
    )
    page = user_client.get(reverse("creator_apply")).content.decode()
    assert "was not approved" in page
    assert "Post a few more notes first." in page
    assert 'name="pitch"' in page
    response = user_client.post(
        reverse("creator_apply"), {"pitch": GOOD_PITCH, "niches": ["skincare"]}
    )
    assert response.status_code == 302
    assert Application.objects.filter(applicant=user, status="pending").count() == 1


def test_an_applicant_withdraws_from_the_apply_page_and_gets_the_form_back(
    user_client: Client, user: User
) -> None:
    application = ApplicationFactory(applicant=user, pitch=GOOD_PITCH)
    url = reverse("creator_application_withdraw", args=[application.pk])
    page = user_client.get(reverse("creator_apply")).content.decode()
    assert f'action="{url}"' in page
    assert 'name="pitch"' not in page

    response = user_client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("creator_apply"), 302)]
    page = response.content.decode()
    assert "Your application is withdrawn." in page
    assert 'name="pitch"' in page
    assert "We have your application" not in page
    assert fresh(application).status == Application.Status.WITHDRAWN


def test_a_decided_application_stays_decided_when_withdrawn_late(
    user_client: Client, user: User
) -> None:
    application = ApplicationFactory(applicant=user, status=Application.Status.APPROVED)
    url = reverse("creator_application_withdraw", args=[application.pk])
    response = user_client.post(url, follow=True)
    assert "This application is already approved." in response.content.decode()
    assert fresh(application).status == Application.Status.APPROVED


def test_only_the_applicant_withdraws_and_only_by_post(
    client: Client, user_client: Client, other_client: Client, user: User
) -> None:
    application = ApplicationFactory(applicant=user)
    url = reverse("creator_application_withdraw", args=[application.pk])
    assert other_client.post(url).status_code == 404
    assert logged_in(ModeratorFactory()).post(url).status_code == 404
    visitor = client.post(url)
    assert visitor.status_code == 302 and "/login" in visitor["Location"]
    assert user_client.get(url).status_code == 405
    assert fresh(application).status == Application.Status.PENDING


# --- studio -------------------------------------------------------------------------------------


def test_studio_explains_itself_to_members_outside_the_pool(user_client: Client) -> None:
    response = user_client.get(reverse("studio"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The studio is for creators" in page
    assert reverse("creator_apply") in page


def test_studio_shows_figures_chart_notes_and_invitations(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    User.objects.filter(pk=user.pk).update(follower_count=640)
    CreatorProfile.objects.filter(pk=creator.pk).update(
        score=71.6,
        score_reasons=["engagement 7.1% (top 5%)"],
        scored_at=timezone.now(),
        engagement_rate=0.071,
    )
    daily_stats(creator, 45)
    NoteFactory(author=user, title="Tomato tart", like_count=12, collect_count=4)
    invitation, _ = services.invitation_send(
        actor=None, user=user, message="Come and cook live!", reasons=["posts 4.2×/week"]
    )
    response = user_client.get(reverse("studio"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "640" in page
    assert "360 more followers to" in page  # nano -> micro at 1,000
    assert "7.1%" in page
    assert "72" in page and "engagement 7.1% (top 5%)" in page
    assert points(page, "followers") == 30
    assert points(page, "interactions") == 30
    assert "<title" in page and "<desc" in page
    assert "<caption>Daily figures of the last 30 days</caption>" in page
    assert "Tomato tart" in page
    assert "Come and cook live!" in page and "posts 4.2×/week" in page
    assert reverse("invitation_accept", args=[invitation.pk]) in page
    assert reverse("invitation_decline", args=[invitation.pk]) in page


def test_studio_switches_to_60_days_with_htmx(user_client: Client, creator: CreatorProfile) -> None:
    daily_stats(creator, 70)
    full = user_client.get(reverse("studio"), {"days": "60"}).content.decode()
    assert points(full, "followers") == 60
    fragment = user_client.get(reverse("studio"), {"days": "60"}, headers=HTMX)
    html = fragment.content.decode()
    assert "<html" not in html and 'id="performance"' in html
    assert points(html, "interactions") == 60
    # Anything else is the default period.
    assert (
        points(user_client.get(reverse("studio"), {"days": "365"}).content.decode(), "followers")
        == 30
    )


def test_studio_without_stats_says_when_the_chart_appears(
    user_client: Client, creator: CreatorProfile
) -> None:
    page = user_client.get(reverse("studio")).content.decode()
    assert "The chart fills in day by day" in page
    assert "data-chart=" not in page


def test_creator_accepts_an_invitation_from_the_studio(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    response = user_client.post(reverse("invitation_accept", args=[invitation.pk]), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="invitation-{invitation.pk}"' in html
    assert "You can now host live rooms" in html
    assert "Invitation accepted" in html  # the screen-reader announcement
    assert 'hx-swap-oob="outerHTML:#live-hosting"' in html
    assert "You can host live rooms." in html  # the studio's panel, updated in place
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert selectors.can_host_live(User.objects.get(pk=user.pk))
    page = user_client.get(reverse("studio")).content.decode()
    assert "You can host live rooms." in page
    assert "Past invitations" in page


def test_studio_of_a_host_links_to_the_go_live_page(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    user.user_permissions.add(selectors.host_permission())
    page = user_client.get(reverse("studio")).content.decode()
    go_live = reverse("go_live")
    assert re.search(rf'<a class="btn btn-primary" href="{go_live}">.*?Go live</a>', page, re.S)
    assert "Live rooms are for invited hosts" not in page


def test_studio_of_a_creator_who_may_not_host_says_how_to_become_one(
    user_client: Client, user: User, other_user: User, creator: CreatorProfile
) -> None:
    # Another member may host: that changes nothing for this creator.
    other_user.user_permissions.add(selectors.host_permission())
    page = user_client.get(reverse("studio")).content.decode()
    assert f'href="{reverse("go_live")}"' not in page
    assert "Live rooms are for invited hosts." in page  # as the go-live page tells them
    assert 'href="#live-hosting"' in page and "How to go live" in page
    assert "an invitation shows up here" in page
    services.invitation_send(actor=None, user=user)
    page = user_client.get(reverse("studio")).content.decode()
    assert "accept it above to go live" in page
    assert f'href="{reverse("go_live")}"' not in page


def test_accepting_an_invitation_brings_the_go_live_button(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    html = user_client.post(
        reverse("invitation_accept", args=[invitation.pk]), headers=HTMX
    ).content.decode()
    assert f'href="{reverse("go_live")}"' in html  # in the hosting panel swapped in place


def test_studio_without_live_rooms_links_to_no_go_live_page(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    user.user_permissions.add(selectors.host_permission())
    with extensions.go_live.override(None):
        page = user_client.get(reverse("studio")).content.decode()
    studio = page.split('class="studio"', 1)[1]  # the account menu has its own entry
    assert "Go live" not in studio and "How to go live" not in studio
    assert "You can host live rooms." in studio


def test_creator_declines_an_invitation_with_a_plain_form(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    response = user_client.post(reverse("invitation_decline", args=[invitation.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("studio")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert not selectors.can_host_live(User.objects.get(pk=user.pk))
    page = user_client.get(reverse("studio")).content.decode()
    assert "Invitation declined." in page


def test_nobody_else_can_answer_a_members_invitation(
    other_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    moderator = ModeratorFactory()
    for client in (other_client, logged_in(moderator)):
        for name in ("invitation_accept", "invitation_decline"):
            assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
            assert client.post(reverse(name, args=[invitation.pk]), headers=HTMX).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert not selectors.can_host_live(User.objects.get(pk=user.pk))


def test_an_invitation_past_its_date_is_expired_not_accepted(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    page = user_client.get(reverse("studio")).content.decode()
    assert reverse("invitation_accept", args=[invitation.pk]) not in page
    response = user_client.post(reverse("invitation_accept", args=[invitation.pk]), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "state--expired" in html
    assert 'hx-swap-oob="beforeend:#toasts"' in html
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED
    assert not selectors.can_host_live(User.objects.get(pk=user.pk))


def test_invitation_answers_are_post_only(
    user_client: Client, user: User, creator: CreatorProfile
) -> None:
    invitation, _ = services.invitation_send(actor=None, user=user)
    assert user_client.get(reverse("invitation_accept", args=[invitation.pk])).status_code == 405


# --- the chart ----------------------------------------------------------------------------------


def test_chart_has_one_point_per_day_with_stats_and_leaves_gaps() -> None:
    start = date(2026, 3, 1)
    series = [(start + timedelta(days=d), 1_000 + d) for d in (0, 1, 2, 5, 9)]
    chart = build_chart(
        slug="followers",
        title="t",
        unit="followers",
        kind="line",
        start=start,
        end=start + timedelta(days=9),
        series=series,
    )
    assert len(chart.points) == 5
    assert len(chart.line.split()) == 5
    assert chart.area.startswith("M") and chart.area.endswith("Z")
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
    # Day 5 sits halfway between day 2 and day 9 in proportion to the days.
    slot = (chart.right - chart.left) / 10
    assert xs[3] - xs[2] == pytest.approx(3 * slot, abs=0.02)
    # Every point is inside the plot, the highest at the top of its value.
    assert all(chart.top <= p.y <= chart.bottom for p in chart.points)
    assert chart.points[-1].label == "Mar 10: 1,009 followers"
    assert chart.x_ticks[0].label == "Mar 1"

    bars = build_chart(
        slug="i",
        title="t",
        unit="interactions",
        kind="bars",
        start=start,
        end=start + timedelta(days=29),
        series=[(start, 0)],
    )
    assert len(bars.bars) == 1 and bars.bars[0].height == 0
    assert [t.label for t in bars.y_ticks] == ["0", "1", "2", "3", "4"]


def test_chart_axes_have_nice_steps() -> None:
    steps = [nice_step(v) for v in (0, 1, 1.5, 3, 7, 12, 420, 999)]
    assert steps == [1, 1, 2, 5, 10, 20, 500, 1000]
    assert value_range([0, 37], from_zero=True) == (0, 40, 10)
    low, high, step = value_range([10_210, 10_450], from_zero=False)
    assert low <= 10_210 and high >= 10_450 and step == 100
    flat_low, flat_high, _ = value_range([500, 500], from_zero=False)
    assert flat_low < 500 < flat_high  # a flat line sits in the middle
    assert tick_label(10_250, 50) == "10.25k"
    assert tick_label(10_000, 1_000) == "10k"
    assert tick_label(2_400_000, 200_000) == "2.4M"
    assert tick_label(950, 50) == "950"


def test_stats_charts_describe_the_period_in_words(creator: CreatorProfile) -> None:
    daily_stats(creator, 10, start_followers=1_000)
    charts = stats_charts(
        list(selectors.stats_recent(creator, days=30)), days=30, end=selectors.stats_today()
    )
    assert charts.follower_change == 27
    assert "(+27)" in charts.followers.desc
    assert len(charts.interactions.bars) == 10
    assert charts.total_interactions == sum(13 + i for i in range(10))


def test_tier_progress_counts_the_followers_to_the_next_tier() -> None:
    progress = tier_progress(640)
    assert progress.tier == "nano" and progress.next_tier == "micro"
    assert (progress.missing, progress.percent) == (360, 64)
    mid = tier_progress(55_000)
    assert (mid.tier, mid.next_tier, mid.next_at) == ("mid", "macro", 100_000)
    assert tier_progress(5_000_000).next_tier is None


# --- badges on community pages -------------------------------------------------------------


def test_only_the_verified_badge_shows_beside_creators_on_notes_and_profiles(
    client: Client, user: User, creator: CreatorProfile, other_user: User
) -> None:
    """Tiers (Nano … Mega) are for the directory's filters, not for every
    card, comment and profile, where they cut off author names."""
    CreatorProfile.objects.filter(pk=creator.pk).update(verified=True, tier=Tier.MICRO)
    note = NoteFactory(author=user, title="Charred leeks")
    commenter = make_creator("commenting_creator", tier=Tier.MACRO)
    CommentFactory(note=note, author=commenter.user)
    CommentFactory(note=note, author=other_user)

    page = client.get(note.get_absolute_url()).content.decode()
    assert page.count("badge badge--verified") == 1
    assert "badge--tier-" not in page

    profile = client.get(reverse("profile", args=[user.username])).content.decode()
    assert "badge--verified" in profile and "badge--tier-" not in profile
    assert reverse("creator_detail", args=[user.username]) in profile

    discover = client.get(reverse("discover")).content.decode()
    assert "badge--verified" in discover and "badge--tier-" not in discover

    plain = client.get(reverse("profile", args=[other_user.username])).content.decode()
    assert "badge badge--" not in plain
    # The directory still shows and filters by tier.
    directory = client.get(reverse("creators")).content.decode()
    assert "badge--tier-micro" in directory


def test_discover_query_count_stays_flat_with_badges(client: Client) -> None:
    def authored_by_creators(count: int) -> None:
        for _ in range(count):
            NoteFactory(author=CreatorFactory(verified=True).user, photos=1)

    authored_by_creators(5)
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("discover"))
    assert response.content.decode().count("badge badge--verified") == 5
    authored_by_creators(25)
    with CaptureQueriesContext(connection) as full:
        response = client.get(reverse("discover"))
    assert response.content.decode().count("badge badge--verified") == 20
    assert len(full) == len(small)
    badge_queries = [q for q in full.captured_queries if "kol_creatorprofile" in q["sql"]]
    assert len(badge_queries) == 1
