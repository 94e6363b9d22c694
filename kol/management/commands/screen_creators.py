"""``manage.py screen_creators``: rank the creator pool for live-host
invitations, print the ranking with scores and reasons, keep the scores on
the profiles and, with ``--invite``, invite the listed creators.

    manage.py screen_creators --niche skincare --top 10 --min-followers 1000
    manage.py screen_creators --top 5 --dry-run
    manage.py screen_creators --top 20 --invite --message "Host a Sunday room?"
    manage.py screen_creators --format json --no-store

Scoring is ``kol.selectors.creator_ranking`` (docs/screening.md); invitations
are ``kol.services.invitation_send`` (idempotent: a creator with an open
invitation is reported as "already invited", never invited twice).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from community.models import User
from kol.errors import DomainError, ValidationFailed
from kol.models import Invitation, Niche
from kol.selectors import WEIGHTS, ScreeningResult, creator_ranking, host_permission
from kol.services import MAX_MESSAGE, invitation_send, screening_scores_store

DEFAULT_TOP = 20
MAX_TOP = 1000

INVITED = "invited"
ALREADY_INVITED = "already invited"
ALREADY_HOST = "already a host"
WOULD_INVITE = "would invite"


def _plain(text: str) -> str:
    # Django styles stderr as errors (red) on a terminal; a summary is not one.
    return text


class Command(BaseCommand):
    help = (
        "Rank the creator pool for live-host invitations (engagement, growth, posting "
        "consistency, niche fit, past live performance) and print the top creators with "
        "their scores and reasons. Stores the scores on the profiles unless --dry-run or "
        "--no-store; with --invite, invites the listed creators (never twice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--niche",
            metavar="SLUG",
            help="only creators who list this niche (a niche slug, e.g. skincare); "
            "their fit to it counts in the score",
        )
        parser.add_argument(
            "--top",
            type=int,
            default=DEFAULT_TOP,
            metavar="N",
            help=f"how many creators to list (and invite), 1 to {MAX_TOP} (default {DEFAULT_TOP})",
        )
        parser.add_argument(
            "--min-followers",
            type=int,
            default=0,
            metavar="N",
            help="only creators with at least N followers (default 0)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="change nothing: no scores stored; with --invite, say whom it would invite",
        )
        parser.add_argument(
            "--no-store",
            action="store_true",
            help="do not keep the scores on the creator profiles",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="invite the listed creators to host live rooms (creators with an open "
            "invitation or the right to host already are skipped and reported)",
        )
        parser.add_argument(
            "--message",
            default="",
            metavar="TEXT",
            help=f"a personal note in the invitations (with --invite; at most "
            f"{MAX_MESSAGE:,} characters)",
        )
        parser.add_argument(
            "--format",
            choices=("table", "json"),
            default="table",
            help="table (aligned columns, the default) or json (a list of objects; the "
            "summary then goes to stderr)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        top: int = options["top"]
        min_followers: int = options["min_followers"]
        niche_slug: str | None = options["niche"]
        dry_run: bool = options["dry_run"]
        store = not (dry_run or options["no_store"])
        send: bool = options["invite"]
        message: str = options["message"].strip()
        as_json = options["format"] == "json"

        if not 1 <= top <= MAX_TOP:
            raise CommandError(f"--top must be between 1 and {MAX_TOP} (got {top}).")
        if min_followers < 0:
            raise CommandError(f"--min-followers must be zero or more (got {min_followers}).")
        if message and not send:
            raise CommandError("--message goes with --invite.")
        if len(message) > MAX_MESSAGE:
            raise CommandError(f"--message is limited to {MAX_MESSAGE:,} characters.")
        niche = None
        if niche_slug:
            niche = Niche.objects.filter(slug=niche_slug, is_active=True).first()
            if niche is None:
                known = ", ".join(
                    Niche.objects.filter(is_active=True).values_list("slug", flat=True)
                )
                raise CommandError(f"Unknown niche {niche_slug!r}. Niches: {known}.")

        try:
            # Storing keeps every creator's score (the directory orders by it);
            # otherwise only the listed creators' profiles need loading.
            results = creator_ranking(
                niche=niche_slug, min_followers=min_followers, top=None if store else top
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        listed = results[:top]
        pool = listed[0].metrics["pool_size"] if listed else 0

        stored = screening_scores_store(results) if store else 0
        outcomes: dict[int, str] = {}
        if send:
            outcomes = (
                self._would_invite(listed)
                if dry_run
                else self._invite(listed, niche=niche, message=message)
            )

        if as_json:
            self.stdout.write(
                json.dumps(self._rows(listed, outcomes), indent=2, ensure_ascii=False)
            )
            summary_out = self.stderr
        else:
            self._table(listed, outcomes, pool=pool, niche=niche, min_followers=min_followers)
            summary_out = self.stdout
        for line in self._summary(stored=stored, outcomes=outcomes, dry_run=dry_run, store=store):
            summary_out.write(line, style_func=_plain)

    # --- invitations -----------------------------------------------------------------

    def _invite(
        self, listed: list[ScreeningResult], *, niche: Niche | None, message: str
    ) -> dict[int, str]:
        outcomes = {}
        for result in listed:
            user = result.creator.user
            try:
                _, created = invitation_send(
                    actor=None,
                    user=user,
                    message=message,
                    niche=niche,
                    score=result.score,
                    reasons=result.reasons,
                )
            except DomainError as exc:
                outcomes[user.pk] = ALREADY_HOST if exc.code == "already_host" else exc.message
                continue
            outcomes[user.pk] = INVITED if created else ALREADY_INVITED
        return outcomes

    def _would_invite(self, listed: list[ScreeningResult]) -> dict[int, str]:
        """What ``--invite`` would do, read in two queries, changing nothing."""
        user_ids = [result.creator.user_id for result in listed]
        already_open = set(
            Invitation.objects.filter(
                user_id__in=user_ids,
                status=Invitation.Status.SENT,
                expires_at__gt=timezone.now(),
            ).values_list("user_id", flat=True)
        )
        permission = host_permission()
        hosts = set(
            User.objects.filter(pk__in=user_ids, is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(user_permissions=permission)
                | Q(groups__permissions=permission)
            )
            .values_list("pk", flat=True)
        )
        return {
            user_id: ALREADY_HOST
            if user_id in hosts
            else ALREADY_INVITED
            if user_id in already_open
            else WOULD_INVITE
            for user_id in user_ids
        }

    # --- output ------------------------------------------------------------------------

    def _rows(
        self, listed: list[ScreeningResult], outcomes: dict[int, str]
    ) -> list[dict[str, Any]]:
        rows = []
        for rank, result in enumerate(listed, start=1):
            creator = result.creator
            row: dict[str, Any] = {
                "rank": rank,
                "creator_id": creator.pk,
                "username": creator.user.username,
                "tier": creator.tier,
                "followers": creator.user.follower_count,
                "score": result.score,
                "components": result.components,
                "reasons": result.reasons,
                "metrics": result.metrics,
            }
            if outcomes:
                row["invitation"] = outcomes.get(creator.user_id, "")
            rows.append(row)
        return rows

    def _table(
        self,
        listed: list[ScreeningResult],
        outcomes: dict[int, str],
        *,
        pool: int,
        niche: Niche | None,
        min_followers: int,
    ) -> None:
        scope = [f"niche {niche.slug}"] if niche else []
        if min_followers:
            scope.append(f"at least {min_followers:,} followers")
        weights = ", ".join(f"{name} {weight:.0%}" for name, weight in WEIGHTS.items())
        self.stdout.write(
            f"Screened {pool:,} creator{'s' if pool != 1 else ''}"
            + (f" ({'; '.join(scope)})" if scope else "")
            + f"; weights: {weights}."
        )
        if not listed:
            self.stdout.write("No creator matches.")
            return
        header = ["#", "username", "tier", "followers", "score"]
        if outcomes:
            header.append("invitation")
        header.append("reasons")
        lines = []
        for rank, result in enumerate(listed, start=1):
            creator = result.creator
            cells = [
                str(rank),
                creator.user.username,
                creator.get_tier_display(),
                f"{creator.user.follower_count:,}",
                f"{result.score:.1f}",
            ]
            if outcomes:
                cells.append(outcomes.get(creator.user_id, ""))
            cells.append("; ".join(result.reasons))
            lines.append(cells)
        right = {0, 3, 4}  # numbers line up on the right
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

        def render(cells: list[str]) -> str:
            padded = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(cells)
            ]
            return "  ".join(padded).rstrip()

        self.stdout.write(render(header))
        self.stdout.write("  ".join("-" * width for width in widths))
        for cells in lines:
            self.stdout.write(render(cells))

    def _summary(
        self, *, stored: int, outcomes: dict[int, str], dry_run: bool, store: bool
    ) -> list[str]:
        lines = []
        if store:
            lines.append(f"Stored {stored:,} score{'s' if stored != 1 else ''}.")
        if outcomes:
            counts: dict[str, int] = {}
            for outcome in outcomes.values():
                counts[outcome] = counts.get(outcome, 0) + 1
            lines.append(
                "Invitations: " + ", ".join(f"{label} {n}" for label, n in counts.items()) + "."
            )
        if dry_run:
            lines.append("Dry run: no scores stored, no invitations sent.")
        elif not store:
            lines.append("Scores not stored (--no-store).")
        return lines
