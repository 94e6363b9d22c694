from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from community import throttles

        # Every failed authenticate(), whichever door called it, counts.
        user_login_failed.connect(throttles.login_failed, dispatch_uid="sprout-login-failed")

        # Cached note cards (community.card_cache) of anything saved or
        # deleted through the ORM's models, the admin's edits included; the
        # services forget what they change with UPDATE themselves.
        from django.db.models.signals import post_delete, post_save

        from community import card_cache
        from community.models import Note, Photo, User

        for model, forget in (
            (Note, card_cache.note_saved),
            (Photo, card_cache.photo_saved),
            (User, card_cache.author_saved),
        ):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"sprout-card-{model.__name__}")
