"""The project's own app configurations."""

from django.contrib.admin.apps import AdminConfig
from django_celery_beat.apps import BeatConfig


class SproutAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the project's site as ``admin.site``
    (``community.admin_site``: log-in attempt limits)."""

    default_site = "community.admin_site.SproutAdminSite"


class SproutBeatConfig(BeatConfig):
    """``django_celery_beat`` (the periodic tasks staff retime in the admin),
    made to work with the django-timezone-field it installs: 2.1.0, the last
    release that allows Django 6.1, reads ``TimeZoneField.CHOICES``, which
    django-timezone-field 4.1 renamed ``default_choices``; adding a crontab
    schedule in the admin raised AttributeError (a 500) without it."""

    def ready(self) -> None:
        super().ready()
        from timezone_field import TimeZoneField

        if not hasattr(TimeZoneField, "CHOICES"):
            TimeZoneField.CHOICES = TimeZoneField.default_choices
