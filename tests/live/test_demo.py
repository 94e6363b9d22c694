"""``seed_demo``'s live rooms (``live.demo``): hosts with past sessions,
gifts paid for with sandbox recharges, books that reconcile and payouts
that are due."""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db.models import F, Max, Min, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Notification, User
from kol import demo as kol_demo
from kol import selectors as kol_selectors
from kol.models import CreatorDailyStat, CreatorProfile, Invitation
from live import demo, demo_replays, replay_files, selectors
from live.models import ChatMessage, HeartsMark, LiveSession, Replay, ReplaySource, Room
from live.selectors.replays import session_timeline
from tests import services as test_services
from tests.factories import NoteFactory
from tests.shared_rows import seeded_once
from wallet.models import (
    Account,
    Entry,
    GiftSend,
    IdempotencyRecord,
    Line,
    Payment,
    Payout,
    PayoutRun,
)

pytestmark = pytest.mark.django_db

MODELS = (
    Room, LiveSession, ChatMessage, GiftSend, Entry, Line, Payment, IdempotencyRecord, Account,
    Invitation, Notification, Payout, PayoutRun, CreatorDailyStat, User, Replay, ReplaySource,
    HeartsMark,
)  # fmt: skip


TINY_TIERS = {"micro": 4, "mid": 8, "macro": 16, "mega": 32}


def shrink(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pool's demo at sizes that paint fast (as tests/kol/test_demo.py).
    monkeypatch.setattr(kol_demo, "PHOTO_SIZES", ((96, 128), (100, 100)))
    monkeypatch.setattr(kol_demo, "PHOTO_POOL", 2)
    monkeypatch.setattr(kol_demo, "AVATAR_POOL", 2)
    monkeypatch.setattr(kol_demo, "AVATAR_SIZE", 64)
    monkeypatch.setattr(demo_replays, "CLIP_SIZE", (180, 320))


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    shrink(monkeypatch)
    settings.SPROUT_KOL_TIERS = TINY_TIERS
    # Replays cost seconds of ffmpeg: only the shared seed (TestOneSeed) makes them.
    monkeypatch.setattr(demo_replays, "REPLAY_HOSTS", 0)


def require_ffmpeg() -> None:
    missing = demo_replays.tools_missing()
    if missing:
        test_services.unavailable(f"the demo's replays need ffmpeg: {missing}")


def seed(*args: str, hosts: int = 3) -> tuple[str, str]:
    # Test settings run with DEBUG off, like production: say it is deliberate.
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo", "--users", "6", "--notes", "8", "--creators", "8",
        "--live-hosts", str(hosts), *args, "--allow-public-passwords",
        stdout=out, stderr=err,
    )  # fmt: skip
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def hosts() -> list[User]:
    return list(User.objects.filter(rooms__isnull=False).distinct().order_by("pk"))


@pytest.fixture(scope="class")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    """One default seed for the tests of a class (tests/shared_rows.py): its
    output, and its rows until the class's last test."""
    yield from seeded_once(django_db_blocker, shrink, seed, SPROUT_KOL_TIERS=TINY_TIERS)


class TestOneSeed:
    """What one default seed wrote, read by several tests: seeded once for
    them, each test's own writes rolled back."""

    def test_hosts_get_past_sessions_with_gifts(self, seeded: tuple[str, str]) -> None:
        out, err = seeded

        assert len(hosts()) == 3
        assert all(kol_selectors.can_host_live(host) for host in hosts())
        assert not Room.objects.exclude(state=Room.State.ENDED).exists()
        assert not LiveSession.objects.filter(ended_at__isnull=True).exists()
        midnight = datetime.combine(timezone.now().astimezone(UTC).date(), time.min, tzinfo=UTC)
        for host in hosts():
            sessions = LiveSession.objects.filter(room__host=host)
            # The evening lives; a recorded short broadcast (its replay) besides.
            evenings = sessions.filter(replay__isnull=True).count()
            assert demo.SESSIONS_PER_HOST[0] <= evenings <= demo.SESSIONS_PER_HOST[1]
            for session in sessions.select_related("room"):
                assert midnight - timedelta(days=demo.SESSION_DAYS) <= session.started_at
                assert session.ended_at is not None
                assert session.started_at < session.ended_at < midnight
                assert session.room.started_at == session.started_at
                assert session.room.ended_at == session.ended_at
                sends = GiftSend.objects.filter(session_id=session.pk)
                assert sends.exists()
                assert set(sends.values_list("room_id", "host_id").distinct()) == {
                    (session.room_id, host.pk)
                }
        assert GiftSend.objects.values("gift").distinct().count() >= 4  # the catalog, not one gift
        assert "Live rooms: 3 hosts (2 newly invited)" in out
        assert "Wallets [" in err and "Sessions[" in err

    def test_the_books_reconcile_and_every_host_is_due_a_payout(
        self, seeded: tuple[str, str]
    ) -> None:
        out = io.StringIO()
        call_command("reconcile_ledger", stdout=out)
        assert "ledger OK" in out.getvalue()
        out = io.StringIO()
        call_command("run_payouts", "--dry-run", "--no-progress", stdout=out)
        printed = out.getvalue()
        for host in hosts():
            assert re.search(rf"@{host.username}: [\d,]+ coins .*\[would pay\]", printed)
        # Every host; with the shop on, creators with earned commission too.
        made = re.search(r"(\d+) payout\(s\) would be made", printed)
        assert made is not None and int(made.group(1)) >= 3, printed
        assert not Payout.objects.exists()

    def test_timestamps_moved_into_the_past_together(self, seeded: tuple[str, str]) -> None:
        now = timezone.now()
        assert not Line.objects.exclude(created_at=F("entry__created_at")).exists()
        assert not GiftSend.objects.exclude(created_at=F("entry__created_at")).exists()
        records = IdempotencyRecord.objects.filter(entry__isnull=False)
        assert not records.exclude(created_at=F("entry__created_at")).exists()
        assert not Entry.objects.filter(created_at__gt=now).exists()
        first_gift = dict(
            GiftSend.objects.values("sender")
            .annotate(at=Min("created_at"))
            .values_list("sender", "at")
        )
        # The coins' payments (with the shop on, its demo orders are paid too).
        recharges = Payment.objects.filter(purpose=Payment.RECHARGE)
        assert set(first_gift) == set(recharges.values_list("user", flat=True))
        for payment in recharges.select_related("entry", "user"):
            assert payment.status == Payment.Status.SUCCEEDED
            assert payment.entry is not None and payment.completed_at is not None
            assert payment.user.date_joined < payment.created_at <= payment.completed_at
            assert payment.completed_at == payment.entry.created_at
            money = Entry.objects.get(pk=payment.entry.reference["money_entry"])
            assert money.created_at == payment.entry.created_at
            assert payment.completed_at < first_gift[payment.user_id]  # coins before gifts
        for account in Account.objects.annotate(first=Min("lines__created_at")):
            assert account.first is None or account.created_at <= account.first
        for session in LiveSession.objects.all():
            assert session.ended_at is not None
            for sent in GiftSend.objects.filter(session_id=session.pk):
                assert session.started_at <= sent.created_at <= session.ended_at
            for message in ChatMessage.objects.filter(session=session):
                assert session.started_at <= message.created_at <= session.ended_at
        for host in hosts():
            invitation = Invitation.objects.get(user=host, status=Invitation.Status.ACCEPTED)
            first = LiveSession.objects.filter(room__host=host).aggregate(at=Min("started_at"))[
                "at"
            ]
            assert invitation.responded_at is not None and invitation.responded_at < first

    def test_reports_and_leaderboards_read_like_a_crowd(self, seeded: tuple[str, str]) -> None:
        top_shares = []
        for session in LiveSession.objects.select_related("room__host"):
            report = selectors.session_report(session)
            cash, traffic = report["cash"], report["traffic"]
            sends = GiftSend.objects.filter(session_id=session.pk)
            assert cash["coins"] == sends.aggregate(n=Sum("coins"))["n"]
            assert cash["unique_payers"] == sends.values("sender").distinct().count()
            assert 0 < cash["earnings"] < cash["coins"]  # the platform took its share
            assert traffic["unique_viewers"] > cash["unique_payers"]
            assert cash["unique_payers"] <= traffic["peak_viewers"] <= traffic["unique_viewers"]
            assert traffic["chat_messages"] == ChatMessage.objects.filter(session=session).count()
            assert traffic["watch_seconds"] > 0 and traffic["hearts"] > 0
            board = selectors.session_top_gifters(session.pk)
            assert [g.coins for g in board] == sorted((g.coins for g in board), reverse=True)
            top_shares.append(board[0].coins / cash["coins"])
        # Somebody tops most leaderboards by a margin; not every gifter gives alike.
        assert max(top_shares) > 0.3

    def test_daily_stats_gain_the_gift_income_of_the_session_days(
        self, seeded: tuple[str, str]
    ) -> None:
        given: Counter[tuple[int, Any]] = Counter()
        for host_id, at, coins in GiftSend.objects.values_list("host_id", "created_at", "coins"):
            given[(host_id, at.astimezone(UTC).date())] += coins
        stats = defaultdict(int)
        for user_id, day, income in CreatorDailyStat.objects.filter(gift_income__gt=0).values_list(
            "creator__user_id", "date", "gift_income"
        ):
            stats[(user_id, day)] = income
        assert stats == given

    def test_the_latest_screening_sees_the_hosts_past_broadcasts(
        self, seeded: tuple[str, str], client: Client
    ) -> None:
        out, _ = seeded

        last_end = LiveSession.objects.aggregate(last=Max("ended_at"))["last"]
        for host in hosts():
            profile = CreatorProfile.objects.get(user=host)
            assert profile.scored_at is not None and profile.scored_at > last_end
            assert not any("no live sessions" in reason for reason in profile.score_reasons)
            assert any(reason.startswith("live performance") for reason in profile.score_reasons)
            client.force_login(host)
            page = client.get(reverse("studio")).content.decode()
            screening = page.split("Your latest screening", 1)[1].split("</section>", 1)[0]
            assert "live performance" in screening and "no live sessions" not in screening
            assert f'href="{reverse("go_live")}"' in page
        # Creators who never broadcast still say so.
        others = CreatorProfile.objects.exclude(user__in=hosts()).exclude(score=None)
        assert all("no live sessions yet" in p.score_reasons for p in others)
        assert "Screening after every part:" in out

    def test_short_broadcasts_become_replays_with_their_files(
        self, seeded: tuple[str, str], client: Client
    ) -> None:
        require_ffmpeg()
        out, _ = seeded
        storage = replay_files.replay_storage()

        # Only the recorded broadcasts keep a replay, each ready to watch.
        replays = list(Replay.objects.select_related("session__room__host"))
        assert len(replays) == 3
        assert len({r.session.room.host_id for r in replays}) == 3
        assert re.search(r"Replays: 3 short broadcasts of .* made into replays", out)
        page = client.get(reverse("live_list")).content.decode()
        for replay in replays:
            session = replay.session
            assert replay.state == Replay.State.READY and replay.watchable
            assert session.ended_at is not None
            lasted = (session.ended_at - session.started_at).total_seconds()
            assert lasted < demo_replays.CLIP_SECONDS + 5
            assert abs(replay.duration_ms - demo_replays.CLIP_SECONDS * 1000) < 500  # type: ignore[operator]
            assert abs(replay.start_offset_ms - demo_replays.VIDEO_START_MS) < 100
            prefix = replay_files.replay_prefix(replay)
            names = replay_files.stored_under(storage, prefix)
            for name in (replay.playlist, replay.poster, replay.preview):
                assert name.startswith(prefix) and name in names
            playlist = storage.open(replay.playlist).read().decode()
            assert "#EXT-X-ENDLIST" in playlist
            segments = [line for line in playlist.splitlines() if line.endswith(".ts")]
            assert len(segments) >= demo_replays.CLIP_SECONDS // 2
            assert all(f"{prefix}src/{segment}" in names for segment in segments)
            assert replay.size_bytes == sum(storage.size(name) for name in names)
            assert replay.views > 0 and replay.watch_seconds > 0
            assert replay.created_at == session.started_at
            assert replay.finished_at is not None and replay.finished_at > session.ended_at
            assert GiftSend.objects.filter(session_id=session.pk).exists()
            # The live page's Replays section and the host's profile list it.
            assert reverse("live_replay", args=[session.pk]) in page
            profile = client.get(reverse("profile", args=[session.room.host.username]))
            assert reverse("live_replay", args=[session.pk]) in profile.content.decode()

    def test_replay_timelines_play_inside_their_videos(self, seeded: tuple[str, str]) -> None:
        require_ffmpeg()

        replays = list(Replay.objects.select_related("session"))
        assert replays
        kinds_anywhere: set[str] = set()
        for replay in replays:
            session = replay.session
            items = session_timeline(session=session, limit=1000).items
            kinds = Counter(item["type"] for item in items)
            assert kinds["chat"] >= demo.CLIP_CHAT[0] and kinds["gift"] >= demo.CLIP_GIFTS[0]
            assert kinds["hearts"] > 10
            begins = replay.start_offset_ms
            ends = begins + (replay.duration_ms or 0)
            assert all(begins <= item["offset_ms"] <= ends for item in items), items
            totals = [item["total"] for item in items if item["type"] == "hearts"]
            assert totals == sorted(totals) and totals[-1] == session.hearts
            assert HeartsMark.objects.filter(session=session).count() == kinds["hearts"]
            kinds_anywhere |= set(kinds)
        if django_apps.is_installed("shop"):
            # The shop's demo pins products in past sessions: inside the video too.
            assert {"product_pinned", "product_unpinned"} <= kinds_anywhere

    def test_running_twice_adds_nothing(self, seeded: tuple[str, str]) -> None:
        before = row_counts()

        out, _ = seed()

        assert row_counts() == before
        assert "3 of 3 hosts have rooms already" in out
        assert "nothing to add" in out


def test_more_hosts_later_leaves_the_first_ones_alone() -> None:
    seed(hosts=2)
    first = {host.pk: LiveSession.objects.filter(room__host=host).count() for host in hosts()}

    seed(hosts=3)

    assert len(hosts()) == 3
    for host_id, sessions in first.items():
        assert LiveSession.objects.filter(room__host_id=host_id).count() == sessions
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "ledger OK" in out.getvalue()


def test_dry_run_writes_nothing() -> None:
    before = row_counts()

    out, _ = seed("--dry-run")

    assert row_counts() == before
    assert "Dry run (live rooms)" in out
    assert "Nothing was written" in out


def test_dry_run_on_a_pool_says_what_a_run_adds() -> None:
    seed(hosts=0)
    before = row_counts()

    dry, _ = seed("--dry-run")

    assert row_counts() == before
    said = re.search(
        r"would invite (\d+) hosts and add (\d+) past sessions for 3 hosts with ([\d,]+) gifts "
        r"worth ([\d,]+) coins",
        dry,
    )
    assert said is not None, dry
    invited, sessions, sent, coins = (int(g.replace(",", "")) for g in said.groups())
    seed()
    assert Invitation.objects.filter(status=Invitation.Status.ACCEPTED).count() == 1 + invited
    assert LiveSession.objects.count() == sessions
    assert GiftSend.objects.count() == sent
    assert GiftSend.objects.aggregate(n=Sum("coins"))["n"] == coins


def test_if_empty_leaves_a_site_with_notes_alone() -> None:
    NoteFactory()

    seed("--if-empty")

    assert not Room.objects.exists()
    assert not Payment.objects.exists()


def test_without_the_sandbox_provider_no_gifts_are_made_up(settings: Any) -> None:
    settings.SPROUT_WALLET_SANDBOX_SECRET = ""

    out, _ = seed()

    assert "Live rooms: skipped" in out
    assert not Room.objects.exists()
    assert not Entry.objects.exists()


def test_without_ffmpeg_the_replays_are_skipped_with_a_line_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo_replays, "REPLAY_HOSTS", 3)
    monkeypatch.setattr(demo_replays, "tools_missing", lambda: "ffmpeg not installed")

    out, _ = seed()

    assert "Replays: skipped; ffmpeg not installed." in out
    assert LiveSession.objects.exists()
    # No short broadcast, and no replay waiting for a recording.
    assert not Replay.objects.exists()
    for session in LiveSession.objects.all():
        assert session.ended_at is not None
        assert session.ended_at - session.started_at > timedelta(minutes=5)
    call = io.StringIO()
    call_command("reconcile_ledger", stdout=call)
    assert "ledger OK" in call.getvalue()


def test_no_live_hosts_asked_for_adds_no_rooms() -> None:
    out, _ = seed(hosts=0)

    assert not Room.objects.exists()
    assert "--live-hosts 0" in out


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "--live-hosts must be between 0 and 50"), ("many", "invalid int value")],
)
def test_bad_host_counts_are_refused_before_anything_is_written(value: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(hosts=value)  # type: ignore[arg-type]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("coins", "packs"), [(1, (60,)), (300, (300,)), (301, (980,)), (7_000, (6_480, 980))]
)
def test_members_buy_the_packs_that_cover_their_gifts(coins: int, packs: tuple[int, ...]) -> None:
    assert demo.packs_for(coins) == packs


def test_the_plan_is_deterministic_and_pays_every_host() -> None:
    catalog = [
        demo.CatalogGift("rose", "Rose", 1),
        demo.CatalogGift("coffee", "Coffee", 10),
        demo.CatalogGift("castle", "Castle", 520),
    ]
    hosts_ = [demo.Host(1, "anna", "baking"), demo.Host(2, "ben", "")]
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def plan(seed: int) -> list[demo.SessionPlan]:
        return demo.build_plan(
            seed=seed,
            hosts=hosts_,
            followers={1: list(range(10, 40)), 2: [50, 51]},
            fallback=[60, 61, 62, 63, 64, 65],
            catalog=catalog,
            names={},
            now=now,
            least_per_host=8_000,
        )

    first = plan(5)
    assert plan(5) == first
    assert plan(6) != first
    assert [s.start for s in first] == sorted(s.start for s in first)
    for host in hosts_:
        own = [s for s in first if s.host == host]
        assert sum(s.coins for s in own) >= 8_000
        titles = [s.title for s in own]
        assert len(set(titles)) == len(titles)
        for session in own:
            assert now - timedelta(days=demo.SESSION_DAYS + 1) < session.start < session.end < now
            assert all(session.start < g.at < session.end for g in session.gifts)
            assert all(g.sender_id != host.user_id for g in session.gifts)
    # A host with two followers gets a crowd padded from the other members.
    assert {g.sender_id for s in first if s.host.user_id == 2 for g in s.gifts} - {50, 51}


def test_a_recorded_broadcast_is_planned_besides_and_fits_the_clip() -> None:
    catalog = [demo.CatalogGift("rose", "Rose", 1), demo.CatalogGift("castle", "Castle", 520)]
    hosts_ = [demo.Host(1, "anna", "baking"), demo.Host(2, "ben", "")]

    def plan(recorded: int) -> list[demo.SessionPlan]:
        return demo.build_plan(
            seed=5,
            hosts=hosts_,
            followers={1: list(range(10, 40)), 2: list(range(40, 50))},
            fallback=[],
            catalog=catalog,
            names={},
            now=datetime(2026, 3, 1, 12, tzinfo=UTC),
            least_per_host=8_000,
            recorded_hosts=recorded,
        )

    evenings = plan(0)
    with_one = plan(1)

    assert plan(1) == with_one
    assert [s for s in with_one if not s.recorded] == evenings  # the lives stay as they were
    (short,) = [s for s in with_one if s.recorded]
    assert short.host == hosts_[0]
    latest = max(s.start for s in evenings if s.host == hosts_[0])
    assert short.start.date() == latest.date() and short.end < latest
    video_start = short.start + timedelta(milliseconds=demo_replays.VIDEO_START_MS)
    video_end = video_start + timedelta(seconds=demo_replays.CLIP_SECONDS)
    assert video_end < short.end
    moments = [g.at for g in short.gifts] + [c.at for c in short.chat]
    assert all(video_start < at < video_end for at in moments)
    assert demo.CLIP_GIFTS[0] <= len(short.gifts) <= demo.CLIP_GIFTS[1]
    video_end_ms = demo_replays.VIDEO_START_MS + demo_replays.CLIP_SECONDS * 1000
    offsets = [o for o, _ in short.hearts]
    totals = [t for _, t in short.hearts]
    assert offsets == sorted(set(offsets)) and totals == sorted(totals) and totals[0] > 0
    assert all(demo_replays.VIDEO_START_MS <= o <= video_end_ms for o in offsets)
