"""The Django admin of the notes community, first of all the moderators' desk.

Moderators (the ``Moderators`` group of migration 0002, with ``is_staff``)
work the report queue and hide or restore notes and comments. Every change of
visibility goes through ``community.services`` so counters, topic counts and
scores stay exact; the admin never writes those fields itself. Changelists
join or annotate what their columns show, so a page costs the same few
queries whatever its length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import Count, Model, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import ngettext

from community import permissions, photos, services, text
from community.models import (
    Block,
    Board,
    Comment,
    Follow,
    Note,
    Notification,
    Photo,
    Report,
    Topic,
    User,
)
from core.admin import DefaultStatusFilter, ReadOnlyAdminMixin, ask_reason
from core.errors import DomainError

if TYPE_CHECKING:
    pass

admin.site.site_header = "Sprout administration"
admin.site.site_title = "Sprout admin"
admin.site.index_title = "Community and moderation"

THUMBNAIL_BOX = 56  # px: the longest side of a changelist thumbnail


# --- helpers ----------------------------------------------------------------


def _open_report_count(field: str) -> Coalesce:
    """Open reports whose ``field`` points at the outer row, as a subquery:
    unlike a JOIN + COUNT it needs no GROUP BY over every column of the row."""
    counted = (
        Report.objects.filter(**{field: OuterRef("pk")}, status=Report.Status.OPEN)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def _admin_link(obj: Model, label: str) -> SafeString:
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


def _thumbnail(photo: Photo | None) -> SafeString | str:
    """A small <img> of a photo: its smallest rendition, or the original
    while the renditions are still being made."""
    if photo is None:
        return "—"
    payload = photos.photo_payload(photo)
    renditions: dict[str, dict[str, str]] = payload["renditions"]
    smallest = min(renditions, key=int) if renditions else None
    src = renditions[smallest].get("jpeg", payload["original"]) if smallest else payload["original"]
    if not src:
        return "—"
    # Width and height attributes keep the aspect ratio without inline styles.
    width, height = photo.width or THUMBNAIL_BOX, photo.height or THUMBNAIL_BOX
    scale = THUMBNAIL_BOX / max(width, height)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy">',
        src,
        max(1, round(width * scale)),
        max(1, round(height * scale)),
    )


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin site only lets members in
    return user


ModerationCall = Callable[[User, QuerySet[Any]], int]
AdminAction = Callable[[Any, HttpRequest, QuerySet[Any]], None]


def _moderation_action(
    name: str,
    description: str,
    call: ModerationCall,
    *,
    singular: str,
    plural: str,
    source_status: str | None = None,
) -> AdminAction:
    """A bulk action that hands the selected rows to a moderation service,
    records the rows it changed in the admin history and tells the moderator
    how many changed. ``source_status`` is the status the service acts on
    (rows in another status are left alone by it, and so not logged)."""

    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        user = _acting_user(request)
        # Changelist querysets carry annotations and prefetches the services
        # do not need (and SELECT ... FOR UPDATE dislikes): hand over ids.
        ids = list(queryset.values_list("pk", flat=True))
        plain = queryset.model._default_manager.filter(pk__in=ids)
        try:
            with transaction.atomic():
                affected = list(plain.filter(status=source_status) if source_status else plain)
                changed = call(user, plain)
                if changed and affected:
                    LogEntry.objects.log_actions(
                        user_id=user.pk,
                        queryset=affected,
                        action_flag=CHANGE,
                        change_message=description,
                    )
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return
        message = ngettext(singular, plural, changed) % changed
        if changed < len(ids):
            message += f" {len(ids) - changed} of the {len(ids)} selected needed no change."
        modeladmin.message_user(request, message, messages.SUCCESS if changed else messages.WARNING)

    action.__name__ = name
    return admin.action(description=description, permissions=["moderate"])(action)


def _hide_with_reason(
    name: str,
    description: str,
    call: Callable[[User, QuerySet[Any], str], int],
    *,
    intro: str,
    singular: str,
    plural: str,
    source_status: str,
) -> AdminAction:
    """A moderation action that first asks why (the authors are told):
    ``core.admin.ask_reason``'s page, then the service with the reason."""

    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        asked = ask_reason(
            modeladmin,
            request,
            queryset,
            action_name=name,
            submit_label=description,
            intro=intro,
            max_length=500,
            help_text="The authors are told this, with a link to what was hidden.",
        )
        if not isinstance(asked, str):
            return asked
        apply = _moderation_action(
            name,
            description,
            lambda user, qs: call(user, qs, asked),
            singular=singular,
            plural=plural,
            source_status=source_status,
        )
        apply(modeladmin, request, queryset)
        return None

    action.__name__ = name
    return admin.action(description=description, permissions=["moderate"])(action)


hide_notes = _hide_with_reason(
    "hide_notes",
    "Hide selected notes",
    lambda user, qs, reason: services.notes_set_hidden(
        moderator=user, notes=qs, hidden=True, reason=reason
    ),
    intro="Hide these notes? Nobody but their authors sees them until restored.",
    singular="%d note hidden.",
    plural="%d notes hidden.",
    source_status=Note.Status.PUBLISHED,
)
restore_notes = _moderation_action(
    "restore_notes",
    "Restore selected notes",
    lambda user, qs: services.notes_set_hidden(moderator=user, notes=qs, hidden=False),
    singular="%d note restored.",
    plural="%d notes restored.",
    source_status=Note.Status.HIDDEN,
)
hide_comments = _hide_with_reason(
    "hide_comments",
    "Hide selected comments",
    lambda user, qs, reason: services.comments_set_hidden(
        moderator=user, comments=qs, hidden=True, reason=reason
    ),
    intro="Hide these comments? They leave their notes until restored.",
    singular="%d comment hidden.",
    plural="%d comments hidden.",
    source_status=Comment.Status.VISIBLE,
)
restore_comments = _moderation_action(
    "restore_comments",
    "Restore selected comments",
    lambda user, qs: services.comments_set_hidden(moderator=user, comments=qs, hidden=False),
    singular="%d comment restored.",
    plural="%d comments restored.",
    source_status=Comment.Status.HIDDEN,
)
hide_reported_content = _hide_with_reason(
    "hide_reported_content",
    "Hide reported content",
    lambda user, qs, reason: services.reports_resolve(
        moderator=user, reports=qs, hide=True, reason=reason
    ),
    intro="Hide what these reports are about and close them? Every open report on the same "
    "content is answered too.",
    singular="%d report closed, its content hidden.",
    plural="%d reports closed, their content hidden.",
    source_status=Report.Status.OPEN,
)
dismiss_reports = _moderation_action(
    "dismiss_reports",
    "Dismiss",
    lambda user, qs: services.reports_resolve(moderator=user, reports=qs, hide=False),
    singular="%d report dismissed.",
    plural="%d reports dismissed.",
    source_status=Report.Status.OPEN,
)
restore_reported_content = _moderation_action(
    "restore_reported_content",
    "Restore content",
    lambda user, qs: services.reports_restore(moderator=user, reports=qs),
    singular="Content of %d report restored.",
    plural="Content of %d reports restored.",
)


class ModerationAdmin(admin.ModelAdmin):
    """Base of the admins whose bulk actions are moderation: only moderators
    (``community.moderate_note``, or superusers) see and run them."""

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return permissions.is_moderator(request.user)


# --- members ----------------------------------------------------------------


class SproutUserCreationForm(AdminUserCreationForm):
    """Django's forms name ``auth.User`` in their Meta; ours is community.User."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class SproutUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class SproutUserAdmin(DjangoUserAdmin):
    form = SproutUserChangeForm
    add_form = SproutUserCreationForm
    list_display = (
        "username",
        "display_name",
        "email",
        "note_count",
        "follower_count",
        "following_count",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_staff", "is_active", "is_superuser", "groups", "date_joined")
    search_fields = ("username", "email", "display_name")
    ordering = ("-date_joined",)
    readonly_fields = (
        "note_count",
        "follower_count",
        "following_count",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("display_name", "email", "bio", "avatar")}),
        ("Counts", {"fields": ("note_count", "follower_count", "following_count")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )


# --- notes and photos -----------------------------------------------------------


class PhotoInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Photo
    extra = 0
    can_delete = False
    fields = ("preview", "position", "width", "height", "format", "color", "ready")
    readonly_fields = fields
    ordering = ("position", "id")

    @admin.display(description="Photo")
    def preview(self, obj: Photo) -> SafeString | str:
        return _thumbnail(obj)

    @admin.display(description="Renditions made", boolean=True)
    def ready(self, obj: Photo) -> bool:
        return obj.is_ready


class HasOpenReportsFilter(admin.SimpleListFilter):
    title = "open reports"
    parameter_name = "reported"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Has open reports"), ("no", "No open reports")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Relies on the ``open_reports`` annotation of the admin's get_queryset.
        if self.value() == "yes":
            return queryset.filter(open_reports__gt=0)
        if self.value() == "no":
            return queryset.filter(open_reports=0)
        return queryset


@admin.register(Note)
class NoteAdmin(ModerationAdmin):
    list_display = (
        "cover",
        "title",
        "author",
        "status",
        "like_count",
        "collect_count",
        "comment_count",
        "published_at",
        "open_report_count",
    )
    list_display_links = ("cover", "title")
    list_filter = ("status", ("published_at", admin.DateFieldListFilter), HasOpenReportsFilter)
    list_select_related = ("author",)
    search_fields = ("title", "body", "author__username")
    date_hierarchy = "published_at"
    inlines = (PhotoInline,)
    actions = (hide_notes, restore_notes)
    fields = (
        "author_link",
        "status",
        "title",
        "body",
        "body_html",
        "topic_list",
        ("like_count", "collect_count", "comment_count"),
        "hot_score",
        ("created_at", "updated_at", "published_at"),
    )
    # Status changes only through the hide/restore actions (services keep the
    # counters right); text edits only by superusers, through note_update.
    base_readonly_fields = (
        "author_link",
        "status",
        "body_html",
        "topic_list",
        "like_count",
        "collect_count",
        "comment_count",
        "hot_score",
        "created_at",
        "updated_at",
        "published_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Note]:
        return (
            super()
            .get_queryset(request)
            .annotate(open_reports=_open_report_count("note"))
            .prefetch_related(
                # A sliced prefetch: one query fetches each note's cover only.
                Prefetch(
                    "photos",
                    queryset=Photo.objects.order_by("position", "id")[:1],
                    to_attr="cover_photos",
                )
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Note | None = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return self.base_readonly_fields
        return (*self.base_readonly_fields, "title", "body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A note needs its author's photos and goes through note_create.
        return False

    @admin.display(description="Cover")
    def cover(self, obj: Note) -> SafeString | str:
        covers: list[Photo] = getattr(obj, "cover_photos", [])
        return _thumbnail(covers[0] if covers else None)

    @admin.display(description="Open reports", ordering="open_reports")
    def open_report_count(self, obj: Note) -> int:
        return int(getattr(obj, "open_reports", 0))

    @admin.display(description="Author")
    def author_link(self, obj: Note) -> SafeString:
        return _admin_link(obj.author, obj.author.username)

    @admin.display(description="Topics")
    def topic_list(self, obj: Note) -> str:
        return ", ".join(str(t) for t in obj.topics.all()) or "—"

    def save_model(self, request: HttpRequest, obj: Note, form: Any, change: bool) -> None:
        # Only superusers reach this with edits (title and body); note_update
        # re-renders the HTML and re-links topics and mentions.
        user = _acting_user(request)
        changed = set(form.changed_data)
        if change and changed & {"title", "body"}:
            services.note_update(
                actor=user,
                note=obj,
                title=obj.title if "title" in changed else None,
                body=obj.body if "body" in changed else None,
            )

    def delete_model(self, request: HttpRequest, obj: Note) -> None:
        user = _acting_user(request)
        services.note_delete(actor=user, note=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Note]) -> None:
        for note in queryset.select_related("author"):
            self.delete_model(request, note)


# --- comments ---------------------------------------------------------------


@admin.register(Comment)
class CommentAdmin(ModerationAdmin):
    list_display = (
        "excerpt",
        "note_link",
        "author",
        "is_reply",
        "status",
        "reply_count",
        "created_at",
        "open_report_count",
    )
    list_filter = ("status", ("created_at", admin.DateFieldListFilter), HasOpenReportsFilter)
    list_select_related = ("author", "note")
    search_fields = ("body", "author__username", "note__title")
    date_hierarchy = "created_at"
    actions = (hide_comments, restore_comments)
    # Comments have no edit service: the admin changes them only by hiding,
    # restoring (actions) or deleting (through comment_delete).
    readonly_fields = (
        "note_link",
        "author",
        "parent",
        "reply_to",
        "body",
        "body_html",
        "status",
        "reply_count",
        "created_at",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).annotate(open_reports=_open_report_count("comment"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Comment")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)

    @admin.display(description="Note")
    def note_link(self, obj: Comment) -> SafeString:
        return _admin_link(obj.note, Truncator(obj.note.title).chars(40))

    @admin.display(description="Reply", boolean=True)
    def is_reply(self, obj: Comment) -> bool:
        return obj.parent_id is not None

    @admin.display(description="Open reports", ordering="open_reports")
    def open_report_count(self, obj: Comment) -> int:
        return int(getattr(obj, "open_reports", 0))

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        user = _acting_user(request)
        services.comment_delete(actor=user, comment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        # Deleting a comment deletes its replies: skip rows already gone.
        for comment in queryset.select_related("note"):
            if Comment.objects.filter(pk=comment.pk).exists():
                self.delete_model(request, comment)


# --- the report queue ---------------------------------------------------------


class ReportStatusFilter(DefaultStatusFilter):
    """Status, defaulting to the open reports: the queue is what needs work."""

    statuses = Report.Status.choices
    default = Report.Status.OPEN.value


class ReportTargetFilter(admin.SimpleListFilter):
    title = "kind of target"
    parameter_name = "target"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("note", "Notes"), ("comment", "Comments"), ("user", "Members")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in ("note", "comment", "user"):
            return queryset.filter(**{f"{value}__isnull": False})
        return queryset


def _same_target_open_count() -> Coalesce:
    """Open reports about the same note, comment or member. Exactly one target
    column is set (a database constraint), so the two other subqueries find
    nothing (NULL) and Coalesce picks the one that applies."""
    return Coalesce(
        *(
            Subquery(
                Report.objects.filter(**{field: OuterRef(field)}, status=Report.Status.OPEN)
                .order_by()
                .values(field)
                .annotate(n=Count("pk"))
                .values("n")
            )
            for field in ("note", "comment", "user")
        ),
        Value(0),
    )


@admin.register(Report)
class ReportAdmin(ModerationAdmin):
    list_display = (
        "__str__",
        "preview",
        "target_links",
        "reason",
        "reporter",
        "created_at",
        "same_target_open",
        "status",
        "handled_by",
    )
    list_filter = (ReportStatusFilter, "reason", ReportTargetFilter, "created_at")
    list_select_related = ("reporter", "note", "comment", "user", "handled_by")
    search_fields = (
        "reporter__username",
        "note__title",
        "comment__body",
        "user__username",
        "detail",
    )
    actions = (hide_reported_content, dismiss_reports, restore_reported_content)
    fields = (
        "preview",
        "target_links",
        "reason",
        "detail",
        "reporter",
        "created_at",
        "same_target_open",
        "status",
        "handled_by",
        "handled_at",
    )
    # Reports change only through the actions, which go through services.
    readonly_fields = fields

    change_form_template = "admin/community/report/change_form.html"

    class Media:
        css = {"all": ("css/admin-moderation.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return (
            super()
            .get_queryset(request)
            .annotate(same_open=_same_target_open_count())
            .prefetch_related(
                Prefetch(
                    "note__photos",
                    queryset=Photo.objects.order_by("position", "id")[:1],
                    to_attr="cover_photos",
                )
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Members file reports on the site; the queue only works them.
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The report read-only, with its decisions as buttons (they post
        the queue's own actions for this one report) instead of Save."""
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete_link": False,
            "can_moderate": self.has_moderate_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="Preview")
    def preview(self, obj: Report) -> SafeString | str:
        """What was reported, as moderators need to judge it at a glance."""
        if obj.note is not None:
            covers: list[Photo] = getattr(obj.note, "cover_photos", [])
            return format_html(
                '<div class="report-preview">{}<div><strong>{}</strong><br>{}</div></div>',
                _thumbnail(covers[0] if covers else None),
                Truncator(obj.note.title).chars(60),
                Truncator(obj.note.body).chars(140),
            )
        if obj.comment is not None:
            return format_html("“{}”", Truncator(obj.comment.body).chars(160))
        if obj.user is not None:
            return format_html(
                "<strong>{}</strong> @{}<br>{}",
                obj.user.shown_name,
                obj.user.username,
                Truncator(obj.user.bio).chars(140) or "No bio.",
            )
        return "—"

    @admin.display(description="Reported")
    def target_links(self, obj: Report) -> SafeString | str:
        """The target in the admin, and where members see it."""
        if obj.note is not None:
            link = _admin_link(obj.note, f"Note: {Truncator(obj.note.title).chars(50)}")
            public = obj.note.get_absolute_url()
        elif obj.comment is not None:
            link = _admin_link(obj.comment, f"Comment: {Truncator(obj.comment.body).chars(50)}")
            # A comment lives on its note's page, under its own anchor.
            public = reverse("note", args=[obj.comment.note_id]) + f"#comment-{obj.comment.pk}"
        elif obj.user is not None:
            link = _admin_link(obj.user, f"Member: {obj.user.username}")
            public = obj.user.get_absolute_url()
        else:
            return "—"
        return format_html(
            '{} · <a href="{}" target="_blank" rel="noopener">on site</a>', link, public
        )

    @admin.display(description="Open reports on target", ordering="same_open")
    def same_target_open(self, obj: Report) -> int:
        return int(getattr(obj, "same_open", 0))


# --- topics and boards ----------------------------------------------------------


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ("name",)

    def clean_name(self) -> str:
        # Only the spelling may change: the key is what notes and URLs use.
        name: str = self.cleaned_data["name"].lstrip("#").strip()
        if self.instance.pk and text.topic_key(name) != self.instance.key:
            raise forms.ValidationError(
                "Only the capitalisation can change; the topic stays #%(key)s.",
                params={"key": self.instance.key},
            )
        return name


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ("__str__", "key", "note_count", "follower_count", "created_at")
    search_fields = ("name", "key")
    readonly_fields = ("key", "note_count", "follower_count", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Topics come into being when a note first uses them.
        return False


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_private", "collect_count", "created_at")
    list_filter = ("is_private", "created_at")
    list_select_related = ("owner",)
    search_fields = ("name", "description", "owner__username")
    readonly_fields = ("owner", "collect_count", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- read-only lists ---------------------------------------------------------


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = ("follower__username", "followee__username")
    list_filter = ("created_at",)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")
    list_filter = ("created_at",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """For debugging only: what a member was told, and when they read it."""

    list_display = ("recipient", "actor", "verb", "note", "created_at", "read_at")
    list_select_related = ("recipient", "actor", "note")
    list_filter = ("verb", "created_at")
    search_fields = ("recipient__username", "actor__username")
    raw_id_fields = ("recipient", "actor", "note", "comment")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser
