"""A connection leaves its room whatever ends it, and a viewer counts once.

The phantom-viewer bug: a client that closed while the server was answering
it (a ``pong``, an ``error``) made the reply raise, the error path's
``server_error`` raise again, and the consumer die before ``disconnect()``:
the hub kept the dead connection (viewers, peak and watch time grew for
ever). And every anonymous socket counted as a new viewer, so one client
opening 200 of them posed as 200 people in the session report.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from uvicorn.protocols.utils import ClientDisconnected

from live import hub
from live.models import Room
from live.state import room_state
from tests.factories import UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    HOST,
    ORIGIN,
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

# What the servers raise for a send to a client that is no longer there:
# uvicorn's ClientDisconnected for a socket that closed under the send, its
# RuntimeError for a send after the close.
GONE = {
    "disconnected": ClientDisconnected(),
    "after-close": RuntimeError(
        "Unexpected ASGI message 'websocket.send', after sending 'websocket.close' "
        "or response already completed."
    ),
}
# Frames whose answer goes to the sender alone: a pong, an error.
FRAMES = {
    "ping": {"type": "ping"},
    "bad-frame": {"type": "dance"},
    "anonymous-heart": {"type": "heart", "count": 1},
}


def _communicator(room_id: int, gone: asyncio.Event, failure: BaseException) -> Any:
    from config.asgi import application

    async def server(scope: Any, receive: Any, send: Any) -> None:
        async def send_or_fail(message: dict[str, Any]) -> None:
            if gone.is_set() and message["type"] == "websocket.send":
                raise failure
            await send(message)

        await application({**scope, "client": ("198.51.100.7", 4242)}, receive, send_or_fail)

    headers = [(b"host", HOST), (b"origin", ORIGIN)]
    return WebsocketCommunicator(server, f"/ws/live/{room_id}/", headers=headers)


@pytest.mark.parametrize("frame", FRAMES.values(), ids=FRAMES.keys())
@pytest.mark.parametrize("failure", GONE.values(), ids=GONE.keys())
async def test_a_client_gone_mid_reply_leaves_the_room_without_a_traceback(
    live_room: Room, live_loop: None, caplog: Any, frame: dict[str, Any], failure: BaseException
) -> None:
    gone = asyncio.Event()
    communicator = _communicator(live_room.pk, gone, failure)
    assert (await communicator.connect(timeout=3))[0]
    assert (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    assert len(hub.hubs().hubs[live_room.pk].connections) == 1

    gone.set()  # the client closes just as the server answers it
    with caplog.at_level(logging.INFO, logger="sprout.live"):
        await communicator.send_json_to(frame)
        await communicator.wait(timeout=3)  # the consumer ends, and raises nothing

    assert live_room.pk not in hub.hubs().hubs, "the dead connection stayed in the room"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_hub_forgets_a_connection_whose_socket_failed(
    connect: Connect, live_room: Room, live_settings: Any
) -> None:
    """Belt and braces: a connection whose writes fail leaves the room's
    counts even if its consumer never says goodbye."""
    watcher = await connect(live_room.pk, address="192.0.2.1")
    ghost = await connect(live_room.pk, address="192.0.2.2")
    await watcher.hello()
    await ghost.hello()
    room_hub = hub.hubs().hubs[live_room.pk]
    await watcher.wait_for("viewers", where=lambda e: e["count"] == 2)
    dead = max(room_hub.connections, key=lambda c: c.joined_at)  # the ghost's

    async def broken_pipe(message: dict[str, Any]) -> None:
        raise ClientDisconnected()

    dead.send = broken_pipe
    await hub.publish(live_room.pk, {"type": "room_state", "state": "live"})

    await watcher.wait_for("viewers", where=lambda e: e["count"] == 1)
    assert dead not in room_hub.connections


# --- counting viewers -----------------------------------------------------------


async def test_two_hundred_anonymous_sockets_from_one_address_are_one_viewer(
    connect: Connect, live_room: Room
) -> None:
    clients = [await connect(live_room.pk, address="198.51.100.20") for _ in range(200)]
    for client in clients:
        await client.hello()
    room_hub = hub.hubs().hubs[live_room.pk]
    assert len(room_hub.connections) == 200

    await clients[0].wait_for("viewers", where=lambda e: e["count"] == 1)
    state = room_state()
    assert await state.unique_viewers(live_room.pk) == 1
    assert await state.peak_viewers(live_room.pk) == 1

    elsewhere = await connect(live_room.pk, address="198.51.100.21")
    await elsewhere.hello()
    await clients[0].wait_for("viewers", where=lambda e: e["count"] == 2)
    assert await state.unique_viewers(live_room.pk) == 2


async def test_a_member_counts_once_whatever_their_tabs_and_address(
    connect: Connect, live_room: Room
) -> None:
    member = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(session_cookie)(member)
    tabs = [
        await connect(live_room.pk, cookie=cookie, address=f"198.51.100.{n}") for n in range(30, 33)
    ]
    for tab in tabs:
        await tab.hello()
    anonymous = await connect(live_room.pk, address="198.51.100.30")
    await anonymous.hello()

    await anonymous.wait_for("viewers", where=lambda e: e["count"] == 2)
    assert await room_state().unique_viewers(live_room.pk) == 2

    await tabs[0].close()
    await tabs[1].close()
    await asyncio.sleep(0.3)  # a few viewer ticks: still two viewers
    assert await room_state().viewers(live_room.pk) == 2


def test_behind_a_proxy_the_forwarded_address_is_the_viewer(settings: Any) -> None:
    """Behind nginx every socket comes from the proxy's address; with
    ``SPROUT_NUM_PROXIES`` set the address nginx saw counts, and what a
    client writes into ``X-Forwarded-For`` itself does not."""
    from live.handshake import client_address

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    scope = {
        "client": ("127.0.0.1", 9000),
        "headers": [(b"x-forwarded-for", b"10.9.9.9, 203.0.113.77")],
    }
    assert client_address(scope) == "203.0.113.77"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_address(scope) == "127.0.0.1"
