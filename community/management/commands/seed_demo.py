"""``manage.py seed_demo``: a believable lifestyle community to click through.

Members with avatars, display names and bios; notes about recipes, skincare,
travel, homes, workouts, plants, coffee and outfits, with #topics, @mentions
and one to five photos each, drawn locally as scenes of their theme
(``community.demo_pictures``: a dish, a loaf or a coffee; a living room;
potted plants; skin-care bottles laid flat), no two notes of the site
sharing a title; likes, boards, comment threads, follows,
a few blocks and a few open reports for the moderators' queue. Publication
dates spread over the last thirty days.

Everything goes through ``community.services`` so counters, scores and
notifications are what real use would have produced; only timestamps are
moved into the past afterwards. What to write comes from
``community.management.demo_plan`` (a pure function of the arguments), so a
second run skips what exists and adds nothing.

Later apps add their own demo data without the community importing them (it
sits below them): each adds a ``DemoPart`` to ``community.extensions.demo_parts``
from its ``AppConfig.ready()``, and the command runs the installed ones, in
order, after its own data. A part's ``seed`` is called as::

    seed(*, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None

``options`` are the command's parsed options (``users``, ``notes``, ``seed``,
``dry_run``, ``verbosity``, and the part's own); ``rng`` is a random stream
of the part's own, seeded from ``--seed``; messages go to ``command.stdout``
and progress bars to ``command.stderr``. A part must be idempotent (a second
run adds nothing) and, with ``options["dry_run"]``, write nothing and say what
it would create. ``--if-empty`` skips the parts with everything else, and
they run only once the ``DEBUG`` check has passed. A part's
``add_arguments(parser)`` adds its own options (kol's adds ``--creators``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from community import extensions, photos, ranking, services, text
from community.management.demo_plan import (
    AVATAR_SIZE,
    DAY,
    DEMO_EMAIL_DOMAIN,
    USERNAME_PREFIX,
    DemoPlan,
    MemberPlan,
    NotePlan,
    build_plan,
)
from community.models import (
    Collect,
    Comment,
    Follow,
    Like,
    Note,
    Notification,
    Photo,
    Report,
    Topic,
    User,
)
from core.errors import DomainError
from core.progress import Progress

DEFAULT_USERS = 40
DEFAULT_NOTES = 160
DEFAULT_SEED = 2024
MAX_USERS = 1000
MAX_NOTES = 5000
MAX_SEED = 2**63 - 1

DEMO_PASSWORD = "sprout-demo"  # noqa: S105 - published demo credentials
MODERATOR_USERNAME, MODERATOR_PASSWORD = "moderator", "sprout-moderator"
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "sprout-admin"
MODERATORS_GROUP = "Moderators"  # made by migration community 0002

# Notifications older than this count as seen: a demo inbox is not all unread.
READ_AFTER = timedelta(days=3)
# Two workers: while one paints or renders photos (Pillow releases the GIL),
# the other writes rows. (On SQLite writers take turns anyway.)
MAX_WORKERS = 2
WRITE_ATTEMPTS = 3


def _retrying[T](call: Callable[..., T], **kwargs: Any) -> T:
    """A service call, tried again when the database gave up on it: with two
    writers, SQLite can time out waiting for its lock and PostgreSQL can pick
    the call as a deadlock victim. Either way its transaction rolled back, so
    calling again is safe."""
    for attempt in range(1, WRITE_ATTEMPTS):
        try:
            return call(**kwargs)
        except OperationalError:
            time.sleep(0.1 * attempt)
    return call(**kwargs)


def _quietly[T](call: Callable[..., T], **kwargs: Any) -> T | None:
    """A service call that a rule of the community may refuse (a block, a
    hidden note): demo data skips it rather than failing the whole seed."""
    try:
        return _retrying(call, **kwargs)
    except DomainError:
        return None


@contextmanager
def _quiet_task_log() -> Iterator[None]:
    """Eager Celery logs every task at INFO (every photo rendition): hundreds
    of lines that would bury the progress bars."""
    task_log = logging.getLogger("celery.app.trace")
    level = task_log.level
    task_log.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        task_log.setLevel(level)


class Command(BaseCommand):
    help = (
        "Fill the site with a demo community: members, notes with photos, likes, boards, "
        "comments, follows and a few reports. Safe to run again: it adds only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--users",
            type=int,
            default=DEFAULT_USERS,
            help=f"demo members, 1 to {MAX_USERS} (default {DEFAULT_USERS})",
        )
        parser.add_argument(
            "--notes",
            type=int,
            default=DEFAULT_NOTES,
            help=f"notes, 0 to {MAX_NOTES} (default {DEFAULT_NOTES})",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any note exists (what `make run` uses)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"what the community looks like; the same seed gives the same data "
            f"(default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="say what would be created and write nothing",
        )
        parser.add_argument(
            "--allow-public-passwords",
            action="store_true",
            help="seed although DEBUG is off (the demo accounts, a superuser among them, "
            "have published passwords)",
        )
        for part in extensions.demo_parts:
            if part.add_arguments is not None:
                part.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        users: int = options["users"]
        notes: int = options["notes"]
        seed: int = options["seed"]
        _check_range("--users", users, 1, MAX_USERS)
        _check_range("--notes", notes, 0, MAX_NOTES)
        _check_range("--seed", seed, 0, MAX_SEED)
        if options["if_empty"] and Note.objects.exists():
            self.stdout.write("Notes exist already; --if-empty leaves the data alone.")
            return
        group = Group.objects.filter(name=MODERATORS_GROUP).first()
        if group is None:
            raise CommandError(
                f"The {MODERATORS_GROUP} group is missing: run `manage.py migrate` first."
            )
        plan = build_plan(seed=seed, users=users, notes=notes)
        if options["dry_run"]:
            self._dry_run(plan)
            self._later_apps(options)
            return
        if not settings.DEBUG and not options["allow_public_passwords"]:
            # A production site must not get an "admin" / "sprout-admin" by accident.
            raise CommandError(
                "DEBUG is off: this looks like a real site, and the demo accounts (a superuser "
                "among them) have published passwords. Pass --allow-public-passwords to seed "
                "anyway."
            )
        _Seeder(self, plan, group, seed=seed, verbose=options["verbosity"] >= 1).run()
        self._later_apps(options)
        _note_views()

    def _later_apps(self, options: dict[str, Any]) -> None:
        """The demo data of later apps: each installed ``DemoPart`` (see the
        module docstring), with a random stream of its own."""
        for part in extensions.demo_parts:
            with _quiet_task_log():
                part.run(
                    command=self,
                    options=options,
                    rng=random.Random(f"{options['seed']}:demo:{part.label}"),
                )

    def _dry_run(self, plan: DemoPlan) -> None:
        usernames = [m.username for m in plan.members]
        existing_users = set(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        existing_notes = _existing_notes(plan)
        new_notes = [n for n in plan.notes if (n.author, n.title) not in existing_notes]
        self.stdout.write(
            f"Dry run: would create {len(usernames) - len(existing_users)} of "
            f"{len(usernames)} members and {len(new_notes)} of {len(plan.notes)} notes "
            f"({sum(len(n.photos) for n in new_notes)} photos). Nothing was written."
        )


def _note_views() -> None:
    """Reads of the demo's notes (``Note.view_count``), which no demo
    reader made: about 15 readers for every like, 25 for every collect, 10
    for every comment, and a few dozen more who did nothing, on the
    published notes no one has read yet (the later apps' notes included:
    the shop's conversion per note is measured against them). One UPDATE."""
    Note.objects.filter(status=Note.Status.PUBLISHED, view_count=0).update(
        view_count=F("like_count") * 15
        + F("collect_count") * 25
        + F("comment_count") * 10
        + 30
        + F("pk") % 40
    )


def _check_range(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise CommandError(f"{option} must be between {low} and {high}, not {value}.")


def _existing_notes(plan: DemoPlan) -> set[tuple[str, str]]:
    """(author, title) of the plan's notes already in the database."""
    rows = Note.objects.filter(
        author__username__in={n.author for n in plan.notes},
        title__in={n.title for n in plan.notes},
    ).values_list("author__username", "title")
    return {(author.lower(), title) for author, title in rows}


class _Seeder:
    """One run of the command: writes the plan, skipping what exists."""

    def __init__(
        self, command: Command, plan: DemoPlan, group: Group, *, seed: int, verbose: bool
    ) -> None:
        self.command, self.plan, self.group = command, plan, group
        self.seed, self.verbose = seed, verbose
        self.now = timezone.now()
        self.members: dict[str, User] = {}
        self.created: dict[str, int] = dict.fromkeys(("members", "notes", "photos"), 0)
        self.hashes: dict[str, Future[str]] = {}

    def say(self, message: str) -> None:
        if self.verbose:
            self.command.stdout.write(message)

    def progress(self, label: str, total: int) -> Progress:
        return Progress(self.command.stderr, label, total, enabled=self.verbose)

    def run(self) -> None:
        with _quiet_task_log():
            self._run()

    def _run(self) -> None:
        started = time.monotonic()
        # PBKDF2 takes about a second per password and releases the GIL:
        # hash the published passwords still needed in the background.
        with ThreadPoolExecutor(max_workers=3) as hasher:
            self.hashes = {
                password: hasher.submit(make_password, password)
                for password in self._passwords_needed()
            }
            self._members()
            self._follows()
            self._notes()
            self._topic_follows()
            self._blocks()
            staff = [
                self._staff_account(ADMIN_USERNAME, ADMIN_PASSWORD, superuser=True),
                self._staff_account(MODERATOR_USERNAME, MODERATOR_PASSWORD, superuser=False),
            ]
        elapsed = time.monotonic() - started
        self.say(
            f"Created {self.created['members']} members, {self.created['notes']} notes and "
            f"{self.created['photos']} photos in {elapsed:.1f} s."
        )
        self._credentials(staff)

    def _in_parallel[P, R](self, label: str, items: Sequence[P], work: Callable[[P], R]) -> list[R]:
        """``work`` on every item, with a progress bar; on worker threads when
        they can see this connection's data (see ``_workers``)."""
        progress = self.progress(label, len(items))
        results: list[R] = []
        workers = self._workers()
        if workers == 1:
            for item in items:
                results.append(work(item))
                progress.advance()
            progress.finish()
            return results

        def in_thread(item: P) -> R:
            try:
                return work(item)
            finally:
                # Each worker thread opened its own connections.
                connections.close_all()

        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures: list[Future[R]] = [pool.submit(in_thread, item) for item in items]
            try:
                for future in as_completed(futures):
                    results.append(future.result())
                    progress.advance()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        progress.finish()
        return results

    def _workers(self) -> int:
        """Worker threads. One when other threads could not see this
        connection's data: inside a transaction (tests) or on an in-memory
        SQLite database."""
        if connection.in_atomic_block:
            return 1
        if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
            return 1
        return MAX_WORKERS

    # --- accounts -----------------------------------------------------------

    def _passwords_needed(self) -> list[str]:
        """The published passwords of accounts this run will create."""
        members = [m.username for m in self.plan.members]
        present = {
            name.lower()
            for name in User.objects.filter(
                username__in=[ADMIN_USERNAME, MODERATOR_USERNAME, *members]
            ).values_list("username", flat=True)
        }
        needed = [
            password
            for password, username in (
                (ADMIN_PASSWORD, ADMIN_USERNAME),
                (MODERATOR_PASSWORD, MODERATOR_USERNAME),
            )
            if username not in present
        ]
        if not present.issuperset(members):
            needed.insert(0, DEMO_PASSWORD)  # members come first: hash it first
        return needed

    def _staff_account(self, username: str, password: str, *, superuser: bool) -> tuple[str, str]:
        """The admin or the moderator account; an existing one is left as it
        is (it may be a real account with its own password)."""
        if User.objects.filter(username__iexact=username).exists():
            return username, "(existing account, password unchanged)"
        with transaction.atomic():
            user = User.objects.create(
                username=username,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                password=self.hashes[password].result(),
                display_name="Sprout Admin" if superuser else "Sprout Moderator",
                is_staff=True,
                is_superuser=superuser,
            )
            if not superuser:
                user.groups.add(self.group)
        return username, password

    def _members(self) -> None:
        wanted = [m.username for m in self.plan.members]
        existing = {u.username.lower(): u for u in User.objects.filter(username__in=wanted)}
        missing = [m for m in self.plan.members if m.username not in existing]
        if missing:
            # One hash for all: every demo member shares the published password.
            password = self.hashes[DEMO_PASSWORD].result()
            created = self._in_parallel(
                "Members", missing, lambda member: self._member(member, password)
            )
            existing.update((user.username, user) for user in created)
            self.created["members"] = len(created)
        self.members = existing

    def _member(self, member: MemberPlan, password: str) -> User:
        with transaction.atomic():
            user = User.objects.create(
                username=member.username,
                email=member.email,
                display_name=member.display_name,
                bio=member.bio,
                password=password,
                is_staff=member.is_moderator,
            )
            if member.is_moderator:
                user.groups.add(self.group)
        avatar = photos.generate_demo_photo(
            member.avatar_seed, AVATAR_SIZE, AVATAR_SIZE, subject="abstract"
        )
        return services.user_profile_update(
            user=user, avatar=ContentFile(avatar, name=f"{member.username}.jpg")
        )

    # --- the social graph ------------------------------------------------------

    def _follows(self) -> None:
        rng = random.Random(f"{self.seed}:follow-times")
        made: dict[tuple[int, int], datetime] = {}
        for follower, followee in self.plan.follows:
            a, b = self.members[follower], self.members[followee]
            if _quietly(services.user_follow, follower=a, followee=b):
                made[(a.pk, b.pk)] = self.now - timedelta(seconds=rng.randint(60, 30 * DAY))
        if not made:
            return
        # Move the new follows and their notifications to when they "happened".
        follower_ids = {a for a, _ in made}
        rows = [
            row
            for row in Follow.objects.filter(follower_id__in=follower_ids)
            if (row.follower_id, row.followee_id) in made
        ]
        for row in rows:
            row.created_at = made[(row.follower_id, row.followee_id)]
        Follow.objects.bulk_update(rows, ["created_at"], batch_size=500)
        told = [
            n
            for n in Notification.objects.filter(
                verb=Notification.Verb.FOLLOW, actor_id__in=follower_ids
            )
            if (n.actor_id, n.recipient_id) in made
        ]
        for notification in told:
            notification.created_at = made[(notification.actor_id, notification.recipient_id)]
            notification.read_at = self._read_at(notification.created_at)
        Notification.objects.bulk_update(told, ["created_at", "read_at"], batch_size=500)

    def _topic_follows(self) -> None:
        keys = {text.topic_key(name) for _, name in self.plan.topic_follows}
        topics = {t.key: t for t in Topic.objects.filter(key__in=keys)}
        for username, name in self.plan.topic_follows:
            topic = topics.get(text.topic_key(name))
            if topic is not None:  # only topics some note uses exist
                services.topic_follow(user=self.members[username], topic=topic)

    def _blocks(self) -> None:
        for blocker, blocked in self.plan.blocks:
            services.user_block(blocker=self.members[blocker], blocked=self.members[blocked])

    # --- notes --------------------------------------------------------------------

    def _notes(self) -> None:
        existing = _existing_notes(self.plan)
        todo = [n for n in self.plan.notes if (n.author, n.title) not in existing]
        if existing:
            self.say(f"{len(existing)} of the {len(self.plan.notes)} notes exist already.")
        photo_counts = self._in_parallel("Notes", todo, self._note)
        self.created["notes"] = len(photo_counts)
        self.created["photos"] = sum(photo_counts)

    def _note(self, plan: NotePlan) -> int:
        """Create one note with its photos, likes, collects, comments and
        reports, then date it back to its publication. Returns the number of
        photos.

        Each service call is its own short transaction, on purpose: the other
        worker paints and renders photos meanwhile and needs the database
        lock now and then. (A seed killed halfway leaves a note with only
        part of its reactions; a new run skips it, which is fine for demo
        data.)"""
        # Painting needs no database; the renditions are made when
        # note_create commits (eagerly in development, in this thread).
        images = [
            ContentFile(
                photos.generate_demo_photo(p.seed, p.width, p.height, subject=p.subject),
                name=f"demo-{plan.index}-{k}.jpg",
            )
            for k, p in enumerate(plan.photos)
        ]
        member = self.members.__getitem__
        note = self._note_create(plan, author=member(plan.author), images=images)
        for name in plan.likers:
            _quietly(services.like_add, user=member(name), note=note)
        for name, board in plan.collectors:
            _quietly(services.collect_add, user=member(name), note=note, board_name=board)
        comment_ids: list[int | None] = []
        for item in plan.comments:
            parent_id = None if item.reply_to is None else comment_ids[item.reply_to]
            if item.reply_to is not None and parent_id is None:
                comment_ids.append(None)  # its thread was refused; so is the reply
                continue
            comment = _quietly(
                services.comment_create,
                author=member(item.author),
                note=note,
                body=item.body,
                parent_id=parent_id,
            )
            comment_ids.append(comment.pk if comment else None)
        for reporter, reason, detail in plan.reports:
            _quietly(
                services.report_create,
                reporter=member(reporter),
                reason=reason,
                detail=detail,
                note=note,
            )
        _retrying(self._backdate, note=note, plan=plan)
        return len(images)

    def _note_create(self, plan: NotePlan, *, author: User, images: list[ContentFile]) -> Note:
        """note_create, tried again if the database gave up on it. Not with
        ``_retrying``: the error may come from the renditions made after the
        note committed (eager Celery), and then the note exists already."""
        attempt = 1
        while True:
            try:
                return services.note_create(
                    author=author, title=plan.title, body=plan.body, images=images
                )
            except OperationalError:
                created = Note.objects.filter(author=author, title=plan.title).first()
                if created is not None:
                    return created
                if attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(0.1 * attempt)
                attempt += 1

    @transaction.atomic
    def _backdate(self, *, note: Note, plan: NotePlan) -> None:
        """Publish the note ``plan.published_ago`` seconds ago and spread its
        likes, comments and notifications over the time since. The discover
        score is recomputed for the real publication time: services only
        ever raise it, and they saw "now"."""
        rng = random.Random(f"{self.seed}:times:{plan.index}")
        published = self.now - timedelta(seconds=plan.published_ago)
        span = max(60.0, (self.now - published).total_seconds())

        def times(count: int) -> list[datetime]:
            # Most reactions come soon after publication: square the fraction.
            return sorted(
                published + timedelta(seconds=span * rng.random() ** 2) for _ in range(count)
            )

        likes, collects, comments = (
            Note.objects.filter(pk=note.pk)
            .values_list("like_count", "collect_count", "comment_count")
            .get()
        )
        Note.objects.filter(pk=note.pk).update(
            published_at=published,
            created_at=published,
            hot_score=ranking.hot_score(
                likes=likes, collects=collects, comments=comments, published_at=published
            ),
        )
        Photo.objects.filter(note=note).update(created_at=published)
        for model in (Like, Collect, Comment, Report):
            rows: Sequence[Any] = list(model.objects.filter(note=note).order_by("pk"))
            for row, moment in zip(rows, times(len(rows)), strict=True):
                row.created_at = moment
            model.objects.bulk_update(rows, ["created_at"])
        told = list(Notification.objects.filter(note=note).order_by("pk"))
        for notification, moment in zip(told, times(len(told)), strict=True):
            notification.created_at = moment
            notification.read_at = self._read_at(moment)
        Notification.objects.bulk_update(told, ["created_at", "read_at"])

    def _read_at(self, moment: datetime) -> datetime | None:
        return moment + timedelta(hours=2) if self.now - moment > READ_AFTER else None

    # --- the end ------------------------------------------------------------------

    def _credentials(self, staff: list[tuple[str, str]]) -> None:
        out = self.command.stdout
        demo_moderators = [m.username for m in self.plan.members if m.is_moderator]
        out.write("")
        out.write("Demo accounts (the staff ones also open /admin/):")
        (admin, admin_password), (moderator, moderator_password) = staff
        out.write(f"  {admin:<14} {admin_password:<18} superuser")
        out.write(f"  {moderator:<14} {moderator_password:<18} staff, {MODERATORS_GROUP} group")
        for name in demo_moderators:
            out.write(f"  {name:<14} {DEMO_PASSWORD:<18} member, staff, {MODERATORS_GROUP} group")
        out.write(
            f"  {USERNAME_PREFIX}*{'':<8} {DEMO_PASSWORD:<18} every demo member "
            f"({len(self.plan.members)}, e.g. {self.plan.members[0].username})"
        )
