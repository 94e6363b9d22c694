"""What ``manage.py seed_demo`` writes: the demo community as a plan.

The plan is a pure function of ``(seed, users, notes)``: the same arguments
always give the same members, titles, bodies, photos and interactions, so a
second run finds every member and note of the first one and adds nothing.
Each note draws from its own random stream (seeded by the run's seed and the
note's index), so skipping a note that exists never shifts the others.
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from community.management.demo_content import (
    CITIES,
    FIRST_NAMES,
    GENERIC_COMMENTS,
    MENTION_LINES,
    NICHES,
    NICHES_BY_NAME,
    REPORT_REASONS,
    SURNAMES,
    THANKS,
    Niche,
)

USERNAME_PREFIX = "demo_"
DEMO_EMAIL_DOMAIN = "demo.sprout.example"
# The first members of the plan also moderate (staff, Moderators group).
DEMO_MODERATOR_COUNT = 2
MINUTE = 60
DAY = 24 * 60 * MINUTE
PUBLISH_WINDOW = 30 * DAY

# (aspect, width, height, weight). Modest sizes keep the default seed,
# renditions included, near a minute on two cores; every width stays above
# 540 px so the feed's 540-px rendition is made.
ASPECTS: tuple[tuple[str, int, int, int], ...] = (
    ("3:4", 690, 920, 50),
    ("1:1", 800, 800, 25),
    ("4:3", 920, 690, 15),
    ("9:16", 585, 1040, 10),
)
PHOTO_COUNT_WEIGHTS = (60, 20, 10, 6, 4)  # 1..5 photos; most notes have one or two
AVATAR_SIZE = 320


@dataclass(frozen=True)
class MemberPlan:
    username: str
    display_name: str
    email: str
    bio: str
    niches: tuple[str, ...]
    pull: float  # how much attention their notes get (a few members are creators)
    avatar_seed: int
    is_moderator: bool


@dataclass(frozen=True)
class PhotoPlan:
    seed: int
    width: int
    height: int
    subject: str = "food"  # what is in the picture (community.demo_pictures)


@dataclass(frozen=True)
class CommentPlan:
    author: str
    body: str
    reply_to: int | None  # index of an earlier comment of the same note


@dataclass(frozen=True)
class NotePlan:
    index: int
    author: str
    title: str
    body: str
    photos: tuple[PhotoPlan, ...]
    likers: tuple[str, ...]
    collectors: tuple[tuple[str, str | None], ...]  # (member, board name or default)
    comments: tuple[CommentPlan, ...]
    published_ago: int  # seconds before the run
    reports: tuple[tuple[str, str, str], ...]  # (reporter, reason, detail)


@dataclass(frozen=True)
class DemoPlan:
    members: tuple[MemberPlan, ...]
    follows: tuple[tuple[str, str], ...]  # (follower, followee)
    notes: tuple[NotePlan, ...]
    topic_follows: tuple[tuple[str, str], ...]  # (member, topic name)
    blocks: tuple[tuple[str, str], ...]  # (blocker, blocked)


def _rng(*parts: object) -> random.Random:
    """A random stream of its own for one part of the plan."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - demo content, not secrets


def username_for(index: int) -> str:
    """``demo_maya``, ..., then ``demo_maya2`` once the first names run out."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)].lower()
    round_ = index // len(FIRST_NAMES)
    return f"{USERNAME_PREFIX}{first}{round_ + 1 if round_ else ''}"


def build_plan(*, seed: int, users: int, notes: int) -> DemoPlan:
    """The whole demo community for these arguments (no database access)."""
    members = tuple(_member(seed, i) for i in range(users))
    names = [m.username for m in members]
    pulls = [m.pull for m in members]
    by_name = {m.username: m for m in members}
    follows = _follows(seed, members)
    used_titles: set[str] = set()  # no two notes of the site share a title
    note_plans = []
    for index in range(notes):
        rng = _rng(seed, "note", index)
        # Creators post more, but nobody posts everything.
        author = by_name[rng.choices(names, weights=[p**0.5 for p in pulls])[0]]
        note = _note(
            rng, index=index, seed=seed, author=author, members=members, used_titles=used_titles
        )
        note_plans.append(note)
    topic_follows = tuple(
        (m.username, topic)
        for m in members
        for topic in _rng(seed, "topics", m.username).sample(
            [t for n in m.niches for t in NICHES_BY_NAME[n].topics], k=3
        )
    )
    return DemoPlan(
        members=members,
        follows=follows,
        notes=tuple(note_plans),
        topic_follows=topic_follows,
        blocks=_blocks(seed, members),
    )


def _member(seed: int, index: int) -> MemberPlan:
    rng = _rng(seed, "member", index)
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    surname = SURNAMES[(index + 7 * (index // len(FIRST_NAMES))) % len(SURNAMES)]
    niches = tuple(n.name for n in rng.sample(NICHES, k=rng.choice((1, 2, 2, 3))))
    main = NICHES_BY_NAME[niches[0]]
    extra = f" Also into {' and '.join(niches[1:])}." if len(niches) > 1 else ""
    username = username_for(index)
    return MemberPlan(
        username=username,
        display_name=f"{first} {surname}",
        email=f"{username}@{DEMO_EMAIL_DOMAIN}",
        bio=f"{main.bio}. Based in {rng.choice(CITIES)}.{extra}",
        niches=niches,
        # A Pareto tail: most members are casual, a few are creators.
        pull=min(rng.paretovariate(1.6), 30.0),
        avatar_seed=seed * 1_000_003 + index,
        is_moderator=index < DEMO_MODERATOR_COUNT,
    )


def _follows(seed: int, members: Sequence[MemberPlan]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for member in members:
        others = [m for m in members if m.username != member.username]
        if not others:
            continue
        rng = _rng(seed, "follows", member.username)
        # Popular members and members with a shared interest get followed more.
        weights = [o.pull * (3 if set(o.niches) & set(member.niches) else 1) for o in others]
        wanted = min(len(others), rng.randint(3, 12))
        chosen: set[str] = set()
        while len(chosen) < wanted:
            chosen.add(rng.choices(others, weights=weights)[0].username)
        pairs.extend((member.username, name) for name in sorted(chosen))
    return tuple(pairs)


def _blocks(seed: int, members: Sequence[MemberPlan]) -> tuple[tuple[str, str], ...]:
    if len(members) < 8:
        return ()
    rng = _rng(seed, "blocks")
    casual = sorted(members, key=lambda m: m.pull)[: len(members) // 2]
    pairs = set()
    for _ in range(max(1, len(members) // 20)):
        a, b = rng.sample(casual, k=2)
        pairs.add((a.username, b.username))
    return tuple(sorted(pairs))


class _Slots(dict[str, str]):
    """Fills each ``{slot}`` of a niche once per note: a title and its body
    talk about the same dish or city."""

    def __init__(self, rng: random.Random, niche: Niche) -> None:
        super().__init__()
        self.rng, self.niche = rng, niche

    def __missing__(self, key: str) -> str:
        value = self.rng.choice(self.niche.slots[key])
        self[key] = value
        return value


def _fill(template: str, slots: _Slots) -> str:
    text = string.Formatter().vformat(template, (), slots)
    return text[:1].upper() + text[1:]


# When every draw of a theme's titles is taken, a note reads as the next in
# a series: "Shakshuka in 15 minutes, take two".
TITLE_SEQUELS = (
    "take two", "the weekend version", "one year on", "revisited", "the quick version",
    "take three", "the budget version", "for beginners", "the long version", "again",
)  # fmt: skip
TITLE_ATTEMPTS = 20


def unique_title(compose: Callable[[], str], taken: set[str]) -> str:
    """A title from ``compose`` (a theme's templates, filled) that no other
    note has (``taken``, case-folded, gets it): drawn again up to
    :data:`TITLE_ATTEMPTS` times, then the last draw as a sequel, numbered
    when even those are taken."""
    title = ""
    for _ in range(TITLE_ATTEMPTS):
        title = compose()[:100]
        if title.casefold() not in taken:
            taken.add(title.casefold())
            return title
    base = title[:80].rstrip(" ,")
    candidates = (f"{base}, {sequel}" for sequel in TITLE_SEQUELS)
    numbered = (f"{base}, part {n}" for n in itertools.count(2))
    for candidate in itertools.chain(candidates, numbered):
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
    raise AssertionError("unreachable: the numbered sequels never run out")  # pragma: no cover


def _note(
    rng: random.Random,
    *,
    index: int,
    seed: int,
    author: MemberPlan,
    members: Sequence[MemberPlan],
    used_titles: set[str],
) -> NotePlan:
    niche = NICHES_BY_NAME[rng.choice(author.niches)]
    slots = _Slots(rng, niche)

    def compose() -> str:
        slots.clear()
        return _fill(rng.choice(niche.titles), slots)

    title = unique_title(compose, used_titles)

    others = [m for m in members if m.username != author.username]
    lines = [_fill(rng.choice(niche.openers), slots), ""]
    lines += [f"{n}. {tip}" for n, tip in enumerate(rng.sample(niche.tips, k=rng.randint(3, 5)), 1)]
    lines += ["", rng.choice(niche.closers)]
    if others and rng.random() < 0.35:
        lines.append(rng.choice(MENTION_LINES).format(user=rng.choice(others).username))
    topics = rng.sample(niche.topics, k=min(len(niche.topics), rng.randint(2, 4)))
    lines += ["", " ".join(f"#{t}" for t in topics)]

    aspect = rng.choices(ASPECTS, weights=[a[3] for a in ASPECTS])[0]
    count = rng.choices(range(1, 6), weights=PHOTO_COUNT_WEIGHTS)[0]
    photos = tuple(
        PhotoPlan(
            seed=(seed * 7_919 + index) * 10 + k,
            width=aspect[1],
            height=aspect[2],
            subject=niche.picture,
        )
        for k in range(count)
    )

    # Engagement follows the author's pull, with a little luck.
    reach = min(len(others), int(rng.uniform(0.03, 0.16) * len(others) * min(author.pull, 4)))
    # Members who share the note's interest find it first.
    fans = [m.username for m in others if niche.name in m.niches]
    rest = [m.username for m in others if niche.name not in m.niches]
    likers = tuple((rng.sample(fans, k=len(fans)) + rng.sample(rest, k=len(rest)))[:reach])
    # A quarter of the likers also keep the note: in the niche's board or "Saved".
    keepers = [name for name in likers if rng.random() < 0.25]
    collectors = tuple((name, niche.board if rng.random() < 0.6 else None) for name in keepers)
    return NotePlan(
        index=index,
        author=author.username,
        title=title,
        body="\n".join(lines)[:2000],
        photos=photos,
        likers=likers,
        collectors=collectors,
        comments=_comments(rng, niche=niche, slots=slots, author=author, others=others),
        published_ago=rng.randint(10 * MINUTE, PUBLISH_WINDOW),
        reports=_reports(rng, others),
    )


def _comments(
    rng: random.Random,
    *,
    niche: Niche,
    slots: _Slots,
    author: MemberPlan,
    others: Sequence[MemberPlan],
) -> tuple[CommentPlan, ...]:
    if not others:
        return ()
    comments: list[CommentPlan] = []
    pool = niche.comments + GENERIC_COMMENTS
    count = rng.choices(range(7), weights=(20, 20, 18, 15, 12, 8, 7))[0]
    for line, answer in rng.sample(pool, k=min(count, len(pool))):
        commenter = rng.choice(others)
        body = _fill(line, slots)
        comments.append(CommentPlan(author=commenter.username, body=body, reply_to=None))
        question = len(comments) - 1
        if answer is None and rng.random() < 0.6:
            continue  # not every compliment gets an answer
        reply = answer or rng.choice(THANKS)
        comments.append(CommentPlan(author=author.username, body=reply, reply_to=question))
        if answer is not None and rng.random() < 0.3:
            # The thread goes on; a reply to a reply names whom it answers.
            comments.append(
                CommentPlan(
                    author=commenter.username,
                    body=f"@{author.username} thank you, trying it this week!",
                    reply_to=len(comments) - 1,
                )
            )
    return tuple(comments)


def _reports(rng: random.Random, others: Sequence[MemberPlan]) -> tuple[tuple[str, str, str], ...]:
    # About one note in sixteen lands in the moderators' queue.
    if not others or rng.random() >= 0.06:
        return ()
    reason, detail = rng.choice(REPORT_REASONS)
    return ((rng.choice(others).username, reason, detail),)
