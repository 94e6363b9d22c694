from typing import Any

from django.apps import AppConfig
from django.core.management.base import CommandParser


class KolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kol"
    verbose_name = "Creator pool"

    def ready(self) -> None:
        # What the creator pool adds to the apps below it (their extensions).
        from community import extensions as community
        from kol import extensions as kol
        from kol.selectors import agency_split, creator_badges, gift_income
        from wallet import extensions as wallet

        community.badge_providers.add(creator_badges, app=self.name)
        community.top_nav.add(
            community.MenuItem("Creators", "creators", current=("creator_detail",)),
            app=self.name,
        )
        community.account_menu.add(
            community.MenuItem("Creator studio", "studio", icon="icons/layers.svg"),
            app=self.name,
            order=20,
        )
        community.demo_parts.add(
            community.DemoPart("kol", _seed_demo, _demo_arguments), app=self.name, order=20
        )
        # Last of all: the screening sees what the later parts added (live
        # sessions); the pool's own screening above picks the live hosts.
        community.demo_parts.add(
            community.DemoPart("screening", _screen_demo),
            app=self.name,
            key="kol.screening",
            order=1000,
        )
        wallet.payout_splitter.register(agency_split, app=self.name)
        kol.stat_providers.add(gift_income, app=self.name, key="gift_income")


# The demo module is large: imported when seed_demo runs, not at every start.
def _seed_demo(**kwargs: Any) -> None:
    from kol import demo

    demo.seed_demo(**kwargs)


def _screen_demo(**kwargs: Any) -> None:
    from kol import demo

    demo.screen_demo(**kwargs)


def _demo_arguments(parser: CommandParser) -> None:
    from kol import demo

    demo.add_arguments(parser)
