"""Demo data of live rooms and the wallet: ``manage.py seed_demo`` gives the
creator pool's hosts a past on camera.

The community's ``seed_demo`` calls :func:`seed_demo` after the creator pool
(``kol.demo``) is in; :func:`add_arguments` gives it ``--live-hosts``. A
default run adds:

- five hosts: the creators who may host already (the pool's accepted
  invitation), then the best of the screening without an invitation, invited
  by the demo moderator and accepting (``kol.services.invitation_accept``), one of them on
  an agency's roster when the pool has such creators;
- two to four ended sessions per host on evenings of the last fourteen days,
  each in a room of its own, titled after the host's niche, brought live and
  ended by ``live.services`` (``room_create``, ``session_start``,
  ``session_end``);
- gifts during each session from the host's followers, sent through
  ``wallet.services.gifts_send`` with the room and its open session (the
  websocket path's engine): a regular crowd per host, a whale or two who buy
  the big animations and top the leaderboard, and a tail of roses and
  hearts. A session brings 800 to 6,000 coins (a host's last one more when
  that is what it takes for their earnings to pass
  ``SPROUT_WALLET_PAYOUT_THRESHOLD``), so ``manage.py run_payouts
  --dry-run`` lists every host;
- the coins for those gifts: every sender buys packs through
  ``wallet.services.recharge_create`` and the sandbox payment provider (the signed
  callback path), before their first gift, and keeps what is left;
- a little chat per session (greetings, questions, the host thanking big
  gifters) and the session's traffic figures: viewers, peak, watch time and
  hearts are simulated around the gifters (like ``kol.demo``'s history),
  new followers are counted from the follows as ``session_end`` counts them;
- each host's daily stats get the gift income of those days from the stat
  provider ``kol.selectors.gift_income``, as ``kol.services.stats`` computes it;
- when ffmpeg is installed, the first three hosts also have a short recorded
  broadcast on the afternoon of their latest live (:func:`clip_session`),
  made into a replay from one generated clip (``live.demo_replays``), with
  its chat, gifts and hearts inside the video; the other sessions were never
  recorded and keep no replay.

The services stamp everything "now"; afterwards the timestamps are moved
into the past together: rooms, sessions, gift sends, payments, each
ledger entry with its lines and idempotency record, the accounts, and the
hosts' invitations (accepted before their first session). Amounts, balances
and links are never touched, so ``manage.py reconcile_ledger`` passes; the
appended credits are then rolled up, as the minute's beat would have.

No room is left live: a live room without a publisher would show a player
with no video ("live now" on discover, too) until ``end_stale_rooms`` ended
it. A host streams for real from ``/live/studio`` (``make run`` starts
nginx-rtmp when it is installed).

Idempotent: a host who has any room is left alone, and hosts who have rooms
count towards ``--live-hosts`` first, so a second run adds nothing. Every
write runs in one transaction, so the went-live notices and room events the
services send after commit find the rooms ended and tell nobody.
"""

from __future__ import annotations

import logging
import math
import random
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.management.commands.seed_demo import DEMO_PASSWORD, MODERATOR_USERNAME
from community.management.demo_content import CITIES
from community.models import Follow, User
from core.commands import count_option
from core.progress import Progress
from kol import selectors as kol_selectors
from kol import services as kol_services
from kol.models import AgencyMembership, CreatorDailyStat, CreatorProfile, Invitation
from kol.selectors import gift_income
from live import demo_replays, services
from live.media import MediaError
from live.models import ChatMessage, LiveSession, Room
from wallet import providers, rules
from wallet import selectors as wallet_selectors
from wallet import services as wallet_services
from wallet.models import Account, Entry, GiftSend, IdempotencyRecord, Line, Payment
from wallet.providers.sandbox import SandboxProvider
from wallet.services import GiftRequest, gifts_send

DEFAULT_HOSTS = 5
MAX_HOSTS = 50
SESSION_DAYS = 14  # sessions on the evenings of the last fourteen days
SESSIONS_PER_HOST = (2, 4)
START_HOURS = (17, 21)  # UTC; with the longest session it still ends that day
DURATION_MINUTES = (35, 110)
SESSION_COINS = (800, 6_000)  # what one session brings, drawn log-uniformly
MAX_GIFTS = 400  # sends per session at most: a guard, budgets end sessions well before
REGULARS = (6, 24)  # members who come back to one host's rooms
# Coin packs members buy (the sandbox charges SPROUT_WALLET_COIN_PRICE each).
PACKS = (60, 300, 980, 1_980, 3_280, 6_480)
CHAT_LINES = (4, 16)  # viewers' chat lines per session
THANKED = 6  # the host thanks at most this many big gifts per session
DEMO_ADDR = "127.0.0.1"
# Gifters joined this long before the first session day (recharges come up
# to three days before a member's first gift).
JOINED_BEFORE_DAYS = 5

# Gifters: how often they send, and which end of the catalog they like.
CLASSES = ("whale", "regular", "casual")
SEND_WEIGHT = {"whale": 1.0, "regular": 2.0, "casual": 1.5}
ATTENDS = {"whale": 0.85, "regular": 0.7, "casual": 0.55}
QUANTITIES = {  # of the cheap gifts (10 coins or less): taps on the tray
    "whale": (5, 10, 20, 99),
    "regular": (1, 1, 3, 5, 10),
    "casual": (1, 1, 1, 1, 3, 5, 10),
}

# The short recorded broadcasts (live.demo_replays).
CLIP_HOURS = (12, 15)  # UTC: the afternoon before the host's evening live
CLIP_CHAT = (8, 14)  # viewers' chat lines
CLIP_GIFTS = (2, 4)
HEART_SECONDS = 0.6  # of the video's seconds, those that get hearts

# fmt: off
CLIP_TITLES = ("A quick hello before tonight's live", "Sneak peek at tonight's live",
               "One quick tip", "Sixty seconds with you")
CLIP_CHAT_LINES = ("Hi from {city}!", "Short and sweet 💛", "See you tonight!",
                   "What time tonight?", "Love this 😍", "🔥🔥", "Caught it live!",
                   "Hello everyone 👋", "Can't wait", "Saving this")
TITLES = {
    "skincare": ("Night routine, live Q&A", "Reading skincare labels together",
                 "Sunscreen myths, answered", "My shelf, honestly"),
    "makeup": ("Five-minute face, live", "Everyday glow tutorial", "Drugstore dupes, tested",
               "Ask me anything: makeup"),
    "fashion": ("One jacket, five outfits", "Closet clear-out, live", "Thrift haul try-on",
                "Capsule wardrobe Q&A"),
    "home-cooking": ("Cook with me: weeknight dinner", "Sunday meal prep", "One-pan pasta, live",
                     "Your fridge, my recipe"),
    "baking": ("Sourdough bake-along", "Cookie decorating, live", "Cinnamon rolls from scratch",
               "Bread questions answered"),
    "coffee-tea": ("Pour-over masterclass", "Latte art practice", "Tasting three single origins",
                   "Matcha, whisked live"),
    "travel": ("Trip planning, live", "Packing light for two weeks", "Hidden gems Q&A",
               "My travel budget, line by line"),
    "fitness": ("Morning HIIT, live", "Full-body stretch", "Form check Q&A",
                "Twenty-minute core session"),
    "yoga-wellness": ("Sunset yoga flow", "Breathwork for busy days", "Gentle evening stretch",
                      "Wellness Q&A"),
    "home-interior": ("Small-space makeover, live", "Thrift flip in real time",
                      "Styling my shelves", "Renter-friendly ideas Q&A"),
    "plants-garden": ("Repotting day, live", "Plant clinic: show me your leaves",
                      "Balcony garden tour", "Propagation station"),
    "parenting": ("Rainy-day crafts, live", "Bedtime routine Q&A", "Lunchbox ideas",
                  "Parents' chat night"),
    "pets": ("Puppy training, live", "Cat enrichment ideas", "Grooming at home",
             "Ask the pet parent"),
    "tech-gadgets": ("Desk setup tour", "Gadget unboxing, live", "Productivity apps Q&A",
                     "Building a keyboard"),
    "books-study": ("Study with me, two hours", "Book club night", "Monthly reading wrap-up",
                    "Exam prep Q&A"),
}
GENERIC_TITLES = ("Ask me anything", "Hanging out live", "Behind the scenes",
                  "Weekly catch-up", "Q&A with you all")
VIEWER_CHAT = ("Hi from {city}!", "Love this 😍", "First time catching you live!",
               "Can you show that again?", "This is so helpful, thank you",
               "🔥🔥🔥", "Where is that from?", "Saving this for later", "Hello everyone 👋",
               "Great tips as always", "How long did that take?", "Sending love from {city}",
               "Just joined, what did I miss?", "Same time next week?")
THANKS = ("Thank you {name} for the {gift}! 🙏", "{name}, the {gift}! You're too kind 💛",
          "Wow, thank you {name}!")
# fmt: on


# --- the plan (reads only) -------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    user_id: int
    username: str
    niche: str  # the main niche's slug ("" without one)


@dataclass(frozen=True)
class CatalogGift:
    slug: str
    name: str
    coins: int


@dataclass(frozen=True)
class GiftPlan:
    sender_id: int
    gift: CatalogGift
    quantity: int
    at: datetime

    @property
    def coins(self) -> int:
        return self.gift.coins * self.quantity


@dataclass(frozen=True)
class ChatPlan:
    user_id: int
    text: str
    at: datetime


@dataclass(frozen=True)
class SessionPlan:
    host: Host
    title: str
    start: datetime
    end: datetime
    scheduled: datetime  # when the room was created
    gifts: tuple[GiftPlan, ...]
    chat: tuple[ChatPlan, ...]
    viewers: int  # unique viewers beyond the gifters and chatters
    # A recorded broadcast (live.demo_replays): the hearts' running totals
    # over time, ``(offset_ms, total)``.
    hearts: tuple[tuple[int, int], ...] = ()
    recorded: bool = False

    @property
    def coins(self) -> int:
        return sum(g.coins for g in self.gifts)


@dataclass
class LivePlan:
    hosts: list[Host]  # the hosts to seed
    invite: list[int] = field(default_factory=list)  # their user ids still to invite
    sessions: list[SessionPlan] = field(default_factory=list)  # oldest first
    # member id -> (coins of each pack, in order; when the first is bought)
    recharges: dict[int, tuple[tuple[int, ...], datetime]] = field(default_factory=dict)


def _rng(*parts: object) -> random.Random:
    """A random stream of its own for one part of the plan."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - demo data, not secrets


def packs_for(coins: int) -> tuple[int, ...]:
    """The packs a member buys to have at least ``coins``: the smallest pack
    that covers what is still missing, else the biggest, again."""
    bought: list[int] = []
    missing = coins
    while missing > 0:
        pack = next((p for p in PACKS if p >= missing), PACKS[-1])
        bought.append(pack)
        missing -= pack
    return tuple(bought)


def _weights(catalog: Sequence[CatalogGift], kind: str) -> list[float]:
    """How much a gifter of ``kind`` likes each gift, cheapest first: casual
    gifters the cheap end, whales the expensive one, regulars the middle."""
    top = max(len(catalog) - 1, 1)
    weights = []
    for rank in range(len(catalog)):
        x = rank / top if len(catalog) > 1 else 0.5
        if kind == "whale":
            weights.append(0.3 + x**1.5)
        elif kind == "regular":
            weights.append(max(0.03, 1 - abs(x - 0.3) * 2))
        else:
            weights.append(0.02 + (1 - x) ** 3)
    return weights


def _quantity(gift: CatalogGift, kind: str, rng: random.Random) -> int:
    if gift.coins <= 10:
        return rng.choice(QUANTITIES[kind])
    if gift.coins <= 60:
        return rng.choice((1, 1, 1, 2, 3))
    return 2 if kind == "whale" and rng.random() < 0.15 else 1


def _titles(host: Host, count: int, rng: random.Random) -> list[str]:
    own = list(TITLES.get(host.niche, ()))
    rng.shuffle(own)
    extra = [t for t in GENERIC_TITLES if t not in own]
    rng.shuffle(extra)
    return (own + extra)[:count]


def build_plan(
    *,
    seed: int,
    hosts: Sequence[Host],
    followers: dict[int, list[int]],
    fallback: Sequence[int],
    catalog: Sequence[CatalogGift],
    names: dict[int, str],
    now: datetime,
    least_per_host: int,
    recorded_hosts: int = 0,
) -> list[SessionPlan]:
    """The sessions of ``hosts`` (no database access), oldest first: each
    host's regulars come from their ``followers`` (padded from ``fallback``
    when they have few), and their sessions together bring at least
    ``least_per_host`` coins. ``names`` are the members' shown names (the
    host's thanks). The first ``recorded_hosts`` hosts also get a short
    recorded broadcast (:func:`clip_session`)."""
    catalog = sorted(catalog, key=lambda g: (g.coins, g.slug))
    today = now.astimezone(UTC).date()
    sessions: list[SessionPlan] = []
    recorded = 0
    for host in hosts:
        rng = _rng(seed, host.username, "sessions")
        crowd = [m for m in followers.get(host.user_id, []) if m != host.user_id]
        crowd = rng.sample(crowd, k=min(len(crowd), rng.randint(*REGULARS)))
        if len(crowd) < REGULARS[0]:
            spare = [m for m in fallback if m != host.user_id and m not in crowd]
            crowd += rng.sample(spare, k=min(len(spare), REGULARS[0] - len(crowd)))
        if not crowd:
            continue
        # One or two whales, then about 40% regulars; the rest send now and then.
        whales = 1 if len(crowd) < 10 else 2
        regulars = whales + len(crowd) * 0.4
        kinds = {
            member: CLASSES[0 if i < whales else 1 if i < regulars else 2]
            for i, member in enumerate(crowd)
        }
        count = rng.randint(*SESSIONS_PER_HOST)
        days = sorted(rng.sample(range(1, SESSION_DAYS + 1), k=count), reverse=True)
        low, high = SESSION_COINS
        budgets = [int(math.exp(rng.uniform(math.log(low), math.log(high)))) for _ in days]
        if sum(budgets) < least_per_host:
            budgets[-1] += least_per_host - sum(budgets)
        for title, day, budget in zip(_titles(host, count, rng), days, budgets, strict=True):
            start = datetime.combine(
                today - timedelta(days=day),
                dt_time(rng.randint(*START_HOURS), rng.randint(0, 59)),
                tzinfo=UTC,
            )
            duration = timedelta(minutes=rng.randint(*DURATION_MINUTES))
            sessions.append(
                _session(host, title, start, duration, budget, kinds, catalog, names, rng)
            )
        if recorded < recorded_hosts:
            # Its own random stream: the evening sessions stay as they were.
            latest = today - timedelta(days=days[-1])
            clip_rng = _rng(seed, host.username, "recorded")
            title = CLIP_TITLES[recorded % len(CLIP_TITLES)]  # one each: side by side in a list
            sessions.append(clip_session(host, title, latest, kinds, catalog, names, clip_rng))
            recorded += 1
    sessions.sort(key=lambda s: (s.start, s.host.user_id))
    return sessions


def _session(
    host: Host,
    title: str,
    start: datetime,
    duration: timedelta,
    budget: int,
    kinds: dict[int, str],
    catalog: Sequence[CatalogGift],
    names: dict[int, str],
    rng: random.Random,
) -> SessionPlan:
    """One session: who came, what they sent and said, and when."""
    here = [m for m, kind in kinds.items() if rng.random() < ATTENDS[kind]] or [next(iter(kinds))]
    weights = [SEND_WEIGHT[kinds[m]] for m in here]
    liked = {kind: _weights(catalog, kind) for kind in CLASSES}
    seconds = duration.total_seconds()
    planned: list[tuple[float, int, CatalogGift, int]] = []
    total = 0
    while total < budget and len(planned) < MAX_GIFTS:
        sender = rng.choices(here, weights)[0]
        kind = kinds[sender]
        gift = rng.choices(catalog, liked[kind])[0]
        quantity = _quantity(gift, kind, rng)
        # Gifts come once the room has warmed up, more towards the end.
        offset = 60 + (seconds - 120) * rng.random() ** 0.7
        planned.append((offset, sender, gift, quantity))
        total += gift.coins * quantity
    planned.sort(key=lambda p: p[0])
    sent = tuple(
        GiftPlan(sender_id=s, gift=g, quantity=q, at=start + timedelta(seconds=o))
        for o, s, g, q in planned
    )
    chat = [
        ChatPlan(
            user_id=rng.choice(here),
            text=rng.choice(VIEWER_CHAT).format(city=rng.choice(CITIES)),
            at=start + timedelta(seconds=30 + (seconds - 60) * rng.random()),
        )
        for _ in range(rng.randint(*CHAT_LINES))
    ]
    big = sorted((g for g in sent if g.gift.coins >= 50), key=lambda g: -g.coins)[:THANKED]
    chat += [
        ChatPlan(
            user_id=host.user_id,
            text=rng.choice(THANKS).format(name=names.get(g.sender_id, "friend"), gift=g.gift.name),
            at=min(g.at + timedelta(seconds=rng.randint(5, 40)), start + duration),
        )
        for g in big
    ]
    chat.sort(key=lambda c: c.at)
    return SessionPlan(
        host=host,
        title=title,
        start=start,
        end=start + duration,
        scheduled=start - timedelta(minutes=rng.randint(60, 2 * 24 * 60)),
        gifts=sent,
        chat=tuple(chat),
        viewers=int(len(here) * rng.uniform(3, 9)) + rng.randint(3, 20),
    )


def clip_session(
    host: Host,
    title: str,
    day: date,
    kinds: dict[int, str],
    catalog: Sequence[CatalogGift],
    names: dict[int, str],
    rng: random.Random,
) -> SessionPlan:
    """A short recorded broadcast on ``day``'s afternoon (before the host's
    evening live) that lasts the demo's clip (``live.demo_replays``): chat,
    a couple of gifts and hearts inside the video (from
    ``VIDEO_START_MS`` to its end, a second off each edge), from the host's
    crowd ``kinds``."""
    start = datetime.combine(day, dt_time(rng.randint(*CLIP_HOURS), rng.randint(0, 59)), tzinfo=UTC)
    video_ms = demo_replays.CLIP_SECONDS * 1000
    video_start = demo_replays.VIDEO_START_MS
    end = start + timedelta(milliseconds=video_start + video_ms + demo_replays.SESSION_TAIL_MS)
    first, last = video_start + 1_000, video_start + video_ms - 1_000

    def moment(low: int = first, high: int = last) -> datetime:
        return start + timedelta(milliseconds=rng.randint(low, high))

    crowd = sorted(kinds)
    # Gifts of the catalog's lower half: a quick hello is not a whale's show.
    affordable = sorted(catalog, key=lambda g: (g.coins, g.slug))[: max(1, len(catalog) // 2)]
    gifts = sorted(
        (
            GiftPlan(
                sender_id=sender,
                gift=gift,
                quantity=_quantity(gift, kinds[sender], rng),
                at=moment(first, last - 10_000),
            )
            for sender, gift in (
                (rng.choice(crowd), rng.choice(affordable)) for _ in range(rng.randint(*CLIP_GIFTS))
            )
        ),
        key=lambda g: g.at,
    )
    chat: list[ChatPlan] = [
        ChatPlan(
            user_id=rng.choice(crowd),
            text=rng.choice(CLIP_CHAT_LINES).format(city=rng.choice(CITIES)),
            at=moment(),
        )
        for _ in range(rng.randint(*CLIP_CHAT))
    ]
    chat += [
        ChatPlan(
            user_id=host.user_id,
            text=rng.choice(THANKS).format(name=names.get(g.sender_id, "friend"), gift=g.gift.name),
            at=g.at + timedelta(seconds=rng.randint(3, 8)),
        )
        for g in gifts
    ]
    chat.sort(key=lambda c: c.at)
    hearts: list[tuple[int, int]] = []
    total = 0
    for second in range(first // 1000, last // 1000 + 1):
        if rng.random() < HEART_SECONDS:
            total += rng.randint(1, 12)
            hearts.append((second * 1000, total))
    return SessionPlan(
        host=host,
        title=title,
        start=start,
        end=end,
        scheduled=start - timedelta(minutes=rng.randint(5, 30)),
        gifts=tuple(gifts),
        chat=tuple(chat),
        viewers=len(crowd) + rng.randint(5, 25),
        hearts=tuple(hearts),
        recorded=True,
    )


def plan_recharges(
    sessions: Sequence[SessionPlan], seed: int
) -> dict[int, tuple[tuple[int, ...], datetime]]:
    """``{member id: (packs, when the first is bought)}``: enough coins for
    every gift planned, bought a little before the member's first gift."""
    need: Counter[int] = Counter()
    first: dict[int, datetime] = {}
    for session in sessions:
        for gift in session.gifts:
            need[gift.sender_id] += gift.coins
            first.setdefault(gift.sender_id, gift.at)
    plan = {}
    for member, coins in need.items():
        rng = _rng(seed, member, "recharge")
        packs = packs_for(coins)
        before = timedelta(minutes=rng.randint(20, 3 * 24 * 60) + 5 * len(packs))
        plan[member] = (packs, first[member] - before)
    return plan


# --- the hook -------------------------------------------------------------------------


def add_arguments(parser: CommandParser) -> None:
    """``seed_demo --live-hosts N``: how many hosts get past sessions."""
    parser.add_argument(
        "--live-hosts",
        type=count_option("--live-hosts", MAX_HOSTS),
        default=DEFAULT_HOSTS,
        help=f"hosts with past live sessions, gifts and earnings, 0 to {MAX_HOSTS}: the pool's "
        f"hosts, then the best of its screening, invited (default {DEFAULT_HOSTS})",
    )


def seed_demo(*, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None:
    """Give the creator pool's hosts past sessions with gifts (see the module
    docstring): idempotent; with ``options["dry_run"]`` it only says what it
    would add."""
    count: int = options.get("live_hosts", DEFAULT_HOSTS)
    verbose = options.get("verbosity", 1) >= 1
    out = command.stdout
    if count == 0:
        if verbose:
            out.write("Live rooms: --live-hosts 0, nothing to add.")
        return
    if not isinstance(providers.default_provider(), SandboxProvider) or not str(
        getattr(settings, "SPROUT_WALLET_SANDBOX_SECRET", "") or ""
    ):
        out.write(
            "Live rooms: skipped; demo gifts are paid for through the sandbox payment provider "
            "(SPROUT_WALLET_PAYMENT_PROVIDER and SPROUT_WALLET_SANDBOX_SECRET), which is off."
        )
        return
    catalog = [CatalogGift(g.slug, g.name, g.coins) for g in wallet_selectors.gift_catalog()]
    if not catalog:
        out.write("Live rooms: skipped; the gift catalog has no gift on sale.")
        return
    seeder = _LiveSeeder(command, seed=rng.getrandbits(64), verbose=verbose)
    # A replay needs video, made with ffmpeg.
    missing = demo_replays.tools_missing()
    plan = seeder.plan(count, catalog, recorded_hosts=0 if missing else demo_replays.REPLAY_HOSTS)
    if missing and plan.sessions:
        seeder.say(f"Replays: skipped; {missing}.")
    if options.get("dry_run"):
        seeder.dry_run(plan, count)
    elif not plan.sessions:
        if verbose:
            out.write(f"Live rooms: {seeder.nothing_to_add(plan, count)}")
    else:
        seeder.run(plan)


# --- writing it ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Broadcast:
    """A planned session as the services made it, with its gifts' ledger
    entries (in the plan's order) and its chat."""

    plan: SessionPlan
    room: Room
    session: LiveSession
    entries: list[int]
    chat: list[ChatMessage]


class _LiveSeeder:
    """One run of the hook."""

    def __init__(self, command: BaseCommand, *, seed: int, verbose: bool) -> None:
        self.command, self.seed, self.verbose = command, seed, verbose
        self.now = timezone.now()
        self.done_hosts: list[str] = []  # hosts who have rooms already
        self.payments: dict[int, datetime] = {}  # payment id -> when it was bought
        self.clip_seconds = 0.0

    def say(self, message: str) -> None:
        if self.verbose:
            self.command.stdout.write(message)

    # --- choosing and planning -------------------------------------------------------

    def _hosts(self, count: int) -> tuple[list[CreatorProfile], list[CreatorProfile]]:
        """``(hosts to seed, of them those to invite first)``: hosts with
        rooms count first (and are left alone), then hosts without, then the
        best of the screening who were never invited."""
        permission = kol_selectors.host_permission()
        pool = CreatorProfile.objects.filter(user__is_active=True, user__is_staff=False)
        ranked = (F("score").desc(nulls_last=True), "pk")
        hosting = list(
            pool.filter(
                Q(user__user_permissions=permission) | Q(user__groups__permissions=permission)
            )
            .distinct()
            .select_related("user")
            .order_by(*ranked)
        )
        with_rooms = set(
            Room.objects.filter(host_id__in=[p.user_id for p in hosting]).values_list(
                "host_id", flat=True
            )
        )
        done = [p for p in hosting if p.user_id in with_rooms][:count]
        self.done_hosts = [p.user.username for p in done]
        fresh = [p for p in hosting if p.user_id not in with_rooms][: count - len(done)]
        wanted = count - len(done) - len(fresh)
        if wanted <= 0:
            return fresh, []
        candidates = list(
            pool.filter(score__isnull=False)
            .exclude(pk__in=[p.pk for p in hosting])
            .exclude(user__host_invitations__isnull=False)
            .select_related("user")
            .order_by(*ranked)[: wanted + 50]
        )
        invite = candidates[:wanted]
        rostered = set(
            AgencyMembership.objects.filter(
                creator__in=[*done, *fresh, *candidates], ended_at__isnull=True
            ).values_list("creator_id", flat=True)
        )
        # Payouts show the agency's share when one host is on a roster.
        if invite and not rostered & {p.pk for p in (*done, *fresh, *invite)}:
            best = next((p for p in candidates[wanted:] if p.pk in rostered), None)
            if best is not None:
                invite[-1] = best
        return fresh + invite, invite

    def plan(
        self, count: int, catalog: Sequence[CatalogGift], *, recorded_hosts: int = 0
    ) -> LivePlan:
        profiles, invite = self._hosts(count)
        if not profiles:
            return LivePlan(hosts=[])
        main_niche: dict[int, str] = {}
        for profile_id, slug in (
            CreatorProfile.niches.through.objects.filter(
                creatorprofile_id__in=[p.pk for p in profiles]
            )
            .order_by("pk")
            .values_list("creatorprofile_id", "niche__slug")
        ):
            main_niche.setdefault(profile_id, slug)
        hosts = [Host(p.user_id, p.user.username, main_niche.get(p.pk, "")) for p in profiles]
        host_ids = {h.user_id for h in hosts}
        # Members who joined before any of it: nobody pays before signing up.
        members = User.objects.filter(
            is_active=True,
            is_staff=False,
            date_joined__lt=self.now - timedelta(days=SESSION_DAYS + JOINED_BEFORE_DAYS),
        ).exclude(pk__in=host_ids)
        followers: dict[int, list[int]] = defaultdict(list)
        for followee, follower in (
            Follow.objects.filter(followee_id__in=host_ids, follower__in=members)
            .order_by("followee_id", "follower_id")
            .values_list("followee_id", "follower_id")
        ):
            followers[followee].append(follower)
        fallback = list(
            members.exclude(creator__isnull=False).order_by("pk").values_list("pk", flat=True)[:200]
        )
        crowd = {m for ids in followers.values() for m in ids} | set(fallback)
        # The host thanks gifters by first name.
        names = {
            pk: (shown or username).split()[0]
            for pk, shown, username in User.objects.filter(pk__in=crowd).values_list(
                "pk", "display_name", "username"
            )
        }
        share = rules.platform_share_bps()
        least = math.ceil(
            wallet_selectors.payout_threshold() * rules.BPS / max(rules.BPS - share, 1) * 1.2
        )
        sessions = build_plan(
            seed=self.seed,
            hosts=hosts,
            followers=followers,
            fallback=fallback,
            catalog=catalog,
            names=names,
            now=self.now,
            least_per_host=min(least, 30_000),
            recorded_hosts=recorded_hosts,
        )
        return LivePlan(
            hosts=hosts,
            invite=[p.user_id for p in invite],
            sessions=sessions,
            recharges=plan_recharges(sessions, self.seed),
        )

    def nothing_to_add(self, plan: LivePlan, count: int) -> str:
        """Why a plan has no sessions."""
        if plan.hosts:
            return "no member could send gifts yet (hosts without followers), nothing to add."
        if self.done_hosts:
            return (
                f"{len(self.done_hosts)} of {count} hosts have rooms already "
                f"({', '.join(self.done_hosts[:5])}), nothing to add."
            )
        return "the creator pool has no host or screened creator yet, nothing to add."

    def dry_run(self, plan: LivePlan, count: int) -> None:
        out = self.command.stdout
        if not plan.sessions:
            out.write(
                f"Dry run (live rooms): {self.nothing_to_add(plan, count)} Nothing was written."
            )
            return
        packs = [p for packs, _ in plan.recharges.values() for p in packs]
        out.write(
            f"Dry run (live rooms): would invite {len(plan.invite)} hosts and add "
            f"{len(plan.sessions)} past sessions for {len(plan.hosts)} hosts with "
            f"{sum(len(s.gifts) for s in plan.sessions):,} gifts worth "
            f"{sum(s.coins for s in plan.sessions):,} coins from {len(plan.recharges)} members, "
            f"who would buy {sum(packs):,} coins in {len(packs)} recharges. Nothing was written."
        )

    # --- the run -----------------------------------------------------------------------

    def run(self, plan: LivePlan) -> None:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="sprout-demo-") as tmp:
            clip = self._clip(plan, Path(tmp))
            sent = self._write(plan)
            replays = self._replays(clip, Path(tmp), sent) if clip is not None else ""
        self._summary(plan, sent, time.monotonic() - started, replays)

    def _write(self, plan: LivePlan) -> list[_Broadcast]:
        users = User.objects.in_bulk({h.user_id for h in plan.hosts} | set(plan.recharges))
        # The services log every room going live and ending; eager Celery
        # (make run) still takes a producer of the in-memory broker for the
        # went-live task, and kombu warns about its missing hostname.
        quiet = {"sprout.live": logging.WARNING, "sprout.wallet": logging.WARNING}
        with _quiet_logs({**quiet, "kombu.connection": logging.ERROR}), transaction.atomic():
            self._invite(plan, users)
            self.payments = self._recharges(plan, users)
            sent: list[_Broadcast] = []
            progress = Progress(
                self.command.stderr, "Sessions", len(plan.sessions), enabled=self.verbose
            )
            for session in plan.sessions:
                sent.append(self._broadcast(session, users))
                progress.advance()
            progress.finish()
            entries = self._date(plan, sent, self.payments)
            # Days have passed: the minute's roll-up has folded the credits.
            touched: set[int] = set()
            for chunk in _chunks(entries):
                lines = Line.objects.filter(entry_id__in=chunk, rolled_up=False)
                touched.update(lines.values_list("account_id", flat=True))
            wallet_services.balances_roll_up(account_ids=touched)
            self._gift_income(plan)
            demo_replays.unrecorded_replays_remove(
                [done.session for done in sent if not done.plan.recorded]
            )
        return sent

    # --- the replays -------------------------------------------------------------------

    def _clip(self, plan: LivePlan, directory: Path) -> Path | None:
        """The recorded broadcasts' clip; None (and no recorded broadcast
        left in ``plan``) when there is none or ffmpeg could not make it."""
        if not any(s.recorded for s in plan.sessions):
            return None
        started = time.monotonic()
        try:
            clip = demo_replays.clip_make(directory)
        except MediaError as exc:
            self.command.stdout.write(f"Replays: skipped; the demo clip was not made: {exc}")
            plan.sessions = [s for s in plan.sessions if not s.recorded]
            plan.recharges = plan_recharges(plan.sessions, self.seed)
            return None
        self.clip_seconds = time.monotonic() - started
        return clip

    def _replays(self, clip: Path, directory: Path, sent: Sequence[_Broadcast]) -> str:
        """The recorded broadcasts' replays, made after their sessions
        committed (as the Celery task makes them); returns what to say."""
        started = time.monotonic()
        recorded = [(done.session, done.plan) for done in sent if done.plan.recorded]
        with _quiet_logs({"sprout.live": logging.WARNING}):
            made = demo_replays.replays_make(
                clip=clip, directory=directory, broadcasts=recorded, seed=self.seed
            )
        for replay in made.failed:
            self.command.stdout.write(
                f"Replays: the replay of session {replay.session_id} failed: {replay.error}"
            )
        megabytes = sum(r.size_bytes for r in made.ready) / 1e6
        return (
            f"Replays: {len(made.ready)} short broadcasts of "
            f"{', '.join(sorted({r.session.room.host.username for r in made.ready}))} "
            f"made into replays ({megabytes:.1f} MB) in "
            f"{self.clip_seconds + time.monotonic() - started:.1f} s "
            f"(the clip {self.clip_seconds:.1f} s)."
        )

    def _invite(self, plan: LivePlan, users: dict[int, User]) -> None:
        """Invite the new hosts from the screening; they accept at once (and
        so may host: ``kol.host_live``)."""
        if not plan.invite:
            return
        inviter = User.objects.filter(username=MODERATOR_USERNAME).first()
        if inviter is not None and not kol_selectors.can_send_invitations(inviter):
            inviter = None
        profiles = CreatorProfile.objects.filter(user_id__in=plan.invite).prefetch_related("niches")
        for profile in profiles:
            user = users[profile.user_id]
            invitation, _ = kol_services.invitation_send(
                actor=inviter,
                user=user,
                message="Your audience keeps asking for more. Would you host a live room?",
                niche=next(iter(profile.niches.all()), None),
                score=profile.score,
                reasons=profile.score_reasons,
            )
            kol_services.invitation_accept(user=user, invitation=invitation)

    def _recharges(self, plan: LivePlan, users: dict[int, User]) -> dict[int, datetime]:
        """Every gifter buys their packs through the sandbox provider;
        returns ``{payment id: when it was bought}``."""
        bought: dict[int, datetime] = {}
        progress = Progress(
            self.command.stderr, "Wallets", len(plan.recharges), enabled=self.verbose
        )
        for member_id, (packs, first) in plan.recharges.items():
            for index, coins in enumerate(packs):
                answer = wallet_services.recharge_create(
                    user=users[member_id],
                    coins=coins,
                    idempotency_key=f"demo-recharge-{uuid.uuid4().hex}",
                )
                payment = answer["payment"]
                if payment["status"] != Payment.Status.SUCCEEDED:
                    raise RuntimeError(f"a demo recharge did not succeed: {payment}")
                bought[int(payment["id"])] = first + timedelta(minutes=5 * index)
            progress.advance()
        progress.finish()
        return bought

    def _broadcast(self, session: SessionPlan, users: dict[int, User]) -> _Broadcast:
        """One session as a host runs it: a room, live, the gifts sent in
        it (one batch, as the websocket path sends them), the chat, ended.
        Returns what it made, with the gifts' ledger entries."""
        host = users[session.host.user_id]
        room = services.room_create(host=host, title=session.title)
        live = services.session_start(room=room, client_addr=DEMO_ADDR)
        outcomes = gifts_send(
            [
                GiftRequest(
                    sender=users[gift.sender_id],
                    host=host,
                    gift_slug=gift.gift.slug,
                    quantity=gift.quantity,
                    idempotency_key=f"demo-gift-{live.pk}-{index}",
                    room_id=room.pk,
                    session_id=live.pk,
                )
                for index, gift in enumerate(session.gifts)
            ]
        )
        entries = []
        for outcome in outcomes:
            # Coins were bought for every planned gift: a refusal is a bug.
            send = outcome.unwrap().send
            assert send is not None
            entries.append(send.entry_id)
        chat = ChatMessage.objects.bulk_create(
            [
                ChatMessage(room=room, session=live, user_id=line.user_id, text=line.text)
                for line in session.chat
            ]
        )
        services.session_end(room=room, reason="demo")
        if session.hearts:
            demo_replays.hearts_marks_add(live, session)
        return _Broadcast(session, room, live, entries, chat)

    # --- into the past ---------------------------------------------------------------------

    def _date(
        self,
        plan: LivePlan,
        sent: Sequence[_Broadcast],
        payments: dict[int, datetime],
    ) -> list[int]:
        """Move what the services stamped "now" to when it happened; amounts,
        balances and links stay as the services wrote them. Returns the
        ledger entries written."""
        moments: dict[int, datetime] = {}  # ledger entry id -> when
        messages: list[ChatMessage] = []
        for done in sent:
            session, room, live, entries, chat = (
                done.plan,
                done.room,
                done.session,
                done.entries,
                done.chat,
            )
            Room.objects.filter(pk=room.pk).update(
                created_at=session.scheduled,
                started_at=session.start,
                ended_at=session.end,
                last_seen_at=session.end,
            )
            LiveSession.objects.filter(pk=live.pk).update(
                started_at=session.start,
                ended_at=session.end,
                **self._traffic(session, chat_messages=len(chat)),
            )
            for message, line in zip(chat, session.chat, strict=True):
                message.created_at = line.at
            messages += chat
            moments.update(zip(entries, (gift.at for gift in session.gifts), strict=True))
        ChatMessage.objects.bulk_update(messages, ["created_at"], batch_size=500)
        rows = list(Payment.objects.filter(pk__in=list(payments)).values_list("pk", "entry_id"))
        money = dict(
            Entry.objects.filter(pk__in=[e for _, e in rows]).values_list("pk", "reference")
        )
        # The provider's callback comes a moment after the charge; it posts the entries.
        paid = {pk: at + timedelta(seconds=2) for pk, at in payments.items()}
        for payment_id, entry_id in rows:
            moments[entry_id] = paid[payment_id]
            moments[int(money[entry_id]["money_entry"])] = paid[payment_id]
        Payment.objects.bulk_update(
            [Payment(pk=pk, created_at=at, completed_at=paid[pk]) for pk, at in payments.items()],
            ["created_at", "completed_at"],
            batch_size=500,
        )
        Entry.objects.bulk_update(
            [Entry(pk=pk, created_at=at) for pk, at in moments.items()],
            ["created_at"],
            batch_size=500,
        )
        entry_time = Subquery(Entry.objects.filter(pk=OuterRef("entry_id")).values("created_at"))
        for chunk in _chunks(list(moments)):
            for model in (Line, IdempotencyRecord, GiftSend):
                model.objects.filter(entry_id__in=chunk).update(created_at=entry_time)
        first_line = (
            Line.objects.filter(account_id=OuterRef("pk"))
            .order_by()
            .values("account_id")
            .annotate(first=Min("created_at"))
            .values("first")
        )
        Account.objects.filter(created_at__gte=self.now).update(
            created_at=Coalesce(Subquery(first_line), "created_at")
        )
        self._date_invitations(plan)
        return list(moments)

    def _traffic(self, session: SessionPlan, *, chat_messages: int) -> dict[str, int]:
        """The session's traffic: simulated around the gifters and chatters
        (the hot counters of a real audience), new followers counted from
        the follows as ``session_end`` counts them."""
        rng = _rng(self.seed, session.host.username, session.title, "traffic")
        present = {g.sender_id for g in session.gifts} | {
            c.user_id for c in session.chat if c.user_id != session.host.user_id
        }
        unique = len(present) + session.viewers
        seconds = (session.end - session.start).total_seconds()
        return {
            "unique_viewers": unique,
            "peak_viewers": max(len(present), round(unique * rng.uniform(0.3, 0.55))),
            "watch_seconds": int(unique * seconds * rng.uniform(0.15, 0.35)),
            # A recorded broadcast's hearts are those of its timeline.
            "hearts": session.hearts[-1][1] if session.hearts else unique * rng.randint(4, 30),
            "chat_messages": chat_messages,
            "dropped_connections": rng.randint(0, unique // 40),
            "new_followers": Follow.objects.filter(
                followee_id=session.host.user_id,
                created_at__gte=session.start,
                created_at__lte=session.end,
            ).count(),
        }

    def _date_invitations(self, plan: LivePlan) -> None:
        """A host accepted their invitation before their first session."""
        first: dict[int, datetime] = {}
        for session in plan.sessions:
            first.setdefault(session.host.user_id, session.start)
        days = int(settings.SPROUT_KOL_INVITATION_DAYS)
        for host_id, start in first.items():
            invitation = (
                Invitation.objects.filter(user_id=host_id, status=Invitation.Status.ACCEPTED)
                .order_by("-created_at", "-pk")
                .first()
            )
            answered = invitation and (invitation.responded_at or invitation.created_at)
            if invitation is None or not answered or answered < start - timedelta(hours=1):
                continue
            rng = _rng(self.seed, host_id, "invitation")
            sent = start - timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 12))
            Invitation.objects.filter(pk=invitation.pk).update(
                created_at=sent,
                responded_at=sent + timedelta(hours=rng.randint(2, 30)),
                expires_at=sent + timedelta(days=days),
            )

    def _gift_income(self, plan: LivePlan) -> None:
        """The hosts' daily stats of the session days get their gift income
        from the stat provider ``kol.services.stats`` uses (only that column: the
        rest of the history stays as the pool's demo wrote it)."""
        creators = list(
            CreatorProfile.objects.filter(user_id__in=[h.user_id for h in plan.hosts]).values_list(
                "pk", flat=True
            )
        )
        for day in sorted({s.start.date() for s in plan.sessions}):
            for creator_id, columns in gift_income(day, creators).items():
                CreatorDailyStat.objects.filter(creator_id=creator_id, date=day).update(
                    gift_income=columns["gift_income"]
                )

    # --- the end ---------------------------------------------------------------------------

    def _summary(
        self, plan: LivePlan, sent: Sequence[_Broadcast], elapsed: float, replays: str
    ) -> None:
        payments = self.payments
        usernames = dict(
            User.objects.filter(pk__in=set(plan.recharges)).values_list("pk", "username")
        )
        packs = [p for packs, _ in plan.recharges.values() for p in packs]
        self.say(
            f"Live rooms: {len(plan.hosts)} hosts ({len(plan.invite)} newly invited), "
            f"{len(sent)} past sessions, {sum(len(s.gifts) for s in plan.sessions):,} gifts worth "
            f"{sum(s.coins for s in plan.sessions):,} coins from {len(plan.recharges)} members "
            f"({len(payments)} recharges, {sum(packs):,} coins bought) in {elapsed:.1f} s."
        )
        best = max(plan.sessions, key=lambda s: (s.coins, s.start))
        given: Counter[int] = Counter()
        for gift in best.gifts:
            given[gift.sender_id] += gift.coins
        top, coins = given.most_common(1)[0]
        self.say(
            f"Biggest session: “{best.title}” by @{best.host.username}, {best.coins:,} coins "
            f"from {len(given)} members; top gifter @{usernames.get(top, top)} with {coins:,}."
        )
        if replays:
            self.say(replays)
        out = self.command.stdout
        out.write("")
        out.write(
            f"Live hosts ({DEMO_PASSWORD}; reports on /live/studio, earnings on /studio/): "
            + ", ".join(h.username for h in plan.hosts)
        )
        out.write(
            "Their payouts: manage.py run_payouts --dry-run; the books: manage.py reconcile_ledger"
        )


@contextmanager
def _quiet_logs(levels: dict[str, int]) -> Iterator[None]:
    """These loggers log only from these levels up meanwhile: routine lines
    would bury the progress bars."""
    loggers = {logging.getLogger(name): level for name, level in levels.items()}
    before = {log: log.level for log in loggers}
    for log, level in loggers.items():
        log.setLevel(max(log.getEffectiveLevel(), level))
    try:
        yield
    finally:
        for log, level in before.items():
            log.setLevel(level)


def _chunks[T](items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
