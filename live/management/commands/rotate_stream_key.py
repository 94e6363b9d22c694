"""``manage.py rotate_stream_key``: give a host a new stream key (shown once)
or revoke theirs.

    manage.py rotate_stream_key mei             # new key; the old one stops working
    manage.py rotate_stream_key mei --revoke    # no key at all until the next rotation
    manage.py rotate_stream_key mei --dry-run   # say what would happen
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.models import User
from kol.selectors import can_host_live
from live import selectors, services
from live.errors import NotAHost


class Command(BaseCommand):
    help = (
        "Rotate a host's RTMP stream key: print a new key once (with the ingest URL) and "
        "revoke the previous one at once; or, with --revoke, only revoke it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the host's username")
        parser.add_argument(
            "--revoke", action="store_true", help="revoke the active key without a new one"
        )
        parser.add_argument("--dry-run", action="store_true", help="change nothing, say what would")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        host = User.objects.filter(username=username).first()
        if host is None:
            raise CommandError(f"No member is called {username!r}.")
        current = selectors.stream_key_active(host=host)
        current_text = f"{current.hint}…" if current else "none"
        if options["revoke"]:
            self._revoke(host, current_text, dry_run=options["dry_run"])
            return
        if not can_host_live(host):
            raise CommandError(
                f"{username} may not host live rooms: {NotAHost.message} "
                "(staff invite them; the key comes once they accept)."
            )
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {username} would get a new key; the active one ({current_text}) "
                "would be revoked."
            )
            return
        try:
            _, plaintext = services.stream_key_rotate(host=host)
        except NotAHost as exc:
            raise CommandError(exc.message) from None
        server = settings.SPROUT_LIVE_RTMP_URL.rstrip("/")
        self.stdout.write(f"New stream key for {username} (shown this once: store it now)\n")
        self.stdout.write(f"  stream key   {plaintext}")
        self.stdout.write(f"  server       {server}")
        self.stdout.write(f"  publish URL  {server}/{plaintext}\n")
        if current is not None:
            self.stdout.write(f"The previous key ({current_text}) no longer works.")
        self.stdout.write(self.style.SUCCESS("Done."))

    def _revoke(self, host: User, current_text: str, *, dry_run: bool) -> None:
        if dry_run:
            self.stdout.write(
                f"Dry run: {host.username}'s active key ({current_text}) would be revoked."
            )
            return
        revoked = services.stream_key_revoke(host=host)
        if revoked is None:
            self.stdout.write(f"{host.username} has no active stream key; nothing to revoke.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Revoked {host.username}'s stream key ({revoked.hint}…): "
                "it is refused from now on."
            )
        )
