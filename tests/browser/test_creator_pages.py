"""The creator pool's pages in a real browser: a creator opens the studio,
sees the performance chart and an open invitation, and accepts it; a visitor
filters the directory by niche; a member opens the application form.
Full-page screenshots land in artifacts/screenshots/ (kol-*.png)."""

from __future__ import annotations

import random
import re
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import User
from kol import selectors, services
from kol.models import CreatorDailyStat, CreatorProfile, Invitation, Niche, Tier
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CreatorFactory,
    ModeratorFactory,
    NoteFactory,
    UserFactory,
)

# serialized_rollback: the niches and groups come from data migrations, which a
# transactional test would flush for the next one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# fmt: off
POOL = [
    # username, display name, niches, followers, tier, verified, score, bio
    ("mei_cooks", "Mei Lin", ["home-cooking"], 9_412, Tier.MICRO, True, 78.4,
     "Weeknight dinners for two in under 30 minutes, with a shopping list for each."),
    ("glowwithjo", "Jo Park", ["skincare"], 48_200, Tier.MID, True, 83.1,
     "Honest skincare for sensitive skin. Patch tests, routines, and what actually worked."),
    ("nordic_nest", "Sanna Virtanen", ["home-interior", "plants-garden"], 3_150, Tier.MICRO,
     False, 64.0,
     "Small flat, big light: renting-friendly decor and plants that survive winter."),
    ("trailmix_tom", "Tom Reyes", ["travel", "fitness"], 152_000, Tier.MACRO, True, 71.9,
     "Long walks, cheap trains and the snacks that get me up mountains."),
    ("pastry_pia", "Pia Jensen", ["home-cooking"], 640, Tier.NANO, False, None,
     "Laminated dough experiments. Some work."),
    ("dewdrop_dani", "Dani Okafor", ["skincare", "fashion"], 1_240_000, Tier.MEGA, True, 88.6,
     "Dermatologist-approved routines and the outfits that go with them."),
]
# fmt: on


def build_pool() -> CreatorProfile:
    """A believable little pool; returns the cooking creator, with 60 days of
    stats, notes, an agency and an open invitation to host."""
    profiles = {}
    for username, name, niche_slugs, followers, tier, verified, score, bio in POOL:
        member = UserFactory(username=username, display_name=name, follower_count=followers)
        profile = CreatorFactory(
            user=member,
            niches=list(Niche.objects.filter(slug__in=niche_slugs)),
            bio=bio,
            tier=tier,
            verified=verified,
            engagement_rate=0.02 + (zlib.crc32(username.encode()) % 70) / 1000,
        )
        if score is not None:
            CreatorProfile.objects.filter(pk=profile.pk).update(
                score=score, scored_at=timezone.now() - timedelta(days=1)
            )
        profiles[username] = profile
    creator = profiles["mei_cooks"]
    CreatorProfile.objects.filter(pk=creator.pk).update(
        engagement_rate=0.071,
        score_reasons=[
            "engagement 7.1% (top 5%)",
            "+1,240 followers in 30 days",
            "posts 4.2×/week",
            "fits the requested niche: Home cooking",
        ],
    )
    rng = random.Random(7)
    today = selectors.stats_today()
    followers = 8_170
    rows = []
    for offset in range(59, -1, -1):
        day = today - timedelta(days=offset)
        new = rng.randint(6, 40) + (25 if offset in (21, 20) else 0)
        followers += new
        weekend = day.weekday() >= 5
        likes = rng.randint(60, 180) + (90 if weekend else 0)
        rows.append(
            CreatorDailyStat(
                creator=creator,
                date=day,
                followers=followers,
                new_followers=new,
                notes_published=1 if offset % 2 == 0 else 0,
                likes_received=likes,
                collects_received=likes // 3,
                comments_received=rng.randint(4, 30),
                engagement_rate=0.071,
            )
        )
    CreatorDailyStat.objects.bulk_create(rows)
    User.objects.filter(pk=creator.user_id).update(follower_count=followers)
    for title, likes, collects, comments in [
        ("Miso butter aubergine, 25 minutes", 412, 160, 38),
        ("Tomato & peach salad for hot nights", 298, 121, 19),
        ("One-pan lemon chicken orzo", 655, 302, 71),
        ("Shopping list: a week of dinners for two", 1_204, 890, 102),
    ]:
        NoteFactory(
            author=creator.user,
            title=title,
            like_count=likes,
            collect_count=collects,
            comment_count=comments,
        )
    agency = AgencyFactory(name="Bright Sprout Media")
    services.agency_creator_add(actor=None, agency=agency, creator=creator, share_bps=2_000)
    staff = ModeratorFactory(username="sprout_team", display_name="Sprout team")
    services.invitation_send(
        actor=staff,
        user=creator.user,
        message="Your weeknight dinners would be great live: cook along with your followers "
        "on Thursday evenings?",
        niche=Niche.objects.get(slug="home-cooking"),
        score=78.4,
        reasons=["engagement 7.1% (top 5%)", "+1,240 followers in 30 days", "posts 4.2×/week"],
    )
    return CreatorProfile.objects.select_related("user").get(pk=creator.pk)


def log_in(page, base: str, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_path}")


def test_creator_opens_the_studio_sees_the_chart_and_accepts_an_invitation(  # type: ignore[no-untyped-def]
    live_server, page, screenshot
):
    from playwright.sync_api import expect

    base = live_server.url
    creator = build_pool()
    log_in(page, base, creator.user.username, "/studio/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Creator studio")
    followers = page.locator("svg[data-chart=followers]")
    expect(followers).to_have_attribute("data-points", "30")
    expect(followers.locator("circle.chart-point")).to_have_count(30)
    expect(page.locator("svg[data-chart=interactions] rect.chart-bar")).to_have_count(30)
    agency = page.get_by_role("region", name="Agency")
    expect(agency.get_by_text("Bright Sprout Media")).to_be_visible()
    invitation = page.locator(".invites-open .invite")
    expect(invitation).to_have_count(1)
    expect(invitation).to_contain_text("Thursday evenings")
    screenshot("kol-studio-1280")

    # 60 days, swapped in place by htmx (and in the address bar).
    page.get_by_role("link", name="60 days").click()
    expect(page.locator("svg[data-chart=followers]")).to_have_attribute("data-points", "60")
    expect(page).to_have_url(re.compile(r"/studio/\?days=60$"))

    # Accept: the card changes in place and the right to host is granted.
    invitation.get_by_role("button", name="Accept invitation").click()
    expect(invitation).to_contain_text("You can now host live rooms")
    expect(page.locator("#announcer")).to_contain_text("Invitation accepted")
    expect(page.locator("#live-hosting")).to_contain_text("You can host live rooms.")
    opened = Invitation.objects.get(user=creator.user)
    assert opened.status == Invitation.Status.ACCEPTED
    assert selectors.can_host_live(User.objects.get(pk=creator.user_id))

    # The public page reuses the chart.
    page.get_by_role("link", name="Your public page").click()
    page.wait_for_url(f"{base}/creators/{creator.user.username}/")
    expect(page.locator("svg[data-chart=followers]")).to_have_attribute("data-points", "30")
    expect(page.locator(".creator-notes .card")).to_have_count(4)
    screenshot("kol-creator-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/studio/")
    expect(page.locator("svg[data-chart=followers]")).to_be_visible()
    expect(page.get_by_text("You can host live rooms.")).to_be_visible()
    screenshot("kol-studio-390")
    assert page.js_errors == []
    assert page.csp_violations == []


def test_visitor_filters_the_directory_by_niche(  # type: ignore[no-untyped-def]
    live_server, page, screenshot
):
    from playwright.sync_api import expect

    base = live_server.url
    build_pool()
    page.goto(f"{base}/creators/")
    cards = page.locator(".creator-card")
    expect(cards).to_have_count(len(POOL))
    # Best screening score first.
    expect(cards.first).to_contain_text("Dani Okafor")
    expect(page.get_by_role("link", name=re.compile("Apply to join"))).to_be_visible()
    screenshot("kol-directory-1280")

    page.get_by_label("Niche", exact=True).select_option("skincare")
    expect(cards).to_have_count(2)
    expect(page.get_by_role("heading", name="Creators in Skincare")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Showing creators in Skincare.")
    expect(page).to_have_url(re.compile(r"niche=skincare"))
    page.locator(".seg-item", has_text="Mid-tier").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Jo Park")
    screenshot("kol-directory-filtered-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("kol-directory-filtered-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A card opens the creator's page, with its chart.
    cards.first.get_by_role("link", name="Jo Park").click()
    page.wait_for_url(f"{base}/creators/glowwithjo/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jo Park")
    assert page.js_errors == []
    assert page.csp_violations == []


def test_member_opens_the_application_form(  # type: ignore[no-untyped-def]
    live_server, page, screenshot
):
    from playwright.sync_api import expect

    base = live_server.url
    build_pool()
    UserFactory(username="new_member", display_name="Rosa Diaz")
    log_in(page, base, "new_member", "/creators/apply")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the creator pool")
    page.fill("#id_pitch", "Short")
    expect(page.locator("[data-counter-for=id_pitch]")).to_have_text("5 / 1000")
    page.get_by_label("Home cooking").check()
    page.get_by_role("button", name="Send application").click()
    expect(page.locator(".field-error")).to_contain_text("at least 20 characters")
    expect(page.get_by_label("Home cooking")).to_be_checked()
    screenshot("kol-apply-1280")

    page.fill("#id_pitch", "I bake bread with kids on Sundays and post the recipes step by step.")
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_role("heading", name="We have your application")).to_be_visible()
    assert page.js_errors == []
    assert page.csp_violations == []
