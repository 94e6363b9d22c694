"""The textbook channels design, the second baseline of ``bench/live_fanout.py``:
every viewer is a consumer in a channel-layer group and every event is one
``group_send``, each consumer serializing and sending it on its own.

    DJANGO_SETTINGS_MODULE=bench.live_settings REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/uvicorn bench.textbook_consumer:application --loop uvloop --http httptools

Served exactly like the real room (uvicorn, the bench settings, the same
origin check and session authentication, ``RedisPubSubChannelLayer``), and
deliberately generous to the design: a chat frame is not checked or stored,
it is only turned into the same ``chat`` event (``live.events.chat``) and
sent to the group; a ``heart`` frame adds to a Redis counter and sends the
running total to the group (one ``group_send`` per event, as the design
goes: there is no per-process place to aggregate a tick).
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.live_settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

from live import events  # noqa: E402
from live.hub import dumps  # noqa: E402
from live.state import room_state  # noqa: E402

MESSAGE_IDS = itertools.count(1)
HEARTS_KEY_ROOM = 900_000_000  # its own hearts counter, apart from the real room's


class TextbookRoomConsumer(AsyncWebsocketConsumer):
    """One consumer per viewer, one group per room, one group_send per event."""

    async def connect(self) -> None:
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.group = f"textbook.room.{self.room_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        user = self.scope.get("user")
        you = events.user_brief(user) if user is not None and user.is_authenticated else None
        hello = {"type": "hello", "room": {"id": self.room_id}, "you": you, "viewers": 0}
        await self.send(text_data=dumps(hello))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or "{}")
        user = self.scope["user"]
        if not user.is_authenticated:
            return
        if frame.get("type") == "chat":
            event = events.chat(
                message_id=next(MESSAGE_IDS),
                user=user,
                text=str(frame.get("text", "")),
                ts=timezone.now(),
                nonce=frame.get("nonce"),
            )
            await self.channel_layer.group_send(self.group, {"type": "room.event", "event": event})
        elif frame.get("type") == "heart":
            total = await room_state().add_hearts(HEARTS_KEY_ROOM + self.room_id, frame["count"])
            hearts = events.hearts(total)
            await self.channel_layer.group_send(self.group, {"type": "room.event", "event": hearts})

    async def room_event(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message["event"]))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([path("ws/live/<int:room_id>/", TextbookRoomConsumer.as_asgi())])
            )
        ),
    }
)
