"""``manage.py end_stale_rooms``: end the live rooms whose publisher vanished
(no publish-done, no ``on_update`` for a while), as the beat task does every
minute.

    manage.py end_stale_rooms                      # not heard from for SPROUT_LIVE_STALE_SECONDS
    manage.py end_stale_rooms --older-than 600
    manage.py end_stale_rooms --dry-run
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.timesince import timesince

from live import selectors, services


class Command(BaseCommand):
    help = (
        "End live rooms whose publisher has not been heard from (ingest callbacks) for "
        "--older-than seconds (default: SPROUT_LIVE_STALE_SECONDS); their sessions get "
        "their traffic reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            default=None,
            help=f"quiet for this long (default {settings.SPROUT_LIVE_STALE_SECONDS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="list them, end nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        older = options["older_than"]
        if older is None:
            older = int(settings.SPROUT_LIVE_STALE_SECONDS)
        if older < 1:
            raise CommandError("--older-than must be at least 1 second.")
        rooms = list(
            selectors.rooms_stale(older_than_seconds=older)
            .select_related("host")
            .order_by("last_seen_at", "pk")
        )
        now = timezone.now()
        for room in rooms:
            seen = room.last_seen_at or room.started_at
            ago = f"last heard from {timesince(seen, now)} ago" if seen else "never heard from"
            self.stdout.write(f"  room {room.pk} {room.title!r} by {room.host.username}: {ago}")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {len(rooms)} stale room(s) would be ended.")
            return
        ended = services.rooms_end_stale(older_than_seconds=older)
        self.stdout.write(self.style.SUCCESS(f"Ended {ended} stale room(s)."))
