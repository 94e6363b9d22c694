"""The kernel: what every app needs and no domain owns (see ``core/__init__``)."""

from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Sprout kernel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls.converters import get_converters

        from core.urls import IdConverter

        # ready() runs again when a test overrides INSTALLED_APPS.
        if "id" not in get_converters():
            register_converter(IdConverter, "id")

        # The kernel's metric computed at scrape time (core.metrics).
        from core.metrics import scrape_collectors
        from core.metrics.queues import CeleryQueueCollector

        scrape_collectors.add(CeleryQueueCollector(), app=self.name, key="celery_queue")

        # Cached API tokens' users (core.auth) forgotten when a token or its
        # user is saved or deleted (where tokens and users are installed: a
        # kernel alone has neither).
        from django.apps import apps
        from django.contrib.auth import get_user_model
        from django.core.exceptions import ImproperlyConfigured
        from django.db.models.signals import post_delete, post_save

        if not apps.is_installed("rest_framework.authtoken"):
            return
        try:
            user_model = get_user_model()
        except ImproperlyConfigured:
            return
        from rest_framework.authtoken.models import Token

        from core import auth

        for model, forget in ((Token, auth.token_saved), (user_model, auth.user_saved)):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"core-token-{model.__name__}")
