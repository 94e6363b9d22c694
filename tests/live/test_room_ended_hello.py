"""An ended room's websocket greets with its broadcast's hearts as the report
counts them: the hot counter is gone once the room ends, and the page must
not turn the report's 3 hearts into 0."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.factories.live import LiveSessionFactory
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_hello_of_an_ended_room_carries_its_reports_hearts(connect: Connect) -> None:
    session = await database_sync_to_async(LiveSessionFactory)(hearts=3, unique_viewers=31)
    client = await connect(session.room_id)
    hello = await client.hello()
    assert hello["room"]["state"] == "ended"
    assert hello["hearts"] == 3
    assert hello["viewers"] == 0
