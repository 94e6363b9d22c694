"""REST API of live rooms (``/api/v1/live/...``), in the discipline of the
other apps' APIs: thin views, an input serializer for shape,
``live.services`` (rooms, chat, keys, gifts) / ``live.permissions`` /
``live.tickets`` for rules and writes, ``live.selectors`` for reads, and
domain errors turned into ``{"error": {...}}`` once by
``core.http_errors.api_exception_handler``.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from community import selectors as community_selectors
from community.models import User
from community.permissions import check_authenticated
from community.serializers import UserBriefSerializer
from community.throttles import client_address
from core.api import (
    ANY,
    CURSOR,
    ERROR,
    PAGE_SIZE,
    cursor,
    page_size,
    paginated,
    paginated_schema,
    validated,
)
from core.pagination import keyset
from live import permissions, selectors, services, tickets
from live import serializers as s
from live.errors import ReplayUnavailable
from live.models import LiveSession, Replay, Room, RoomRestriction
from live.selectors.replays import TIMELINE_MAX_MS, TIMELINE_MAX_WINDOW_MS
from live.services import gifts as gift_services
from live.services import replay_access

TAGS = ["live"]


def _member(request: Request) -> User:
    return check_authenticated(request.user)


def _room_detail(request: Request, room_id: int) -> Response:
    detail = selectors.room_detail(room_id=room_id, viewer=request.user)
    context = {
        "request": request,
        "detail": detail,
        "counts": {detail.room.pk: detail.counts},
    }
    return Response(s.RoomDetailSerializer(detail.room, context=context).data)


def _moderators(request: Request, room: Room) -> Response:
    moderators = selectors.room_moderators(room)
    return Response(UserBriefSerializer(moderators, many=True, context={"request": request}).data)


# --- rooms ----------------------------------------------------------------------


class RoomListView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=[*Room.State.values, ANY],
                description="Only rooms in this state (empty: any).",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: paginated_schema(s.RoomSerializer, "RoomPage"), 400: ERROR},
        tags=TAGS,
        operation_id="live_rooms_list",
        description="Live rooms first (most recently started first), then the others (most "
        "recently created first). `viewers` and `hls_url` only while live.",
    )
    def get(self, request: Request) -> Response:
        query = validated(s.RoomQueryInput, request.query_params)
        page = selectors.room_page(
            state=query.get("state") or None,
            cursor=request.query_params.get("cursor") or None,
            size=page_size(request),
        )
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        context = {"request": request, "counts": selectors.room_counts(page.items)}
        data = s.RoomSerializer(page.items, many=True, context=context).data
        return Response({"results": data, "next": next_url})

    @extend_schema(
        request={"application/json": s.RoomCreateInput, "multipart/form-data": s.RoomCreateInput},
        responses={201: s.RoomDetailSerializer, 400: ERROR, 401: ERROR, 403: ERROR},
        tags=TAGS,
        description="Hosts only (creators whose invitation to host was accepted; otherwise "
        "`not_a_host`): a new room in state `scheduled`. Publishing with your stream key "
        "brings your most recently created scheduled room live.",
    )
    def post(self, request: Request) -> Response:
        host = _member(request)
        data = validated(s.RoomCreateInput, request.data)
        room = services.room_create(host=host, title=data["title"], cover=data.get("cover"))
        response = _room_detail(request, room.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class RoomDetailView(APIView):
    @extend_schema(
        responses={200: s.RoomDetailSerializer, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="One room with its state, viewers and hearts now, its moderators, the "
        "running session's id and `hls_url` while live. `banned` for members banned from it.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _room_detail(request, pk)


class RoomTicketView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.TicketSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="A single-use, short-lived ticket for the room's websocket, for clients "
        "that cannot send the session cookie (`?ticket=`). `banned` for banned members.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _member(request)
        room = selectors.room_by_id(pk)
        ticket = tickets.issue_ticket(user=user, room=room)
        scheme = "wss" if request.is_secure() else "ws"
        ws_url = f"{scheme}://{request.get_host()}/ws/live/{room.pk}/?" + urlencode(
            {"ticket": ticket}
        )
        return Response(
            {
                "ticket": ticket,
                "expires_in": int(settings.SPROUT_LIVE_TICKET_SECONDS),
                "ws_url": ws_url,
            }
        )


class RoomEndView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.RoomDetailSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="The host, a room moderator or a site moderator ends the room (a "
        "scheduled room is cancelled); everyone in it hears `room_state: ended` and the "
        "session's traffic report is written. Ending an ended room changes nothing.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        room = selectors.room_by_id(pk)
        services.room_end(actor=actor, room=room)
        return _room_detail(request, pk)


class RoomModeratorListView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        responses={200: UserBriefSerializer(many=True), 404: ERROR},
        tags=TAGS,
        operation_id="live_rooms_moderators_list",
        description="The room's moderators (the host aside).",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _moderators(request, selectors.room_by_id(pk))

    @extend_schema(
        request=s.ModeratorInput,
        responses={200: UserBriefSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR},
        tags=TAGS,
        description="The host (or a site moderator) makes a member moderator of the room "
        "(idempotent). Answers the moderators.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        room = selectors.room_by_id(pk)
        data = validated(s.ModeratorInput, request.data)
        user = community_selectors.user_by_username(data["username"])
        services.room_moderator_add(actor=actor, room=room, user=user)
        return _moderators(request, room)


class RoomModeratorView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        responses={200: UserBriefSerializer(many=True), 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="The host (or a site moderator) takes a member off the room's "
        "moderators (idempotent). Answers the moderators.",
    )
    def delete(self, request: Request, pk: int, username: str) -> Response:
        actor = _member(request)
        room = selectors.room_by_id(pk)
        user = community_selectors.user_by_username(username)
        services.room_moderator_remove(actor=actor, room=room, user=user)
        return _moderators(request, room)


class RoomRestrictionListView(APIView):
    permission_classes = [IsAuthenticated]

    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        responses={200: s.RestrictionSerializer(many=True), 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        operation_id="live_rooms_restrictions_list",
        description="The mutes and bans in force in the room; its moderators only.",
    )
    def get(self, request: Request, pk: int) -> Response:
        room = selectors.room_by_id(pk)
        permissions.check_can_moderate(actor=request.user, room=room)
        restrictions = selectors.room_restrictions(room)
        context = {"request": request}
        return Response(s.RestrictionSerializer(restrictions, many=True, context=context).data)

    @extend_schema(
        request=s.RestrictionInput,
        responses={201: s.RestrictionSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="A room moderator mutes (may watch, may not chat) or bans (closed out "
        "at once, may not come back) a member, for `minutes` or until lifted. A new "
        "restriction replaces the one in force.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        room = selectors.room_by_id(pk)
        permissions.check_can_moderate(actor=actor, room=room)
        data = validated(s.RestrictionInput, request.data)
        user = community_selectors.user_by_username(data["username"])
        restrict = (
            services.member_ban
            if data["kind"] == RoomRestriction.Kind.BAN
            else services.member_mute
        )
        restriction = restrict(
            actor=actor, room=room, user=user, reason=data["reason"], minutes=data["minutes"]
        )
        return Response(
            s.RestrictionSerializer(restriction, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class RoomRestrictionView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                enum=RoomRestriction.Kind.values,
                required=True,
                description="Which restriction to lift.",
            )
        ],
        responses={200: s.LiftedSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="A room moderator lifts a member's mute or ban (idempotent).",
    )
    def delete(self, request: Request, pk: int, username: str) -> Response:
        actor = _member(request)
        room = selectors.room_by_id(pk)
        permissions.check_can_moderate(actor=actor, room=room)
        data = validated(s.LiftInput, request.query_params)
        user = community_selectors.user_by_username(username)
        lift = (
            services.member_unban
            if data["kind"] == RoomRestriction.Kind.BAN
            else services.member_unmute
        )
        return Response({"lifted": lift(actor=actor, room=room, user=user)})


class MessageView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="A room moderator deletes a chat message: hidden from the room at once "
        "(`moderation: message_deleted`), kept for the record. Idempotent.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        message = selectors.message_by_id(pk)
        services.message_delete(actor=actor, message=message)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- hosts ----------------------------------------------------------------------------


class StreamKeyView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.StreamKeySerializer, 401: ERROR, 403: ERROR},
        tags=TAGS,
        description="Hosts only (`not_a_host`): a new stream key, shown this once. Each call "
        "rotates the key and revokes the previous one at once (a stream using it is "
        "dropped). Type `server` and `stream_key` into OBS, or publish with "
        "`ffmpeg ... -f flv <ingest_url>/<key>`.",
    )
    def post(self, request: Request) -> Response:
        host = _member(request)
        key, plaintext = services.stream_key_rotate(host=host)
        ingest_url = str(settings.SPROUT_LIVE_RTMP_URL)
        data = {
            "key": plaintext,
            "ingest_url": ingest_url,
            "server": ingest_url,
            "stream_key": plaintext,
            "hint": key.hint,
            "created_at": key.created_at,
        }
        response = Response(s.StreamKeySerializer(data).data)
        # A secret: no cache between the host and us may keep it.
        response["Cache-Control"] = "no-store"
        return response


class SessionReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: s.SessionReportSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="What a broadcast brought: peak and unique viewers, watch time, chat "
        "messages, hearts, new followers, dropped viewers (and, with the wallet, cash). "
        "While live, the figures so far. The host, their agency's managers and staff who see "
        "the whole creator pool; the room's and the site's moderators see the traffic "
        "(`cash` null). Another agency's managers, and staff for being staff, get 403.",
    )
    def get(self, request: Request, pk: int) -> Response:
        report = selectors.session_report_for(session_id=pk, viewer=request.user)
        return Response(report)


# --- sessions and replays -----------------------------------------------------------


def _sessions(request: Request, sessions: list[LiveSession]) -> dict[str, Any]:
    return {
        "request": request,
        "replays": selectors.session_replays_for(request.user, sessions),
    }


class RoomSessionListView(APIView):
    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.SessionSerializer, "SessionPage"), 404: ERROR},
        tags=TAGS,
        operation_id="live_rooms_sessions_list",
        description="The room's broadcasts, newest first, each with its `replay` when you may "
        "watch it (null otherwise: not kept, not ready, unpublished, hidden, deleted or "
        "expired).",
    )
    def get(self, request: Request, pk: int) -> Response:
        room = selectors.room_by_id(pk)
        page = keyset(
            selectors.room_sessions(room), cursor=cursor(request), size=page_size(request)
        )
        return paginated(request, page, s.SessionSerializer, context=_sessions(request, page.items))


class SessionDetailView(APIView):
    @extend_schema(
        responses={200: s.SessionSerializer, 404: ERROR},
        tags=TAGS,
        description="One broadcast: its room, host, times and `replay` "
        "(`{hls_url, duration_s, poster_url, preview_url}`), null unless it is ready and you "
        "may watch it (published and not hidden; its host and the room's and site's "
        "moderators may watch it anyway).",
    )
    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_by_id(pk)
        context = _sessions(request, [session])
        return Response(s.SessionSerializer(session, context=context).data)


class SessionTimelineView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from_ms",
                {"type": "integer", "minimum": 0, "maximum": TIMELINE_MAX_MS},
                description="The window's start (inclusive), ms from the "
                "session's start; default 0.",
            ),
            OpenApiParameter(
                "to_ms",
                {"type": "integer", "minimum": 0, "maximum": TIMELINE_MAX_MS},
                description="The window's end (exclusive); default the end of the "
                f"broadcast, at most {TIMELINE_MAX_WINDOW_MS} ms after from_ms.",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: s.TimelinePageSerializer, 400: ERROR, 404: ERROR},
        tags=TAGS,
        description="The room's events during the broadcast (chat with its `text`, gifts, "
        "hearts totals and, with the shop, pins), each the websocket event the room got plus "
        "`offset_ms`, ordered by `offset_ms`, read a window `[from_ms, to_ms)` at a time "
        f"(at most {TIMELINE_MAX_WINDOW_MS} ms: `window_too_long`; `to_ms` before `from_ms`: "
        "`window_reversed`), cursor-paginated within it. Deleted chat and the chat of "
        "members banned from the room never appear. A player at video time `t` s shows "
        "the events up to `t × 1000 + start_offset_ms`. `replay_unavailable` (404) unless "
        "you may watch the replay.",
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "results": [
                        {
                            "type": "chat",
                            "id": 812,
                            "user": {"id": 7, "username": "mai", "display_name": "Mai"},
                            "text": "hello from the replay",
                            "ts": "2026-12-06T20:00:04.250Z",
                            "nonce": None,
                            "offset_ms": 4250,
                        },
                        {"type": "hearts", "total": 37, "offset_ms": 5000},
                    ],
                    "next": None,
                    "from_ms": 0,
                    "to_ms": 600000,
                    "duration_ms": 1834000,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        query = validated(s.TimelineQueryInput, request.query_params)
        session = selectors.session_by_id(pk)
        selectors.replay_check_visible(request.user, session)
        page = selectors.session_timeline(
            session=session,
            from_ms=query.get("from_ms"),
            to_ms=query.get("to_ms"),
            cursor=cursor(request),
            limit=page_size(request),
        )
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        return Response(
            {
                "results": page.items,
                "next": next_url,
                "from_ms": page.from_ms,
                "to_ms": page.to_ms,
                "duration_ms": page.duration_ms,
            }
        )


def _replay_status(request: Request, replay: Replay) -> Response:
    return Response(s.ReplayStatusSerializer(replay, context={"request": request}).data)


def _manager_replay(request: Request, pk: int) -> Replay:
    session = selectors.session_by_id(pk)
    return selectors.replay_for_manager(request.user, session)


class SessionReplayView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=s.ReplayPublishInput,
        responses={200: s.ReplayStatusSerializer, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=TAGS,
        description="The host publishes the replay to members or unpublishes it (also while "
        "it is being made). `replay_gone` (409) once deleted or expired.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        data = validated(s.ReplayPublishInput, request.data)
        replay = _manager_replay(request, pk)
        replay = replay_access.replay_publish(
            actor=actor, replay=replay, published=data["published"]
        )
        return _replay_status(request, replay)

    @extend_schema(
        responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="The host (or a site moderator) deletes the replay: nobody can watch it "
        "any more and its files are removed. Idempotent.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        replay = _manager_replay(request, pk)
        replay_access.replay_delete(actor=actor, replay=replay)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionReplayHideView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=s.ReplayHideInput,
        responses={200: s.ReplayStatusSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=TAGS,
        description="A room moderator or a site moderator hides the replay from members, "
        "with a reason (its host and the moderators still see it, and why). Hiding again "
        "changes the reason.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        data = validated(s.ReplayHideInput, request.data)
        replay = _manager_replay(request, pk)
        replay = replay_access.replay_hide(actor=actor, replay=replay, reason=data["reason"])
        return _replay_status(request, replay)

    @extend_schema(
        responses={200: s.ReplayStatusSerializer, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=TAGS,
        description="A moderator shows a hidden replay again. Idempotent.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        replay = _manager_replay(request, pk)
        replay = replay_access.replay_unhide(actor=actor, replay=replay)
        return _replay_status(request, replay)


def _watcher_key(request: Request) -> str:
    """One viewer of a replay: the member, or an anonymous address (hashed)."""
    user = request.user
    if getattr(user, "is_authenticated", False):
        return f"u{user.pk}"
    seed = f"{settings.SECRET_KEY}:replay:{client_address(request)}"
    return "a" + hashlib.sha256(seed.encode()).hexdigest()[:20]


class SessionReplayWatchView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "replay_watch"

    @extend_schema(
        request=s.ReplayWatchInput,
        responses={204: None, 400: ERROR, 404: ERROR, 429: ERROR},
        tags=TAGS,
        description="The player's beacon while it plays (every ~15 s, and when it stops): "
        "`seconds` watched since the previous one. The replay's first beacon of the day "
        "from a viewer (a member, or an address) counts a view; seconds count no faster "
        "than time passes. Anyone who may watch the replay; throttled. The host's and the "
        "moderators' beacons are answered and not counted.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated(s.ReplayWatchInput, request.data)
        session = selectors.session_by_id(pk)
        replay = selectors.replay_check_visible(request.user, session)
        if selectors.replay_brief(replay) is None:
            raise ReplayUnavailable()
        # The host and the moderators reviewing it are not its audience.
        if not selectors.replay_manages(request.user, replay):
            replay_access.replay_watched(
                replay=replay, viewer_key=_watcher_key(request), seconds=data["seconds"]
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- gifts ---------------------------------------------------------------------


class RoomGiftView(APIView):
    """``POST /api/v1/live/rooms/{id}/gifts/``: the websocket ``gift`` frame
    over HTTP. The sender is always the caller. ``GET``: the room's last
    gifts (public, as the room's events are), which a room page whose
    connection was away asks for when it is back."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @property
    def throttle_scope(self) -> str | None:
        # Sending is a write; reading is throttled as any read.
        return None if self.request.method in SAFE_METHODS else "writes"

    @extend_schema(
        responses={200: s.RoomGiftsRecentSerializer, 404: ERROR},
        summary="A room's last gifts",
        description=f"The room's last {selectors.RECENT_GIFTS} gift events, oldest first, "
        "each exactly the websocket `gift` event the room got: what the room page opens "
        "with, and asks for again after its connection was away (the `hello` of a "
        "reconnect brings the chat said meanwhile, not the gifts).",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.room_gifts_recent(pk))

    @extend_schema(
        request=s.GiftSendInput,
        responses={
            201: s.GiftSentSerializer,
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
        data = validated(s.GiftSendInput, request.data)
        result = gift_services.room_gift_send(
            sender=_member(request),
            room_id=pk,
            gift_slug=data["gift"],
            quantity=data["quantity"],
            idempotency_key=data["idempotency_key"],
        )
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
    page shows on load (then ``leaderboard`` events keep it current)."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: s.RoomLeaderboardSerializer, 404: ERROR}, summary="A room's top gifters"
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.room_leaderboard(pk))
