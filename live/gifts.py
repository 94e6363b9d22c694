"""Gifts in live rooms: the websocket ``gift`` frame, the HTTP twin
``POST /api/v1/live/rooms/{id}/gifts/``, the leaderboard pushed to rooms on a
tick, and the *cash* column of the session report.

The money moves in :func:`wallet.gifts.send_gift` (one transaction, exactly
once per idempotency key); this module adds what only the live app knows:
the room must be live, the gift belongs to the room's open session, and the
room hears about it.

- :func:`handle_gift_frame` is ``settings.SPROUT_LIVE_GIFT_HANDLER``: the
  consumer hands it every valid ``gift`` frame. After the gift committed, the
  room gets the ``gift`` event (everyone, through the hub) and the sender
  alone gets ``gift_ack``. A retry with the same key gets the same
  ``gift_ack`` and the room hears nothing twice.
- :func:`push_leaderboards` (Celery beat, every few seconds) sends each live
  room the top gifters of its session as a ``leaderboard`` frame, only when
  that list changed: one query finds the rooms with new gifts, one more per
  such room ranks them. Without workers (``make run``: eager Celery, no beat)
  the gift path pushes its room's leaderboard itself.
- :func:`session_cash` is in ``settings.SPROUT_LIVE_REPORT_EXTENSIONS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import User
from community.services import check_authenticated
from live import events
from live.errors import NotFound, RoomNotLive
from live.hub import publish, publish_sync
from live.models import LiveSession, Room
from live.services import room_for_viewer
from wallet import gifts
from wallet.gifts import GiftResult, TopGifter
from wallet.models import GiftSend

logger = logging.getLogger("sprout.live")

#: How many gifters a room's leaderboard shows.
LEADERBOARD_SIZE = 10
#: How long a room's last pushed leaderboard is remembered (a room live for
#: longer without gifts simply gets it again once).
LEADERBOARD_CACHE_SECONDS = 6 * 3600
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class RoomGift:
    """A gift sent in a room: the wallet's answer and, when this call sent
    it (not a replay), the room's ``gift`` event to publish."""

    result: GiftResult
    event: dict[str, Any] | None


# --- sending --------------------------------------------------------------------------


def _live_room(room_id: int) -> tuple[Room, int | None]:
    """The room with its host and its open session's id, in one query;
    NotFound, or RoomNotLive unless it is live now."""
    if not 0 < room_id <= MAX_ID:
        raise NotFound("This room does not exist.")
    open_session = LiveSession.objects.filter(room=OuterRef("pk"), ended_at__isnull=True)
    room = (
        Room.objects.select_related("host")
        .annotate(open_session_id=Subquery(open_session.values("pk")[:1]))
        .filter(pk=room_id)
        .first()
    )
    if room is None:
        raise NotFound("This room does not exist.")
    if room.state != Room.State.LIVE:
        raise RoomNotLive()
    return room, room.open_session_id


def gift_event(send: GiftSend) -> dict[str, Any]:
    """The room's ``gift`` event for a send (its gift and sender loaded)."""
    return events.gift(
        gift_id=send.pk,
        user=send.sender,
        gift=gifts.gift_payload(send.gift),
        quantity=send.quantity,
        coins=send.coins,
        ts=send.created_at,
    )


def send_in_room(
    *, sender: User, room_id: int, gift_slug: str, quantity: int, idempotency_key: str
) -> RoomGift:
    """Send a gift to the host of a live room, in its open session (see
    :func:`wallet.gifts.send_gift` for the money and the errors; here also
    ``not_found`` and ``room_not_live``). Returns the room's ``gift`` event
    to publish, None for a replay."""
    room, session_id = _live_room(room_id)
    result = gifts.send_gift(
        sender=sender,
        host=room.host,
        gift_slug=gift_slug,
        quantity=quantity,
        idempotency_key=idempotency_key,
        room_id=room.pk,
        session_id=session_id,
    )
    event = gift_event(result.send) if result.send is not None else None
    return RoomGift(result=result, event=event)


def _pushes_on_gift() -> bool:
    # No beat runs beside eager Celery (make run): the gift path is the tick.
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


async def handle_gift_frame(user: User, room: Room, frame: dict[str, Any]) -> list[dict[str, Any]]:
    """``settings.SPROUT_LIVE_GIFT_HANDLER``: a ``gift`` frame (``gift`` slug,
    ``quantity``, ``idempotency_key``, already shape-checked by the consumer)
    from ``user`` in ``room``. Publishes the room's ``gift`` event after the
    gift committed and returns ``[gift_ack]`` for the sender; domain errors
    propagate (the consumer answers them with an ``error`` frame carrying the
    idempotency key)."""
    key = frame["idempotency_key"]
    sent = await database_sync_to_async(send_in_room)(
        sender=user,
        room_id=room.pk,
        gift_slug=frame["gift"],
        quantity=frame["quantity"],
        idempotency_key=key,
    )
    if sent.event is not None:
        try:
            await publish(room.pk, sent.event)
            if _pushes_on_gift():
                for room_id, board in await database_sync_to_async(leaderboard_updates)([room.pk]):
                    await publish(room_id, board)
        except Exception:
            # The gift is committed: the sender still gets the ack (a retry
            # would only replay it); the room misses one animation.
            logger.exception(
                "gift %s in room %s was not broadcast", sent.result.gift_send_id, room.pk
            )
    return [
        events.gift_ack(
            idempotency_key=key, gift_id=sent.result.gift_send_id, balance=sent.result.balance
        )
    ]


# --- leaderboards -----------------------------------------------------------------------


def leaderboard_payload(top: list[TopGifter]) -> list[dict[str, Any]]:
    """``[{user {id, username, display_name}, coins}]`` of a leaderboard."""
    return [
        {
            "user": {"id": g.user_id, "username": g.username, "display_name": g.display_name},
            "coins": g.coins,
        }
        for g in top
    ]


def _cache_key(room_id: int) -> str:
    return f"live:leaderboard:{room_id}"


def leaderboard_updates(room_ids: list[int] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """``[(room_id, leaderboard frame)]`` for the live rooms (all, or those
    of ``room_ids``) whose top gifters changed since the last frame this
    returned for them (remembered in the cache). One query for the live
    sessions, one for their latest gift, one per room with new gifts."""
    sessions = LiveSession.objects.filter(ended_at__isnull=True, room__state=Room.State.LIVE)
    if room_ids is not None:
        sessions = sessions.filter(room_id__in=room_ids)
    open_sessions = dict(sessions.values_list("pk", "room_id"))
    if not open_sessions:
        return []
    latest = dict(
        GiftSend.objects.filter(session_id__in=list(open_sessions))
        .order_by()
        .values("session_id")
        .annotate(last=Max("pk"))
        .values_list("session_id", "last")
    )
    updates = []
    for session_id, last_gift in sorted((s, g) for s, g in latest.items() if s is not None):
        room_id = open_sessions[session_id]
        marker = [session_id, last_gift]
        remembered = cache.get(_cache_key(room_id)) or {}
        if remembered.get("marker") == marker:
            continue  # no gift since the last frame
        top = leaderboard_payload(gifts.session_leaderboard(session_id, LEADERBOARD_SIZE))
        frame = events.leaderboard(top)
        cache.set(
            _cache_key(room_id), {"marker": marker, "frame": frame}, LEADERBOARD_CACHE_SECONDS
        )
        if remembered.get("frame") != frame:
            updates.append((room_id, frame))
    return updates


def push_leaderboards(room_ids: list[int] | None = None) -> int:
    """Publish the changed leaderboards of live rooms (see
    :func:`leaderboard_updates`); returns how many rooms got one."""
    pushed = 0
    for room_id, frame in leaderboard_updates(room_ids):
        try:
            publish_sync(room_id, frame)
        except Exception:
            cache.delete(_cache_key(room_id))  # sent again on the next tick
            logger.exception("the leaderboard of room %s was not pushed", room_id)
        else:
            pushed += 1
    return pushed


@shared_task(acks_late=True, ignore_result=True)
def push_live_leaderboards() -> int:
    """Beat, every few seconds: each live room's top gifters, pushed to the
    room when they changed. Returns how many rooms got a frame."""
    return push_leaderboards()


def current_leaderboard(room_id: int) -> dict[str, Any]:
    """``{session_id, top}``: the top gifters of the room's open session, or
    of its last one when it is not live (``session_id`` None: never live)."""
    if not 0 < room_id <= MAX_ID or not Room.objects.filter(pk=room_id).exists():
        raise NotFound("This room does not exist.")
    session_id = (
        LiveSession.objects.filter(room_id=room_id)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    top = [] if session_id is None else gifts.session_leaderboard(session_id, LEADERBOARD_SIZE)
    return {"session_id": session_id, "top": leaderboard_payload(top)}


# --- reports ------------------------------------------------------------------------------


def session_cash(session: LiveSession) -> dict[str, Any]:
    """``SPROUT_LIVE_REPORT_EXTENSIONS``: the session report's *cash* column,
    ``{gifts, coins, unique_payers, earnings}``: gift items received, coins
    the senders paid, how many members paid, and the coins credited to the
    host's earnings (after the platform's share). Two queries."""
    return {
        "cash": {
            **gifts.session_tally(session.pk),
            "earnings": gifts.session_earnings(session.pk),
        }
    }


# --- HTTP ---------------------------------------------------------------------------------


class GiftSendInput(serializers.Serializer):
    gift = serializers.CharField(max_length=40, help_text="The gift's slug (GET /api/v1/gifts/).")
    quantity = serializers.IntegerField(min_value=1, max_value=gifts.MAX_QUANTITY, default=1)
    idempotency_key = serializers.CharField(
        max_length=100,
        help_text="A new key per gift; a retry repeats it (counted once). "
        "Letters, digits and _ . : -",
    )


GIFT_SENT = inline_serializer(
    "GiftSent",
    {
        "gift_id": serializers.IntegerField(),
        "coins": serializers.IntegerField(help_text="What the gift cost."),
        "balance": serializers.IntegerField(help_text="Your coins after it."),
        "replayed": serializers.BooleanField(help_text="True: an earlier send with this key."),
    },
)
LEADERBOARD = inline_serializer(
    "RoomLeaderboard",
    {
        "session_id": serializers.IntegerField(allow_null=True),
        "top": serializers.ListField(child=serializers.DictField()),
    },
)
ERROR = OpenApiResponse(description='`{"error": {"code", "message", "fields"}}`')


class RoomGiftView(APIView):
    """``POST /api/v1/live/rooms/{id}/gifts/``: the websocket ``gift`` frame
    over HTTP. The sender is always the caller."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=GiftSendInput,
        responses={
            201: GIFT_SENT,
            400: ERROR,
            401: ERROR,
            402: OpenApiResponse(description="`insufficient_funds`"),
            403: ERROR,
            404: ERROR,
            409: OpenApiResponse(description="`room_not_live`, `idempotency_conflict`"),
        },
        summary="Send a gift in a live room",
    )
    def post(self, request: Request, pk: int) -> Response:
        sender = check_authenticated(request.user)
        data = GiftSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        room_for_viewer(room_id=pk, user=sender)  # not_found, banned
        sent = send_in_room(
            sender=sender,
            room_id=pk,
            gift_slug=data.validated_data["gift"],
            quantity=data.validated_data["quantity"],
            idempotency_key=data.validated_data["idempotency_key"],
        )
        if sent.event is not None:
            event = sent.event
            transaction.on_commit(lambda: publish_sync(pk, event), robust=True)
            if _pushes_on_gift():
                transaction.on_commit(lambda: push_leaderboards([pk]), robust=True)
        result = sent.result
        return Response(
            {
                "gift_id": result.gift_send_id,
                "coins": result.coins,
                "balance": result.balance,
                "replayed": result.replayed,
            },
            status=status.HTTP_201_CREATED,
        )


class RoomLeaderboardView(APIView):
    """``GET /api/v1/live/rooms/{id}/leaderboard/``: the top gifters the room
    page shows on load (then ``leaderboard`` frames keep it current)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: LEADERBOARD, 404: ERROR}, summary="A room's top gifters")
    def get(self, request: Request, pk: int) -> Response:
        return Response(current_leaderboard(pk))
