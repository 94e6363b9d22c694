"""The creator pool's admin (kol.admin): who opens what, the application
decisions (reject with a reason on an intermediate page), the badge, tier and
invitation actions, the screening page, roster share changes kept as history,
agency managers scoped to their own roster, and changelists whose query count
does not grow with their rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Notification, User
from kol import selectors, services
from kol.admin import SHARE_RANGE_MESSAGE
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
from tests.admin_pages import AdminPages, listed, offered_actions, page_messages
from tests.clients import logged_in
from tests.factories import (
    AgencyFactory,
    CreatorDailyStatFactory,
    CreatorFactory,
    InvitationFactory,
    NicheFactory,
    UserFactory,
    fresh,
)

pytestmark = pytest.mark.django_db

ADMIN = AdminPages("kol")
changelist = ADMIN.changelist
change = ADMIN.change
run_action = ADMIN.run_action
changelist_queries = ADMIN.changelist_queries

MODELS = (
    "niche",
    "creatorprofile",
    "agency",
    "agencymembership",
    "revenuesharechange",
    "application",
    "invitation",
    "creatordailystat",
)


# --- helpers ------------------------------------------------------------------------


def apply(applicant: User | None = None) -> Application:
    return services.application_submit(
        applicant=applicant or UserFactory(),
        pitch="I write about slow mornings and good coffee, twice a week.",
        niche_slugs=["coffee-tea"],
    )


def on_roster(agency: Agency, creator: CreatorProfile | None = None, bps: int = 2_000) -> Any:
    return services.agency_creator_add(
        actor=None, agency=agency, creator=creator or CreatorFactory(), share_bps=bps
    )


def invite(user: User) -> tuple[Invitation, bool]:
    return services.invitation_send(actor=None, user=user)


def daily_stat(creator: CreatorProfile, days_ago: int = 0, **figures: Any) -> CreatorDailyStat:
    return CreatorDailyStatFactory(
        creator=creator, date=date.today() - timedelta(days=days_ago), **figures
    )


def staff_client(*groups: str, **user_fields: Any) -> tuple[Client, User]:
    user = UserFactory(is_staff=True, **user_fields)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    client = logged_in(user)
    return client, user


def some_of_everything() -> None:
    agency = AgencyFactory()
    membership = on_roster(agency)
    services.agency_share_change(actor=None, membership=membership, share_bps=3_000)
    daily_stat(membership.creator, followers=10)
    apply()
    InvitationFactory(user=UserFactory(), expires_at=membership.started_at + timedelta(days=14))


# --- access -------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_moderator_opens_every_changelist(moderator_client: Client, model: str) -> None:
    some_of_everything()
    assert moderator_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_superuser_opens_every_changelist(superuser_client: Client, model: str) -> None:
    some_of_everything()
    assert superuser_client.get(changelist(model)).status_code == 200


def test_moderator_opens_the_change_pages(moderator_client: Client) -> None:
    membership = on_roster(AgencyFactory())
    for model, obj in [
        ("creatorprofile", membership.creator),
        ("agency", membership.agency),
        ("application", apply()),
    ]:
        assert moderator_client.get(change(model, obj)).status_code == 200


@pytest.mark.parametrize("model", ["creatorprofile", "application", "agency"])
def test_staff_outside_the_groups_cannot_open_the_pool(model: str) -> None:
    client, _ = staff_client()
    assert client.get(changelist(model)).status_code == 403


def test_plain_member_is_sent_to_the_admin_login() -> None:
    client = logged_in(UserFactory())
    response = client.get(changelist("creatorprofile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_applications_and_stats_cannot_be_added_by_hand(superuser_client: Client) -> None:
    for model in ("application", "invitation", "creatordailystat", "revenuesharechange"):
        assert superuser_client.get(reverse(f"admin:kol_{model}_add")).status_code == 403


# --- applications --------------------------------------------------------------------


def test_application_queue_shows_pending_by_default(moderator_client: Client) -> None:
    pending = apply()
    done = apply()
    Application.objects.filter(pk=done.pk).update(status=Application.Status.REJECTED)
    assert listed(moderator_client.get(changelist("application"))) == [pending]
    everything = moderator_client.get(changelist("application") + "?status=all")
    assert set(listed(everything)) == {pending, done}


def test_approve_puts_the_applicant_in_the_pool_and_tells_them(
    moderator_client: Client, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = apply()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(moderator_client, "application", "approve", [application])

    assert "1 application approved" in " ".join(page_messages(response))
    application = fresh(application)
    assert (application.status, application.reviewed_by) == ("approved", moderator)
    profile = CreatorProfile.objects.get(user=application.applicant)
    assert [n.slug for n in profile.niches.all()] == ["coffee-tea"]
    notice = Notification.objects.get(recipient=application.applicant)
    assert notice.verb == Notification.Verb.NOTICE
    assert LogEntry.objects.filter(object_id=str(application.pk), user=moderator).exists()


def test_moderator_cannot_approve_their_own_application(
    moderator_client: Client, moderator: User
) -> None:
    own = apply(applicant=moderator)
    other = apply()

    response = run_action(moderator_client, "application", "approve", [own, other])

    shown = " ".join(page_messages(response))
    assert "Nobody reviews their own application." in shown
    assert "1 application approved" in shown
    assert fresh(own).status == Application.Status.PENDING
    assert not CreatorProfile.objects.filter(user=moderator).exists()
    assert fresh(other).status == Application.Status.APPROVED


def test_reject_asks_for_a_reason_first(moderator_client: Client) -> None:
    application = apply()

    page = run_action(moderator_client, "application", "reject", [application])

    assert page.status_code == 200
    assert page.templates[0].name == "admin/kol/application/reject.html"
    content = page.content.decode()
    assert 'name="reason"' in content
    assert f'name="_selected_action" value="{application.pk}"' in content
    assert f">{application.applicant.username}</a> (Waiting for review)" in content
    assert fresh(application).status == Application.Status.PENDING


def test_reject_with_a_reason_rejects_and_tells_the_applicant(
    moderator_client: Client, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = apply()
    with django_capture_on_commit_callbacks(execute=True):
        # What the intermediate page posts: no "index", the action and "apply".
        response = moderator_client.post(
            changelist("application"),
            {
                "action": "reject",
                "_selected_action": [application.pk],
                "apply": "yes",
                "reason": "Post a few more notes first.",
            },
            follow=True,
        )

    assert "1 application rejected." in page_messages(response)
    application = fresh(application)
    assert application.status == Application.Status.REJECTED
    assert application.decision_reason == "Post a few more notes first."
    assert application.reviewed_by == moderator
    notice = Notification.objects.get(recipient=application.applicant)
    assert notice.data["text"] == "Post a few more notes first."
    assert not CreatorProfile.objects.filter(user=application.applicant).exists()


def test_reject_without_a_reason_stays_on_the_page(moderator_client: Client) -> None:
    application = apply()
    response = moderator_client.post(
        changelist("application"),
        {"action": "reject", "_selected_action": [application.pk], "apply": "yes", "reason": " "},
    )
    assert response.status_code == 200
    assert "Tell the applicants why." in response.content.decode()
    assert fresh(application).status == Application.Status.PENDING


def test_moderator_cannot_reject_their_own_application(
    moderator_client: Client, moderator: User
) -> None:
    own = apply(applicant=moderator)
    response = moderator_client.post(
        changelist("application"),
        {"action": "reject", "_selected_action": [own.pk], "apply": "yes", "reason": "No."},
        follow=True,
    )
    assert "Nobody reviews their own application." in " ".join(page_messages(response))
    assert fresh(own).status == Application.Status.PENDING


def test_staff_without_the_review_right_cannot_decide() -> None:
    client, user = staff_client()
    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    application = apply()
    page = client.get(changelist("application"))
    assert page.status_code == 200
    assert offered_actions(page) == []
    run_action(client, "application", "approve", [application])
    assert fresh(application).status == Application.Status.PENDING


# --- creators ----------------------------------------------------------------------------


def test_verify_and_remove_the_badge(moderator_client: Client, moderator: User) -> None:
    creators = [CreatorFactory() for _ in range(3)]

    response = run_action(moderator_client, "creatorprofile", "verify", creators[:2])
    assert "2 creators verified." in page_messages(response)
    assert [fresh(c).verified for c in creators] == [True, True, False]
    assert LogEntry.objects.filter(object_id=str(creators[0].pk), user=moderator).exists()

    response = run_action(moderator_client, "creatorprofile", "remove_verified_badge", creators)
    assert "Verified badge removed from 2 creators." in page_messages(response)
    assert not any(fresh(c).verified for c in creators)


def test_recompute_tiers_derives_tiers_from_followers(moderator_client: Client) -> None:
    grown = CreatorFactory()
    User.objects.filter(pk=grown.user_id).update(follower_count=25_000)
    assert fresh(grown).tier == "nano"

    response = run_action(moderator_client, "creatorprofile", "recompute_tiers", [grown])

    assert fresh(grown).tier == "mid"
    assert "1 creator changed tier" in " ".join(page_messages(response))


def test_invite_to_host_is_idempotent(moderator_client: Client, moderator: User) -> None:
    first, second = CreatorFactory(), CreatorFactory()
    CreatorProfile.objects.filter(pk=first.pk).update(score=81.5, score_reasons=["posts often"])

    response = run_action(moderator_client, "creatorprofile", "invite_to_host", [first])
    assert "1 invited, 0 already had an open invitation." in page_messages(response)
    invitation = Invitation.objects.get(user=first.user)
    assert (invitation.invited_by, invitation.score, invitation.reasons) == (
        moderator,
        81.5,
        ["posts often"],
    )

    response = run_action(moderator_client, "creatorprofile", "invite_to_host", [first, second])
    assert "1 invited, 1 already had an open invitation." in page_messages(response)
    assert Invitation.objects.filter(user=first.user).count() == 1
    assert Invitation.objects.filter(user=second.user).count() == 1


def test_creator_page_shows_score_reasons_and_recent_stats(moderator_client: Client) -> None:
    creator = CreatorFactory()
    CreatorProfile.objects.filter(pk=creator.pk).update(
        score=72.0, score_reasons=["engagement 7.1% (top 5%)", "posts 4.2×/week"]
    )
    for days_ago in range(20):
        daily_stat(creator, days_ago, followers=1_000 + days_ago)

    content = moderator_client.get(change("creatorprofile", creator)).content.decode()

    assert "<li>engagement 7.1% (top 5%)</li><li>posts 4.2×/week</li>" in content
    assert content.count("<tr><td>") == 14  # the latest two weeks only
    assert "1,013" in content and "1,014" not in content
    assert f"{changelist('creatordailystat')}?creator__id__exact={creator.pk}" in content


def test_moderator_edits_niches_through_the_service(moderator_client: Client) -> None:
    creator = CreatorFactory(niches=[Niche.objects.get(slug="baking")])
    travel = Niche.objects.get(slug="travel")
    response = moderator_client.post(
        change("creatorprofile", creator), {"niches": [travel.pk], "bio": "On the road."}
    )
    assert response.status_code == 302
    creator = fresh(creator)
    assert [n.slug for n in creator.niches.all()] == ["travel"]
    assert creator.bio == "On the road."


def test_moderator_cannot_type_a_tier_score_or_badge(moderator_client: Client) -> None:
    creator = CreatorFactory()
    moderator_client.post(
        change("creatorprofile", creator),
        {"niches": [], "bio": "x", "tier": "mega", "verified": "on", "score": "99"},
    )
    creator = fresh(creator)
    assert (creator.tier, creator.verified, creator.score) == ("nano", False, None)


def test_superuser_adds_a_creator_through_the_service(superuser_client: Client) -> None:
    member = UserFactory()
    User.objects.filter(pk=member.pk).update(follower_count=2_000)
    baking = Niche.objects.get(slug="baking")
    response = superuser_client.post(
        reverse("admin:kol_creatorprofile_add"),
        {"user": member.pk, "niches": [baking.pk], "bio": "Bread."},
    )
    assert response.status_code == 302
    profile = CreatorProfile.objects.get(user=member)
    assert profile.tier == "micro"  # derived by the service
    assert list(profile.niches.all()) == [baking]

    again = superuser_client.post(
        reverse("admin:kol_creatorprofile_add"), {"user": member.pk, "niches": [], "bio": ""}
    )
    assert "already in the creator pool" in again.content.decode()


def test_creator_filters_by_current_agency_and_score(moderator_client: Client) -> None:
    agency = AgencyFactory()
    represented = on_roster(agency).creator
    moved = on_roster(agency).creator
    on_roster(AgencyFactory(), moved)  # moved to another agency
    alone = CreatorFactory()
    CreatorProfile.objects.filter(pk=alone.pk).update(score=50.0)

    by_agency = moderator_client.get(changelist("creatorprofile") + f"?agency={agency.pk}")
    assert listed(by_agency) == [represented]
    no_agency = moderator_client.get(changelist("creatorprofile") + "?agency=none")
    assert listed(no_agency) == [alone]
    scored = moderator_client.get(changelist("creatorprofile") + "?scored=yes")
    assert listed(scored) == [alone]


# --- screening --------------------------------------------------------------------------


@pytest.fixture
def ranked_pool() -> list[CreatorProfile]:
    creators = []
    for followers, rate in [(5_000, 0.09), (3_000, 0.02), (800, 0.05)]:
        creator = CreatorFactory(niches=[Niche.objects.get(slug="skincare")])
        User.objects.filter(pk=creator.user_id).update(follower_count=followers)
        daily_stat(creator, followers=followers, engagement_rate=rate)
        creators.append(creator)
    return creators


def screening_url() -> str:
    return reverse("admin:kol_creatorprofile_screening")


def test_creator_changelist_links_to_screening(moderator_client: Client) -> None:
    assert screening_url() in moderator_client.get(changelist("creatorprofile")).content.decode()


def test_screening_shows_the_ranking_with_scores_and_reasons(
    moderator_client: Client, ranked_pool: list[CreatorProfile]
) -> None:
    response = moderator_client.get(screening_url() + "?niche=skincare")

    assert response.status_code == 200
    expected = selectors.creator_ranking(niche="skincare", top=50)
    rows = response.context["rows"]
    assert [row["result"].creator.pk for row in rows] == [r.creator.pk for r in expected]
    content = response.content.decode()
    for result in expected:
        assert result.creator.user.username in content
        assert f"{result.score:.1f}" in content
        for reason in result.reasons:
            assert f"<li>{reason}</li>" in content
    assert content.count('type="checkbox" name="creator"') == len(expected)


def test_inviting_from_screening_sends_each_invitation_once(
    moderator_client: Client, moderator: User, ranked_pool: list[CreatorProfile]
) -> None:
    chosen = ranked_pool[:2]
    data = {"niche": "skincare", "creator": [c.pk for c in chosen], "message": "Go live?"}

    response = moderator_client.post(screening_url(), data, follow=True)
    assert "2 invited, 0 already had an open invitation." in page_messages(response)
    response = moderator_client.post(screening_url(), data, follow=True)
    assert "0 invited, 2 already had an open invitation." in page_messages(response)

    invitations = Invitation.objects.order_by("user_id")
    assert [i.user_id for i in invitations] == sorted(c.user_id for c in chosen)
    result = {r.creator.pk: r for r in selectors.creator_ranking(niche="skincare")}[chosen[0].pk]
    invitation = invitations.get(user=chosen[0].user)
    assert invitation.niche == Niche.objects.get(slug="skincare")
    assert (invitation.invited_by, invitation.message) == (moderator, "Go live?")
    assert invitation.reasons == result.reasons
    # Already invited creators are marked, not offered again.
    content = response.content.decode()
    assert content.count('type="checkbox" name="creator"') == len(ranked_pool) - 2


def test_staff_without_the_invitation_right_sees_the_ranking_but_cannot_invite(
    ranked_pool: list[CreatorProfile],
) -> None:
    client, user = staff_client()
    for codename in ("view_creatorprofile", "review_application"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    page = client.get(screening_url())
    assert page.status_code == 200
    assert 'name="creator"' not in page.content.decode()
    response = client.post(screening_url(), {"creator": [ranked_pool[0].pk]})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


# --- agencies -------------------------------------------------------------------------


def agency_form(
    agency: Agency, rows: list[dict[str, Any]], new: list[dict[str, Any]]
) -> dict[str, Any]:
    """The agency change form as the browser posts it: the agency's fields
    and the roster inline (current members first, as the page lists them)."""
    data: dict[str, Any] = {
        "name": agency.name,
        "slug": agency.slug,
        "contact_name": agency.contact_name,
        "contact_email": agency.contact_email,
        "phone": agency.phone,
        "website": agency.website,
        "notes": agency.notes,
        "memberships-TOTAL_FORMS": str(len(rows) + len(new)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate([*rows, *new]):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
        data[f"memberships-{i}-agency"] = agency.pk
    return data


def membership_row(membership: AgencyMembership, **changes: Any) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "creator": membership.creator_id,
        "share_bps": membership.share_bps,
        **changes,
    }


def test_share_change_goes_through_the_service_and_keeps_history(
    superuser_client: Client, superuser: User
) -> None:
    membership = on_roster(AgencyFactory(), bps=2_000)
    url = change("agency", membership.agency)

    response = superuser_client.post(
        url,
        agency_form(
            membership.agency,
            [membership_row(membership, share_bps="3500", reason="Renegotiated")],
            [],
        ),
    )

    assert response.status_code == 302
    assert fresh(membership).share_bps == 3_500
    latest = RevenueShareChange.objects.filter(membership=membership).first()
    assert latest is not None
    assert (latest.old_bps, latest.new_bps, latest.changed_by, latest.reason) == (
        2_000,
        3_500,
        superuser,
        "Renegotiated",
    )
    assert RevenueShareChange.objects.filter(membership=membership).count() == 2
    page = superuser_client.get(url).content.decode()
    assert "35.00%" in page and "20.00% → 35.00%" in page


def test_adding_a_creator_to_the_roster_goes_through_the_service(
    superuser_client: Client, superuser: User
) -> None:
    agency = AgencyFactory()
    creator = CreatorFactory()
    previous = on_roster(AgencyFactory(), creator)  # represented elsewhere until now

    response = superuser_client.post(
        change("agency", agency),
        agency_form(agency, [], [{"creator": creator.pk, "share_bps": "1500"}]),
    )

    assert response.status_code == 302
    membership = AgencyMembership.objects.get(agency=agency)
    assert (membership.creator, membership.share_bps, membership.ended_at) == (creator, 1_500, None)
    assert fresh(previous).ended_at is not None
    history = RevenueShareChange.objects.get(membership=membership)
    assert (history.old_bps, history.new_bps, history.changed_by) == (None, 1_500, superuser)


@pytest.mark.parametrize("share", ["10001", "-1"])
def test_share_out_of_range_is_refused(superuser_client: Client, share: str) -> None:
    membership = on_roster(AgencyFactory(), bps=2_000)

    response = superuser_client.post(
        change("agency", membership.agency),
        agency_form(membership.agency, [membership_row(membership, share_bps=share)], []),
    )

    assert response.status_code == 200
    assert SHARE_RANGE_MESSAGE in response.content.decode()
    assert fresh(membership).share_bps == 2_000
    assert RevenueShareChange.objects.filter(membership=membership).count() == 1


def test_ending_a_membership_from_the_roster(superuser_client: Client) -> None:
    membership = on_roster(AgencyFactory())
    superuser_client.post(
        change("agency", membership.agency),
        agency_form(membership.agency, [membership_row(membership, end_now="on")], []),
    )
    assert fresh(membership).ended_at is not None


def test_a_creator_already_on_the_roster_is_not_added_twice(superuser_client: Client) -> None:
    membership = on_roster(AgencyFactory())
    response = superuser_client.post(
        change("agency", membership.agency),
        agency_form(
            membership.agency,
            [membership_row(membership)],
            [{"creator": membership.creator_id, "share_bps": "100"}],
        ),
    )
    assert response.status_code == 200
    assert "already on the roster" in response.content.decode()
    assert AgencyMembership.objects.count() == 1


def test_moderators_see_agencies_but_do_not_change_shares(moderator_client: Client) -> None:
    membership = on_roster(AgencyFactory(), bps=2_000)
    url = change("agency", membership.agency)
    assert moderator_client.get(url).status_code == 200
    response = moderator_client.post(
        url, agency_form(membership.agency, [membership_row(membership, share_bps="9000")], [])
    )
    assert response.status_code == 403
    assert fresh(membership).share_bps == 2_000


# --- agency managers ------------------------------------------------------------------------


@pytest.fixture
def two_agencies() -> dict[str, Any]:
    mine, theirs = AgencyFactory(), AgencyFactory()
    client, manager = staff_client("Agency managers")
    mine.managers.add(manager)
    my_creator = on_roster(mine).creator
    their_creator = on_roster(theirs).creator
    former = on_roster(mine).creator
    on_roster(theirs, former)  # left for the other agency
    for creator in (my_creator, their_creator, former):
        daily_stat(creator, followers=100)
    return {
        "client": client,
        "mine": mine,
        "theirs": theirs,
        "my_creator": my_creator,
        "their_creator": their_creator,
        "former": former,
    }


def test_agency_manager_sees_only_their_agency(two_agencies: dict[str, Any]) -> None:
    client, mine, theirs = two_agencies["client"], two_agencies["mine"], two_agencies["theirs"]
    assert listed(client.get(changelist("agency"))) == [mine]
    assert client.get(change("agency", mine)).status_code == 200
    assert client.get(change("agency", theirs)).status_code == 404


def test_agency_manager_sees_only_their_roster(two_agencies: dict[str, Any]) -> None:
    client = two_agencies["client"]
    mine, my_creator = two_agencies["mine"], two_agencies["my_creator"]

    assert listed(client.get(changelist("creatorprofile"))) == [my_creator]
    stats = listed(client.get(changelist("creatordailystat")))
    assert [s.creator for s in stats] == [my_creator]
    memberships = listed(client.get(changelist("agencymembership")))
    assert {m.agency for m in memberships} == {mine}  # the former member's ended row too
    changes = listed(client.get(changelist("revenuesharechange")))
    assert {c.membership.agency for c in changes} == {mine}

    assert client.get(change("creatorprofile", my_creator)).status_code == 200
    for creator in (two_agencies["their_creator"], two_agencies["former"]):
        assert client.get(change("creatorprofile", creator)).status_code == 404


def test_agency_manager_filter_offers_only_their_agency(two_agencies: dict[str, Any]) -> None:
    response = two_agencies["client"].get(changelist("creatorprofile"))
    content = response.content.decode()
    assert two_agencies["mine"].name in content
    assert two_agencies["theirs"].name not in content
    other = two_agencies["client"].get(
        changelist("creatorprofile") + f"?agency={two_agencies['theirs'].pk}"
    )
    assert listed(other) == []


def test_agency_manager_cannot_change_shares(two_agencies: dict[str, Any]) -> None:
    client, mine = two_agencies["client"], two_agencies["mine"]
    membership = AgencyMembership.objects.get(agency=mine, ended_at=None)
    page = client.get(change("agency", mine))
    assert 'name="memberships-0-share_bps"' not in page.content.decode()

    response = client.post(
        change("agency", mine), agency_form(mine, [membership_row(membership, share_bps="0")], [])
    )

    assert response.status_code == 403
    assert fresh(membership).share_bps == 2_000


def test_agency_manager_sees_no_applications_invitations_or_screening(
    two_agencies: dict[str, Any],
) -> None:
    client = two_agencies["client"]
    for model in ("application", "invitation", "niche"):
        assert client.get(changelist(model)).status_code == 403
    assert client.get(screening_url()).status_code == 403
    page = client.get(changelist("creatorprofile"))
    assert screening_url() not in page.content.decode()
    assert offered_actions(page) == []


# --- invitations and niches ---------------------------------------------------------------


def test_expire_now_closes_only_open_invitations(moderator_client: Client) -> None:
    open_one, _ = invite(UserFactory())
    accepted, _ = invite(UserFactory())
    Invitation.objects.filter(pk=accepted.pk).update(status=Invitation.Status.ACCEPTED)

    response = run_action(moderator_client, "invitation", "expire_now", [open_one, accepted])

    assert fresh(open_one).status == Invitation.Status.EXPIRED
    assert fresh(accepted).status == Invitation.Status.ACCEPTED
    assert "1 invitation expired. Only open invitations expire." in page_messages(response)


def test_niches_are_activated_and_deactivated(superuser_client: Client) -> None:
    niche = NicheFactory()
    run_action(superuser_client, "niche", "deactivate", [niche])
    assert fresh(niche).is_active is False
    run_action(superuser_client, "niche", "activate", [niche])
    assert fresh(niche).is_active is True


def test_moderators_only_view_niches(moderator_client: Client) -> None:
    niche = NicheFactory()
    response = run_action(moderator_client, "niche", "deactivate", [niche])
    assert response.status_code == 200
    assert fresh(niche).is_active is True


# --- query counts ------------------------------------------------------------------------


def make_rows(count: int) -> None:
    niches = list(Niche.objects.all()[:2])
    agency = AgencyFactory()
    for _ in range(count):
        creator = CreatorFactory(niches=niches)
        membership = on_roster(agency, creator)
        services.agency_share_change(actor=None, membership=membership, share_bps=2_500)
        daily_stat(creator, followers=10)
        services.application_submit(
            applicant=UserFactory(),
            pitch="Weekly notes about balcony gardens and seedlings.",
            niche_slugs=[n.slug for n in niches],
        )
        invite(UserFactory())


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(moderator_client: Client, model: str) -> None:
    make_rows(5)
    few = changelist_queries(moderator_client, model)
    make_rows(20)
    assert changelist_queries(moderator_client, model) == few


@pytest.mark.parametrize("model", ["creatorprofile", "creatordailystat", "agencymembership"])
def test_agency_manager_changelist_queries_do_not_grow(model: str) -> None:
    client, manager = staff_client("Agency managers")
    agency = AgencyFactory()
    agency.managers.add(manager)

    def rows(count: int) -> None:
        for _ in range(count):
            creator = on_roster(agency).creator
            daily_stat(creator, followers=10)

    rows(5)
    few = changelist_queries(client, model)
    rows(20)
    assert changelist_queries(client, model) == few


def test_screening_page_queries_do_not_grow_with_the_pool(moderator_client: Client) -> None:
    def pool(count: int) -> None:
        for _ in range(count):
            daily_stat(CreatorFactory(), followers=10, engagement_rate=0.03)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert moderator_client.get(screening_url()).status_code == 200
        return len(captured)

    pool(5)
    few = queries()
    pool(20)
    assert queries() == few
