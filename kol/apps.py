from django.apps import AppConfig


class KolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kol"
    verbose_name = "Creator pool"

    def ready(self) -> None:
        from community import badges
        from kol.badges import creator_badges

        badges.register(creator_badges)
