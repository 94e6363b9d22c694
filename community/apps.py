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
