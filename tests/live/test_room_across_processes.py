"""One live room served by two real worker processes (uvicorn, production
settings, the Redis channel layer, the test database): viewers on either
worker see the same room.

``test_viewers_on_two_workers_see_one_room``: chat, hearts, gifts (each
booked once), the viewer count across the processes (distinct viewers), the
shop's pin,
slow mode, a ban and the session's end reach everyone, whichever process
serves them and whichever the change came from.

``test_a_killed_worker_s_viewers_reconnect_to_the_other_through_nginx``:
behind one nginx, a worker is killed (``SIGKILL``) with viewers on it;
they reconnect as the room's page does and land on the surviving worker;
nothing is counted twice (the gift resent with its key, the chat merged
by id, the viewers: the dead worker's last report still names them, and
each counts once).

docs/reliability.md ("A room across processes", "A web worker killed")
has what these measure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.apps import apps

from live import services
from live.models import LiveSession, Room
from live.tickets import issue_ticket
from tests.factories import FundedMemberFactory, HostFactory, RoomFactory, gift_catalog
from tests.live import (  # noqa: F401  (fixtures)
    forget_hot_state,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)
from tests.live.cluster import (
    Nginx,
    RoomViewer,
    Worker,
    eventually,
    room_subscribers,
    running_workers,
    start_nginx,
    viewer_reports,
)
from wallet.models import GiftSend
from wallet.reconcile import reconcile
from wallet.selectors import coin_balance

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(live_loop: None, tmp_path: Path) -> Iterator[list[Worker]]:
    """Two workers; Redis holds none of another test's room state."""
    forget_hot_state()
    with running_workers(2, tmp_path) as started:
        yield started
    for worker in started:
        assert "Traceback" not in worker.output(), worker.output()[-3000:]


@pytest.fixture
def nginx(workers: list[Worker], tmp_path: Path) -> Iterator[Nginx]:
    server = start_nginx(tmp_path / "nginx", [worker.address for worker in workers])
    try:
        yield server
    finally:
        server.stop()


def _room_and_members(count: int) -> tuple[Room, list[Any], list[str]]:
    gift_catalog()
    room = RoomFactory(host=HostFactory(), live=True)
    members = [FundedMemberFactory(coins=100) for _ in range(count)]
    return room, members, [session_cookie(member) for member in members]


async def _stop_all(viewers: list[RoomViewer]) -> None:
    for viewer in viewers:
        await viewer.stop()


async def test_viewers_on_two_workers_see_one_room(workers: list[Worker]) -> None:
    a, b = workers
    room, members, cookies = await database_sync_to_async(_room_and_members)(5)
    ticket = await database_sync_to_async(issue_ticket)(user=members[3], room=room)

    def on(worker: Worker, index: int) -> RoomViewer:
        # The page's way in (session cookie, the site's Origin), and an
        # app's (a single-use ticket, no Origin) for one of them.
        if index == 3:
            tickets = iter([ticket])
            return RoomViewer(
                f"m{index}@{worker.name}", worker.ws_url(room.pk), ticket=lambda: next(tickets)
            )
        return RoomViewer(
            f"m{index}@{worker.name}",
            worker.ws_url(room.pk),
            cookie=cookies[index],
            origin=worker.origin,
        )

    viewers = [on(a, 0), on(a, 1), on(b, 2), on(b, 3), on(b, 4)]
    on_a, on_b = viewers[:2], viewers[2:]
    for viewer in viewers:
        viewer.start()
    try:
        for viewer in viewers:
            await viewer.wait_connected()

        # The processes report 2 and 3 viewers: the room has 5.
        await eventually(
            lambda: all(v.viewers == 5 for v in viewers), what="every viewer to see 5 viewers"
        )
        assert sorted(viewer_reports(room.pk).items()) == sorted({a.pid: 2, b.pid: 3}.items())
        # One subscription to the room per process, not per viewer.
        assert room_subscribers(room.pk) == 2

        # Chat said on either worker reaches everyone, once.
        await viewers[0].chat("hello from A", "n-a")
        await viewers[2].chat("hello from B", "n-b")
        await eventually(
            lambda: all(len(v.chats) == 2 for v in viewers), what="both chat lines everywhere"
        )
        texts = [sorted(c["text"] for c in v.chats.values()) for v in viewers]
        assert texts == [["hello from A", "hello from B"]] * 5
        assert {tuple(sorted(v.chats)) for v in viewers} == {tuple(sorted(viewers[0].chats))}
        assert all(v.chat_events == 2 for v in viewers)

        # Hearts tapped on both add up in one total.
        await viewers[1].send({"type": "heart", "count": 7})
        await viewers[3].send({"type": "heart", "count": 5})
        await eventually(lambda: all(v.hearts == 12 for v in viewers), what="12 hearts everywhere")

        # Gifts: everyone sees each once; the ledger books each once.
        await viewers[1].gift("g-a", "heart", 2)
        await viewers[4].gift("g-b", "heart", 3)
        await eventually(
            lambda: all(len(v.gifts) == 2 for v in viewers), what="both gifts everywhere"
        )
        await eventually(lambda: "g-a" in viewers[1].acks and "g-b" in viewers[4].acks, what="acks")
        await viewers[1].gift("g-a", "heart", 2)  # the same key again: a replay
        await eventually(lambda: not viewers[1].pending, what="the replay's ack")
        assert viewers[1].acks["g-a"]["gift_id"] in viewers[0].gifts
        assert await database_sync_to_async(GiftSend.objects.filter(room_id=room.pk).count)() == 2
        assert all(sorted(g["quantity"] for g in v.gifts.values()) == [2, 3] for v in viewers)

        # The shop's pin (the shop may be off on this site).
        if apps.is_installed("shop"):
            product_id = await database_sync_to_async(_pin_a_product)(room)
            await eventually(lambda: all(v.pinned == product_id for v in viewers), what="the pin")

        # Slow mode is the room's, whichever process the member writes through.
        await database_sync_to_async(Room.objects.filter(pk=room.pk).update)(slow_mode_seconds=60)
        elsewhere = on(b, 0)  # member 0's second tab, on the other worker
        elsewhere.start()
        viewers.append(elsewhere)
        await elsewhere.wait_connected()
        await viewers[0].chat("slow one", "n-slow")
        await eventually(lambda: all(len(v.chats) == 3 for v in viewers), what="the slow line")
        await elsewhere.chat("too soon", "n-soon")
        await eventually(lambda: elsewhere.errors, what="the slow-mode refusal")
        assert (
            elsewhere.errors[-1]["code"] == "slow_mode"
            and elsewhere.errors[-1]["nonce"] == "n-soon"
        )

        # A ban from the moderator's process closes the member's socket on B.
        banned = viewers[4]
        await database_sync_to_async(services.member_ban)(
            actor=room.host, room=room, user=members[4]
        )
        await eventually(lambda: banned.final_close == 4003, what="the banned member's close")
        await eventually(
            lambda: all(
                any(e["type"] == "moderation" and e["action"] == "banned" for e in v.events)
                for v in viewers
                if v is not banned
            ),
            what="the ban's moderation event everywhere",
        )

        # The session ends: everyone on both workers hears it.
        await database_sync_to_async(services.session_end)(room=room, reason="test")
        await eventually(
            lambda: all(v.state == "ended" for v in viewers if v is not banned), what="ended"
        )
        session = await database_sync_to_async(LiveSession.objects.get)(room=room)
        assert session.hearts == 12
        # Distinct viewers across processes: member 0's second tab, on B, is
        # still one viewer.
        assert session.peak_viewers == 5
        assert (await database_sync_to_async(reconcile)()).ok
    finally:
        await _stop_all(viewers)
    assert [v.name for v in on_a + on_b if v.final_close not in (None, 4003)] == []


def _pin_a_product(room: Room) -> int:
    from shop import services as shop_services
    from tests.factories import ProductFactory, ShopFactory

    product = ProductFactory(shop=ShopFactory(owner=room.host), title="Bamboo whisk")
    shop_services.room_pin_create(actor=room.host, room=room, product=product)
    return int(product.pk)


async def test_a_killed_worker_s_viewers_reconnect_to_the_other_through_nginx(
    workers: list[Worker], nginx: Nginx
) -> None:
    count = 6
    room, members, cookies = await database_sync_to_async(_room_and_members)(count)
    viewers = [
        RoomViewer(f"m{i}", nginx.ws_url(room.pk), cookie=cookies[i], origin=nginx.origin)
        for i in range(count)
    ]
    for viewer in viewers:
        viewer.start()
    try:
        for viewer in viewers:
            await viewer.wait_connected()
        await eventually(lambda: all(v.viewers == count for v in viewers), what="6 viewers")
        # nginx spread them over both workers (round robin).
        reports = viewer_reports(room.pk)
        by_worker = {w.name: reports.get(w.pid, 0) for w in workers}
        assert by_worker == {"a": count // 2, "b": count // 2}, by_worker

        await viewers[0].chat("before", "n-before")
        await viewers[0].gift("g-before", "heart", 1)
        await eventually(lambda: all(len(v.chats) == 1 for v in viewers), what="the first line")
        await eventually(lambda: "g-before" in viewers[0].acks, what="the first gift's ack")

        # Kill the worker serving viewer 0 (whichever nginx chose), with a
        # gift of its own in flight: booked or not, it is resent on hello.
        victim = next(w for w in workers if viewers[0].upstream == w.address)
        survivor = next(w for w in workers if w is not victim)
        on_victim = [v for v in viewers if v.upstream == victim.address]
        await viewers[0].gift("g-in-flight", "heart", 2)
        killed_at = time.monotonic()
        victim.kill()

        # Meanwhile a viewer on the survivor keeps chatting.
        stayed = next(v for v in viewers if v not in on_victim)
        await stayed.chat("during", "n-during")

        await eventually(
            lambda: all(len(v.hellos) == 2 for v in on_victim),
            what="the killed worker's viewers back",
        )
        reconnect = max(v.hellos[-1] for v in on_victim) - killed_at
        assert all(len(v.hellos) == 1 for v in viewers if v not in on_victim)
        assert all(v.upstream == survivor.address for v in viewers)
        await eventually(lambda: not viewers[0].pending, what="the in-flight gift's ack")
        await viewers[0].gift("g-before", "heart", 1)  # an old key again: a replay
        await eventually(lambda: not viewers[0].pending, what="the replay's ack")
        await viewers[1].chat("after", "n-after")

        # Chat: every viewer has each line once, whichever way it came.
        await eventually(
            lambda: all(len(v.chats) == 3 for v in viewers), what="three lines everywhere"
        )
        for viewer in viewers:
            assert sorted(c["text"] for c in viewer.chats.values()) == ["after", "before", "during"]

        # Viewers: all on the survivor now, and counted once: the dead
        # worker's last report still names them until it expires
        # (VIEWER_TTL_SECONDS), but a viewer counts once however many
        # processes name them. Those who had not come back would count
        # until then.
        await eventually(
            lambda: viewer_reports(room.pk).get(survivor.pid) == count,
            what="the survivor reporting all 6",
        )
        await asyncio.sleep(1.5)  # another round of reports and viewer frames
        counted = [n for v in viewers for t, n in v.viewer_counts if t > killed_at]
        assert max(counted) == count, counted
        assert all(v.viewers == count for v in viewers)

        # Booked once each: the gift in flight (resent on hello) and the replay.
        booked = await database_sync_to_async(_gifts_booked)(room)
        assert booked == {
            viewers[0].acks["g-before"]["gift_id"]: 1,
            viewers[0].acks["g-in-flight"]["gift_id"]: 2,
        }
        assert await database_sync_to_async(coin_balance)(members[0]) == 100 - 5 - 2 * 5
        assert (await database_sync_to_async(reconcile)()).ok
        assert survivor.alive() and not victim.alive()
        assert await database_sync_to_async(_peak)(room) == count
        print(  # the figures of docs/reliability.md, with pytest -s
            f"\nworker killed with {len(on_victim)} of {count} viewers on it: all back on the "
            f"survivor in {reconnect:.2f}s; the count showed at most {max(counted)}; "
            f"session peak {await database_sync_to_async(_peak)(room)}"
        )
    finally:
        await _stop_all(viewers)
    assert all(v.final_close is None for v in viewers)


def _gifts_booked(room: Room) -> dict[int, int]:
    """``{gift send id: quantity}`` of the room."""
    return dict(GiftSend.objects.filter(room_id=room.pk).values_list("pk", "quantity"))


def _peak(room: Room) -> int:
    from live.state import room_state

    return room_state().snapshot(room.pk)["peak_viewers"]
