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

        # make run keeps SQLite connections for its websocket thread, not
        # for HTTP requests (core.db, config/settings/local.py).
        from django.conf import settings

        if getattr(settings, "SPROUT_DB_CLOSE_AFTER_REQUEST", False):
            from django.core.signals import request_finished

            from core.db import close_request_connections

            request_finished.connect(
                close_request_connections, dispatch_uid="core-db-close-after-request"
            )

        # Cached API tokens' users (core.auth) forgotten when a token or its
        # user is saved or deleted, where tokens are installed (a kernel alone
        # has none, and core.auth needs their model to import).
        from django.apps import apps

        if apps.is_installed("rest_framework.authtoken"):
            from core import auth

            auth.connect()
