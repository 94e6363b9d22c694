"""The bare-library baseline of ``bench/live_fanout.py``: a plain
``websockets`` server (uvloop, no Django, no channels, no Redis) that relays
every chat frame to everyone else with ``websockets.broadcast``.

    .venv/bin/python bench/bare_ws_server.py --port 8771

It speaks just enough of the room's contract for the bench client to treat
it like the real room: every connection gets a ``hello`` frame first; a
``chat`` frame from a client becomes one ``chat`` event (the same shape as
``live.events.chat``, serialized once) broadcast to every other open
connection; ``ping`` gets ``pong``; ``heart`` frames are dropped (the bare baseline
measures raw fan-out, nothing else). This is what Python itself can push
on this machine: the ceiling the hub is compared with.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
from datetime import UTC, datetime
from typing import Any

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

CONNECTIONS: set[ServerConnection] = set()
MESSAGE_IDS = itertools.count(1)


def dumps(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def chat_event(user_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    """The relayed event, shaped like ``live.events.chat`` so the frames the
    viewers parse are the same size as the real room's."""
    now = datetime.now(UTC).isoformat()
    return {
        "type": "chat",
        "id": next(MESSAGE_IDS),
        "user": {
            "id": user_id,
            "username": f"sender{user_id}",
            "display_name": f"Sender {user_id}",
        },
        "text": str(frame.get("text", "")),
        "ts": now[:-6] + "Z",
        "nonce": frame.get("nonce"),
    }


async def handler(websocket: ServerConnection) -> None:
    user_id = id(websocket) % 100_000
    await websocket.send(
        dumps({"type": "hello", "room": {"id": 1}, "you": None, "viewers": 0, "hearts": 0})
    )
    CONNECTIONS.add(websocket)
    try:
        async for message in websocket:
            try:
                frame = json.loads(message)
            except ValueError:
                continue
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind == "chat":
                others = [c for c in CONNECTIONS if c is not websocket]
                broadcast(others, dumps(chat_event(user_id, frame)))
            elif kind == "ping":
                await websocket.send(dumps({"type": "pong"}))
    except ConnectionClosed:
        pass  # the bench client aborts its sockets at the end
    finally:
        CONNECTIONS.discard(websocket)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        host,
        port,
        compression=None,
        max_queue=None,
        ping_interval=None,
        backlog=4096,
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8771)
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port))
