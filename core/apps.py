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
