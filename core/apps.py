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
