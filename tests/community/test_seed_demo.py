"""``manage.py seed_demo``: what a small run writes, that the counters it
leaves agree with the rows, that a second run adds nothing, ``--if-empty``,
argument checks and the progress output."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from community import demo_pictures, extensions, ranking
from community.management import demo_plan
from community.management.demo_content import NICHES
from community.models import (
    Block,
    Board,
    Collect,
    Comment,
    Follow,
    Like,
    Note,
    Notification,
    Photo,
    Report,
    Topic,
    TopicFollow,
    User,
)
from tests.factories import NoteFactory

pytestmark = pytest.mark.django_db

ALL_MODELS = (
    User, Note, Photo, Like, Board, Collect, Comment, Follow, TopicFollow, Block, Report,
    Notification, Topic,
)  # fmt: skip


@pytest.fixture(autouse=True)
def community_only() -> Iterator[None]:
    # The community's own data; later apps test their demo parts (e.g.
    # kol.demo) in their own tests.
    with extensions.demo_parts.override():
        yield


@pytest.fixture(autouse=True)
def small_photos(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same aspect ratios as the real seed, at a size that paints fast.
    monkeypatch.setattr(
        demo_plan,
        "ASPECTS",
        (("3:4", 96, 128, 50), ("1:1", 100, 100, 25), ("4:3", 128, 96, 15), ("9:16", 72, 128, 10)),
    )


def seed(*args: str) -> tuple[str, str]:
    # Test settings run with DEBUG off, like production: say it is deliberate.
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, "--allow-public-passwords", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def test_small_seed_writes_members_notes_and_photos() -> None:
    out, _ = seed("--users", "6", "--notes", "8")

    members = User.objects.filter(username__startswith="demo_")
    assert members.count() == 6
    assert all(m.display_name and m.bio and m.avatar for m in members)
    assert all(m.check_password("sprout-demo") for m in members)
    assert Note.objects.count() == 8
    assert set(Note.objects.values_list("status", flat=True)) == {Note.Status.PUBLISHED}
    for note in Note.objects.annotate(n=Count("photos")):
        assert 1 <= note.n <= 5
    for photo in Photo.objects.all():
        assert photo.original.name and default_storage.exists(photo.original.name)
        assert photo.width and photo.height
    assert Topic.objects.exists()
    assert Comment.objects.filter(parent__isnull=False).exists()  # threads, not just comments
    assert Notification.objects.filter(verb=Notification.Verb.LIKE).exists()
    assert "demo_maya" in out and "sprout-demo" in out


def test_seed_creates_the_staff_accounts() -> None:
    out, _ = seed("--users", "6", "--notes", "0")

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("sprout-admin")
    moderators = Group.objects.get(name="Moderators")
    moderator = User.objects.get(username="moderator")
    assert moderator.is_staff and not moderator.is_superuser
    assert moderator.check_password("sprout-moderator")
    assert moderators in moderator.groups.all()
    demo_moderators = User.objects.filter(groups=moderators, username__startswith="demo_")
    assert demo_moderators.count() == demo_plan.DEMO_MODERATOR_COUNT
    assert all(u.is_staff for u in demo_moderators)
    assert "sprout-admin" in out and "sprout-moderator" in out


def test_seeded_counters_agree_with_rows() -> None:
    seed("--users", "8", "--notes", "10", "--seed", "7")

    for note in Note.objects.annotate(
        n_likes=Count("likes", distinct=True),
        n_collects=Count("collects", distinct=True),
        n_comments=Count("comments", filter=Q(comments__status="visible"), distinct=True),
    ):
        assert (note.like_count, note.collect_count, note.comment_count) == (
            note.n_likes,
            note.n_collects,
            note.n_comments,
        )
    for comment in Comment.objects.annotate(n=Count("replies")):
        assert comment.reply_count == comment.n
    for user in User.objects.all():
        assert user.note_count == user.notes.filter(status="published").count()
        assert user.follower_count == Follow.objects.filter(followee=user).count()
        assert user.following_count == Follow.objects.filter(follower=user).count()
    for topic in Topic.objects.all():
        assert topic.note_count == topic.notes.filter(status="published").count()
        assert topic.follower_count == TopicFollow.objects.filter(topic=topic).count()
    for board in Board.objects.all():
        assert board.collect_count == Collect.objects.filter(board=board).count()


def test_seeded_notes_are_spread_over_the_last_thirty_days() -> None:
    seed("--users", "6", "--notes", "8")

    now = timezone.now()
    for note in Note.objects.all():
        assert note.published_at is not None
        assert now - timedelta(days=30, minutes=5) <= note.published_at <= now
        assert note.hot_score == ranking.hot_score(
            likes=note.like_count,
            collects=note.collect_count,
            comments=note.comment_count,
            published_at=note.published_at,
        )
        assert all(c.created_at >= note.published_at for c in note.comments.all())
    days = {n.published_at.date() for n in Note.objects.all() if n.published_at}
    assert len(days) > 1


def test_running_twice_adds_nothing() -> None:
    seed("--users", "6", "--notes", "8")
    before = row_counts()

    out, _ = seed("--users", "6", "--notes", "8")

    assert row_counts() == before
    assert "Created 0 members, 0 notes and 0 photos" in out


def test_a_bigger_second_run_adds_only_the_difference() -> None:
    seed("--users", "6", "--notes", "4")
    seed("--users", "6", "--notes", "8")
    assert Note.objects.count() == 8
    assert Note.objects.values("author", "title").distinct().count() == 8


def test_if_empty_seeds_an_empty_site() -> None:
    seed("--users", "6", "--notes", "3", "--if-empty")
    assert Note.objects.count() == 3


def test_if_empty_leaves_a_site_with_notes_alone() -> None:
    NoteFactory()
    before = row_counts()

    out, _ = seed("--users", "6", "--notes", "8", "--if-empty")

    assert row_counts() == before
    assert not User.objects.filter(username__startswith="demo_").exists()
    assert "--if-empty" in out


def test_dry_run_writes_nothing() -> None:
    before = row_counts()
    out, _ = seed("--users", "6", "--notes", "8", "--dry-run")
    assert row_counts() == before
    assert "would create 6 of 6 members and 8 of 8 notes" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "-1"], "--users must be between 1 and 1000, not -1"),
        (["--users", "0"], "--users must be between 1 and 1000"),
        (["--users", "100000"], "--users must be between 1 and 1000"),
        (["--notes", "-5"], "--notes must be between 0 and 5000"),
        (["--notes", "999999999"], "--notes must be between 0 and 5000"),
        (["--seed", "-3"], "--seed must be between 0"),
        (["--users", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_are_refused_clearly(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Note.objects.exists()


def test_a_site_with_debug_off_is_not_seeded_without_consent(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-public-passwords"):
        call_command("seed_demo", "--users", "6", "--notes", "1", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()


def test_the_plan_is_deterministic() -> None:
    first = demo_plan.build_plan(seed=3, users=10, notes=20)
    assert demo_plan.build_plan(seed=3, users=10, notes=20) == first
    assert demo_plan.build_plan(seed=4, users=10, notes=20) != first
    titles = [(n.author, n.title) for n in first.notes]
    assert len(set(titles)) == len(titles)  # (author, title) identifies a note
    # A longer plan starts with the same notes: more notes never reshuffle.
    assert demo_plan.build_plan(seed=3, users=10, notes=30).notes[:20] == first.notes


def test_every_note_title_is_unique_and_from_its_theme() -> None:
    plan = demo_plan.build_plan(seed=1, users=40, notes=600)  # past the templates' variety
    titles = [n.title for n in plan.notes]
    assert len({t.casefold() for t in titles}) == len(titles)
    assert all(0 < len(t) <= 100 for t in titles)
    assert not any("(part" in t for t in titles)
    by_name = {n.name: n for n in NICHES}
    fillers = {
        name: {w.casefold() for values in niche.slots.values() for w in values}
        | {t.split("{")[0].strip().casefold() for t in niche.titles}
        for name, niche in by_name.items()
    }
    for note in plan.notes:
        # The note's body is of one theme; its title speaks of that theme.
        theme = next(n for n in NICHES if any(f"#{t}" in note.body for t in n.topics))
        title = note.title.casefold()
        assert any(word and word in title for word in fillers[theme.name]), note.title


def test_note_photos_show_their_theme() -> None:
    plan = demo_plan.build_plan(seed=2, users=20, notes=80)
    pictures = {n.name: n.picture for n in NICHES}
    assert set(pictures.values()) == set(demo_pictures.SUBJECTS)
    for note in plan.notes:
        theme = next(n for n in NICHES if any(f"#{t}" in note.body for t in n.topics))
        assert {p.subject for p in note.photos} == {pictures[theme.name]}


def test_notes_mention_and_tag_like_real_posts() -> None:
    plan = demo_plan.build_plan(seed=1, users=40, notes=160)
    bodies = [n.body for n in plan.notes]
    assert all("#" in body for body in bodies)
    assert any("@demo_" in body for body in bodies)
    aspects = {(p.width, p.height) for n in plan.notes for p in n.photos}
    assert len(aspects) == len(demo_plan.ASPECTS)
    assert {len(n.photos) for n in plan.notes} == {1, 2, 3, 4, 5}


def test_seed_progress_goes_to_stderr() -> None:
    _, err = seed("--users", "6", "--notes", "2")
    assert "Notes   [" in err and "2/2" in err
