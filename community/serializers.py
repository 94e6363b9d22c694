"""Input and output serializers of the community API.

Input serializers only check shape and types (a string, an integer list);
the rules live in ``community.services``. Output serializers are read-only
and work on what the selectors already loaded, so they never query.
"""

from __future__ import annotations

import functools
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community import extensions, photos
from community.models import USERNAME_PATTERN, Comment, Note, Notification, Report, Topic, User

# --- output -------------------------------------------------------------------


def origin(request: Any) -> str:
    """``scheme://host`` of the request ("" without one): media URLs are
    relative in storage and absolute in the API, for clients off the site."""
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def absolute_photo(payload: dict[str, Any], origin: str) -> dict[str, Any]:
    """A photo payload with every URL made absolute."""
    if not origin:
        return payload

    def fix(url: str) -> str:
        return origin + url if url.startswith("/") else url

    def fix_set(srcset: str) -> str:
        return ", ".join(fix(item) for item in srcset.split(", ")) if srcset else srcset

    return {
        **payload,
        "original": fix(payload["original"]),
        "src": fix(payload["src"]),
        "renditions": {
            size: {fmt: fix(url) for fmt, url in files.items()}
            for size, files in payload["renditions"].items()
        },
        "srcset_webp": fix_set(payload["srcset_webp"]),
        "srcset_jpeg": fix_set(payload["srcset_jpeg"]),
    }


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.SerializerMethodField()
    avatar = serializers.SerializerMethodField()

    def get_display_name(self, user: User) -> str:
        return user.shown_name

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_avatar(self, user: User) -> str | None:
        return avatar_url(user, origin(self.context.get("request")))


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "color": {"type": "string", "example": "#c8503c"},
            "ready": {"type": "boolean"},
            "original": {"type": "string", "format": "uri"},
            "renditions": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"webp": {"type": "string"}, "jpeg": {"type": "string"}},
                },
            },
            "src": {"type": "string"},
            "srcset_webp": {"type": "string"},
            "srcset_jpeg": {"type": "string"},
        },
    }
)
class PhotoField(serializers.Field):
    """A photo as ``community.photos.photo_payload`` describes it."""

    def to_representation(self, value: Any) -> dict[str, Any]:
        return absolute_photo(photos.photo_payload(value), origin(self.context.get("request")))


class PhotoSerializer(serializers.Serializer):
    def to_representation(self, instance: Any) -> dict[str, Any]:
        return absolute_photo(photos.photo_payload(instance), origin(self.context.get("request")))


def with_extras(
    payloads: list[dict[str, Any]], notes: list[Note], request: Any
) -> list[dict[str, Any]]:
    """The keys the apps above add to notes (``extensions.note_payload_extras``:
    the shop's ``products``), loaded once for all of ``notes``."""
    extras = extensions.note_payload_extras.items()
    if not extras or not notes:
        return payloads
    for extra in extras:
        values = extra.load(notes, request)
        for note, payload in zip(notes, payloads, strict=True):
            payload[extra.key] = values[note.pk] if note.pk in values else extra.default()
    return payloads


class NoteListSerializer(serializers.ListSerializer):
    """A page of notes: the extras of the apps above are loaded for the
    whole page at once (one query each, however many notes)."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        notes = list(data.all() if hasattr(data, "all") else data)
        child: NoteSerializer = self.child  # type: ignore[assignment]
        payloads = [child.payload(note) for note in notes]
        return with_extras(payloads, notes, self.context.get("request"))


class NoteSerializer(serializers.Serializer):
    """A note as lists and feeds show it (with the keys other apps add:
    ``extensions.note_payload_extras``)."""

    class Meta:
        list_serializer_class = NoteListSerializer

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Note.Status.choices)
    author = UserBriefSerializer()
    photos = serializers.ListField(child=PhotoField(), source="photos.all")
    like_count = serializers.IntegerField()
    collect_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    liked = serializers.BooleanField(source="viewer_liked", default=False)
    collected = serializers.BooleanField(source="viewer_collected", default=False)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, note: Note) -> str:
        return _absolute(self.context.get("request"), note.get_absolute_url())

    def to_representation(self, instance: Note) -> dict[str, Any]:
        payload = self.payload(instance)
        if isinstance(self.parent, NoteListSerializer):
            return payload  # the list adds the extras for its whole page
        return with_extras([payload], [instance], self.context.get("request"))[0]

    def payload(self, instance: Note) -> dict[str, Any]:
        # Feeds render this for every card of every page: written out by hand
        # (the declared fields above stay the schema), it costs a tenth of
        # DRF's field-by-field walk. test_api checks both agree.
        note = instance
        request = self.context.get("request")
        base = origin(request)
        return {
            "id": note.pk,
            "url": _absolute(request, note_path(note.pk)),
            "title": note.title,
            "status": note.status,
            "author": user_brief(note.author, base),
            "photos": [absolute_photo(photos.photo_payload(p), base) for p in note.photos.all()],
            "like_count": note.like_count,
            "collect_count": note.collect_count,
            "comment_count": note.comment_count,
            "liked": bool(getattr(note, "viewer_liked", False)),
            "collected": bool(getattr(note, "viewer_collected", False)),
            "created_at": _iso(note.created_at),
            "published_at": _iso(note.published_at),
        }


@functools.cache
def _note_path_template() -> str:
    return reverse("note", args=[0]).replace("/0/", "/{}/")


def note_path(note_id: int) -> str:
    """``reverse("note", ...)`` for every card of a page, at string speed."""
    return _note_path_template().format(note_id)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def avatar_url(user: User, origin: str = "") -> str | None:
    if not user.avatar:
        return None
    url = user.avatar.url
    return origin + url if url.startswith("/") else url


def user_brief(user: User, origin: str = "") -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.shown_name,
        "avatar": avatar_url(user, origin),
    }


class TopicBriefSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, topic: Topic) -> str:
        return _absolute(self.context.get("request"), topic.get_absolute_url())


class NoteDetailSerializer(NoteSerializer):
    """One note with its text."""

    body = serializers.CharField()
    body_html = serializers.CharField()
    topics = TopicBriefSerializer(many=True, source="topics.all")
    updated_at = serializers.DateTimeField()

    def payload(self, instance: Note) -> dict[str, Any]:
        data = super().payload(instance)
        data.update(
            body=instance.body,
            body_html=instance.body_html,
            topics=TopicBriefSerializer(
                instance.topics.all(), many=True, context=self.context
            ).data,
            updated_at=_iso(instance.updated_at),
        )
        return data


class CommentReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserBriefSerializer()
    reply_to = UserBriefSerializer(allow_null=True)
    # "parent" and "data" shadow attributes of DRF fields for the type checker
    # only: the serializer metaclass takes declared fields off the class.
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    body = serializers.CharField()
    body_html = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentSerializer(CommentReplySerializer):
    reply_count = serializers.IntegerField()
    replies = serializers.SerializerMethodField()

    @extend_schema_field(CommentReplySerializer(many=True))
    def get_replies(self, comment: Comment) -> list[dict[str, Any]]:
        replies = getattr(comment, "visible_replies", [])
        return list(CommentReplySerializer(replies, many=True, context=self.context).data)


class TopicSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField()
    note_count = serializers.IntegerField()
    follower_count = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, topic: Topic) -> str:
        return _absolute(self.context.get("request"), topic.get_absolute_url())


class UserProfileSerializer(UserBriefSerializer):
    bio = serializers.CharField()
    note_count = serializers.IntegerField()
    follower_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    date_joined = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, user: User) -> str:
        return _absolute(self.context.get("request"), user.get_absolute_url())


class ProfileSerializer(serializers.Serializer):
    user = UserProfileSerializer()
    is_self = serializers.BooleanField()
    is_following = serializers.BooleanField()
    follows_you = serializers.BooleanField()
    is_blocked = serializers.BooleanField()


class MeSerializer(UserProfileSerializer):
    email = serializers.EmailField()
    coins = serializers.SerializerMethodField()
    unread_notifications = serializers.SerializerMethodField()
    is_moderator = serializers.SerializerMethodField()

    def get_coins(self, user: User) -> int:
        # The wallet (a higher app) registers the balance: community.extensions.
        return int(extensions.coin_balance.get()(user))

    def get_unread_notifications(self, user: User) -> int:
        from community.selectors import notification_unread_count

        return notification_unread_count(user=user)

    def get_is_moderator(self, user: User) -> bool:
        from community.permissions import is_moderator

        return is_moderator(user)


class BoardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_private = serializers.BooleanField()
    collect_count = serializers.IntegerField()
    owner = serializers.CharField(source="owner.username")
    created_at = serializers.DateTimeField()


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    verb = serializers.ChoiceField(choices=Notification.Verb.choices)
    text = serializers.CharField(source="get_verb_display")
    actor = UserBriefSerializer()
    note = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()
    data = serializers.JSONField()  # type: ignore[assignment]
    read = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_note(self, notification: Notification) -> dict[str, Any] | None:
        note = notification.note
        if note is None:
            return None
        return {
            "id": note.pk,
            "title": note.title,
            "url": _absolute(self.context.get("request"), note.get_absolute_url()),
        }

    def get_comment(self, notification: Notification) -> dict[str, Any] | None:
        comment = notification.comment
        return None if comment is None else {"id": comment.pk, "body": comment.body[:200]}

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class LikeStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class CollectStateSerializer(serializers.Serializer):
    collected = serializers.BooleanField()
    collect_count = serializers.IntegerField()
    board = BoardSerializer(allow_null=True)


class FollowStateSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    follower_count = serializers.IntegerField()


class BlockStateSerializer(serializers.Serializer):
    blocked = serializers.BooleanField()


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    status = serializers.ChoiceField(choices=Report.Status.choices)
    created_at = serializers.DateTimeField()


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    notes = NoteSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    topics = TopicSerializer(many=True)
    users = UserProfileSerializer(many=True)


# --- input --------------------------------------------------------------------


# What the sign-up service checks, stated in the schema so a client can check
# before sending; the service itself reports every bad field at once (a taken
# username beside a bad address), so these fields check nothing themselves.
@extend_schema_field({"type": "string", "pattern": rf"^{USERNAME_PATTERN}$", "maxLength": 30})
class UsernameText(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class EmailText(serializers.CharField):
    pass


class RegisterInput(serializers.Serializer):
    username = UsernameText(max_length=150, trim_whitespace=True)
    email = EmailText(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    token = serializers.CharField()


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class MeInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
    avatar = serializers.FileField(required=False, allow_empty_file=True)


class PhotoInput(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=True, help_text="JPEG, PNG or WebP, up to 20 MB."
    )


class IdListField(serializers.ListField):
    """A list of ids given as a JSON list, repeated form fields, or one
    comma-separated form field ("3,1,2")."""

    child = serializers.IntegerField(min_value=1, max_value=2**62)

    def get_value(self, dictionary: Any) -> Any:
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            if not values:
                return serializers.empty
            if len(values) == 1 and isinstance(values[0], str):
                return [v for v in values[0].split(",") if v.strip()]
            return values
        return super().get_value(dictionary)


class NoteCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=100, allow_blank=True)
    body = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(
        choices=[Note.Status.DRAFT, Note.Status.PUBLISHED], default=Note.Status.PUBLISHED
    )
    photo_ids = IdListField(required=False, default=list, max_length=9)
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="1–9 photos (multipart), in order. Or upload first and pass photo_ids.",
    )


class NoteUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    body = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Note.Status.choices, required=False)
    photo_ids = IdListField(required=False, max_length=9)
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class NotePhotosOrderInput(serializers.Serializer):
    photo_ids = IdListField(
        max_length=9,
        allow_empty=False,
        help_text="Each photo id of the note once, in the new order; the first is the cover.",
    )


class NotePhotosSerializer(serializers.Serializer):
    """A note's photos in order (the first is the cover)."""

    photos = serializers.ListField(child=PhotoField(), source="photos.all")


class CollectInput(serializers.Serializer):
    board = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    board_name = serializers.CharField(required=False, max_length=50, allow_blank=False)


class CommentInput(serializers.Serializer):
    body = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=True)
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, min_value=1, max_value=2**62
    )


class BoardInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    is_private = serializers.BooleanField(required=False, default=False)


class ReportInput(serializers.Serializer):
    note = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    comment = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    user = serializers.CharField(required=False, max_length=150)
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if sum(1 for key in ("note", "comment", "user") if attrs.get(key)) != 1:
            raise serializers.ValidationError("Report exactly one of: note, comment, user.")
        return attrs


class MarkReadInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=500,
        help_text="Notifications to mark read; omit to mark all.",
    )
