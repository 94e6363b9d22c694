"""The creator pool's REST API as a client sees it: the directory's filters,
orders and cursor, a creator's detail (and who sees the agency's share), the
niches, applications and invitations, with the other-user case for every
write, the error shape and query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import User
from kol import selectors, services
from kol.models import (
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Niche,
)
from tests.clients import api_client, assert_error
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    CreatorDailyStatFactory,
    CreatorFactory,
    InvitationFactory,
    UserFactory,
    fresh,
)

pytestmark = pytest.mark.django_db


def creator(
    username: str,
    *,
    followers: int = 0,
    score: float | None = None,
    engagement: float = 0.0,
    niches: list[Niche] | None = None,
    verified: bool = False,
    **user_fields: Any,
) -> CreatorProfile:
    user = UserFactory(username=username, follower_count=followers, **user_fields)
    profile = CreatorFactory(user=user, niches=niches or [], verified=verified)
    CreatorProfile.objects.filter(pk=profile.pk).update(
        score=score,
        score_reasons=[f"reason for {username}"] if score is not None else [],
        engagement_rate=engagement,
        tier=selectors.tier_for(followers),
    )
    profile.refresh_from_db()
    return profile


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["username"] for item in response.json()["results"]]


def walk(client: APIClient, url: str) -> list[str]:
    """Every username over every page, following ``next``."""
    seen: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"results", "next"}
        seen += [item["username"] for item in body["results"]]
        url = body["next"]
    return seen


@pytest.fixture
def staff_api(moderator: User) -> APIClient:
    return api_client(moderator)


@pytest.fixture
def skincare() -> Niche:
    return Niche.objects.get(slug="skincare")


@pytest.fixture
def baking() -> Niche:
    return Niche.objects.get(slug="baking")


# --- the directory ----------------------------------------------------------------------


def test_directory_lists_each_creator_with_what_a_card_needs(
    api: APIClient, staff_api: APIClient, skincare: Niche, baking: Niche
) -> None:
    mei = creator(
        "mei",
        followers=12_000,
        score=81.5,
        engagement=0.071,
        niches=[skincare, baking],
        verified=True,
        display_name="Mei Lin",
    )
    agency = AgencyFactory(name="Bright Sprout", slug="bright-sprout")
    services.agency_creator_add(actor=None, agency=agency, creator=mei, share_bps=2500)

    body = staff_api.get("/api/v1/creators/").json()

    assert body["next"] is None
    [item] = body["results"]
    # The screening and the agency are for staff, the creator and the agency.
    [public] = api.get("/api/v1/creators/").json()["results"]
    assert public == {**item, "score": None, "score_reasons": [], "agency": None}
    assert item == {
        "username": "mei",
        "display_name": "Mei Lin",
        "avatar": None,
        "url": "http://testserver/u/mei/",
        "tier": "mid",
        "verified": True,
        "niches": [{"slug": "skincare", "name": "Skincare"}, {"slug": "baking", "name": "Baking"}],
        "followers": 12_000,
        "engagement_rate": 0.071,
        "score": 81.5,
        "score_reasons": ["reason for mei"],
        "agency": {"name": "Bright Sprout", "slug": "bright-sprout"},
    }


def test_directory_shows_no_agency_after_the_membership_ended(staff_api: APIClient) -> None:
    kai = creator("kai")
    membership = services.agency_creator_add(
        actor=None, agency=AgencyFactory(), creator=kai, share_bps=1000
    )
    services.agency_membership_end(actor=None, membership=membership)
    [item] = staff_api.get("/api/v1/creators/").json()["results"]
    assert item["agency"] is None


def test_deactivated_members_leave_the_directory(api: APIClient) -> None:
    creator("active_one")
    creator("gone_one", is_active=False)
    assert names(api.get("/api/v1/creators/")) == ["active_one"]
    assert_error(api.get("/api/v1/creators/gone_one/"), 404, "not_a_creator")


def test_directory_filters_by_niche_tier_agency_and_badge(
    api: APIClient, skincare: Niche, baking: Niche
) -> None:
    creator("ana", followers=50, niches=[skincare], verified=True, score=10)
    creator("bo", followers=5_000, niches=[baking], score=20)
    creator("cy", followers=20_000, niches=[skincare, baking], score=30)
    agency = AgencyFactory(slug="north")
    services.agency_creator_add(
        actor=None,
        agency=agency,
        creator=CreatorProfile.objects.get(user__username="bo"),
        share_bps=500,
    )
    ended = services.agency_creator_add(
        actor=None,
        agency=agency,
        creator=CreatorProfile.objects.get(user__username="cy"),
        share_bps=500,
    )
    services.agency_membership_end(actor=None, membership=ended)

    assert names(api.get("/api/v1/creators/?niche=skincare")) == ["cy", "ana"]
    assert names(api.get("/api/v1/creators/?niche=baking")) == ["cy", "bo"]
    assert names(api.get("/api/v1/creators/?tier=micro")) == ["bo"]
    assert names(api.get("/api/v1/creators/?tier=nano")) == ["ana"]
    assert names(api.get("/api/v1/creators/?agency=north")) == ["bo"]
    assert names(api.get("/api/v1/creators/?verified=true")) == ["ana"]
    assert names(api.get("/api/v1/creators/?verified=false")) == ["cy", "bo"]
    assert names(api.get("/api/v1/creators/?niche=baking&tier=mid")) == ["cy"]
    assert names(api.get("/api/v1/creators/?niche=&tier=&verified=")) == ["cy", "bo", "ana"]


def test_directory_orders_by_followers_or_engagement_and_staff_by_score(
    api: APIClient, staff_api: APIClient, user_api: APIClient, user: User
) -> None:
    creator("unscreened", followers=900, engagement=0.02, score=None)
    creator("top", followers=10, engagement=0.01, score=90)
    creator("middle", followers=5_000, engagement=0.09, score=55.5)
    creator("low", followers=300, engagement=0.05, score=12)

    by_followers = ["middle", "unscreened", "low", "top"]
    assert names(api.get("/api/v1/creators/")) == by_followers
    assert names(api.get("/api/v1/creators/?order=followers")) == by_followers
    assert names(api.get("/api/v1/creators/?order=engagement")) == [
        "middle",
        "low",
        "unscreened",
        "top",
    ]
    # The screening score is an operations tool: staff order by it (their
    # default); for anyone else it is not an order.
    by_score = ["top", "middle", "low", "unscreened"]
    assert names(staff_api.get("/api/v1/creators/")) == by_score
    assert names(staff_api.get("/api/v1/creators/?order=score")) == by_score
    for client in (api, user_api):
        error = assert_error(client.get("/api/v1/creators/?order=score"), 400, "invalid")
        assert error["fields"]["order"] == ["Use one of: followers, engagement."]


def test_a_creator_and_their_agency_see_their_own_screening_only(
    api: APIClient, skincare: Niche
) -> None:
    mei = creator("mei", score=80, followers=20)
    kai = creator("kai", score=40, followers=10)
    agency = AgencyFactory(slug="north")
    services.agency_creator_add(actor=None, agency=agency, creator=kai, share_bps=500)
    manager = UserFactory()
    agency.managers.add(manager)

    def scores(client: APIClient) -> dict[str, Any]:
        return {
            c["username"]: c["score"] for c in client.get("/api/v1/creators/").json()["results"]
        }

    assert scores(api_client(mei.user)) == {"mei": 80, "kai": None}
    assert scores(api_client(manager)) == {"mei": None, "kai": 40}
    assert scores(api) == {"mei": None, "kai": None}
    assert api.get("/api/v1/creators/kai/").json()["score"] is None
    assert api_client(manager).get("/api/v1/creators/kai/").json()["score"] == 40


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("niche=no-such-niche", {"niche"}),
        ("tier=giant", {"tier"}),
        ("agency=nobody", {"agency"}),
        ("order=random", {"order"}),
        ("verified=maybe", {"verified"}),
        ("verified=null", {"verified"}),  # not a boolean (the schema run found it read as "any")
        ("tier=giant&order=random&verified=maybe", {"tier", "order", "verified"}),
        ("niche=no-such-niche&agency=nobody", {"niche", "agency"}),
        ("niche=" + "x" * 500, {"niche"}),
        ("page_size=lots", {"page_size"}),
    ],
)
def test_bad_directory_filters_get_400_naming_the_fields(
    api: APIClient, query: str, fields: set[str]
) -> None:
    creator("someone", score=1)
    error = assert_error(api.get(f"/api/v1/creators/?{query}"), 400, "invalid")
    assert set(error["fields"]) == fields


@pytest.mark.parametrize("order", ["score", "followers", "engagement"])
def test_directory_pages_cover_every_creator_once(staff_api: APIClient, order: str) -> None:
    api = staff_api
    # Ties on every key and missing scores: the id breaks them.
    for i in range(11):
        creator(
            f"c{i:02d}",
            followers=[100, 100, 5][i % 3],
            engagement=[0.1, 0.0][i % 2],
            score=None if i % 4 == 0 else float(i % 3),
        )
    everyone = sorted(f"c{i:02d}" for i in range(11))
    one_page = names(api.get(f"/api/v1/creators/?order={order}&page_size=100"))
    paged = walk(api, f"/api/v1/creators/?order={order}&page_size=3")
    assert paged == one_page
    assert sorted(paged) == everyone


def test_pages_stay_filtered_and_ordered(staff_api: APIClient, skincare: Niche) -> None:
    api = staff_api
    for i in range(5):
        creator(f"skin{i}", niches=[skincare], score=float(i))
        creator(f"other{i}", score=float(i) + 0.5)
    assert walk(api, "/api/v1/creators/?niche=skincare&page_size=2") == [
        "skin4",
        "skin3",
        "skin2",
        "skin1",
        "skin0",
    ]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",
        "%%%",
        "a" * 500,
        # {"o":"followers","k":null,"i":1}: followers are never null
        "eyJvIjoiZm9sbG93ZXJzIiwiayI6bnVsbCwiaSI6MX0",
    ],
)
def test_bad_directory_cursors_get_400(api: APIClient, cursor: str) -> None:
    assert_error(
        api.get(f"/api/v1/creators/?order=followers&cursor={cursor}"), 400, "invalid_cursor"
    )


def test_a_cursor_of_one_order_is_refused_by_another(staff_api: APIClient) -> None:
    api = staff_api
    for i in range(3):
        creator(f"c{i}", score=float(i), followers=i)
    next_url = api.get("/api/v1/creators/?order=score&page_size=1").json()["next"]
    assert next_url
    switched = next_url.replace("order=score", "order=followers")
    assert_error(api.get(switched), 400, "invalid_cursor")


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_directory_queries_do_not_grow_with_page_size(
    staff_api: APIClient, skincare: Niche, baking: Niche
) -> None:
    api = staff_api
    agencies = [AgencyFactory(), AgencyFactory()]
    for i in range(30):
        profile = creator(f"c{i:02d}", score=float(i), niches=[skincare, baking][: i % 3])
        if i % 2:
            services.agency_creator_add(
                actor=None, agency=agencies[i % 4 // 2], creator=profile, share_bps=1000
            )
    api.get("/api/v1/creators/")  # loads the client's user's permissions once
    for order in ("score", "followers", "engagement"):
        small = _queries(api, f"/api/v1/creators/?order={order}&page_size=2")
        large = _queries(api, f"/api/v1/creators/?order={order}&page_size=30")
        # creators, their niches, their agencies (the staff member's
        # permissions are loaded once, by the warm-up request)
        assert small == large <= 3
    filtered = "/api/v1/creators/?niche=skincare&agency={}&verified=false&page_size={}"
    assert _queries(api, filtered.format(agencies[0].slug, 1)) == _queries(
        api, filtered.format(agencies[0].slug, 30)
    )


# --- one creator ----------------------------------------------------------------------------


def _stat(profile: CreatorProfile, days_ago: int, **values: Any) -> CreatorDailyStat:
    return CreatorDailyStatFactory(
        creator=profile, date=selectors.stats_today() - timedelta(days=days_ago), **values
    )


def test_creator_detail_has_recent_stats_oldest_first(api: APIClient, skincare: Niche) -> None:
    mei = creator("mei", followers=1_500, score=70, niches=[skincare])
    CreatorProfile.objects.filter(pk=mei.pk).update(
        bio="Skincare for sensitive skin.", links=[{"label": "Blog", "url": "https://mei.example"}]
    )
    _stat(mei, 45, followers=900)  # too old
    _stat(mei, 29, followers=1_200, new_followers=30, live_seconds=5_400, gift_income=1_250)
    _stat(
        mei,
        0,
        followers=1_500,
        new_followers=12,
        notes_published=2,
        likes_received=40,
        collects_received=9,
        comments_received=5,
        engagement_rate=0.0325,
        sales=990,
    )

    body = api_client(mei.user).get("/api/v1/creators/MEI/").json()

    assert body["username"] == "mei"
    assert body["bio"] == "Skincare for sensitive skin."
    assert body["links"] == [{"label": "Blog", "url": "https://mei.example"}]
    assert body["niches"] == [{"slug": "skincare", "name": "Skincare"}]
    assert body["agency"] is None
    assert [day["followers"] for day in body["stats"]] == [1_200, 1_500]
    assert body["stats"][0]["live_hours"] == 1.5
    assert body["stats"][0]["gift_income"] == 1_250
    assert body["stats"][-1] == {
        "date": selectors.stats_today().isoformat(),
        "followers": 1_500,
        "new_followers": 12,
        "notes_published": 2,
        "likes_received": 40,
        "collects_received": 9,
        "comments_received": 5,
        "engagement_rate": 0.0325,
        "live_hours": 0.0,
        "gift_income": 0,
        "sales": 990,
    }


@pytest.mark.parametrize("username", ["nobody_here", "plain_member"])
def test_creator_detail_of_someone_outside_the_pool_is_404(api: APIClient, username: str) -> None:
    UserFactory(username="plain_member")
    assert_error(api.get(f"/api/v1/creators/{username}/"), 404, "not_a_creator")


def test_the_agency_share_is_shown_only_to_the_creator_staff_and_the_agency(
    api: APIClient, staff_api: APIClient, other_api: APIClient
) -> None:
    mei = creator("mei")
    agency = AgencyFactory(name="Bright Sprout", slug="bright-sprout")
    services.agency_creator_add(actor=None, agency=agency, creator=mei, share_bps=2500)
    manager = UserFactory()
    manager.groups.add(Group.objects.get(name="Agency managers"))
    agency.managers.add(manager)
    rival = UserFactory(is_staff=True)
    rival.groups.add(Group.objects.get(name="Agency managers"))
    AgencyFactory().managers.add(rival)
    superuser = UserFactory(is_superuser=True, is_staff=True)

    def share(client: APIClient) -> Any:
        agency_data = client.get("/api/v1/creators/mei/").json()["agency"]
        if agency_data is None:  # who may not see the share does not see the agency
            return None
        assert agency_data["name"] == "Bright Sprout"
        assert agency_data["slug"] == "bright-sprout"
        assert agency_data["since"]
        return agency_data["share_bps"]

    assert share(api_client(mei.user)) == 2500
    assert share(staff_api) == 2500
    assert share(api_client(superuser)) == 2500
    assert share(api_client(manager)) == 2500
    assert share(other_api) is None
    assert share(api) is None
    assert share(api_client(rival)) is None


def test_gift_income_and_sales_are_shown_only_to_those_who_may_see_the_money(
    api: APIClient, staff_api: APIClient, other_api: APIClient
) -> None:
    mei = creator("mei")
    _stat(mei, 0, gift_income=1_250, sales=990)
    agency = AgencyFactory(name="Bright Sprout", slug="bright-sprout")
    services.agency_creator_add(actor=None, agency=agency, creator=mei, share_bps=2500)
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name="Agency managers"))
    agency.managers.add(manager)
    rival = UserFactory(is_staff=True)
    rival.groups.add(Group.objects.get(name="Agency managers"))
    AgencyFactory().managers.add(rival)

    def money(client: APIClient) -> tuple[Any, Any]:
        day = client.get("/api/v1/creators/mei/").json()["stats"][-1]
        assert day["followers"] == 0  # the rest of the day is public
        return day["gift_income"], day["sales"]

    for allowed in (api_client(mei.user), staff_api, api_client(manager)):
        assert money(allowed) == (1_250, 990)
    for refused in (api, other_api, api_client(rival), api_client(UserFactory(is_staff=True))):
        assert money(refused) == (None, None)


# --- niches ---------------------------------------------------------------------------------


def test_niches_are_the_managed_active_list(api: APIClient) -> None:
    Niche.objects.filter(slug="pets").update(is_active=False)
    body = api.get("/api/v1/niches/").json()
    slugs = [n["slug"] for n in body]
    assert slugs[:3] == ["skincare", "makeup", "fashion"]
    assert "pets" not in slugs
    assert len(slugs) == Niche.objects.filter(is_active=True).count()
    assert set(body[0]) == {"slug", "name", "description"}


# --- applications ---------------------------------------------------------------------------

PITCH = "I post weekly skincare routines for sensitive skin, with honest reviews."


def test_a_member_applies_and_lists_only_their_own_applications(
    user_api: APIClient, other_api: APIClient, user: User, other_user: User
) -> None:
    response = user_api.post(
        "/api/v1/creators/applications/",
        {"pitch": PITCH, "niches": ["skincare", "makeup"], "links": ["https://mei.example"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["created_at"]
    assert body["niches"] == [
        {"slug": "skincare", "name": "Skincare"},
        {"slug": "makeup", "name": "Makeup"},
    ]
    assert body["links"] == [{"label": "mei.example", "url": "https://mei.example"}]
    application = Application.objects.get()
    assert application.pk == body["id"]
    assert application.applicant == user

    services.application_submit(applicant=other_user, pitch=PITCH, niche_slugs=["baking"])
    mine = user_api.get("/api/v1/creators/applications").json()
    assert [a["id"] for a in mine["results"]] == [body["id"]]
    assert mine["next"] is None
    theirs = other_api.get("/api/v1/creators/applications/").json()["results"]
    assert [a["niches"][0]["slug"] for a in theirs] == ["baking"]


def test_applying_twice_while_pending_is_refused(user_api: APIClient) -> None:
    payload = {"pitch": PITCH, "niches": ["baking"]}
    assert (
        user_api.post("/api/v1/creators/applications/", payload, format="json").status_code == 201
    )
    again = user_api.post("/api/v1/creators/applications/", payload, format="json")
    assert_error(again, 400, "application_pending")
    assert Application.objects.count() == 1


def test_a_creator_cannot_apply(user_api: APIClient, user: User) -> None:
    CreatorFactory(user=user)
    response = user_api.post(
        "/api/v1/creators/applications/", {"pitch": PITCH, "niches": ["baking"]}, format="json"
    )
    assert_error(response, 400, "already_creator")
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"niches": ["baking"]}, "pitch"),
        ({"pitch": "too short", "niches": ["baking"]}, "pitch"),
        ({"pitch": "x" * 1001, "niches": ["baking"]}, "pitch"),
        ({"pitch": PITCH}, "niches"),
        ({"pitch": PITCH, "niches": []}, "niches"),
        ({"pitch": PITCH, "niches": ["no-such-niche"]}, "niches"),
        ({"pitch": PITCH, "niches": "baking"}, "niches"),
        ({"pitch": PITCH, "niches": ["baking"], "links": ["ftp://old.example"]}, "links"),
        ({"pitch": PITCH, "niches": ["baking"], "links": "https://x.example"}, "links"),
        ({"pitch": PITCH, "niches": ["baking"], "links": [{"url": 3}]}, "links"),
        ({"pitch": ["a list"], "niches": ["baking"]}, "pitch"),
    ],
)
def test_bad_applications_get_400(user_api: APIClient, payload: dict[str, Any], field: str) -> None:
    response = user_api.post("/api/v1/creators/applications/", payload, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]
    assert not Application.objects.exists()


def test_applications_need_a_login(api: APIClient) -> None:
    assert_error(api.get("/api/v1/creators/applications/"), 401, "unauthenticated")
    response = api.post(
        "/api/v1/creators/applications/", {"pitch": PITCH, "niches": ["baking"]}, format="json"
    )
    assert_error(response, 401, "unauthenticated")


def withdraw_url(application: Application) -> str:
    return f"/api/v1/creators/applications/{application.pk}/withdraw"


def test_an_applicant_withdraws_a_pending_application_and_may_apply_again(
    user_api: APIClient, user: User
) -> None:
    application = ApplicationFactory(applicant=user, pitch=PITCH)

    response = user_api.post(withdraw_url(application))

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["status"]) == (application.pk, "withdrawn")
    assert fresh(application).status == Application.Status.WITHDRAWN
    again = user_api.post(
        "/api/v1/creators/applications/", {"pitch": PITCH, "niches": ["baking"]}, format="json"
    )
    assert again.status_code == 201, again.content


def test_withdrawing_twice_changes_nothing(user_api: APIClient, user: User) -> None:
    application = ApplicationFactory(applicant=user)
    assert user_api.post(withdraw_url(application)).status_code == 200
    response = user_api.post(withdraw_url(application) + "/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


@pytest.mark.parametrize("decided", [Application.Status.APPROVED, Application.Status.REJECTED])
def test_a_decided_application_can_no_longer_be_withdrawn(
    user_api: APIClient, user: User, decided: str
) -> None:
    application = ApplicationFactory(applicant=user, status=decided)
    assert_error(user_api.post(withdraw_url(application)), 400, "already_reviewed")
    assert fresh(application).status == decided


def test_nobody_else_withdraws_an_application(
    api: APIClient, other_api: APIClient, staff_api: APIClient, user: User
) -> None:
    application = ApplicationFactory(applicant=user)
    assert_error(other_api.post(withdraw_url(application)), 404, "not_found")
    assert_error(staff_api.post(withdraw_url(application)), 404, "not_found")
    assert_error(api.post(withdraw_url(application)), 401, "unauthenticated")
    assert_error(other_api.post("/api/v1/creators/applications/999999/withdraw"), 404, "not_found")
    assert fresh(application).status == Application.Status.PENDING


def test_withdrawing_is_a_post(user_api: APIClient, user: User) -> None:
    application = ApplicationFactory(applicant=user)
    assert_error(user_api.get(withdraw_url(application)), 405, "method_not_allowed")
    assert fresh(application).status == Application.Status.PENDING


# --- invitations ----------------------------------------------------------------------------


def _invite(staff_api: APIClient, username: str, **extra: Any) -> Any:
    return staff_api.post(
        "/api/v1/invitations/",
        {"username": username, "message": "Host with us!", **extra},
        format="json",
    )


def test_staff_invite_a_member_once_while_the_invitation_is_open(
    staff_api: APIClient, moderator: User, user: User, skincare: Niche
) -> None:
    profile = creator("mei_host", score=77.0)
    first = _invite(staff_api, "mei_host", niche="skincare")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["user"]["username"] == "mei_host"
    assert body["invited_by"] == moderator.username
    assert body["status"] == "sent"
    assert body["message"] == "Host with us!"
    assert body["niche"] == {"slug": "skincare", "name": "Skincare"}
    assert body["score"] == 77.0
    assert body["reasons"] == ["reason for mei_host"]
    assert body["expires_at"] > body["created_at"]

    again = _invite(staff_api, "mei_host")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == body["id"]
    assert Invitation.objects.filter(user=profile.user).count() == 1

    plain = _invite(staff_api, user.username)
    assert plain.status_code == 201
    assert plain.json()["score"] is None
    assert plain.json()["niche"] is None


def test_a_member_cannot_send_invitations(user_api: APIClient, other_user: User) -> None:
    response = user_api.post(
        "/api/v1/invitations/", {"username": other_user.username, "message": "hi"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"username": "nobody_here"}, 404, "not_found"),
        ({"message": "who?"}, 400, "invalid"),
        ({"username": "target", "niche": "no-such-niche"}, 400, "invalid"),
        ({"username": "target", "message": "x" * 1001}, 400, "invalid"),
    ],
)
def test_bad_invitations_are_refused(
    staff_api: APIClient, payload: dict[str, Any], status: int, code: str
) -> None:
    UserFactory(username="target")
    assert_error(staff_api.post("/api/v1/invitations/", payload, format="json"), status, code)
    assert not Invitation.objects.exists()


def test_members_list_their_own_invitations_and_staff_list_all(
    staff_api: APIClient,
    user_api: APIClient,
    other_api: APIClient,
    user: User,
    other_user: User,
    api: APIClient,
) -> None:
    mine = _invite(staff_api, user.username).json()
    theirs = _invite(staff_api, other_user.username).json()

    assert [i["id"] for i in user_api.get("/api/v1/invitations/").json()["results"]] == [mine["id"]]
    assert [i["id"] for i in other_api.get("/api/v1/invitations").json()["results"]] == [
        theirs["id"]
    ]
    assert [i["id"] for i in staff_api.get("/api/v1/invitations/").json()["results"]] == [
        theirs["id"],
        mine["id"],
    ]
    assert_error(api.get("/api/v1/invitations/"), 401, "unauthenticated")


def test_invitations_filter_by_status_and_page_without_duplicates(
    staff_api: APIClient, user_api: APIClient, user: User
) -> None:
    invited = [UserFactory() for _ in range(5)]
    for member in invited:
        _invite(staff_api, member.username)
    declined = _invite(staff_api, user.username).json()
    assert user_api.post(f"/api/v1/invitations/{declined['id']}/decline").status_code == 200

    sent = staff_api.get("/api/v1/invitations/?status=sent").json()["results"]
    assert {i["user"]["username"] for i in sent} == {m.username for m in invited}
    assert [
        i["id"] for i in staff_api.get("/api/v1/invitations/?status=declined").json()["results"]
    ] == [declined["id"]]

    seen: list[int] = []
    url = "/api/v1/invitations/?page_size=2"
    while url:
        body = staff_api.get(url).json()
        seen += [i["id"] for i in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(Invitation.objects.values_list("pk", flat=True))
    assert len(seen) == 6

    assert_error(staff_api.get("/api/v1/invitations/?status=lost"), 400, "invalid")


def test_the_invited_member_accepts_and_may_host(
    staff_api: APIClient, user_api: APIClient, user: User
) -> None:
    invitation = _invite(staff_api, user.username).json()
    assert not selectors.can_host_live(User.objects.get(pk=user.pk))

    response = user_api.post(f"/api/v1/invitations/{invitation['id']}/accept")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["responded_at"]
    assert Invitation.objects.get(pk=invitation["id"]).status == Invitation.Status.ACCEPTED
    assert selectors.can_host_live(User.objects.get(pk=user.pk))


def test_another_member_cannot_answer_someones_invitation(
    staff_api: APIClient, other_api: APIClient, user: User
) -> None:
    invitation = _invite(staff_api, user.username).json()
    for action in ("accept", "decline"):
        assert_error(
            other_api.post(f"/api/v1/invitations/{invitation['id']}/{action}/"), 404, "not_found"
        )
        # Staff send invitations; only the invited member answers them.
        assert_error(
            staff_api.post(f"/api/v1/invitations/{invitation['id']}/{action}"), 404, "not_found"
        )
    assert Invitation.objects.get(pk=invitation["id"]).status == Invitation.Status.SENT
    assert_error(other_api.post("/api/v1/invitations/999999/accept"), 404, "not_found")


def test_a_closed_invitation_cannot_be_answered_again(
    staff_api: APIClient, user_api: APIClient, user: User
) -> None:
    invitation = _invite(staff_api, user.username).json()
    declined = user_api.post(f"/api/v1/invitations/{invitation['id']}/decline/")
    assert declined.status_code == 200, declined.content
    assert declined.json()["status"] == "declined"
    assert_error(
        user_api.post(f"/api/v1/invitations/{invitation['id']}/accept"), 400, "invitation_closed"
    )
    assert_error(
        user_api.post(f"/api/v1/invitations/{invitation['id']}/decline"), 400, "invitation_closed"
    )
    assert Invitation.objects.get(pk=invitation["id"]).status == Invitation.Status.DECLINED
    assert not selectors.can_host_live(User.objects.get(pk=user.pk))


def test_an_expired_invitation_cannot_be_accepted(user_api: APIClient, user: User) -> None:
    invitation = InvitationFactory(
        user=user,
        status=Invitation.Status.EXPIRED,
        expires_at=timezone.now() - timedelta(days=1),
    )
    assert_error(
        user_api.post(f"/api/v1/invitations/{invitation.pk}/accept"), 400, "invitation_closed"
    )


def test_answering_needs_a_login(api: APIClient, user: User) -> None:
    invitation = InvitationFactory(user=user, expires_at=timezone.now() + timedelta(days=1))
    assert_error(api.post(f"/api/v1/invitations/{invitation.pk}/accept"), 401, "unauthenticated")


# --- schema ---------------------------------------------------------------------------------


def test_schema_lists_the_creator_pool_paths_once_as_spec_spells_them(tmp_path: Any) -> None:
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/creators/:",
        "/api/v1/creators/{username}/:",
        "/api/v1/creators/applications/:",
        "/api/v1/niches/:",
        "/api/v1/invitations/:",
        "/api/v1/invitations/{id}/accept:",
        "/api/v1/invitations/{id}/decline:",
    ):
        assert text.count(f"\n  {path}\n") == 1, path
    assert "/api/v1/invitations/{id}/accept/:" not in text
