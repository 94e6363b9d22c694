"""A gift whose database connection is lost mid-way answers "try again"
(503 ``temporarily_unavailable`` over HTTP, an ``error`` frame with that
code and the idempotency key over the websocket), books nothing, and the
retry with the same key books it once. So does every gift of a websocket
batch (``live.gift_batcher``: several senders' gifts in one transaction)
whose connection dies in the middle of its COMMIT: each sender hears an
error, none hears silence, and each retry is counted once.

The connection is lost for real: PostgreSQL terminates the backend the gift
is using (``pg_terminate_backend``), as a database restart or a failover
does to every connection.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from live.models import Room
from live.services import gifts as live_gifts
from tests.factories import UserFactory, fund, gift_catalog
from tests.faults import (
    backend_pid,
    next_gift_commit_loses_its_connection,
    next_gift_loses_its_connection,
    terminate_backend,
)
from tests.live import (  # noqa: F401  (fixtures)
    Connect,
    ServerProcess,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    other_process_fixture,
    session_cookie,
)
from wallet import selectors
from wallet.models import GiftSend
from wallet.reconcile import reconcile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def gifts_on(live_settings: Any) -> Any:
    # One batch thread: the connection this test kills is the one the next
    # batch uses.
    live_settings.SPROUT_GIFT_BATCH_THREADS = 1
    gift_catalog()
    return live_settings


@pytest.fixture
def sender(db: Any) -> Any:
    member = UserFactory(username="mei")
    fund(member, 100)
    return member


@pytest.mark.redis
def test_a_gift_over_http_on_a_lost_connection_is_503_and_the_retry_counts_once(
    sender: Any, live_room: Room, other_process: ServerProcess
) -> None:
    """Against uvicorn, as production serves HTTP."""
    token = Token.objects.create(user=sender).key

    def post(key: str, gift: str = "coffee") -> tuple[int, Any, dict[str, Any]]:
        request = urllib.request.Request(  # noqa: S310  (http://127.0.0.1)
            f"{other_process.http}/api/v1/live/rooms/{live_room.pk}/gifts/",
            data=json.dumps({"gift": gift, "quantity": 2, "idempotency_key": key}).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.headers, json.load(response)
        except urllib.error.HTTPError as refused:
            return refused.code, refused.headers, json.load(refused)

    assert post("http-warm", gift="rose")[0] == 201
    with next_gift_loses_its_connection():
        status, headers, body = post("http-lost")

        assert status == 503, body
        assert headers.get("Retry-After") == "1"
        assert body["error"]["code"] == "temporarily_unavailable"
        assert GiftSend.objects.count() == 1
        assert selectors.coin_balance(sender) == 100 - 2

        retried, again = post("http-lost"), post("http-lost")

    assert retried[0] == again[0] == 201
    assert retried[2]["replayed"] is False and again[2]["replayed"] is True
    assert GiftSend.objects.count() == 2
    assert selectors.coin_balance(sender) == 100 - 2 - 20
    assert reconcile().ok
    assert "Traceback" not in other_process.output()


async def test_a_gift_frame_on_a_lost_connection_says_retry_and_the_retry_counts_once(
    connect: Connect, live_room: Room, sender: Any
) -> None:
    cookie = await database_sync_to_async(session_cookie)(sender)
    client = await connect(live_room.pk, cookie=cookie)
    await client.hello()
    frame = {"type": "gift", "gift": "heart", "quantity": 1, "idempotency_key": "ws-ok"}
    await client.send(frame)
    await client.wait_for("gift_ack")

    # The batch thread's connection dies between two gifts.
    batcher = live_gifts.gift_batcher_get()
    assert batcher._threads is not None
    pid = batcher._threads.submit(backend_pid).result(timeout=5)
    await database_sync_to_async(terminate_backend)(pid)

    lost = {"type": "gift", "gift": "coffee", "quantity": 1, "idempotency_key": "ws-lost"}
    await client.send(lost)
    error = await client.wait_for("error")
    assert error["code"] == "temporarily_unavailable"
    assert error["idempotency_key"] == "ws-lost"

    await client.send(lost)  # what the room's page does, after a moment
    ack = await client.wait_for("gift_ack")
    assert ack["idempotency_key"] == "ws-lost"
    assert ack["balance"] == 100 - 5 - 10
    assert await database_sync_to_async(GiftSend.objects.count)() == 2
    assert (await database_sync_to_async(reconcile)()).ok


BATCH_SENDERS = 5
# Every sender's answer comes within this (never silence).
ANSWER_SECONDS = 5.0


async def test_a_batch_killed_at_commit_answers_every_sender_and_retries_count_once(
    connect: Connect, live_room: Room, live_settings: Any
) -> None:
    # A window wide enough that the senders' gifts ride in one batch.
    live_settings.SPROUT_GIFT_BATCH_WINDOW_SECONDS = 0.2

    def make_senders() -> list[tuple[Any, str]]:
        members = []
        for n in range(BATCH_SENDERS):
            member = UserFactory(username=f"giver{n}")
            fund(member, 100)
            members.append((member, session_cookie(member)))
        return members

    senders = await database_sync_to_async(make_senders)()
    clients = []
    for _, cookie in senders:
        client = await connect(live_room.pk, cookie=cookie)
        await client.hello()
        clients.append(client)
    batcher = live_gifts.gift_batcher_get()

    def frame(n: int) -> dict[str, Any]:
        return {"type": "gift", "gift": "coffee", "quantity": 1, "idempotency_key": f"batch-{n}"}

    async def answer_for(client: Any, key: str) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + ANSWER_SECONDS
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"silence: no answer for {key} within {ANSWER_SECONDS}s"
            event = await client.next_event(left)
            if event.get("type") in {"gift_ack", "error"} and event.get("idempotency_key") == key:
                return event

    with next_gift_commit_loses_its_connection() as reached:
        batches_before = batcher.batches
        started = time.monotonic()
        for n, client in enumerate(clients):
            await client.send(frame(n))
        first = await asyncio.gather(*(answer_for(c, f"batch-{n}") for n, c in enumerate(clients)))
        answered_in = time.monotonic() - started

        # One batch, killed at its commit: every sender hears "try again".
        assert batcher.batches == batches_before + 1
        assert await database_sync_to_async(reached)() >= 1
        assert [e["type"] for e in first] == ["error"] * BATCH_SENDERS, first
        assert {e["code"] for e in first} == {"temporarily_unavailable"}
        assert await database_sync_to_async(GiftSend.objects.count)() == 0

        # The page's retry, same keys; then a second retry (a lost ack): once each.
        for n, client in enumerate(clients):
            await client.send(frame(n))
        retried = await asyncio.gather(
            *(answer_for(c, f"batch-{n}") for n, c in enumerate(clients))
        )
        for n, client in enumerate(clients):
            await client.send(frame(n))
        again = await asyncio.gather(*(answer_for(c, f"batch-{n}") for n, c in enumerate(clients)))

    assert [e["type"] for e in retried] == ["gift_ack"] * BATCH_SENDERS, retried
    assert [e["gift_id"] for e in again] == [e["gift_id"] for e in retried]
    assert {e["balance"] for e in again} == {100 - 10}

    def books() -> tuple[int, list[int], bool]:
        balances = [selectors.coin_balance(member) for member, _ in senders]
        return GiftSend.objects.count(), balances, reconcile().ok

    count, balances, ok = await database_sync_to_async(books)()
    assert count == BATCH_SENDERS
    assert balances == [100 - 10] * BATCH_SENDERS
    assert ok
    await database_sync_to_async(call_command)("reconcile_ledger")
    print(  # the figures docs/reliability.md records (-s)
        f"\nbatch of {BATCH_SENDERS} killed at commit: every sender answered in {answered_in:.2f}s"
    )
