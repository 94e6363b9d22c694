from typing import Any

from django.apps import AppConfig
from django.core.management.base import CommandParser


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live rooms"

    def ready(self) -> None:
        # What live rooms add to the apps below them (their extensions).
        from community import extensions as community
        from kol import extensions as kol
        from kol.selectors import can_host_live
        from live import hub
        from live.extensions import session_report_sections
        from live.selectors import live_badges, live_performance, room_chat_since, session_cash
        from live.views import live_now_strip, profile_replays, studio_lives

        community.discover_strips.add(live_now_strip, app=self.name, key="live_now")
        community.profile_sections.add(profile_replays, app=self.name, key="replays")
        community.top_nav.add(
            community.MenuItem("Live", "live_list", current=("live_room",)),
            app=self.name,
            order=20,
        )
        community.badge_providers.add(live_badges, app=self.name, key="live")
        community.account_menu.add(
            community.MenuItem(
                "Go live", "go_live", icon="live/icons/live.svg", visible=can_host_live
            ),
            app=self.name,
            order=30,
        )
        community.demo_parts.add(
            community.DemoPart("live", _seed_demo, _demo_arguments), app=self.name, order=30
        )
        kol.live_performance.register(live_performance, app=self.name)
        kol.go_live.register("go_live", app=self.name)
        kol.studio_sections.add(studio_lives, app=self.name, key="live", order=110)
        # The session report's gift takings are live's own section of its
        # report (the shop adds its sales beside them).
        session_report_sections.add(session_cash, app=self.name, key="gifts", order=10)
        # What a room's hub reads to fill the chat it missed while Redis was away.
        hub.missed_chat = room_chat_since
        # Rooms, viewers, frames and gift batches on /metrics (core.metrics).
        from core.metrics import recorded_metrics
        from live import metrics

        recorded_metrics.add(metrics.ALL, app=self.name)


# The demo module is large: imported when seed_demo runs, not at every start.
def _seed_demo(**kwargs: Any) -> None:
    from live import demo

    demo.seed_demo(**kwargs)


def _demo_arguments(parser: CommandParser) -> None:
    from live import demo

    demo.add_arguments(parser)
