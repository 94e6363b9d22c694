"""The flash sale's HTTP edge (``shop.edge``): what it answers itself (the
sale's public state, in the API's shape and headers), what it lets through
to Django (with the body intact, and an admitted unit the buy path turns
into the buyer's ticket or gives back), on Redis."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shop import services
from shop.edge import ADMISSION, FlashSaleEdge, buy_body_key
from shop.gate import Admit, RedisFlashGate, flash_gate, reset_flash_gate
from shop.models import FlashSale, Order
from tests.factories import FlashSaleFactory, UserFactory, fresh


@pytest.fixture(autouse=True)
def _gate() -> Any:
    reset_flash_gate()
    yield
    reset_flash_gate()


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b'{"idempotency_key": "k-1"}', "k-1"),
        (b'{"idempotency_key": "k", "source": {"note": 3}}', "k"),
        (b'{"idempotency_key": "k", "source": null}', "k"),
        (b'{"idempotency_key": "k", "source": {}}', "k"),
        (b'{"idempotency_key": "k", "source": {"note": 1, "live_session": 2}}', None),
        (b'{"idempotency_key": "k", "source": {"note": "3"}}', None),
        (b'{"idempotency_key": "k", "source": {"note": true}}', None),
        (b'{"idempotency_key": "k", "source": {"note": 0}}', None),
        (b'{"idempotency_key": "k", "extra": 1}', None),
        (b'{"idempotency_key": "with space"}', None),
        (b'{"idempotency_key": 12}', None),
        (b"[]", None),
        (b"not json", None),
        (b"", None),
    ],
)
def test_the_edge_answers_only_bodies_django_would_accept(body: bytes, key: str | None) -> None:
    assert buy_body_key(body) == key


class Downstream:
    """Django, as the edge sees it: records what reached it."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls.append((dict(scope), body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def call(
    app: Any, path: str, body: bytes, *, method: str = "POST", chunks: int = 1
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "scheme": "http",
        "headers": [(b"host", b"testserver"), (b"authorization", b"Token x")],
    }
    size = max(len(body) // chunks, 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0].get("headers", []))
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def buy_path(sale: FlashSale) -> str:
    return f"/api/v1/shop/flash-sales/{sale.pk}/buy"


def post_buy(app: Any, sale: FlashSale, key: str, authorization: bytes | None) -> tuple[int, bytes]:
    """A buy request through the whole ASGI app: (status, body)."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    if authorization:
        headers.append((b"authorization", authorization))
    body = json.dumps({"idempotency_key": key}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": buy_path(sale),
        "raw_path": buy_path(sale).encode(),
        "query_string": b"",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def _on_sale(**kwargs: Any) -> FlashSale:
    sale: FlashSale = FlashSaleFactory(**kwargs)
    services.flash_sale_gate_sync(sale.pk)
    return sale


def test_the_edge_admits_while_units_are_left_then_answers_sold_out() -> None:
    assert isinstance(flash_gate(), RedisFlashGate)
    sale = _on_sale(quantity=2)
    django = Downstream()
    edge = FlashSaleEdge(django)
    body = b'{"idempotency_key": "first"}'
    status, _, _ = call(edge, buy_path(sale), body)
    assert status == 299
    scope, received = django.calls[-1]
    assert scope[ADMISSION] == "first" and received == body
    assert flash_gate().left(sale.pk) == 1
    # The same key again: a retry, Django answers it (no second unit).
    call(edge, buy_path(sale), body)
    assert ADMISSION not in django.calls[-1][0] and flash_gate().left(sale.pk) == 1
    call(edge, buy_path(sale), b'{"idempotency_key": "second"}')
    status, headers, answer = call(edge, buy_path(sale), b'{"idempotency_key": "third"}')
    assert status == 409 and len(django.calls) == 3
    assert json.loads(answer) == {
        "error": {
            "code": "sold_out",
            "message": json.loads(answer)["error"]["message"],
            "fields": {},
        }
    }
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"cache-control"] == b"private"


def test_the_edge_answers_not_started_and_ended() -> None:
    edge = FlashSaleEdge(Downstream())
    early = _on_sale(starts_at=timezone.now() + timedelta(minutes=5))
    status, _, answer = call(edge, buy_path(early), b'{"idempotency_key": "k"}')
    assert status == 409 and json.loads(answer)["error"]["code"] == "not_started"
    late = _on_sale(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    status, _, answer = call(edge, buy_path(late), b'{"idempotency_key": "k"}')
    assert status == 409 and json.loads(answer)["error"]["code"] == "ended"


def test_the_edge_lets_everything_else_through_untouched() -> None:
    sale = _on_sale(quantity=1)
    django = Downstream()
    edge = FlashSaleEdge(django)
    long_body = b'{"idempotency_key": "k", "source": {"note": 1}, "pad": "' + b"x" * 5000 + b'"}'
    cases = [
        ("GET", buy_path(sale), b""),
        ("POST", "/api/v1/shop/flash-sales/", b'{"idempotency_key": "k"}'),
        ("POST", buy_path(sale), b'{"idempotency_key": "bad key"}'),
        ("POST", buy_path(sale), long_body),
        ("POST", "/api/v1/shop/flash-sales/999999/buy", b'{"idempotency_key": "k"}'),
    ]
    for method, path, body in cases:
        status, _, _ = call(edge, path, body, method=method, chunks=3)
        assert status == 299, (method, path)
        scope, received = django.calls[-1]
        assert received == body and ADMISSION not in scope
    assert flash_gate().left(sale.pk) == 1


def test_the_edge_answer_carries_the_headers_django_would(
    user_api: APIClient, settings: Any
) -> None:
    sale = _on_sale(quantity=1, starts_at=timezone.now() + timedelta(minutes=5))
    django = user_api.post(buy_path(sale), {"idempotency_key": "k"}, format="json")
    _, headers, _ = call(FlashSaleEdge(Downstream()), buy_path(sale), b'{"idempotency_key": "k"}')
    for name in (
        "Content-Type",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
        "Content-Security-Policy",
    ):
        assert headers[name.lower().encode()].decode() == django[name], name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_admitted_request_becomes_the_buyers_ticket_or_gives_its_unit_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connections

    from config.asgi import application

    # The request's thread closes its connection when it ends (the test
    # database cannot be dropped while one is open).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    sale = _on_sale(quantity=1)
    buyer = UserFactory()
    token = Token.objects.create(user=buyer)

    def post(key: str, authorization: bytes | None) -> tuple[int, bytes]:
        return post_buy(application, sale, key, authorization)

    # Admitted, then refused by Django (a wrong token): the unit goes back.
    status, _ = post("k1", b"Token " + b"0" * 40)
    assert status == 401
    assert flash_gate().left(sale.pk) == 1
    # Admitted and bought: the admission is the buyer's ticket, one unit sold.
    status, body = post("k2", f"Token {token.key}".encode())
    assert status == 201, body
    assert fresh(sale).remaining == 0 and flash_gate().left(sale.pk) == 0
    assert Order.objects.filter(flash_sale=sale, buyer=buyer).count() == 1
    holder = flash_gate().holder(sale.pk, buyer.pk)
    assert holder is not None and holder.key == "k2"
    # Sold out now: the edge answers, Django never sees it.
    status, body = post("k3", f"Token {token.key}".encode())
    assert status == 409 and json.loads(body)["error"]["code"] == "sold_out"


def test_an_admission_meets_a_buyer_who_already_holds_a_ticket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = flash_gate()
    assert isinstance(gate, RedisFlashGate)
    sale = _on_sale(quantity=3)
    import time

    from shop.gate import Take

    assert gate.take(sale.pk, 7, "first") is Take.TAKEN
    assert asyncio.run(gate.admit(sale.pk, "second", time.time())) is Admit.ADMITTED
    assert gate.left(sale.pk) == 1
    # Buyer 7 turns up with the admitted key: one per buyer, the unit goes back.
    assert gate.take(sale.pk, 7, "second") is Take.HELD_OTHER
    assert gate.left(sale.pk) == 2
    # An admission whose request died counts as in flight, then goes stale.
    assert asyncio.run(gate.admit(sale.pk, "lost", time.time())) is Admit.ADMITTED
    assert gate.left(sale.pk) == 1
    assert services.flash_sale_gate_sync(sale.pk) == 1  # buyer 7's ticket and "lost"
    monkeypatch.setattr("shop.services.flash.TICKET_GRACE_SECONDS", -5)
    assert services.flash_sale_gate_sync(sale.pk) == 3
    assert gate.holders(sale.pk) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_buy_requests_run_in_one_go_on_a_slots_lasting_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Django's ASGI handler would run each request in a new thread (a new
    # database connection each) and hop threads around every middleware;
    # through the edge, a slot's thread serves request after request whole.
    from django.core.signals import request_finished, request_started
    from django.db import connections

    from config.asgi import application

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    sale = _on_sale(quantity=5)
    seen: list[tuple[str, int]] = []

    def started(**kwargs: Any) -> None:
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs: Any) -> None:
        seen.append(("finished", threading.get_ident()))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        for index in range(3):
            token = Token.objects.create(user=UserFactory())
            status, body = post_buy(application, sale, f"k{index}", f"Token {token.key}".encode())
            assert status == 201, body
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert [name for name, _ in seen] == ["started", "finished"] * 3
    threads = {thread for _, thread in seen}
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert fresh(sale).remaining == 2
