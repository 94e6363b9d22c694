"""``live.extensions.session_report_templates``: the host's report page
draws the templates other apps register in every session report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from live.extensions import session_report_templates
from live.models import Room
from tests.clients import logged_in
from tests.factories import HostFactory, LiveSessionFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_registered_report_templates_show_in_each_report() -> None:
    host = HostFactory()
    for _ in range(2):
        LiveSessionFactory(room=RoomFactory(host=host, state=Room.State.ENDED))

    with session_report_templates.override("icons/eye.svg"):
        page = logged_in(host).get(reverse("go_live")).content.decode()
    with session_report_templates.override():
        bare = logged_in(host).get(reverse("go_live")).content.decode()

    assert page.count("icon-eye") == 2
    assert "icon-eye" not in bare
