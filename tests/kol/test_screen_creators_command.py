"""``manage.py screen_creators``: output, stored scores, invitations and
argument checks."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from kol.management.commands.screen_creators import Command
from kol.models import CreatorProfile, Invitation
from tests.factories import (
    CreatorDailyStatFactory,
    CreatorFactory,
    InvitationFactory,
    NicheFactory,
    NoteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def creator(username: str, *, engagement: float, followers: int = 1_000, niches=()):  # type: ignore[no-untyped-def]
    user = UserFactory(
        username=username,
        follower_count=followers,
        date_joined=datetime(2024, 1, 1, tzinfo=UTC),
    )
    profile = CreatorFactory(user=user, niches=list(niches))
    today = timezone.now().astimezone(UTC).date()
    CreatorDailyStatFactory(
        creator=profile,
        date=today,
        followers=followers,
        new_followers=50,
        engagement_rate=engagement,
    )
    NoteFactory(author=user, photos=0, published_at=timezone.now() - timedelta(days=2))
    return profile


@pytest.fixture
def pool(db):  # type: ignore[no-untyped-def]
    skincare = NicheFactory(slug="skincare", name="Skincare")
    return [
        creator("amber", engagement=0.09, followers=12_000, niches=[skincare]),
        creator("basil", engagement=0.05, followers=3_000),
        creator("cedar", engagement=0.02, followers=800, niches=[skincare]),
    ]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("screen_creators", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def scores() -> dict[str, float | None]:
    return dict(CreatorProfile.objects.values_list("user__username", "score"))


def test_table_lists_the_ranking_and_stores_the_scores(pool) -> None:  # type: ignore[no-untyped-def]
    out, _ = run()
    lines = out.splitlines()
    assert lines[0].startswith("Screened 3 creators; weights: engagement 35%")
    header = lines[1].split()
    assert header == ["#", "username", "tier", "followers", "score", "reasons"]
    rows = lines[3:6]
    assert [row.split()[1] for row in rows] == ["amber", "basil", "cedar"]
    assert rows[0].split()[0] == "1"
    assert "12,000" in rows[0]
    assert "Mid-tier" in rows[0]
    assert "engagement 9.0% (top 33%); +50 followers in 30 days" in rows[0]
    # Columns line up: every row's reasons start where the header's do.
    column = lines[1].index("reasons")
    assert all(row[column:].startswith("engagement") for row in rows)
    assert "Stored 3 scores." in out
    stored = scores()
    assert all(stored[name] is not None for name in ("amber", "basil", "cedar"))
    assert stored["amber"] > stored["basil"] > stored["cedar"]  # type: ignore[operator]
    amber = CreatorProfile.objects.get(user__username="amber")
    assert amber.score_reasons[0] == "engagement 9.0% (top 33%)"
    assert amber.scored_at is not None


def test_json_is_a_list_of_objects_and_the_summary_goes_to_stderr(pool) -> None:  # type: ignore[no-untyped-def]
    out, err = run("--format", "json", "--top", "2")
    rows = json.loads(out)
    assert [row["username"] for row in rows] == ["amber", "basil"]
    assert [row["rank"] for row in rows] == [1, 2]
    first = rows[0]
    assert first["tier"] == "mid"
    assert first["followers"] == 12_000
    assert first["score"] == scores()["amber"]
    assert first["reasons"][0] == "engagement 9.0% (top 33%)"
    assert set(first["components"]) == {"engagement", "growth", "consistency", "niche", "live"}
    assert "invitation" not in first
    assert "Stored 3 scores." in err


def test_niche_and_min_followers_filter(pool) -> None:  # type: ignore[no-untyped-def]
    out, _ = run("--niche", "skincare", "--format", "json")
    assert [row["username"] for row in json.loads(out)] == ["amber", "cedar"]
    out, _ = run("--min-followers", "1000", "--format", "json")
    assert [row["username"] for row in json.loads(out)] == ["amber", "basil"]
    out, _ = run("--niche", "skincare", "--min-followers", "100000")
    assert "No creator matches." in out


def test_dry_run_and_no_store_change_nothing(pool) -> None:  # type: ignore[no-untyped-def]
    out, _ = run("--dry-run", "--top", "1")
    assert out.startswith("Screened 3 creators")
    assert "amber" in out
    assert "basil" not in out
    assert "Dry run: no scores stored, no invitations sent." in out
    assert set(scores().values()) == {None}
    out, _ = run("--no-store")
    assert "Scores not stored (--no-store)." in out
    assert set(scores().values()) == {None}
    assert not Invitation.objects.exists()


def test_invite_sends_once_and_reports_already_invited(pool) -> None:  # type: ignore[no-untyped-def]
    out, _ = run("--top", "2", "--invite", "--message", "Host a room with us?")
    assert "invitation" in out.splitlines()[1]
    assert "Invitations: invited 2." in out
    invited = Invitation.objects.order_by("user__username")
    assert [i.user.username for i in invited] == ["amber", "basil"]
    amber = invited[0]
    assert amber.message == "Host a room with us?"
    assert amber.invited_by is None
    assert amber.score == scores()["amber"]
    assert amber.reasons[0] == "engagement 9.0% (top 33%)"

    out, _ = run("--top", "2", "--invite", "--format", "json")
    assert [row["invitation"] for row in json.loads(out)] == ["already invited"] * 2
    assert Invitation.objects.count() == 2


def test_invite_with_a_niche_records_it(pool) -> None:  # type: ignore[no-untyped-def]
    run("--niche", "skincare", "--top", "1", "--invite")
    [invitation] = Invitation.objects.all()
    assert invitation.user.username == "amber"
    assert invitation.niche is not None and invitation.niche.slug == "skincare"


def test_invite_skips_creators_who_already_host(pool) -> None:  # type: ignore[no-untyped-def]
    pool[0].user.user_permissions.add(Permission.objects.get(codename="host_live"))
    out, _ = run("--top", "2", "--invite", "--format", "json")
    assert [row["invitation"] for row in json.loads(out)] == ["already a host", "invited"]
    assert list(Invitation.objects.values_list("user__username", flat=True)) == ["basil"]


def test_invite_dry_run_says_whom_it_would_invite_and_changes_nothing(pool) -> None:  # type: ignore[no-untyped-def]
    InvitationFactory(user=pool[1].user, expires_at=timezone.now() + timedelta(days=3))
    pool[2].user.user_permissions.add(Permission.objects.get(codename="host_live"))
    out, _ = run("--invite", "--dry-run", "--format", "json")
    assert [row["invitation"] for row in json.loads(out)] == [
        "would invite",
        "already invited",
        "already a host",
    ]
    assert Invitation.objects.count() == 1
    assert set(scores().values()) == {None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "0"], "--top must be between 1 and 1000"),
        (["--top", "1001"], "--top must be between 1 and 1000"),
        (["--min-followers", "-5"], "--min-followers must be zero or more"),
        (["--niche", "no-such-niche"], "Unknown niche 'no-such-niche'"),
        (["--message", "hello"], "--message goes with --invite"),
        (["--invite", "--message", "x" * 1001], "--message is limited"),
    ],
)
def test_bad_arguments_are_refused(pool, args, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert set(scores().values()) == {None}
    assert not Invitation.objects.exists()


def test_format_must_be_table_or_json(pool) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError):
        run("--format", "csv")


def test_help_explains_every_option() -> None:
    text = Command().create_parser("manage.py", "screen_creators").format_help()
    for option in (
        "--niche",
        "--top",
        "--min-followers",
        "--dry-run",
        "--no-store",
        "--invite",
        "--message",
        "--format",
    ):
        assert option in text
    assert "default 20" in text


def test_empty_pool_prints_no_match(db) -> None:  # type: ignore[no-untyped-def]
    out, _ = run()
    assert "Screened 0 creators" in out
    assert "No creator matches." in out
