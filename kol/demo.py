"""Demo data of the creator pool: ``manage.py seed_demo`` grows one.

The community's ``seed_demo`` finds this module by name once its own data is
in (the community never imports ``kol``; the hook contract is in that
command's docstring): :func:`add_arguments` gives it ``--creators`` and
:func:`seed_demo` grows the pool. A default run adds to the 40-member
community:

- 300 creators across every niche and tier: the demo members with the most
  notes, and new ``creator_*`` members with one to three notes each (their
  photos are copies of a small painted pool: painting and rendering a photo
  per note would double the seed's time);
- ``fan_*`` accounts (bulk-created, one shared password hash) whose follows
  give the creators their audiences, dated over the creators' past: steady
  or accelerating growth, bursts after posting days, the odd viral day. The
  follower and following counters are then set from the rows;
- four agencies, each with a manager ``agency_<slug>`` (staff, "Agency
  managers" group), holding about a third of the creators at 10–40% shares,
  a few renegotiated so the share history shows;
- 60 days of daily stats per creator: today's computed by ``kol.services.stats`` from
  the rows, the 59 before written here. Their followers and new followers
  are exactly what the follows say; notes, likes, collects, comments and the
  engagement rate come from a simulation of each creator's posting rhythm
  (weekday pattern, the odd week off) and engagement level (1–12%,
  drifting), as the demo community only holds a month of real notes. Fans
  like the creators' real notes so that today's computed engagement carries
  on from the simulated days. (``manage.py recompute_stats`` over past days
  replaces the simulated columns with what the rows say.)
- a screening stored on the profiles, so ``manage.py screen_creators --top 5
  --dry-run`` ranks a real pool; pending applications from a few members;
  two invitations to the top of the ranking, one open and one accepted (that
  creator may host live rooms).

The pool's screening picks the hosts the live part then gives sessions, so
it runs before them; :func:`screen_demo` is the last part of the demo and
screens the pool again once every part is in (today's stats recomputed
first), so the studio's "latest screening" sees the hosts' past broadcasts
and the shop's sales like a screening run the next morning would.

Audiences are drawn inside the ranges of ``settings.SPROUT_KOL_TIERS``, or of
:data:`DEMO_TIERS` when those thresholds are beyond what :data:`FAN_CAP`
fans can reach (production's million-follower "mega"): then most demo
creators show as nano. ``config/settings/local.py`` sets the demo thresholds
for ``make run``.

Idempotent: the whole pool is written in one transaction; accounts are
found by username, notes by author and title, agencies by slug; a creator is
grown (follows, likes, roster, history) only while they have no daily
stats. A second run adds nothing.
"""

from __future__ import annotations

import math
import random
import string
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import (
    Count,
    FileField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from community import photos, ranking
from community import services as community_services
from community.demo_pictures import SUBJECTS
from community.management.commands.seed_demo import DEMO_PASSWORD, MODERATOR_USERNAME
from community.management.demo_content import CITIES, FIRST_NAMES, SURNAMES
from community.management.demo_content import NICHES as COMMUNITY_CONTENT
from community.management.demo_content import Niche as Content
from community.management.demo_plan import (
    AVATAR_SIZE,
    DEMO_EMAIL_DOMAIN,
    DemoPlan,
    build_plan,
    unique_title,
)
from community.models import Collect, Comment, Follow, Like, Note, Photo, User
from community.selectors import viewer_graph_forget
from core import images
from core.commands import count_option
from core.progress import Progress
from kol import selectors, services
from kol.models import (
    Agency,
    AgencyMembership,
    Application,
    CreatorDailyStat,
    CreatorProfile,
    Invitation,
    Niche,
    RevenueShareChange,
    Tier,
)

DEFAULT_CREATORS = 300
MAX_CREATORS = 2000
CREATOR_PREFIX = "creator_"
FAN_PREFIX = "fan_"
MANAGER_PREFIX = "agency_"
AGENCY_MANAGERS = "Agency managers"  # made by migration kol 0002
# Tier thresholds (followers) a demo pool can span; config/settings/local.py
# sets the same through SPROUT_KOL_TIER_* for `make run`.
DEMO_TIERS = {"micro": 25, "mid": 100, "macro": 400, "mega": 1200}
FAN_CAP = 3000  # most fan accounts, so most followers of one creator

HISTORY_DAYS = 60  # daily stats per creator, today's included
# Simulated days before today: the history, and a 30-day warm-up so the
# history's first engagement window is full.
SIMULATED_DAYS = HISTORY_DAYS - 1 + services.WINDOW_DAYS
# What the history rows hold, in order (kol.models.CreatorDailyStat).
HISTORY_COLUMNS = (
    "creator_id", "date", "followers", "new_followers", "notes_published", "likes_received",
    "collects_received", "comments_received", "engagement_rate", "live_seconds",
    "gift_income", "sales", "computed_at",
)  # fmt: skip
NOTE_DAYS = 25  # new creators' real notes: well inside the engagement window
DEMO_CREATOR_SHARE = 0.4  # of the demo members: those with the most notes
APPLICANTS = 3

TIERS = tuple(Tier.values)  # nano .. mega
TIER_WEIGHTS = (40, 33, 18, 7, 2)  # new creators
DEMO_TIER_WEIGHTS = (10, 30, 35, 18, 7)  # demo members: the community's creators
FIRST_TIERS = ("mega", "macro", "mid", "micro", "nano")  # the first new creators
VERIFIED_CHANCE = {"nano": 0.02, "micro": 0.05, "mid": 0.15, "macro": 0.35, "mega": 0.8}
# Small audiences engage more (per follower) than big ones.
TIER_ENGAGEMENT = {"nano": 1.25, "micro": 1.1, "mid": 1.0, "macro": 0.85, "mega": 0.7}
ENGAGEMENT_RANGE = (0.01, 0.12)
# A note's interactions over its first week, and what they are.
SPREAD = (0.45, 0.22, 0.12, 0.08, 0.05, 0.04, 0.04)
KINDS = (0.76, 0.16, 0.08)  # likes, collects, comments
BREAK_DAYS = 8
LIKE_DAYS = 5  # fans' likes come within days of a note, most in its first hours
DAY = 24 * 3600

AGENCY_SHARE = 1 / 3  # of the creators, on a roster
SHARE_CHANGE_CHANCE = 0.15
MIN_SHARE_BPS, MAX_SHARE_BPS = 1_000, 4_000

# Painted once per run and copied: (width, height) of the note photos, all
# wider than the feed's 540-px rendition.
PHOTO_SIZES: tuple[tuple[int, int], ...] = ((560, 746), (600, 600), (690, 518), (560, 996))
PHOTO_POOL = 20  # five pictures of each subject (community.demo_pictures)
AVATAR_POOL = 12


@dataclass(frozen=True)
class AgencyPlan:
    slug: str  # also the manager's username: agency_<slug>
    name: str
    contact_name: str
    share_bps: int  # its usual share; each deal varies around it
    weight: int  # how much of the rostered pool it represents


AGENCIES = (
    AgencyPlan("bloom", "Bloom Collective", "Ines Ortega", 2_000, 4),
    AgencyPlan("northlight", "Northlight Talent", "Kofi Asante", 3_000, 3),
    AgencyPlan("kettle", "Kettle & Co. Creators", "Hana Park", 1_500, 2),
    AgencyPlan("openstudio", "Open Studio Network", "Felix Meyer", 2_500, 2),
)

# fmt: off
# The demo community writes about eight themes; the pool's other niches get
# a few words of their own.
EXTRA_CONTENT: tuple[Content, ...] = (
    Content(
        name="parenting", bio="Parent of two, collector of rainy-day ideas", board="Family",
        topics=("parenting", "kidsactivities", "familylife", "momlife"),
        titles=("{activity} for a rainy afternoon", "What finally worked: {problem}",
                "Our {routine} routine, honestly", "Three ideas for {activity}"),
        openers=("Two kids, one small flat, and a long weekend indoors.",
                 "Nobody warned me about this part, so here is what helped us."),
        tips=("Set a timer and make it a game.", "Prepare the mess zone before you start.",
              "Let them choose between two options, not ten.",
              "Keep a box of surprises for the hard days.",
              "Five calm minutes beat an hour of arguing.", "Snacks first, then negotiations."),
        closers=("What works in your house?", "Send help (and more ideas)."),
        comments=(),
        slots={"activity": ("paper boats", "a kitchen science hour", "a blanket fort",
                            "salt dough ornaments"),
               "problem": ("bedtime battles", "picky eating", "screen time", "morning chaos"),
               "routine": ("bedtime", "morning", "Sunday", "after-school")},
    ),
    Content(
        name="pets", bio="Dog person, cat tolerated", board="Pet ideas",
        topics=("dogsofsprout", "catlife", "petcare", "adoptdontshop"),
        titles=("{pet} care I wish I knew sooner", "A day in the life of our {pet}",
                "Homemade {treat} our {pet} loves", "Adopting a {pet}: month one"),
        openers=("Six months with this little one and I'm still learning.",
                 "Our vet said this was the single best change we made."),
        tips=("Short walks, often, beat one long one.", "Rotate the toys every week.",
              "Freeze the treats for hot days.", "Brush a little every evening.",
              "Keep the bowl away from the door.", "Reward calm, not excitement."),
        closers=("Show me your pets below!", "Treat count today: too many."),
        comments=(),
        slots={"pet": ("rescue dog", "senior cat", "puppy", "kitten"),
               "treat": ("pumpkin biscuits", "frozen yoghurt drops", "oat cookies")},
    ),
    Content(
        name="tech", bio="Desk setups, useful apps, honest gadget notes", board="Desk ideas",
        topics=("desksetup", "productivity", "gadgets", "apps"),
        titles=("My {thing} after a year", "The {thing} setup that fixed my {problem}",
                "{count} apps I open every day", "Cheap upgrade: a better {thing}"),
        openers=("I work from home four days a week, so this desk matters.",
                 "Tried a lot of these so you don't have to."),
        tips=("Raise the screen to eye level.", "One cable tray hides everything.",
              "Warm light after sunset, your eyes will thank you.",
              "Turn off every badge you don't need.", "Batch your notifications twice a day.",
              "A good chair before a fancy keyboard."),
        closers=("What's on your desk?", "Setup tour next week."),
        comments=(),
        slots={"thing": ("standing desk", "mechanical keyboard", "monitor arm", "desk lamp"),
               "problem": ("back pain", "cable mess", "focus"), "count": ("5", "7", "10")},
    ),
    Content(
        name="books", bio="Always reading two books at once", board="To read",
        topics=("booktok", "reading", "studytips", "bookclub"),
        titles=("{count} books that stayed with me", "How I read {count} books a year",
                "Study with me: {method}", "Cosy reads for {season}"),
        openers=("My reading slump is officially over.",
                 "Exam season again, so here is my system."),
        tips=("Read twenty pages before your phone.", "Keep a book in every bag.",
              "Write one line about each chapter.", "Quit books you don't enjoy.",
              "Use the library's holds list.", "Review yesterday before starting today."),
        closers=("What are you reading now?", "Add yours to my list!"),
        comments=(),
        slots={"count": ("5", "10", "12", "30"),
               "method": ("the Pomodoro method", "active recall", "spaced repetition"),
               "season": ("autumn", "winter", "a long weekend")},
    ),
)
# fmt: on
CONTENT = {c.name: c for c in (*COMMUNITY_CONTENT, *EXTRA_CONTENT)}
# A pool niche (kol migration 0002) and the words its notes are written in.
CONTENT_FOR_NICHE = {
    "skincare": "skincare", "makeup": "skincare", "fashion": "style",
    "home-cooking": "food", "baking": "food", "coffee-tea": "coffee", "travel": "travel",
    "fitness": "fitness", "yoga-wellness": "fitness", "home-interior": "home",
    "plants-garden": "plants", "parenting": "parenting", "pets": "pets",
    "tech-gadgets": "tech", "books-study": "books",
}  # fmt: skip
# A demo member's interests (community demo content) as pool niches.
NICHES_FOR_CONTENT = {
    "food": ("home-cooking", "baking"), "skincare": ("skincare", "makeup"),
    "travel": ("travel",), "home": ("home-interior",), "fitness": ("fitness", "yoga-wellness"),
    "plants": ("plants-garden",), "coffee": ("coffee-tea",), "style": ("fashion",),
}  # fmt: skip
WEEKDAY_PATTERNS = (
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),  # any day
    (1.3, 1.3, 1.3, 1.3, 1.2, 0.4, 0.3),  # weekdays, before work
    (0.5, 0.5, 0.6, 0.7, 1.1, 1.9, 1.8),  # weekends
)
BIO_LINES = (
    "New post every week, questions welcome.",
    "Honest reviews, no sponsored fluff.",
    "Small habits, big difference.",
    "Sharing what actually works for me.",
    "Slow content for busy people.",
)


# --- the plan (no database) ------------------------------------------------------------


@dataclass(frozen=True)
class CreatorNote:
    title: str
    body: str
    photo: int  # index in the painted pool


@dataclass(frozen=True)
class CreatorPlan:
    username: str
    new_member: bool  # a new creator_* member, else an existing demo member
    display_name: str
    member_bio: str
    bio: str
    links: tuple[tuple[str, str], ...]  # (label, url)
    niches: tuple[str, ...]  # pool niche slugs, main one first
    followers: int  # the audience aimed at (a demo member's grows to fit their likes)
    growth: float  # share of the audience won in the last 60 days
    acceleration: float  # > 0: growth speeding up
    engagement: float  # today's engagement rate aimed at
    trend: float  # engagement 60 days ago was about (1 - trend) times today's
    posts_per_week: float
    weekdays: tuple[float, ...]  # posting weight of Monday .. Sunday
    break_at: int | None  # first simulated day of a week off
    verified: bool
    agency: str | None
    share_bps: int
    new_share_bps: int | None  # a renegotiated share
    notes: tuple[CreatorNote, ...]  # new members' real notes
    avatar: int
    joined_days_ago: int


@dataclass(frozen=True)
class PoolPlan:
    creators: tuple[CreatorPlan, ...]
    applicants: tuple[tuple[str, tuple[str, ...]], ...]  # (member, niche slugs)


def _rng(*parts: object) -> random.Random:
    """A random stream of its own for one part of the plan."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - demo data, not secrets


def audience_ranges(ladder: dict[str, int]) -> dict[str, tuple[int, int]]:
    """``{tier: (low, high)}`` follower ranges of each tier under thresholds
    ``ladder`` (``{"micro": 15, ...}``): from its threshold to the next one's;
    nano starts at half of micro, mega spans half again its threshold."""
    bounds = [max(1, ladder.get(t, 0)) for t in TIERS[1:]]
    ranges = {TIERS[0]: (max(1, bounds[0] // 2), max(2, bounds[0]))}
    for tier, low, high in zip(TIERS[1:], bounds, [*bounds[1:], 0], strict=True):
        ranges[tier] = (low, high if high > low else low + max(1, low // 2))
    return ranges


def demo_ladder() -> tuple[dict[str, int], bool]:
    """The tier thresholds audiences are drawn from: the configured ones, or
    :data:`DEMO_TIERS` when those need more fans than a demo makes. The flag
    says the configured ones were kept."""
    configured = dict(selectors.tier_thresholds())
    if audience_ranges(configured)["mega"][1] <= FAN_CAP:
        return configured, True
    return dict(DEMO_TIERS), False


def build_pool(
    *,
    seed: int,
    community: DemoPlan,
    count: int,
    niche_slugs: Sequence[str],
    ladder: dict[str, int],
) -> PoolPlan:
    """The creator pool for these arguments (no database access): the demo
    members with the most notes, then new members up to ``count``."""
    planned_notes = Counter(n.author for n in community.notes)
    candidates = sorted(
        (m for m in community.members if not m.is_moderator and planned_notes[m.username]),
        key=lambda m: (-planned_notes[m.username], -m.pull, m.username),
    )
    demo_count = min(len(candidates), round(len(community.members) * DEMO_CREATOR_SHARE), count)
    ranges = audience_ranges(ladder)
    taken = {n.title.casefold() for n in community.notes}
    creators = []
    for member in candidates[:demo_count]:
        interests = [s for c in member.niches for s in NICHES_FOR_CONTENT.get(c, ())]
        niches = tuple(s for s in dict.fromkeys(interests) if s in niche_slugs)[:3]
        creators.append(
            _creator(
                seed,
                username=member.username,
                new_member=False,
                niches=niches or (niche_slugs[0],),
                tier=_rng(seed, member.username, "tier").choices(TIERS, DEMO_TIER_WEIGHTS)[0],
                ranges=ranges,
                display_name=member.display_name,
                member_bio=member.bio,
                taken=taken,
            )
        )
    for index in range(count - demo_count):
        username = f"{CREATOR_PREFIX}{index + 1:03d}"
        rng = _rng(seed, username, "identity")
        main = rng.choice(niche_slugs)
        others = [s for s in niche_slugs if s != main]
        extra = rng.sample(others, k=min(len(others), rng.choices((0, 1, 2), (55, 35, 10))[0]))
        tier = FIRST_TIERS[index] if index < len(FIRST_TIERS) else None
        creators.append(
            _creator(
                seed,
                username=username,
                new_member=True,
                niches=(main, *extra),
                tier=tier or rng.choices(TIERS, TIER_WEIGHTS)[0],
                ranges=ranges,
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                taken=taken,
            )
        )
    chosen = {c.username for c in creators}
    outside = sorted(
        (m for m in community.members if not m.is_moderator and m.username not in chosen),
        key=lambda m: (-planned_notes[m.username], m.username),
    )
    applicants = []
    for member in outside[:APPLICANTS]:
        interests = [s for c in member.niches for s in NICHES_FOR_CONTENT.get(c, ())[:1]]
        niches = tuple(s for s in dict.fromkeys(interests) if s in niche_slugs)[:3]
        applicants.append((member.username, niches or (niche_slugs[0],)))
    return PoolPlan(creators=tuple(creators), applicants=tuple(applicants))


def _creator(
    seed: int,
    *,
    username: str,
    new_member: bool,
    niches: tuple[str, ...],
    tier: str,
    ranges: dict[str, tuple[int, int]],
    display_name: str,
    member_bio: str = "",
    taken: set[str],
) -> CreatorPlan:
    """One creator's plan; ``member_bio`` is a demo member's own (kept);
    new members' note titles avoid ``taken`` and join it."""
    rng = _rng(seed, username, "creator")
    low, high = ranges[tier]
    followers = min(FAN_CAP, int(math.exp(rng.uniform(math.log(low), math.log(high)))))
    low_e, high_e = ENGAGEMENT_RANGE
    engagement = math.exp(rng.uniform(math.log(0.012), math.log(0.1))) * TIER_ENGAGEMENT[tier]
    posts_per_week = math.exp(rng.uniform(math.log(0.7), math.log(6.0)))
    if rng.random() < 0.3:  # two or three favourite days
        favourites = set(rng.sample(range(7), k=rng.choice((2, 3))))
        weekdays = tuple(3.0 if d in favourites else 0.3 for d in range(7))
    else:
        weekdays = rng.choice(WEEKDAY_PATTERNS)
    content = _content(niches[0])
    city = rng.choice(CITIES)
    member_bio = member_bio or f"{content.bio}. Based in {city}."
    links: tuple[tuple[str, str], ...] = ()
    if rng.random() < 0.6:
        site = username.replace("_", "-")
        links = (("Blog", f"https://{site}.example.com"),)
        if rng.random() < 0.3:
            links += (("Shop", f"https://shop.example.com/{site}"),)
    agency, share, new_share = None, 0, None
    if rng.random() < AGENCY_SHARE:
        plan = rng.choices(AGENCIES, [a.weight for a in AGENCIES])[0]
        agency = plan.slug
        share = _clamp_share(plan.share_bps + rng.choice((-500, -250, 0, 0, 250, 500)))
        if rng.random() < SHARE_CHANGE_CHANCE:
            changed = _clamp_share(share + rng.choice((-750, -500, -250, 250, 500)))
            new_share = changed if changed != share else None
    notes: tuple[CreatorNote, ...] = ()
    if new_member:
        count = 1 + (posts_per_week >= 3) + (posts_per_week >= 5)
        notes = _notes(_rng(seed, username, "notes"), niches=niches, count=count, taken=taken)
    return CreatorPlan(
        username=username,
        new_member=new_member,
        display_name=display_name,
        member_bio=member_bio,
        bio=f"{member_bio} {rng.choice(BIO_LINES)}",
        links=links,
        niches=niches,
        followers=max(1, followers),
        growth=min(0.6, 0.03 + rng.betavariate(1.6, 9)),
        acceleration=rng.uniform(-0.6, 2.5),
        engagement=min(high_e, max(low_e, engagement)),
        trend=rng.uniform(-0.35, 0.35),
        posts_per_week=posts_per_week,
        weekdays=weekdays,
        break_at=rng.randrange(SIMULATED_DAYS - BREAK_DAYS) if rng.random() < 0.2 else None,
        verified=rng.random() < VERIFIED_CHANCE[tier],
        agency=agency,
        share_bps=share,
        new_share_bps=new_share,
        notes=notes,
        avatar=rng.randrange(AVATAR_POOL),
        joined_days_ago=rng.randint(120, 900),
    )


def _clamp_share(bps: int) -> int:
    return min(MAX_SHARE_BPS, max(MIN_SHARE_BPS, bps))


def _content(niche_slug: str) -> Content:
    return CONTENT.get(CONTENT_FOR_NICHE.get(niche_slug, ""), COMMUNITY_CONTENT[0])


class _Slots(dict[str, str]):
    """Fills each ``{slot}`` once per note, so a title and its body agree."""

    def __init__(self, rng: random.Random, content: Content) -> None:
        super().__init__()
        self.rng, self.content = rng, content

    def __missing__(self, key: str) -> str:
        value = self.rng.choice(self.content.slots[key])
        self[key] = value
        return value


def _fill(template: str, slots: _Slots) -> str:
    text = string.Formatter().vformat(template, (), slots)
    return text[:1].upper() + text[1:]


def pool_subject(index: int) -> str:
    """What the painted pool's picture ``index`` shows: the subjects in turn."""
    return SUBJECTS[index % len(SUBJECTS)]


def _pool_photo(rng: random.Random, subject: str) -> int:
    """A picture of the painted pool showing ``subject`` (any when the pool
    is too small to have one)."""
    matching = [k for k in range(PHOTO_POOL) if pool_subject(k) == subject]
    return rng.choice(matching) if matching else rng.randrange(PHOTO_POOL)


def _notes(
    rng: random.Random, *, niches: Sequence[str], count: int, taken: set[str]
) -> tuple[CreatorNote, ...]:
    """A new creator's notes; their titles join ``taken`` (no two notes of
    the site share one)."""
    notes: list[CreatorNote] = []
    for _ in range(count):
        content = _content(niches[0] if rng.random() < 0.7 else rng.choice(niches))
        slots = _Slots(rng, content)

        def compose(content: Content = content, slots: _Slots = slots) -> str:
            slots.clear()
            return _fill(rng.choice(content.titles), slots)

        title = unique_title(compose, taken)
        tips = rng.sample(content.tips, k=min(len(content.tips), 3))
        topics = rng.sample(content.topics, k=min(len(content.topics), 3))
        body = "\n".join(
            [
                _fill(rng.choice(content.openers), slots),
                "",
                *(f"{n}. {_fill(tip, slots)}" for n, tip in enumerate(tips, 1)),
                "",
                rng.choice(content.closers),
                "",
                " ".join(f"#{t}" for t in topics),
            ]
        )
        notes.append(CreatorNote(title=title, body=body, photo=_pool_photo(rng, content.picture)))
    return tuple(notes)


def posting(plan: CreatorPlan, days: Sequence[date], rng: random.Random) -> list[int]:
    """Notes per day over ``days``: the creator's weekly rate spread by their
    weekday pattern, with their week off."""
    mean = sum(plan.weekdays) / 7
    counts = []
    for index, day in enumerate(days):
        if plan.break_at is not None and plan.break_at <= index < plan.break_at + BREAK_DAYS:
            counts.append(0)
            continue
        rate = plan.posts_per_week / 7 * plan.weekdays[day.weekday()] / mean
        counts.append(int(rate) + (rng.random() < rate - int(rate)))
    return counts


def simulate(
    plan: CreatorPlan,
    *,
    followers: Sequence[int],
    posts: Sequence[int],
    rng: random.Random,
) -> list[dict[str, Any]]:
    """The content columns of each simulated day: every note earns about
    ``engagement × followers`` interactions over its first week (the level
    drifting by ``trend`` towards today's), and the engagement rate is taken
    like ``kol.services.stats`` takes it: interactions of the 30 days ending on the
    day, per follower, per note published in those days."""
    days = len(posts)
    received = [[0, 0, 0] for _ in range(days)]
    for index, count in enumerate(posts):
        level = plan.engagement * (1 - plan.trend * (days - index) / HISTORY_DAYS)
        for _ in range(count):
            total = max(0.0, level) * max(followers[index], 1) * rng.lognormvariate(0, 0.35)
            for offset, share in enumerate(SPREAD):
                if index + offset >= days:
                    break
                for kind, part in enumerate(KINDS):
                    amount = total * share * part
                    received[index + offset][kind] += int(amount) + (
                        rng.random() < amount - int(amount)
                    )
    window = services.WINDOW_DAYS
    rows = []
    interactions = notes = 0
    for index in range(days):
        interactions += sum(received[index])
        notes += posts[index]
        if index >= window:
            interactions -= sum(received[index - window])
            notes -= posts[index - window]
        likes, collects, comments = received[index]
        rows.append(
            {
                "notes_published": posts[index],
                "likes_received": likes,
                "collects_received": collects,
                "comments_received": comments,
                "engagement_rate": interactions / max(followers[index], 1) / max(notes, 1),
            }
        )
    return rows


# --- the hook -----------------------------------------------------------------------


def add_arguments(parser: CommandParser) -> None:
    """``seed_demo --creators N``: the size of the creator pool."""
    parser.add_argument(
        "--creators",
        type=count_option("--creators", MAX_CREATORS),
        default=DEFAULT_CREATORS,
        help=f"creators in the demo creator pool, 0 to {MAX_CREATORS}: demo members with the "
        f"most notes, then new {CREATOR_PREFIX}* members (default {DEFAULT_CREATORS})",
    )


def seed_demo(*, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None:
    """Grow the demo creator pool (see the module docstring): idempotent;
    with ``options["dry_run"]`` it only says what it would add."""
    count: int = options.get("creators", DEFAULT_CREATORS)
    verbose = options.get("verbosity", 1) >= 1
    if count == 0:
        if verbose:
            command.stdout.write("Creator pool: --creators 0, nothing to add.")
        return
    niche_slugs = list(
        Niche.objects.filter(is_active=True)
        .order_by("position", "slug")
        .values_list("slug", flat=True)
    )
    if not niche_slugs:
        raise CommandError("The creator pool has no active niches: run `manage.py migrate` first.")
    seed = rng.getrandbits(64)
    ladder, configured = demo_ladder()
    community = build_plan(seed=options["seed"], users=options["users"], notes=options["notes"])
    plan = build_pool(
        seed=seed, community=community, count=count, niche_slugs=niche_slugs, ladder=ladder
    )
    seeder = _PoolSeeder(command, plan, seed=seed, verbose=verbose)
    if not configured and verbose:
        command.stdout.write(
            "SPROUT_KOL_TIERS need more followers than a demo has fans: audiences follow "
            f"{DEMO_TIERS} instead, so most demo creators show as nano "
            "(config/settings/local.py sets these thresholds for `make run`)."
        )
    if options.get("dry_run"):
        seeder.dry_run()
    else:
        seeder.run()


def screen_demo(*, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None:
    """The demo's last part: recompute today's stats and screen the pool
    again now that the later parts (live sessions, gifts, sales) are in, so
    no stored screening predates the data it judges. Rewrites scores only
    (a second run changes nothing but the time of the screening); with
    ``options["dry_run"]`` it only says so."""
    verbose = options.get("verbosity", 1) >= 1
    if not CreatorProfile.objects.exists():
        return
    if options.get("dry_run"):
        command.stdout.write(
            "Dry run (screening): would recompute today's stats and screen the creator pool "
            "again after the other parts. Nothing was written."
        )
        return
    with transaction.atomic():
        services.stats_compute_day(day=selectors.stats_today())
        results = selectors.creator_ranking()
        services.screening_scores_store(results)
    if verbose:
        top = ", ".join(f"{r.creator.user.username} {r.score:.1f}" for r in results[:3])
        command.stdout.write(f"Screening after every part: {top}, ...")


# --- writing it --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Picture:
    """A painted photo, its renditions made once, copied for each use."""

    content: bytes
    format: str
    width: int
    height: int
    color: str
    renditions: tuple[tuple[str, dict[str, bytes]], ...]


def _picture(seed: int, size: tuple[int, int], subject: str) -> _Picture:
    painted = photos.generate_demo_photo(seed, *size, subject=subject)
    prepared = images.prepare_upload(ContentFile(painted, name="painted.jpg"))
    rendered = photos.make_renditions(prepared.content, widths=settings.SPROUT_PHOTO_WIDTHS)
    return _Picture(
        content=prepared.content,
        format=prepared.format,
        width=prepared.width,
        height=prepared.height,
        color=rendered.color,
        renditions=tuple((str(r.width), dict(r.files)) for r in rendered.renditions),
    )


def _avatar(seed: int) -> bytes:
    painted = photos.generate_demo_photo(seed, AVATAR_SIZE, AVATAR_SIZE, subject="abstract")
    return images.prepare_upload(ContentFile(painted, name="avatar.jpg")).content


class _PoolSeeder:
    """One run of the hook: writes the plan, skipping what exists."""

    def __init__(self, command: BaseCommand, plan: PoolPlan, *, seed: int, verbose: bool) -> None:
        self.command, self.plan, self.seed, self.verbose = command, plan, seed, verbose
        self.now = timezone.now()
        self.today = selectors.stats_today()
        # Oldest first, ending yesterday.
        self.days = [self.today - timedelta(days=n) for n in range(SIMULATED_DAYS, 0, -1)]
        self.users: dict[str, User] = {}
        self.posts: dict[str, list[int]] = {}
        self.created: Counter[str] = Counter()
        self._hash: Future[str] | None = None  # the demo password's, made once per run
        self._pictures: list[_Picture] = []
        self._avatars: list[bytes] = []

    def say(self, message: str) -> None:
        if self.verbose:
            self.command.stdout.write(message)

    # --- dry run ---------------------------------------------------------------------

    def dry_run(self) -> None:
        names = [c.username for c in self.plan.creators]
        creators = set(
            CreatorProfile.objects.filter(user__username__in=names).values_list(
                "user__username", flat=True
            )
        )
        members = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        todo = [c for c in self.plan.creators if c.username not in creators]
        new_members = [c for c in todo if c.new_member and c.username not in members]
        fans = min(FAN_CAP, max((c.followers for c in todo), default=0))
        fans -= User.objects.filter(username__startswith=FAN_PREFIX).count()
        agencies = (
            len(AGENCIES) - Agency.objects.filter(slug__in=[a.slug for a in AGENCIES]).count()
        )
        applicants = [name for name, _ in self.plan.applicants]
        applied = Application.objects.filter(applicant__username__in=applicants)
        applicants = sorted(
            set(applicants) - set(applied.values_list("applicant__username", flat=True))
        )
        self.command.stdout.write(
            f"Dry run (creator pool): would add {len(todo)} of {len(names)} creators "
            f"({len(new_members)} new members with {sum(len(c.notes) for c in new_members)} "
            f"notes), about {max(fans, 0):,} fans and {sum(c.followers for c in todo):,} "
            f"follows, {agencies} agencies with their managers, "
            f"{len(todo) * (HISTORY_DAYS - 1):,} days of stats and up to "
            f"{len(applicants)} applications, then compute today's stats and store a "
            "screening. Nothing was written."
        )

    # --- the run ---------------------------------------------------------------------

    def run(self) -> None:
        started = time.monotonic()
        group = Group.objects.filter(name=AGENCY_MANAGERS).first()
        if group is None:
            raise CommandError(
                f"The {AGENCY_MANAGERS} group is missing: run `manage.py migrate` first."
            )
        paint = self._painting_needed()
        with ThreadPoolExecutor(max_workers=2) as pool:
            # PBKDF2 and Pillow release the GIL: hash and paint side by side.
            self._hash = pool.submit(make_password, DEMO_PASSWORD)
            seeds = [self.seed % 1_000_003 * 100 + k for k in range(PHOTO_POOL + AVATAR_POOL)]
            # Avatars first: members need them; the photos are painted meanwhile.
            avatars = [pool.submit(_avatar, seed) for seed in seeds[PHOTO_POOL:] if paint]
            pictures = [
                pool.submit(_picture, seed, PHOTO_SIZES[k % len(PHOTO_SIZES)], pool_subject(k))
                for k, seed in enumerate(seeds[:PHOTO_POOL] if paint else [])
            ]
            with transaction.atomic():
                self._avatars = [future.result() for future in avatars]
                self._members()
                self._pictures = [future.result() for future in pictures]
                self._notes()
                fresh = self._profiles()
                managers = self._agencies(group)
                if fresh:
                    self._audiences(fresh)
                    self._rosters(fresh, managers)
                    self._history(fresh)
                today = services.stats_compute_day(day=self.today)
                results = selectors.creator_ranking()
                services.screening_scores_store(results)
                self._applications()
                self._invitations(results)
        self.say(
            f"Creator pool: {self.created['creators']} creators ({self.created['members']} new "
            f"members, {self.created['notes']} notes), {self.created['fans']:,} fans, "
            f"{self.created['follows']:,} follows, {self.created['likes']:,} fan likes, "
            f"{self.created['memberships']} on agency rosters, {self.created['stats']:,} days of "
            f"stats, {self.created['applications']} applications and "
            f"{self.created['invitations']} invitations in {time.monotonic() - started:.1f} s. "
            f"Today's stats: {today.summary()}."
        )
        self._credentials(managers, results)

    @property
    def _password(self) -> str:
        """The shared password hash of every account the pool adds."""
        if self._hash is None:
            raise RuntimeError("The password is hashed when run() starts.")
        return self._hash.result()

    def _painting_needed(self) -> bool:
        wanted = [c.username for c in self.plan.creators if c.new_member]
        if not wanted:
            return False
        return User.objects.filter(username__in=wanted).count() < len(wanted) or bool(
            self._missing_notes(wanted)
        )

    # --- accounts and notes ------------------------------------------------------------

    def _members(self) -> None:
        """New creators as members (bulk, avatars copied from the painted
        pool), and the demo members who join the pool."""
        names = [c.username for c in self.plan.creators]
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = [c for c in self.plan.creators if c.new_member and c.username not in self.users]
        avatar_field = User._meta.get_field("avatar")
        if not isinstance(avatar_field, FileField):
            raise TypeError("User.avatar is expected to be a file field.")
        rows = []
        for plan in missing:
            user = User(
                username=plan.username,
                email=f"{plan.username}@{DEMO_EMAIL_DOMAIN}",
                password=self._password,
                display_name=plan.display_name,
                bio=plan.member_bio,
                date_joined=self.now - timedelta(days=plan.joined_days_ago),
            )
            name = avatar_field.generate_filename(user, images.random_name("jpeg"))
            avatar = self._avatars[plan.avatar % len(self._avatars)]
            user.avatar.name = default_storage.save(name, ContentFile(avatar))
            rows.append(user)
        for user in User.objects.bulk_create(rows, batch_size=500):
            self.users[user.username] = user
        self.created["members"] = len(rows)

    def _missing_notes(self, usernames: Sequence[str]) -> list[tuple[CreatorPlan, CreatorNote]]:
        """New creators' planned notes not written yet (by author and title)."""
        wanted = set(usernames)
        existing = set(
            Note.objects.filter(author__username__in=usernames).values_list(
                "author__username", "title"
            )
        )
        return [
            (plan, note)
            for plan in self.plan.creators
            if plan.username in wanted
            for note in plan.notes
            if (plan.username, note.title) not in existing
        ]

    def _rhythm(self, plan: CreatorPlan) -> list[int]:
        """The creator's notes per simulated day (cached: notes, follows and
        history all follow it)."""
        if plan.username not in self.posts:
            self.posts[plan.username] = posting(
                plan, self.days, _rng(self.seed, plan.username, "rhythm")
            )
        return self.posts[plan.username]

    def _notes(self) -> None:
        """The new creators' notes, through the community's services, on the
        latest days their rhythm says they posted."""
        todo = self._missing_notes([c.username for c in self.plan.creators if c.new_member])
        by_creator: dict[str, list[CreatorNote]] = defaultdict(list)
        for plan, note in todo:
            by_creator[plan.username].append(note)
        plans = {c.username: c for c in self.plan.creators}
        progress = Progress(self.command.stderr, "Creators", len(by_creator), enabled=self.verbose)
        for username, notes in by_creator.items():
            plan = plans[username]
            moments = self._note_moments(plan)
            for note in notes:
                self._note(self.users[username], note, moments[plan.notes.index(note)])
            progress.advance()
        progress.finish()
        self.created["notes"] = len(todo)

    def _note_moments(self, plan: CreatorPlan) -> list[datetime]:
        """When each of a new creator's notes was published: the latest
        posting days of their rhythm in the last NOTE_DAYS days (marked as
        posting days if the rhythm had too few), newest note first."""
        rng = _rng(self.seed, plan.username, "note-times")
        posts = self._rhythm(plan)
        recent = range(len(self.days) - NOTE_DAYS, len(self.days))
        days = [i for i in reversed(recent) if posts[i]][: len(plan.notes)]
        spare = [i for i in recent if i not in days]
        days += rng.sample(spare, k=len(plan.notes) - len(days))
        moments = []
        for index in days:
            posts[index] = max(posts[index], 1)
            moment = datetime.combine(self.days[index], dt_time(rng.randint(7, 21)), tzinfo=UTC)
            moments.append(moment + timedelta(minutes=rng.randint(0, 59)))
        return moments

    def _note(self, author: User, plan: CreatorNote, published: datetime) -> None:
        picture = self._pictures[plan.photo % len(self._pictures)]
        photo = Photo(owner=author, format=picture.format, color=picture.color)
        photo.original.save(
            images.random_name(picture.format), ContentFile(picture.content), save=False
        )
        # Assigning the file made Django re-measure it; the size is known.
        photo.width, photo.height = picture.width, picture.height
        stem = (photo.original.name or "").rsplit(".", 1)[0]
        photo.renditions = {
            width: {
                fmt: default_storage.save(
                    f"{stem}_{width}.{images.EXTENSIONS[fmt]}", ContentFile(data)
                )
                for fmt, data in files.items()
            }
            for width, files in picture.renditions
        }
        photo.save()
        note = community_services.note_create(
            author=author, title=plan.title, body=plan.body, photo_ids=[photo.pk]
        )
        Note.objects.filter(pk=note.pk).update(
            published_at=published,
            created_at=published,
            hot_score=ranking.hot_score(likes=0, collects=0, comments=0, published_at=published),
        )
        Photo.objects.filter(pk=photo.pk).update(created_at=published)

    def _profiles(self) -> list[tuple[CreatorPlan, CreatorProfile]]:
        """Profiles for the plan's members; returns the creators to grow:
        those without daily stats yet."""
        profiles = {
            p.user.username: p
            for p in CreatorProfile.objects.filter(
                user__username__in=list(self.users)
            ).select_related("user")
        }
        for plan in self.plan.creators:
            user = self.users.get(plan.username)
            if user is None or plan.username in profiles:
                continue  # a demo member the community seed did not make
            profiles[plan.username] = services.creator_profile_create(
                user=user,
                niche_slugs=plan.niches,
                bio=plan.bio,
                links=[{"label": label, "url": url} for label, url in plan.links],
                verified=plan.verified,
            )
            self.created["creators"] += 1
        grown = set(
            CreatorDailyStat.objects.filter(creator__in=[p.pk for p in profiles.values()])
            .values_list("creator_id", flat=True)
            .distinct()
        )
        fresh = [
            (plan, profiles[plan.username])
            for plan in self.plan.creators
            if plan.username in profiles and profiles[plan.username].pk not in grown
        ]
        # Nobody joins with sixty days of history: date the demo members'
        # accounts back (new members were made so) and the profiles.
        for plan, profile in fresh:
            joined = self.now - timedelta(days=plan.joined_days_ago)
            if not plan.new_member:
                User.objects.filter(pk=profile.user_id, date_joined__gt=joined).update(
                    date_joined=joined
                )
            profile.joined_at = joined + (self.now - joined) / 3
        CreatorProfile.objects.bulk_update([p for _, p in fresh], ["joined_at"], batch_size=500)
        return fresh

    # --- audiences -----------------------------------------------------------------------

    def _audiences(self, fresh: list[tuple[CreatorPlan, CreatorProfile]]) -> None:
        """Fans, their follows and their likes on the creators' notes, then
        the counters from the rows."""
        user_ids = [p.user_id for _, p in fresh]
        window = datetime.combine(
            self.today - timedelta(days=services.WINDOW_DAYS - 1), dt_time.min, tzinfo=UTC
        )
        notes: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for note_id, author_id, published in Note.objects.filter(
            author_id__in=user_ids, status=Note.Status.PUBLISHED, published_at__gte=window
        ).values_list("pk", "author_id", "published_at"):
            if published is not None:
                notes[author_id].append((note_id, published))
        received = self._interactions(user_ids, window)
        followers = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "follower_count"))
        # Fans to add: to the planned audience, or further for a demo member
        # whose real likes would otherwise make an unbelievable engagement rate.
        adding = {}
        for plan, profile in fresh:
            per_note = plan.engagement * max(len(notes[profile.user_id]), 1)
            fitting = math.ceil(received[profile.user_id] / per_note)
            wanted = max(plan.followers, fitting) - followers[profile.user_id]
            adding[profile.pk] = min(FAN_CAP, max(0, wanted))
        fan_ids = self._fans(max(adding.values(), default=0))
        follows: list[tuple[int, int, datetime]] = []
        fans_of: dict[int, list[int]] = {}
        for plan, profile in fresh:
            rng = _rng(self.seed, plan.username, "follows")
            chosen = rng.sample(fan_ids, k=adding[profile.pk])
            fans_of[profile.user_id] = chosen
            moments = self._follow_moments(plan, len(chosen), rng)
            follows += [(f, profile.user_id, m) for f, m in zip(chosen, moments, strict=True)]
        self.created["follows"] = _insert(
            Follow, ("follower_id", "followee_id", "created_at"), follows
        )
        # The fans' cached graphs (whom they follow) are stale now.
        viewer_graph_forget(*(User(pk=pk) for pk in {f for f, _, _ in follows}))
        self._recount_follows(user_ids)
        self._fan_likes(fresh, notes, received, fans_of)

    def _interactions(self, user_ids: list[int], since: datetime) -> Counter[int]:
        """Likes, collects and visible comments received since ``since``,
        per author (what kol.services.stats counts in the engagement window)."""
        received: Counter[int] = Counter()
        for model, extra in (
            (Like, Q()),
            (Collect, Q()),
            (Comment, Q(status=Comment.Status.VISIBLE)),
        ):
            rows = (
                model.objects.filter(extra, note__author_id__in=user_ids, created_at__gte=since)
                .values_list("note__author_id")
                .annotate(n=Count("pk"))
            )
            received.update(dict(rows))
        return received

    def _fans(self, needed: int) -> list[int]:
        """Ids of ``fan_00001`` .. as many as needed (made in bulk, one
        shared password hash), oldest first."""
        names = [f"{FAN_PREFIX}{n:05d}" for n in range(1, needed + 1)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        rng = _rng(self.seed, "fans")
        rows = [
            User(
                username=name,
                email=f"{name}@{DEMO_EMAIL_DOMAIN}",
                password=self._password,
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)[0]}.",
                date_joined=self.now - timedelta(days=rng.randint(930, 1400)),
            )
            for name in names
            if name not in existing
        ]
        User.objects.bulk_create(rows, batch_size=500)
        self.created["fans"] = len(rows)
        ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        return [ids[name] for name in names]

    def _follow_moments(self, plan: CreatorPlan, count: int, rng: random.Random) -> list[datetime]:
        """When ``count`` follows happened: ``growth`` of them over the last
        60 days (weighted towards posting days, speeding up or slowing down,
        sometimes a viral day), the rest before, since the account opened.
        Never in the future."""
        posts = [*self._rhythm(plan), 0]  # ... yesterday, today
        recent = HISTORY_DAYS
        weights = []
        for j in range(recent):
            index = len(posts) - recent + j
            burst = 1 + 1.2 * posts[index] + 0.6 * posts[index - 1]
            weights.append(max(0.1, 1 + plan.acceleration * j / (recent - 1)) * burst)
        if rng.random() < 0.12:
            weights[rng.randrange(recent)] += sum(weights) * 0.25
        gained = round(plan.growth * count)
        start = datetime.combine(self.today, dt_time.min, tzinfo=UTC)
        latest = self.now - timedelta(minutes=1)
        moments = [
            min(latest, start - timedelta(days=recent - 1 - j, seconds=-rng.uniform(0, DAY)))
            for j in rng.choices(range(recent), weights, k=gained)
        ]
        oldest = max(recent + 7, plan.joined_days_ago)
        moments += [
            self.now - timedelta(days=rng.uniform(recent, oldest)) for _ in range(count - gained)
        ]
        rng.shuffle(moments)
        return moments

    def _recount_follows(self, creator_ids: list[int]) -> None:
        """Follower and following counters from the rows: one UPDATE for the
        fans and the grown creators."""

        def counted(field: str) -> Coalesce:
            rows = (
                Follow.objects.filter(**{field: OuterRef("pk")})
                .order_by()
                .values(field)
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows), Value(0))

        User.objects.filter(Q(username__startswith=FAN_PREFIX) | Q(pk__in=creator_ids)).update(
            follower_count=counted("followee"), following_count=counted("follower")
        )

    def _fan_likes(
        self,
        fresh: list[tuple[CreatorPlan, CreatorProfile]],
        notes: dict[int, list[tuple[int, datetime]]],
        received: Counter[int],
        fans_of: dict[int, list[int]],
    ) -> None:
        """Fans like the creators' notes of the engagement window until the
        rate kol.services.stats will compute today is the one planned; most likes come
        soon after a note is published."""
        followers = dict(
            User.objects.filter(pk__in=list(fans_of)).values_list("pk", "follower_count")
        )
        likes: list[tuple[int, int, datetime]] = []
        for plan, profile in fresh:
            own = notes[profile.user_id]
            fans = fans_of[profile.user_id]
            if not own or not fans:
                continue
            rng = _rng(self.seed, plan.username, "likes")
            per_note = max(followers[profile.user_id], 1) * len(own)
            # Rounded, but never above the range: one like is a lot for ten followers.
            wanted = min(round(plan.engagement * per_note), int(ENGAGEMENT_RANGE[1] * per_note))
            missing = wanted - received[profile.user_id]
            shares = [rng.uniform(0.5, 1.5) for _ in own]
            for (note_id, published), share in zip(own, shares, strict=True):
                count = min(len(fans), round(missing * share / sum(shares)))
                span = min(self.now - published, timedelta(days=LIKE_DAYS)).total_seconds()
                likes += [
                    (fan_id, note_id, published + timedelta(seconds=span * rng.random() ** 3))
                    for fan_id in rng.sample(fans, k=max(0, count))
                ]
        self.created["likes"] = _insert(Like, ("user_id", "note_id", "created_at"), likes)
        self._recount_likes([note_id for rows in notes.values() for note_id, _ in rows])

    def _recount_likes(self, note_ids: list[int]) -> None:
        """Like counters from the rows, and the discover score for them."""
        likes = (
            Like.objects.filter(note=OuterRef("pk"))
            .order_by()
            .values("note")
            .annotate(n=Count("pk"))
            .values("n")
        )
        for chunk in _chunks(note_ids):
            Note.objects.filter(pk__in=chunk).update(like_count=Coalesce(Subquery(likes), Value(0)))
        scored = list(Note.objects.filter(pk__in=note_ids))
        for note in scored:
            if note.published_at is not None:
                note.hot_score = ranking.hot_score(
                    likes=note.like_count,
                    collects=note.collect_count,
                    comments=note.comment_count,
                    published_at=note.published_at,
                )
        Note.objects.bulk_update(scored, ["hot_score"], batch_size=200)

    # --- agencies ----------------------------------------------------------------------------

    def _agencies(self, group: Group) -> dict[str, tuple[Agency, User]]:
        """The agencies and their manager accounts (staff, Agency managers)."""
        managers = {}
        for plan in AGENCIES:
            agency, _ = Agency.objects.get_or_create(
                slug=plan.slug,
                defaults={
                    "name": plan.name,
                    "contact_name": plan.contact_name,
                    "contact_email": f"partners@{plan.slug}.example.com",
                    "website": f"https://{plan.slug}.example.com",
                    "notes": f"Usual share {plan.share_bps / 100:.0f}%, reviewed every quarter.",
                },
            )
            username = f"{MANAGER_PREFIX}{plan.slug}"
            manager = User.objects.filter(username=username).first()
            if manager is None:
                manager = User.objects.create(
                    username=username,
                    email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                    password=self._password,
                    display_name=f"{plan.contact_name} ({plan.name})",
                    is_staff=True,
                )
                manager.groups.add(group)
            agency.managers.add(manager)
            managers[plan.slug] = (agency, manager)
        return managers

    def _rosters(
        self,
        fresh: list[tuple[CreatorPlan, CreatorProfile]],
        managers: dict[str, tuple[Agency, User]],
    ) -> None:
        """Rostered creators at their agreed share, some renegotiated; dated
        back so the history reads like one."""
        for plan, profile in fresh:
            if plan.agency is None or AgencyMembership.objects.filter(creator=profile).exists():
                continue
            agency, manager = managers[plan.agency]
            rng = _rng(self.seed, plan.username, "roster")
            started = self.now - timedelta(days=rng.randint(70, max(71, plan.joined_days_ago)))
            membership = services.agency_creator_add(
                actor=manager, agency=agency, creator=profile, share_bps=plan.share_bps
            )
            RevenueShareChange.objects.filter(membership=membership).update(changed_at=started)
            AgencyMembership.objects.filter(pk=membership.pk).update(started_at=started)
            if plan.new_share_bps is not None:
                services.agency_share_change(
                    actor=manager,
                    membership=membership,
                    share_bps=plan.new_share_bps,
                    reason="Renegotiated after the quarterly review.",
                )
                RevenueShareChange.objects.filter(
                    membership=membership, old_bps__isnull=False
                ).update(changed_at=self.now - timedelta(days=rng.randint(5, 50)))
            self.created["memberships"] += 1

    # --- history -------------------------------------------------------------------------------

    def _history(self, fresh: list[tuple[CreatorPlan, CreatorProfile]]) -> None:
        """The 59 days before today: followers from the follows, the rest
        simulated (see :func:`simulate`)."""
        user_ids = [p.user_id for _, p in fresh]
        start = datetime.combine(self.days[0], dt_time.min, tzinfo=UTC)
        totals = dict(
            Follow.objects.filter(followee_id__in=user_ids)
            .values_list("followee_id")
            .annotate(n=Count("pk"))
        )
        per_day: dict[int, Counter[date]] = defaultdict(Counter)
        for followee_id, day, n in (
            Follow.objects.filter(followee_id__in=user_ids, created_at__gte=start)
            .annotate(day=TruncDate("created_at", tzinfo=UTC))
            .values_list("followee_id", "day")
            .annotate(n=Count("pk"))
        ):
            per_day[followee_id][day] += n
        real_posts: dict[int, Counter[date]] = defaultdict(Counter)
        for author_id, published in Note.objects.filter(
            author_id__in=user_ids, status=Note.Status.PUBLISHED, published_at__gte=start
        ).values_list("author_id", "published_at"):
            if published is not None:
                real_posts[author_id][published.astimezone(UTC).date()] += 1
        rows: list[tuple[Any, ...]] = []
        first = len(self.days) - (HISTORY_DAYS - 1)
        progress = Progress(self.command.stderr, "History", len(fresh), enabled=self.verbose)
        for plan, profile in fresh:
            gained = per_day[profile.user_id]
            # Followers at the end of each day: today's total minus what came after.
            after = gained[self.today]
            followers = [0] * len(self.days)
            for index in range(len(self.days) - 1, -1, -1):
                followers[index] = totals.get(profile.user_id, 0) - after
                after += gained[self.days[index]]
            posts = [
                max(planned, real_posts[profile.user_id][day])
                for planned, day in zip(self._rhythm(plan), self.days, strict=True)
            ]
            simulated = simulate(
                plan,
                followers=followers,
                posts=posts,
                rng=_rng(self.seed, plan.username, "history"),
            )
            rows += [
                (
                    profile.pk,
                    self.days[index],
                    followers[index],
                    gained[self.days[index]],
                    *(simulated[index][column] for column in HISTORY_COLUMNS[4:9]),
                    0,  # live, gifts and sales: their apps fill them
                    0,
                    0,
                    self.now,
                )
                for index in range(first, len(self.days))
            ]
            progress.advance()
        progress.finish()
        self.created["stats"] = _insert(CreatorDailyStat, HISTORY_COLUMNS, rows)

    # --- applications and invitations ------------------------------------------------------

    def _applications(self) -> None:
        """Pending applications from a few members outside the pool."""
        names = [name for name, _ in self.plan.applicants]
        members = {u.username: u for u in User.objects.filter(username__in=names)}
        applied = set(
            Application.objects.filter(applicant__username__in=names).values_list(
                "applicant__username", flat=True
            )
        )
        in_pool = set(
            CreatorProfile.objects.filter(user__username__in=names).values_list(
                "user__username", flat=True
            )
        )
        slugs = dict(Niche.objects.values_list("slug", "name"))
        for index, (name, niches) in enumerate(self.plan.applicants):
            member = members.get(name)
            if member is None or name in applied or name in in_pool:
                continue
            topics = " and ".join(slugs.get(s, s).lower() for s in niches)
            application = services.application_submit(
                applicant=member,
                pitch=f"I post about {topics} most weeks and my notes get saved a lot. I would "
                "love to join the creator pool and try a live session with my followers.",
                niche_slugs=niches,
                links=[f"https://{name.replace('_', '-')}.example.com"],
            )
            Application.objects.filter(pk=application.pk).update(
                created_at=self.now - timedelta(days=index + 1, hours=3)
            )
            self.created["applications"] += 1

    def _invitations(self, results: Sequence[selectors.ScreeningResult]) -> None:
        """Invite the top of the screening to host: the first accepted (they
        may host live rooms), the second still open. Only on a pool that
        has no invitations yet."""
        users = [r.creator.user for r in results]
        if not users or Invitation.objects.filter(user__in=users).exists():
            return
        inviter = User.objects.filter(username=MODERATOR_USERNAME).first()
        if inviter is not None and not selectors.can_send_invitations(inviter):
            inviter = None
        for position, result in enumerate(results[:2]):
            invitation, _ = services.invitation_send(
                actor=inviter,
                user=result.creator.user,
                message="Your notes stood out in our screening of the creator pool. "
                "Would you host a live room for your followers?",
                niche=result.creator.niches.first(),
                score=result.score,
                reasons=result.reasons,
            )
            if position == 0:
                services.invitation_accept(user=result.creator.user, invitation=invitation)
            self.created["invitations"] += 1

    # --- the end ---------------------------------------------------------------------------------

    def _credentials(
        self,
        managers: dict[str, tuple[Agency, User]],
        results: Sequence[selectors.ScreeningResult],
    ) -> None:
        out = self.command.stdout
        out.write("")
        out.write("Creator pool accounts (agency managers also open /admin/):")
        for agency, manager in managers.values():
            out.write(f"  {manager.username:<18} {DEMO_PASSWORD:<14} staff, {agency.name}")
        new = [c.username for c in self.plan.creators if c.new_member]
        if new:
            example = f"creators ({len(new)}, e.g. {new[0]})"
            out.write(f"  {CREATOR_PREFIX}*{'':<9} {DEMO_PASSWORD:<14} {example}")
        fans = User.objects.filter(username__startswith=FAN_PREFIX).count()
        if fans:
            out.write(f"  {FAN_PREFIX}*{'':<13} {DEMO_PASSWORD:<14} followers ({fans:,})")
        if results:
            top = ", ".join(f"{r.creator.user.username} {r.score:.1f}" for r in results[:3])
            out.write(f"Screening: {top}, ... (manage.py screen_creators --top 5 --dry-run)")


def _chunks[T](items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert many rows, a few hundred per statement, skipping those a
    unique constraint already holds (``ON CONFLICT DO NOTHING``, SQLite and
    PostgreSQL alike); returns how many were inserted. Unlike bulk_create it
    writes ``created_at`` as given: ``auto_now_add`` would stamp every follow
    and like "now", and dating them back would take an UPDATE per moment."""
    fields = [model._meta.get_field(column) for column in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    inserted = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 - names from the models
                f"VALUES {', '.join([row] * len(chunk))} ON CONFLICT DO NOTHING",
                [
                    field.get_db_prep_save(value, connection)
                    for values in chunk
                    for field, value in zip(fields, values, strict=True)
                ],
            )
            inserted += max(cursor.rowcount, 0)
    return inserted
