"""Who may open a room's websocket: a page of the site's own origin (scheme,
host and port), a trusted origin, or a client that is no browser page at all
(no ``Origin``: native apps, with a ticket). A page of any other origin is
refused at the handshake, whatever credential it carries."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from live.models import Room
from live.tickets import issue_ticket
from tests.factories import UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member(db: Any) -> Any:
    return UserFactory(username="native_app_user")


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example.com",
        b"http://127.0.0.1:9999",  # the site's host on another port
        b"https://127.0.0.1:8000",  # ... over another scheme
        b"http://127.0.0.1",  # ... on the default port
        b"null",  # a sandboxed frame or a file: page
        b"http://127.0.0.1:8000.evil.example.com",
        b"not an origin",
    ],
)
async def test_a_page_of_another_origin_is_refused(
    connect: Connect, live_room: Room, member: Any, origin: bytes
) -> None:
    cookie = await database_sync_to_async(session_cookie)(member)
    assert not (await connect(live_room.pk, origin=origin)).accepted
    assert not (await connect(live_room.pk, origin=origin, cookie=cookie)).accepted
    ticket = await database_sync_to_async(issue_ticket)(user=member, room=live_room)
    assert not (await connect(live_room.pk, origin=origin, ticket=ticket)).accepted


async def test_the_sites_own_origin_is_welcome(connect: Connect, live_room: Room) -> None:
    client = await connect(live_room.pk, origin=b"http://127.0.0.1:8000")
    assert client.accepted
    await client.hello()


async def test_an_origin_on_the_default_port_matches_a_host_without_one(
    connect: Connect, live_room: Room, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["sprout.example.com"]
    for origin in (b"http://sprout.example.com", b"http://sprout.example.com:80"):
        client = await connect(live_room.pk, origin=origin, host=b"sprout.example.com")
        assert client.accepted, origin
    refused = await connect(
        live_room.pk, origin=b"https://sprout.example.com", host=b"sprout.example.com"
    )
    assert not refused.accepted


async def test_behind_a_tls_proxy_the_https_origin_is_the_sites(
    connect: Connect, live_room: Room, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["sprout.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    tls = [(b"x-forwarded-proto", b"https")]
    secure = await connect(
        live_room.pk, origin=b"https://sprout.example.com", host=b"sprout.example.com", headers=tls
    )
    assert secure.accepted
    plain = await connect(
        live_room.pk, origin=b"http://sprout.example.com", host=b"sprout.example.com", headers=tls
    )
    assert not plain.accepted


async def test_a_host_the_site_does_not_serve_is_refused_even_from_its_own_origin(
    connect: Connect, live_room: Room
) -> None:
    client = await connect(live_room.pk, origin=b"http://attacker.test", host=b"attacker.test")
    assert not client.accepted


async def test_trusted_origins_are_welcome(
    connect: Connect, live_room: Room, settings: Any
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.sprout.example"]
    for origin in (b"https://app.example.com", b"https://eu.sprout.example"):
        assert (await connect(live_room.pk, origin=origin)).accepted, origin
    for origin in (b"http://app.example.com", b"https://sprout.example.evil.test"):
        assert not (await connect(live_room.pk, origin=origin)).accepted, origin


async def test_a_native_client_without_origin_watches_and_chats_with_a_ticket(
    connect: Connect, live_room: Room, member: Any
) -> None:
    anonymous = await connect(live_room.pk, origin=None)
    assert anonymous.accepted
    assert (await anonymous.hello())["you"] is None

    ticket = await database_sync_to_async(issue_ticket)(user=member, room=live_room)
    app = await connect(live_room.pk, origin=None, ticket=ticket)
    assert app.accepted
    assert (await app.hello())["you"]["username"] == "native_app_user"
    await app.send({"type": "chat", "text": "hello from the app", "nonce": "n1"})
    chat = await anonymous.wait_for("chat")
    assert chat["text"] == "hello from the app" and chat["user"]["id"] == member.pk
