"""Staff retime periodic work in the admin (django-celery-beat): adding a
crontab schedule used to raise AttributeError (django-celery-beat 2.1.0
read ``TimeZoneField.CHOICES``, gone from django-timezone-field 4.1); 2.9
works with Django 6.1 as it is."""

from __future__ import annotations

from typing import Any

import pytest
from django_celery_beat.models import CrontabSchedule

from tests.clients import logged_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_add_a_crontab_schedule_in_the_admin(settings: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = logged_in(admin)

    form = client.get("/admin/django_celery_beat/crontabschedule/add/")
    assert form.status_code == 200
    # The page's inlines (the tasks on this schedule) post their management
    # forms with it, as a browser would.
    management: dict[str, Any] = {}
    for inline in form.context["inline_admin_formsets"]:
        mgmt = inline.formset.management_form
        management.update({mgmt.add_prefix(name): value for name, value in mgmt.initial.items()})
    added = client.post(
        "/admin/django_celery_beat/crontabschedule/add/",
        {
            **management,
            "minute": "30",
            "hour": "4",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "Asia/Shanghai",
        },
    )

    assert added.status_code == 302, added.content[:2000]
    schedule = CrontabSchedule.objects.get(minute="30", hour="4")
    assert str(schedule.timezone) == "Asia/Shanghai"
