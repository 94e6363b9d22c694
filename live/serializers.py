"""Input and output serializers of the live rooms' API.

As elsewhere: inputs only check shape and types (the rules live in
``live.services``, ``live.chat``, ``live.keys``); outputs are read-only and
render what ``live.selectors`` loaded. Hot figures (viewers, hearts) reach
the room serializers through the context (``counts``: room id ->
:class:`~live.selectors.RoomCounts`), read for a whole page at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from community.serializers import UserBriefSerializer
from live import extensions, selectors
from live.chat import MAX_REASON_LENGTH
from live.models import COVER_MAX_SIDE, Replay, Room, RoomRestriction
from live.selectors.replays import TIMELINE_MAX_MS, TIMELINE_MAX_WINDOW_MS
from live.services.replay_access import WATCH_BEACON_MAX_SECONDS
from wallet.rules import (
    GIFT_KEY_MAX_LENGTH,
    GIFT_KEY_PATTERN,
    GIFT_QUANTITY_MAX,
    GIFT_QUANTITY_MIN,
    GIFT_SLUG_MAX_LENGTH,
    KEY_CHARACTERS,
    gift_input_check,
)

MAX_MINUTES = 60 * 24 * 365  # a year: longer means "until lifted" (leave it out)


def _origin(request: Any) -> str:
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


# --- output -------------------------------------------------------------------


def _with_extras(
    payloads: list[dict[str, Any]], rooms: list[Room], request: Any
) -> list[dict[str, Any]]:
    """The keys the apps above add to rooms (``extensions.room_payload_extras``:
    the shop's ``pinned_product``), loaded once for all of ``rooms``."""
    extras = extensions.room_payload_extras.items()
    if not extras or not rooms:
        return payloads
    for extra in extras:
        values = extra.load(rooms, request)
        for room, payload in zip(rooms, payloads, strict=True):
            payload[extra.key] = values[room.pk] if room.pk in values else extra.default()
    return payloads


class RoomListSerializer(serializers.ListSerializer):
    """A page of rooms, with the extras of the apps above loaded for the
    whole page at once."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        rooms = list(data.all() if hasattr(data, "all") else data)
        child = self.child
        assert child is not None
        payloads = [dict(child.to_representation(room)) for room in rooms]
        return _with_extras(payloads, rooms, self.context.get("request"))


class RoomSerializer(serializers.Serializer):
    """A room as lists show it (with the keys other apps add:
    ``extensions.room_payload_extras``)."""

    class Meta:
        list_serializer_class = RoomListSerializer

    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=Room.State.choices)
    host = UserBriefSerializer()
    cover = serializers.SerializerMethodField()
    viewers = serializers.SerializerMethodField(help_text="Watching now (0 unless live).")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="The room's page.")
    hls_url = serializers.SerializerMethodField(
        help_text="The HLS playlist while the room is live; null otherwise."
    )

    def _counts(self, room: Room) -> selectors.RoomCounts:
        counts: dict[int, selectors.RoomCounts] = self.context.get("counts", {})
        return counts.get(room.pk, selectors.NO_COUNTS)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_cover(self, room: Room) -> str | None:
        if not room.cover:
            return None
        url = room.cover.url
        return _origin(self.context.get("request")) + url if url.startswith("/") else url

    def get_viewers(self, room: Room) -> int:
        return self._counts(room).viewers

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, room: Room) -> str:
        return _absolute(self.context.get("request"), selectors.room_url(room))

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_hls_url(self, room: Room) -> str | None:
        return selectors.room_hls_url(room)

    def to_representation(self, instance: Room) -> dict[str, Any]:
        payload = dict(super().to_representation(instance))
        if isinstance(self.parent, RoomListSerializer):
            return payload  # the list adds the extras for its whole page
        return _with_extras([payload], [instance], self.context.get("request"))[0]


class RoomDetailSerializer(RoomSerializer):
    """One room (a :class:`~live.selectors.RoomDetail` supplies the extras
    through the context as ``detail``)."""

    hearts = serializers.SerializerMethodField(help_text="Hearts of the running broadcast.")
    moderators = serializers.SerializerMethodField(help_text="Room moderators (the host aside).")
    session_id = serializers.SerializerMethodField(
        help_text="The running broadcast (GET /api/v1/live/sessions/{id}/report); null unless live."
    )
    slow_mode_seconds = serializers.IntegerField()
    can_moderate = serializers.SerializerMethodField(
        help_text="Whether you may end the room, mute, ban and delete messages in it."
    )

    def _detail(self) -> selectors.RoomDetail:
        detail: selectors.RoomDetail = self.context["detail"]
        return detail

    def get_hearts(self, room: Room) -> int:
        return self._counts(room).hearts

    @extend_schema_field(UserBriefSerializer(many=True))
    def get_moderators(self, room: Room) -> list[dict[str, Any]]:
        return list(
            UserBriefSerializer(self._detail().moderators, many=True, context=self.context).data
        )

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_session_id(self, room: Room) -> int | None:
        return self._detail().session_id

    def get_can_moderate(self, room: Room) -> bool:
        return self._detail().can_moderate


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Single use; connect with `?ticket=`.")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid.")
    ws_url = serializers.CharField(help_text="The room's websocket URL, ticket included.")


class StreamKeySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The new stream key: shown this once, never again.")
    ingest_url = serializers.CharField(help_text="Where to publish RTMP.")
    server = serializers.CharField(help_text="OBS “Server”: the RTMP URL.")
    stream_key = serializers.CharField(help_text="OBS “Stream Key”: the key.")
    hint = serializers.CharField(help_text="The key's first characters, to recognise it later.")
    created_at = serializers.DateTimeField()


class RestrictionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserBriefSerializer()
    kind = serializers.ChoiceField(choices=RoomRestriction.Kind.choices)
    reason = serializers.CharField()
    created_by = serializers.CharField(
        source="created_by.username", allow_null=True, default=None, help_text="The moderator."
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: until lifted.")


class LiftedSerializer(serializers.Serializer):
    lifted = serializers.BooleanField(help_text="False when nothing of that kind was in force.")


class TrafficSerializer(serializers.Serializer):
    peak_viewers = serializers.IntegerField()
    unique_viewers = serializers.IntegerField()
    watch_seconds = serializers.IntegerField()
    average_watch_seconds = serializers.IntegerField()
    chat_messages = serializers.IntegerField()
    hearts = serializers.IntegerField()
    new_followers = serializers.IntegerField()
    dropped_connections = serializers.IntegerField(
        help_text="Viewers disconnected because they could not keep up."
    )


class CashSerializer(serializers.Serializer):
    gifts = serializers.IntegerField(help_text="Gift items received.")
    coins = serializers.IntegerField(help_text="What the senders paid, in coins.")
    unique_payers = serializers.IntegerField(help_text="How many members sent gifts.")
    earnings = serializers.IntegerField(help_text="Coins credited to the host's earnings.")


class ReplayTrafficSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Replay.State.choices)
    published = serializers.BooleanField()
    hidden = serializers.BooleanField()
    views = serializers.IntegerField(help_text="Viewers of the replay, each counted once a day.")
    watch_seconds = serializers.IntegerField(help_text="Seconds of the replay watched.")
    average_watch_seconds = serializers.IntegerField(help_text="Per view.")


class SessionReportSerializer(serializers.Serializer):
    """What one broadcast brought (for the schema; the view returns the
    report as ``live.selectors.session_report`` builds it)."""

    session_id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    title = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    running = serializers.BooleanField(help_text="True while live: the figures so far.")
    duration_seconds = serializers.IntegerField()
    traffic = TrafficSerializer()
    cash = CashSerializer(
        allow_null=True,
        help_text="The host's money: null for the room's and the site's moderators, who "
        "see its traffic only.",
    )
    replay = ReplayTrafficSerializer(
        allow_null=True,
        help_text="The replay's traffic, apart from the live figures; null when none was kept.",
    )


class GiftSentSerializer(serializers.Serializer):
    gift_id = serializers.IntegerField()
    coins = serializers.IntegerField(help_text="What the gift cost.")
    balance = serializers.IntegerField(help_text="Your coins after it.")
    replayed = serializers.BooleanField(help_text="True: an earlier send with this key.")


class EventUserSerializer(serializers.Serializer):
    """A member as the room's events name them (``live.events.user_brief``)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class GiftBriefSerializer(serializers.Serializer):
    """A gift as the room's events show it (``live.events.GiftBrief``)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    coins = serializers.IntegerField(help_text="Price of one, in coins.")
    animation_tier = serializers.IntegerField(
        help_text="1 small (inline), 2 medium (banner), 3 large (full screen)."
    )
    emoji = serializers.CharField(help_text="Shown when there is no image.")
    image = serializers.CharField(help_text="A URL, or empty.")


class GiftEventSerializer(serializers.Serializer):
    """The room's ``gift`` websocket event, exactly as the room got it."""

    type = serializers.ChoiceField(choices=["gift"])
    id = serializers.IntegerField(help_text="The send's id: one gift line per id.")
    user = EventUserSerializer()
    gift = GiftBriefSerializer()
    quantity = serializers.IntegerField()
    coins = serializers.IntegerField(help_text="The whole send's coins.")
    ts = serializers.DateTimeField()


class RoomGiftsRecentSerializer(serializers.Serializer):
    gifts = GiftEventSerializer(many=True, help_text="The room's last gifts, oldest first.")


class RoomLeaderboardSerializer(serializers.Serializer):
    session_id = serializers.IntegerField(allow_null=True)
    top = serializers.ListField(child=serializers.DictField())


# --- sessions and replays --------------------------------------------------------


class ReplayBriefSerializer(serializers.Serializer):
    """What a player needs (``live.selectors.replay_brief``)."""

    hls_url = serializers.CharField(
        help_text="The HLS playlist, absolute (a master playlist when the replay has several "
        "renditions)."
    )
    duration_s = serializers.FloatField(help_text="The video's length in seconds.")
    poster_url = serializers.CharField(allow_null=True, help_text="A still of the broadcast.")
    preview_url = serializers.CharField(
        allow_null=True, help_text="A few silent seconds of it (MP4), for cards."
    )


def _absolute_brief(request: Any, brief: Any) -> Any:
    """A replay brief with its URLs absolute, as every URL of the API is (a
    storage elsewhere gives absolute ones already: left as they are)."""
    if not brief:
        return brief
    return {
        name: _absolute(request, value) if name.endswith("_url") and value else value
        for name, value in brief.items()
    }


class SessionSerializer(serializers.Serializer):
    """A broadcast; ``replay`` is what the caller may play (the view loads it
    for the whole page: ``replays`` in the context, session id -> brief)."""

    id = serializers.IntegerField()
    room = serializers.IntegerField(source="room_id", help_text="The room's id.")
    host = UserBriefSerializer(source="room.host")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Null while live.")
    replay = serializers.SerializerMethodField(
        help_text="Null unless the replay is ready and you may watch it (published and not "
        "hidden; its host and moderators may watch it anyway)."
    )

    @extend_schema_field(ReplayBriefSerializer(allow_null=True))
    def get_replay(self, session: Any) -> Any:
        replays: dict[int, Any] = self.context.get("replays", {})
        return _absolute_brief(self.context.get("request"), replays.get(session.pk))


class ReplayStatusSerializer(serializers.Serializer):
    """A replay as its host and moderators manage it."""

    state = serializers.ChoiceField(choices=Replay.State.choices)
    published = serializers.BooleanField(help_text="The host shows it to members.")
    hidden = serializers.SerializerMethodField(help_text="A moderator hid it from members.")
    hidden_reason = serializers.CharField(help_text="Why, when hidden.")
    views = serializers.IntegerField(help_text="Viewers a day, summed.")
    watch_seconds = serializers.IntegerField()
    replay = serializers.SerializerMethodField(help_text="What a player needs once ready.")

    def get_hidden(self, replay: Replay) -> bool:
        return replay.hidden_at is not None

    @extend_schema_field(ReplayBriefSerializer(allow_null=True))
    def get_replay(self, replay: Replay) -> Any:
        return _absolute_brief(self.context.get("request"), selectors.replay_brief(replay))


TIMELINE_KINDS = ("chat", "gift", "hearts", "product_pinned", "product_unpinned")


@extend_schema_field(
    {
        "type": "object",
        "description": "The room's websocket event of that `type` exactly as the room got it "
        "live (see the websocket contract), plus `offset_ms`: whole milliseconds from the "
        "session's start. `product_pinned` / `product_unpinned` only with the shop.",
        "required": ["type", "offset_ms"],
        "properties": {
            "type": {"type": "string", "enum": list(TIMELINE_KINDS)},
            "offset_ms": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": True,
    }
)
class TimelineItemField(serializers.DictField):
    pass


class TimelinePageSerializer(serializers.Serializer):
    results = serializers.ListField(child=TimelineItemField())
    next = serializers.URLField(allow_null=True, help_text="The next page of this window, or null.")
    from_ms = serializers.IntegerField(help_text="The window read: from (inclusive)...")
    to_ms = serializers.IntegerField(help_text="...to (exclusive).")
    duration_ms = serializers.IntegerField(help_text="The broadcast's length (so far, while live).")


# --- input --------------------------------------------------------------------


class RoomQueryInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=Room.State.choices, required=False, allow_blank=True)


# The service trims the title and refuses a blank one or one over its limit
# with its own messages (live.services.rooms); the schema states both rules.
@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"})
class RoomTitleText(serializers.CharField):
    pass


class RoomCreateInput(serializers.Serializer):
    title = RoomTitleText(
        max_length=1000,
        error_messages={"blank": "A room needs a title."},  # the service's words
        help_text="1–100 characters.",
    )
    cover = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Multipart only: JPEG, PNG or WebP, checked and cleaned like every photo "
        f"(no metadata kept) and scaled to at most {COVER_MAX_SIDE} px a side.",
    )


class ModeratorInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The member to make moderator.")


# Named as the request half of ``Restriction`` (drf-spectacular's split
# components): one component owns the ``kind`` choices, so the enum gets a
# stable name beside other apps' ``kind`` fields.
@extend_schema_serializer(component_name="Restriction")
class RestrictionInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The member to mute or ban.")
    kind = serializers.ChoiceField(choices=RoomRestriction.Kind.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_MINUTES,
        required=False,
        allow_null=True,
        default=None,
        help_text="How long; leave out for “until lifted”.",
    )


class GiftSendInput(serializers.Serializer):
    """A gift's request, checked by ``wallet.rules`` exactly as the websocket's
    ``gift`` frame is (the same codes, messages and fields): the fields
    below describe it for the schema, the rules check it. A form's values
    are strings: its quantity is read as the number it spells."""

    gift = serializers.CharField(
        max_length=GIFT_SLUG_MAX_LENGTH, help_text="The gift's slug (GET /api/v1/gifts/)."
    )
    quantity = serializers.IntegerField(
        min_value=GIFT_QUANTITY_MIN, max_value=GIFT_QUANTITY_MAX, default=GIFT_QUANTITY_MIN
    )
    idempotency_key = serializers.RegexField(
        GIFT_KEY_PATTERN,
        max_length=GIFT_KEY_MAX_LENGTH,
        help_text="A new key per gift; a retry repeats it (counted once). "
        f"1 to {GIFT_KEY_MAX_LENGTH} characters: {KEY_CHARACTERS}.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            return dict(super().to_internal_value(data))  # DRF's "expected an object"
        values = dict(data.items())
        quantity = values.get("quantity")
        if isinstance(data, QueryDict) and isinstance(quantity, str) and quantity.isdecimal():
            values["quantity"] = int(quantity)
        return asdict(gift_input_check(values))


class LiftInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RoomRestriction.Kind.choices)


class TimelineQueryInput(serializers.Serializer):
    from_ms = serializers.IntegerField(
        min_value=0, max_value=TIMELINE_MAX_MS, required=False, help_text="Default 0."
    )
    to_ms = serializers.IntegerField(
        min_value=0,
        max_value=TIMELINE_MAX_MS,
        required=False,
        help_text=f"Exclusive; default the end of the broadcast, at most "
        f"{TIMELINE_MAX_WINDOW_MS} ms after from_ms.",
    )


class ReplayPublishInput(serializers.Serializer):
    published = serializers.BooleanField(help_text="Show the replay to members, or not.")


class ReplayHideInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        help_text=f"Why (1–{MAX_REASON_LENGTH} characters): the host sees it.",
    )


class ReplayWatchInput(serializers.Serializer):
    seconds = serializers.IntegerField(
        min_value=1,
        max_value=WATCH_BEACON_MAX_SECONDS,
        help_text="Seconds played since the previous beacon.",
    )
