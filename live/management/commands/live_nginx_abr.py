"""``manage.py live_nginx_abr``: what ``scripts/nginx-rtmp`` takes from
Django's settings when it renders nginx-rtmp's config, so that the
renditions a broadcast is transcoded into (``SPROUT_LIVE_ABR``,
``SPROUT_LIVE_ABR_RENDITIONS``) and where recordings go
(``SPROUT_LIVE_RECORD_DIR``) have one source of truth (``live.abr``).

Prints, for the script to split::

    abr=on|off
    record_dir=<SPROUT_LIVE_RECORD_DIR, maybe empty>
    @@SHOW@@
    <directives inside application show>
    @@APPLICATION@@
    <application abr, or nothing with ABR off>
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from live import abr


class Command(BaseCommand):
    help = (
        "Print the recording and ABR parts of nginx-rtmp's config, from SPROUT_LIVE_ABR, "
        "SPROUT_LIVE_ABR_RENDITIONS and SPROUT_LIVE_RECORD_DIR (scripts/nginx-rtmp reads it)."
    )
    # Read by a shell script at every render: settings only, no system checks.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            encoded = abr.renditions()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        blocks = abr.nginx_blocks(encoded)
        record_dir = str(getattr(settings, "SPROUT_LIVE_RECORD_DIR", "") or "")
        self.stdout.write(f"abr={'on' if encoded else 'off'}")
        self.stdout.write(f"record_dir={record_dir}")
        self.stdout.write("@@SHOW@@")
        self.stdout.write(blocks.show)
        self.stdout.write("@@APPLICATION@@")
        if blocks.application:
            self.stdout.write(blocks.application)
