"""The live rooms' Django admin: moderators watch rooms, end them, read chat,
delete messages, mute and ban authors, lift restrictions and hide replays;
superusers also see and revoke stream keys (by their hint: the key itself is
never stored) and have failed replays made again.

Moderators (the ``Moderators`` group, with ``is_staff``) get their rights
from migration 0002: view everything, change rooms, and
``live.moderate_room``, which every moderation action asks for. Every write
goes through ``live.services`` (so the room
hears about it); broadcasts, messages, restrictions and keys are otherwise
read-only. Changelists join what their columns show, and read the viewers of
a page's live rooms in one go, so a page costs the same queries whatever its
length.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.core.files.storage import storages
from django.db.models import Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import ngettext

from community.models import User
from core.admin import IsNullFilter, ReadOnlyAdminMixin
from live import permissions, selectors, services
from live.errors import DomainError
from live.models import ChatMessage, LiveSession, Replay, Room, RoomRestriction, StreamKey

ADMIN_REASON = "From the admin"


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin site only lets members in
    return user


def _run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    items: Iterable[Any],
    call: Callable[[User, Any], Model | None],
    *,
    singular: str,
    plural: str,
    log_message: str,
) -> None:
    """Hand each item to a service; count and log what changed (the service
    returns the changed row, or None for "nothing to do") and show every
    refusal once."""
    user = _acting_user(request)
    changed: list[Model] = []
    refusals: dict[str, int] = {}
    for item in items:
        try:
            row = call(user, item)
        except DomainError as exc:
            refusals[exc.message] = refusals.get(exc.message, 0) + 1
            continue
        if row is not None:
            changed.append(row)
    if changed:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=changed,
            action_flag=CHANGE,
            change_message=log_message,
        )
    level = messages.SUCCESS if changed else messages.WARNING
    modeladmin.message_user(request, ngettext(singular, plural, len(changed)) % len(changed), level)
    for message, count in refusals.items():
        modeladmin.message_user(request, f"{message} ({count}×)", messages.ERROR)


class ModerationMixin:
    """Moderation actions (end, delete, mute, ban, lift) need
    ``live.moderate_room`` or the community's moderator right, as the
    services do."""

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return permissions.is_site_moderator(request.user)


# --- rooms ------------------------------------------------------------------------


class RoomChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # One read of the hot state for the page's live rooms.
        counts = selectors.room_counts(self.result_list)
        for room in self.result_list:
            setattr(room, "live_counts", counts.get(room.pk, selectors.NO_COUNTS))  # noqa: B010


class ModeratorFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        room = self.instance
        for form in self.forms:
            user = form.cleaned_data.get("user") if hasattr(form, "cleaned_data") else None
            deleting = form.cleaned_data.get("DELETE") if hasattr(form, "cleaned_data") else False
            if user is not None and not deleting and user.pk == room.host_id:
                raise forms.ValidationError("The host already moderates the room.")


class ModeratorInline(admin.TabularInline):
    """The room's moderators. The host and site moderators choose them
    (``live.services.room_moderator_add``'s rule)."""

    model = Room.moderators.through
    formset = ModeratorFormSet
    raw_id_fields = ("user",)
    extra = 0
    verbose_name = "room moderator"
    verbose_name_plural = "room moderators"

    # An auto-created M2M table would ask for rights on the *user* model;
    # choosing a room's moderators is moderation.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("live.view_room")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_site_moderator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_site_moderator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_site_moderator(request.user)


@admin.register(Room)
class RoomAdmin(ModerationMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "host",
        "state",
        "viewers_now",
        "started_at",
        "ended_at",
        "created_at",
    )
    list_filter = ("state", "started_at", "created_at")
    list_select_related = ("host",)
    search_fields = ("title", "host__username", "stream_name")
    fields = (
        "title",
        "host",
        "state",
        "viewers_now",
        "hls_url",
        "stream_name",
        "cover",
        "slow_mode_seconds",
        "blocked_words",
        "created_at",
        "started_at",
        "ended_at",
        "last_seen_at",
    )
    readonly_fields = (
        "host",
        "state",
        "viewers_now",
        "hls_url",
        "stream_name",
        "created_at",
        "started_at",
        "ended_at",
        "last_seen_at",
    )
    inlines = (ModeratorInline,)
    actions = ("end_rooms",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # hosts create rooms (live.services.room_create)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        # Ending asks for live.moderate_room itself (live.services.room_end).
        return permissions.is_site_moderator(request.user)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RoomChangeList

    @admin.display(description="viewers now")
    def viewers_now(self, room: Room) -> int | str:
        if room.state != Room.State.LIVE:
            return "—"
        counts = getattr(room, "live_counts", None)
        if counts is None:  # the change page: one room
            counts = selectors.room_counts([room]).get(room.pk, selectors.NO_COUNTS)
        return int(counts.viewers)

    @admin.display(description="HLS playlist")
    def hls_url(self, room: Room) -> str:
        return selectors.room_hls_url(room) or "—"

    @admin.action(description="End selected rooms", permissions=["moderate"])
    def end_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        def end(user: User, room: Room) -> Room | None:
            if room.state == Room.State.ENDED:
                return None
            services.room_end(actor=user, room=room)
            return room

        _run_each(
            self,
            request,
            queryset.select_related("host"),
            end,
            singular="%d room ended.",
            plural="%d rooms ended.",
            log_message="Ended the room",
        )


# --- broadcasts -------------------------------------------------------------------


@admin.register(LiveSession)
class LiveSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every broadcast and the traffic it brought."""

    list_display = (
        "room",
        "host",
        "started_at",
        "ended_at",
        "duration",
        "peak_viewers",
        "unique_viewers",
        "watch_minutes",
        "chat_messages",
        "hearts",
        "new_followers",
        "dropped_connections",
    )
    list_select_related = ("room__host",)
    list_filter = (
        ("room__host", admin.RelatedOnlyFieldListFilter),
        ("room", admin.RelatedOnlyFieldListFilter),
        "started_at",
    )
    search_fields = ("room__title", "room__host__username")
    date_hierarchy = "started_at"
    readonly_fields = (
        "room",
        "host",
        "started_at",
        "ended_at",
        "duration",
        "client_addr",
        "peak_viewers",
        "unique_viewers",
        "watch_seconds",
        "watch_minutes",
        "chat_messages",
        "hearts",
        "new_followers",
        "dropped_connections",
    )
    fields = readonly_fields

    @admin.display(description="host", ordering="room__host__username")
    def host(self, session: LiveSession) -> str:
        return session.room.host.username

    @admin.display(description="duration")
    def duration(self, session: LiveSession) -> str:
        if session.ended_at is None:
            return "live"
        minutes, seconds = divmod(session.duration_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}"

    @admin.display(description="watch time (min)", ordering="watch_seconds")
    def watch_minutes(self, session: LiveSession) -> int:
        return session.watch_seconds // 60


# --- replays -------------------------------------------------------------------------


class HiddenFilter(IsNullFilter):
    title = "hidden"
    parameter_name = "hidden"
    field = "hidden_at"
    options = (("no", "Shown", True), ("yes", "Hidden by a moderator", False))


def _replay_access() -> ModuleType:
    # Who may watch, hide or delete a replay is the serving side's
    # (live.services.replay_access); imported when an action runs.
    return importlib.import_module("live.services.replay_access")


def _duration(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "—"
    minutes, seconds = divmod(milliseconds // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


@admin.register(Replay)
class ReplayAdmin(ModerationMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every broadcast's replay: where its making is (``live.services.replays``),
    its files (read-only links), its traffic. Moderators hide and unhide
    replays (``live.services.replay_access``); staff who may change replays
    have a failed one made again from its recordings."""

    list_display = (
        "__str__",
        "state",
        "room",
        "host",
        "duration",
        "views",
        "published",
        "hidden",
        "created_at",
    )
    list_select_related = ("session__room__host",)
    list_filter = ("state", "published", HiddenFilter, "created_at")
    search_fields = ("session__room__title", "session__room__host__username", "token")
    date_hierarchy = "created_at"
    fields = (
        "session",
        "room",
        "host",
        "state",
        "error",
        "attempts",
        "published",
        "hidden_at",
        "hidden_by",
        "hidden_reason",
        "duration",
        "start_offset_ms",
        "size_bytes",
        "files",
        "renditions",
        "expected_renditions",
        "recordings",
        "views",
        "watch_seconds",
        "created_at",
        "processing_started_at",
        "finished_at",
        "deleted_at",
    )
    readonly_fields = fields
    actions = ("finish_again", "hide_replays", "unhide_replays")

    def has_finish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.change_replay")

    @admin.display(description="room", ordering="session__room__title")
    def room(self, replay: Replay) -> Room:
        return replay.session.room

    @admin.display(description="host", ordering="session__room__host__username")
    def host(self, replay: Replay) -> str:
        return replay.session.room.host.username

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, replay: Replay) -> str:
        return _duration(replay.duration_ms)

    @admin.display(description="hidden", boolean=True, ordering="hidden_at")
    def hidden(self, replay: Replay) -> bool:
        return replay.hidden_at is not None

    @admin.display(description="files")
    def files(self, replay: Replay) -> SafeString | str:
        storage = storages["replays"]
        named = [
            (label, name)
            for label, name in (
                ("playlist", replay.playlist),
                ("poster", replay.poster),
                ("preview", replay.preview),
            )
            if name
        ]
        if not named:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '{}: <a href="{}">{}</a>',
            ((label, storage.url(name), name) for label, name in named),
        )

    @admin.display(description="recordings")
    def recordings(self, replay: Replay) -> SafeString | str:
        sources = list(replay.sources.all())
        if not sources:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            ((s.rendition, s.path) for s in sources),
        )

    @admin.action(description="Make selected replays again", permissions=["finish"])
    def finish_again(self, request: HttpRequest, queryset: QuerySet[Replay]) -> None:
        _run_each(
            self,
            request,
            queryset.select_related("session"),
            lambda user, replay: services.replay_finish_again(replay),
            singular="%d replay sent to be made again.",
            plural="%d replays sent to be made again.",
            log_message="Sent to be made again",
        )

    @admin.action(description="Hide selected replays", permissions=["moderate"])
    def hide_replays(self, request: HttpRequest, queryset: QuerySet[Replay]) -> None:
        replay_access = _replay_access()

        def hide(user: User, replay: Replay) -> Replay | None:
            if replay.hidden_at is not None:
                return None
            return replay_access.replay_hide(actor=user, replay=replay, reason=ADMIN_REASON)

        _run_each(
            self,
            request,
            queryset.select_related("session__room"),
            hide,
            singular="%d replay hidden.",
            plural="%d replays hidden.",
            log_message="Hid the replay",
        )

    @admin.action(description="Unhide selected replays", permissions=["moderate"])
    def unhide_replays(self, request: HttpRequest, queryset: QuerySet[Replay]) -> None:
        replay_access = _replay_access()

        def unhide(user: User, replay: Replay) -> Replay | None:
            if replay.hidden_at is None:
                return None
            return replay_access.replay_unhide(actor=user, replay=replay)

        _run_each(
            self,
            request,
            queryset.select_related("session__room"),
            unhide,
            singular="%d replay shown again.",
            plural="%d replays shown again.",
            log_message="Unhid the replay",
        )


# --- chat ---------------------------------------------------------------------------


class DeletedFilter(IsNullFilter):
    title = "deleted"
    parameter_name = "deleted"
    field = "deleted_at"
    options = (("no", "Shown", True), ("yes", "Deleted", False))


@admin.register(ChatMessage)
class ChatMessageAdmin(ModerationMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every chat line, kept for moderation."""

    list_display = ("short_text", "user", "room", "created_at", "deleted", "deleted_by")
    list_select_related = ("user", "room", "deleted_by")
    list_filter = (DeletedFilter, ("room", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("text", "user__username")
    date_hierarchy = "created_at"
    fields = ("text", "user", "room", "session", "created_at", "deleted_at", "deleted_by")
    readonly_fields = fields
    actions = ("delete_messages", "mute_authors", "ban_authors")

    @admin.display(description="text")
    def short_text(self, message: ChatMessage) -> str:
        return Truncator(message.text).chars(80)

    @admin.display(description="deleted", boolean=True, ordering="deleted_at")
    def deleted(self, message: ChatMessage) -> bool:
        return message.deleted_at is not None

    @admin.action(description="Delete selected messages", permissions=["moderate"])
    def delete_messages(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> None:
        def delete(user: User, message: ChatMessage) -> ChatMessage | None:
            if message.deleted_at is not None:
                return None
            return services.message_delete(actor=user, message=message)

        _run_each(
            self,
            request,
            queryset.select_related("room"),
            delete,
            singular="%d message deleted.",
            plural="%d messages deleted.",
            log_message="Deleted the message",
        )

    def _restrict_authors(
        self, request: HttpRequest, queryset: QuerySet[ChatMessage], kind: str
    ) -> None:
        restrict = services.member_ban if kind == RoomRestriction.Kind.BAN else services.member_mute
        # One restriction per author and room, however many lines they wrote.
        pairs: dict[tuple[int, int], ChatMessage] = {}
        for message in queryset.select_related("room", "user").order_by("-pk"):
            pairs.setdefault((message.room_id, message.user_id), message)

        def apply(user: User, message: ChatMessage) -> RoomRestriction:
            reason = f"{ADMIN_REASON}: “{Truncator(message.text).chars(150)}”"
            return restrict(actor=user, room=message.room, user=message.user, reason=reason)

        done = "banned" if kind == RoomRestriction.Kind.BAN else "muted"
        _run_each(
            self,
            request,
            pairs.values(),
            apply,
            singular=f"%d author {done} in the message's room.",
            plural=f"%d authors {done} in their messages' rooms.",
            log_message=f"{done.capitalize()} the author",
        )

    @admin.action(description="Mute the authors in those rooms", permissions=["moderate"])
    def mute_authors(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> None:
        self._restrict_authors(request, queryset, RoomRestriction.Kind.MUTE)

    @admin.action(description="Ban the authors from those rooms", permissions=["moderate"])
    def ban_authors(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> None:
        self._restrict_authors(request, queryset, RoomRestriction.Kind.BAN)


# --- restrictions ----------------------------------------------------------------------


def _in_force() -> Q:
    return Q(lifted_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


class InForceFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, str]]:
        return (("in_force", "In force"), ("lifted", "Lifted"), ("expired", "Expired"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "in_force":
            return queryset.filter(_in_force())
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(lifted_at__isnull=True, expires_at__lte=timezone.now())
        return queryset


@admin.register(RoomRestriction)
class RoomRestrictionAdmin(ModerationMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Mutes and bans. Made by room moderators (the room page, the API) or
    from the chat messages here; lifted by the action."""

    list_display = (
        "user",
        "kind",
        "room",
        "reason",
        "created_by",
        "created_at",
        "expires_at",
        "lifted_at",
        "in_force",
    )
    list_select_related = ("user", "room", "created_by")
    list_filter = (InForceFilter, "kind", "created_at")
    search_fields = ("user__username", "room__title", "reason")
    fields = (
        "user",
        "kind",
        "room",
        "reason",
        "created_by",
        "created_at",
        "expires_at",
        "lifted_at",
    )
    readonly_fields = fields
    actions = ("lift_restrictions",)

    @admin.display(description="in force", boolean=True)
    def in_force(self, restriction: RoomRestriction) -> bool:
        if restriction.lifted_at is not None:
            return False
        return restriction.expires_at is None or restriction.expires_at > timezone.now()

    @admin.action(description="Lift selected restrictions", permissions=["moderate"])
    def lift_restrictions(self, request: HttpRequest, queryset: QuerySet[RoomRestriction]) -> None:
        def lift(user: User, restriction: RoomRestriction) -> RoomRestriction | None:
            if restriction.lifted_at is not None:
                return None
            call = (
                services.member_unban
                if restriction.kind == RoomRestriction.Kind.BAN
                else services.member_unmute
            )
            lifted = call(actor=user, room=restriction.room, user=restriction.user)
            return restriction if lifted else None

        _run_each(
            self,
            request,
            queryset.select_related("room", "user"),
            lift,
            singular="%d restriction lifted.",
            plural="%d restrictions lifted.",
            log_message="Lifted the restriction",
        )


# --- stream keys ------------------------------------------------------------------------


class ActiveKeyFilter(IsNullFilter):
    title = "status"
    parameter_name = "status"
    field = "revoked_at"
    options = (("active", "Active", True), ("revoked", "Revoked", False))


@admin.register(StreamKey)
class StreamKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Hosts' stream keys by hint (the key is stored only as a digest).
    Revoking refuses the key at once, a running stream included."""

    list_display = ("hint_shown", "host", "created_at", "revoked_at", "active")
    list_select_related = ("host",)
    list_filter = (ActiveKeyFilter, "created_at")
    search_fields = ("host__username", "hint")
    fields = ("hint_shown", "host", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke_keys",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.change_streamkey")

    @admin.display(description="key", ordering="hint")
    def hint_shown(self, key: StreamKey) -> str:
        return f"{key.hint}…"

    @admin.display(description="active", boolean=True)
    def active(self, key: StreamKey) -> bool:
        return key.revoked_at is None

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[StreamKey]) -> None:
        def revoke(user: User, key: StreamKey) -> StreamKey | None:
            if key.revoked_at is not None:
                return None
            return services.stream_key_revoke(host=key.host)

        _run_each(
            self,
            request,
            queryset.filter(revoked_at__isnull=True).select_related("host"),
            revoke,
            singular="%d key revoked.",
            plural="%d keys revoked.",
            log_message="Revoked the key",
        )
