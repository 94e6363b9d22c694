"""A small fuzz of the room's websocket: random and malformed frames from one
member get one ``error`` frame each (no traceback, no close), while another
member in the same room keeps chatting undisturbed."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from live.models import Room
from tests.factories import UserFactory
from tests.live import (  # noqa: F401  (fixtures)
    BROADCAST_TYPES,
    Connect,
    LiveClient,
    connect_fixture,
    live_loop_fixture,
    live_settings_fixture,
    session_cookie,
)

SEED = 20260
FRAMES = 300
# What a bad frame may be answered with; all of them are errors.
EXPECTED_CODES = {"invalid", "too_long", "unknown_gift", "insufficient_funds"}
Frame = tuple[str, Any]  # ("text", str) or ("bytes", bytes)


def _random_scalar(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            False,
            rng.randint(-(10**12), 10**12),
            rng.random() * 1e6,
            "".join(rng.choices(string.printable, k=rng.randint(0, 30))),
            "".join(chr(rng.randint(0x80, 0x2FFF)) for _ in range(rng.randint(1, 10))),
        ]
    )


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.5:
        return _random_scalar(rng)
    if rng.random() < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 8))): _random_value(
            rng, depth + 1
        )
        for _ in range(rng.randint(0, 4))
    }


def _random_bytes(rng: random.Random) -> Frame:
    return "bytes", bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))


def _not_json(rng: random.Random) -> Frame:
    text = rng.choice(
        [
            "",
            "{",
            "{'type': 'chat'}",
            '{"type": "chat", "text": "unterminated}',
            "chat hello",
            "".join(rng.choices(string.printable, k=rng.randint(1, 200))),
            "\ud800",  # a lone surrogate no real socket would carry
            "[" * 50,
        ]
    )
    return "text", text


def _json_not_object(rng: random.Random) -> Frame:
    value = rng.choice(
        [
            _random_scalar(rng),
            [_random_value(rng) for _ in range(3)],
            ["chat", "hello"],
            [{"type": "ping"}],
        ]
    )
    return "text", json.dumps(value)


def _random_object(rng: random.Random) -> Frame:
    frame = _random_value(rng, depth=3) if rng.random() < 0.2 else {}
    if not isinstance(frame, dict):
        frame = {}
    for _ in range(rng.randint(0, 6)):
        key = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 6)))
        if key != "type":
            frame[key] = _random_value(rng)
    if rng.random() < 0.7:
        frame["type"] = rng.choice(
            [None, 7, "", "PING", "chat ", "hearts", "batch", "hello", "error", ["chat"], {}]
        )
    return "text", json.dumps(frame)


def _bad_chat(rng: random.Random) -> Frame:
    frame: dict[str, Any] = {"type": "chat"}
    flaw = rng.randrange(6)
    if flaw == 0:
        frame["text"] = rng.choice([None, 5, ["hi"], {"t": "hi"}, True])
    elif flaw == 1:
        frame["text"] = "hi"
        frame["nonce"] = rng.choice([5, ["n"], {"n": 1}, "n" * 65, True])
    elif flaw == 2:
        frame["text"] = rng.choice(["", "   ", "\n\t ", "\x00\x01"])
    elif flaw == 3:
        frame["text"] = "y" * rng.randint(201, 1500)
        frame["nonce"] = "long"
    elif flaw == 4:
        return "text", '{"type": "chat", "text": "\\ud83d", "nonce": "half an emoji"}'
    # flaw 5: no text at all
    return "text", json.dumps(frame)


def _bad_heart(rng: random.Random) -> Frame:
    count: Any = rng.choice([0, -1, 51, 10**100, "3", 1.5, True, None, [], {}, float("nan")])
    return "text", json.dumps({"type": "heart", "count": count})


def _bad_gift(rng: random.Random) -> Frame:
    frame: dict[str, Any] = {"type": "gift", "gift": "rose", "quantity": 1, "idempotency_key": "k"}
    flaw = rng.randrange(5)
    if flaw == 0:
        del frame["idempotency_key"]
    elif flaw == 1:
        frame["gift"] = rng.choice([None, 3, "", "g" * 65, ["rose"]])
    elif flaw == 2:
        frame["quantity"] = rng.choice([0, -5, 10**9, "2", 2.0, False])
    elif flaw == 3:
        frame["idempotency_key"] = rng.choice([7, "k" * 65, ["k"]])
    # flaw 4: well formed, from a member without coins
    return "text", json.dumps(frame)


def _huge(rng: random.Random) -> Frame:
    size = rng.choice([4097, 10_000, 200_000])
    return "text", json.dumps({"type": "chat", "text": "z" * size, "nonce": "huge"})


def _deep(rng: random.Random) -> Frame:
    depth = rng.choice([900, 1500, 2000])
    if rng.random() < 0.5:
        return "text", "[" * depth + "]" * depth
    return "text", '{"type":"chat","text":' + '{"a":' * depth + "1" + "}" * depth + "}"


GENERATORS: list[Callable[[random.Random], Frame]] = [
    _random_bytes,
    _not_json,
    _json_not_object,
    _random_object,
    _bad_chat,
    _bad_heart,
    _bad_gift,
    _huge,
    _deep,
]


def bad_frames(seed: int = SEED, count: int = FRAMES) -> list[Frame]:
    rng = random.Random(seed)
    return [rng.choice(GENERATORS)(rng) for _ in range(count)]


def _text_is(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["text"] == text


def _two_members() -> tuple[str, str]:
    return session_cookie(UserFactory()), session_cookie(UserFactory())


async def _send(client: LiveClient, frame: Frame) -> None:
    kind, payload = frame
    if kind == "bytes":
        await client.send_bytes(payload)
    else:
        await client.send_text(payload)


@pytest.mark.django_db(transaction=True)
async def test_malformed_frames_get_only_errors_and_the_room_keeps_going(
    connect: Connect, live_room: Room
) -> None:
    fuzzer_cookie, talker_cookie = await database_sync_to_async(_two_members)()
    fuzzer = await connect(live_room.pk, cookie=fuzzer_cookie)
    talker = await connect(live_room.pk, cookie=talker_cookie)
    await fuzzer.hello()
    await talker.hello()

    replies: list[dict[str, Any]] = []
    said = []
    for number, frame in enumerate(bad_frames()):
        await _send(fuzzer, frame)
        while True:
            event = await fuzzer.next_event()
            if event["type"] in BROADCAST_TYPES:
                continue  # the room's own traffic
            replies.append(event)
            break
        if number % 50 == 0:
            text = f"still here {number}"
            said.append(text)
            await talker.send({"type": "chat", "text": text, "nonce": str(number)})
            event = await talker.wait_for("chat", where=_text_is(text))
            assert event["nonce"] == str(number)

    assert len(replies) == FRAMES
    assert {r["type"] for r in replies} == {"error"}
    assert {r["code"] for r in replies} <= EXPECTED_CODES
    assert all(isinstance(r["message"], str) and r["message"] for r in replies)
    for text in fuzzer.raw + talker.raw:
        assert "Traceback" not in text and 'File "' not in text
    # Nobody was closed: both still talk.
    await fuzzer.send({"type": "ping"})
    assert await fuzzer.wait_for("pong") == {"type": "pong"}
    await talker.send({"type": "chat", "text": "the end", "nonce": "end"})
    assert (await fuzzer.wait_for("chat", where=lambda e: e["text"] == "the end"))["nonce"] == "end"
    assert fuzzer.close_code is None and talker.close_code is None
    assert len(said) == FRAMES // 50


def test_the_fuzz_corpus_covers_every_kind_of_bad_frame() -> None:
    frames = bad_frames()
    assert len(frames) == FRAMES
    assert any(kind == "bytes" for kind, _ in frames)
    texts = [payload for kind, payload in frames if kind == "text"]
    assert any(len(t.encode("utf-8", "surrogatepass")) > 4096 for t in texts)
    assert any(t.startswith("[[[[") for t in texts)
    assert any(t == "" or not t.lstrip().startswith(("{", "[")) for t in texts)
