"""The flash sale's gate answers on ``/metrics`` (``shop.metrics``): every buy
request the HTTP edge asks the Redis gate about is counted by its answer,
those answered before Django included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from shop import services
from shop.edge import FlashSaleEdge
from shop.gate import reset_flash_gate
from shop.metrics import FLASH_GATE_ANSWERS
from shop.models import FlashSale
from tests.factories import FlashSaleFactory
from tests.metrics import recorded

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _gate() -> Iterator[None]:
    reset_flash_gate()
    yield
    reset_flash_gate()


async def _django(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def buy(edge: FlashSaleEdge, sale: FlashSale, key: str) -> int:
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/api/v1/shop/flash-sales/{sale.pk}/buy",
        "scheme": "http",
        "headers": [(b"host", b"testserver"), (b"authorization", b"Token x")],
    }
    body = f'{{"idempotency_key": "{key}"}}'.encode()
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": body, "more_body": False}
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(edge(scope, receive, send))
    return int(sent[0]["status"])


def test_the_gates_answers_are_counted_by_answer() -> None:
    sale: FlashSale = FlashSaleFactory(quantity=1)
    services.flash_sale_gate_sync(sale.pk)
    answers = ("admitted", "key_known", "sold_out")
    before = {a: recorded(FLASH_GATE_ANSWERS, answer=a) for a in answers}
    edge = FlashSaleEdge(_django)
    assert buy(edge, sale, "first") == 299  # the one unit, admitted into Django
    assert buy(edge, sale, "first") == 299  # a retry: Django answers it
    assert buy(edge, sale, "second") == 409  # sold out, at the edge
    assert buy(edge, sale, "third") == 409
    moved = {a: recorded(FLASH_GATE_ANSWERS, answer=a) - before[a] for a in answers}
    assert moved == {"admitted": 1, "key_known": 1, "sold_out": 2}
