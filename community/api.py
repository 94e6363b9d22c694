"""REST API of the notes community (``/api/v1/``), as SPEC.md's table says.

Views are thin: an input serializer checks shape, a service or selector does
the work, an output serializer renders what the selector loaded. Domain
errors raised below are turned into ``{"error": {...}}`` once, by
``core.http_errors.api_exception_handler``.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate
from django.db.models import F, QuerySet
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from community import card_cache, permissions, selectors, services, throttles
from community import serializers as s
from community.models import Board, Note, User
from core import pagination
from core.api import (
    CURSOR,
    ERROR,
    PAGE_SIZE,
    cursor,
    page_size,
    paginated,
    paginated_schema,
    validated,
)
from core.errors import ValidationFailed


def _viewer(request: Request) -> Any:
    return request.user


def _member(request: Request) -> User:
    return permissions.check_authenticated(request.user)


# --- auth and me ----------------------------------------------------------------


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    # Sign-ups per address at the ``auth`` rate, counted with /signup's.
    throttle_classes = [
        *cast(list[type[BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES),
        throttles.SignupThrottle,
    ]

    @extend_schema(
        request=s.RegisterInput,
        responses={201: s.RegisterOutput, 400: ERROR, 429: ERROR},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(s.RegisterInput, request.data)
        user = services.user_register(
            username=data["username"], email=data["email"], password=data["password"]
        )

        def verify_link(token: str) -> str:
            return request.build_absolute_uri(reverse("verify_email", args=[token]))

        services.email_verification_send(user=user, link_for=verify_link)
        return Response(
            {"id": user.pk, "username": user.username, "token": services.user_token(user=user)},
            status=status.HTTP_201_CREATED,
        )


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "auth"

    @extend_schema(
        request=s.TokenInput,
        responses={200: s.TokenOutput, 400: ERROR, 429: ERROR},
        tags=["auth"],
        description="A failed attempt counts against the account and your address, as on "
        "the log-in page: past the `auth` rate either is refused (429) until the window ends.",
    )
    def post(self, request: Request) -> Response:
        data = validated(s.TokenInput, request.data)
        # TooManyAttempts: 429 rate_limited with Retry-After (core.http_errors).
        throttles.check_login(request._request, data["username"])
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise ValidationFailed("Wrong username or password.", code="invalid_credentials")
        return Response({"token": services.user_token(user=user)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeSerializer, 401: ERROR}, tags=["me"])
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=s.MeInput, responses={200: s.MeSerializer, 400: ERROR}, tags=["me"])
    def patch(self, request: Request) -> Response:
        data = validated(s.MeInput, request.data)
        user = services.user_profile_update(
            user=_member(request),
            display_name=data.get("display_name"),
            bio=data.get("bio"),
            avatar=data.get("avatar"),
        )
        return Response(s.MeSerializer(user, context={"request": request}).data)


# --- photos and notes -------------------------------------------------------------


class PhotoUploadView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "uploads"

    @extend_schema(
        request={"multipart/form-data": s.PhotoInput},
        responses={201: s.PhotoSerializer, 400: ERROR},
        tags=["notes"],
        description="Upload one photo ahead of its note (for per-file progress); "
        "attach it with `photo_ids` when creating the note.",
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("image")
        if upload is None:
            raise ValidationFailed(fields={"image": ["Attach a photo as the `image` field."]})
        photo = services.photo_upload(owner=_member(request), upload=upload)
        data = s.PhotoSerializer(photo, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class NoteListView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        # Creating notes counts against the upload budget; reading does not.
        return "uploads" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[
            OpenApiParameter("author", str, description="Only this member's notes."),
            OpenApiParameter("topic", str, description="Only notes with this #topic."),
            OpenApiParameter(
                "status",
                str,
                enum=["draft", "published"],
                description="With `author` = yourself: your drafts.",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        # 404: an author no member is called.
        responses={
            200: paginated_schema(s.NoteSerializer, "PaginatedNotes"),
            400: ERROR,
            404: ERROR,
        },
        tags=["notes"],
        operation_id="notes_list",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        author = selectors.user_by_username(params["author"]) if params.get("author") else None
        topic = selectors.topic_by_key(params["topic"]) if params.get("topic") else None
        wanted = params.get("status") or None
        if wanted is not None and wanted not in (Note.Status.DRAFT, Note.Status.PUBLISHED):
            raise ValidationFailed(fields={"status": ["Use draft or published."]})
        if wanted == Note.Status.DRAFT and (author is None or author.pk != request.user.pk):
            raise ValidationFailed(
                "Only your own drafts can be listed: add author=<your username>.",
                fields={"status": ["Drafts are listed only with author=<you>."]},
            )
        notes = selectors.note_list(
            viewer=_viewer(request), author=author, topic=topic, status=wanted
        )
        page = pagination.keyset(notes, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.NoteSerializer)

    @extend_schema(
        request={"multipart/form-data": s.NoteCreateInput, "application/json": s.NoteCreateInput},
        responses={201: s.NoteDetailSerializer, 400: ERROR, 401: ERROR},
        tags=["notes"],
    )
    def post(self, request: Request) -> Response:
        author = _member(request)
        data = validated(s.NoteCreateInput, request.data)
        note = services.note_create(
            author=author,
            title=data["title"],
            body=data["body"],
            status=data["status"],
            images=request.FILES.getlist("images") if data["images"] else [],
            photo_ids=data["photo_ids"],
        )
        note = selectors.note_for_viewer(note_id=note.pk, viewer=author)
        return Response(
            s.NoteDetailSerializer(note, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class NoteDetailView(APIView):
    @extend_schema(responses={200: s.NoteDetailSerializer, 404: ERROR}, tags=["notes"])
    def get(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=viewer)
        services.note_view_record(
            note=note, reader=viewer, address=request.META.get("REMOTE_ADDR", "")
        )
        return Response(s.NoteDetailSerializer(note, context={"request": request}).data)

    @extend_schema(
        request={"multipart/form-data": s.NoteUpdateInput, "application/json": s.NoteUpdateInput},
        responses={200: s.NoteDetailSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["notes"],
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        data = validated(s.NoteUpdateInput, request.data)
        services.note_update(
            actor=actor,
            note=note,
            title=data.get("title"),
            body=data.get("body"),
            status=data.get("status"),
            photo_ids=data.get("photo_ids"),
            images=request.FILES.getlist("images") if data.get("images") else [],
        )
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        return Response(s.NoteDetailSerializer(note, context={"request": request}).data)

    @extend_schema(responses={204: None, 403: ERROR, 404: ERROR}, tags=["notes"])
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        services.note_delete(actor=actor, note=note)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _note_photos(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    note = selectors.note_for_viewer(note_id=pk, viewer=request.user)
    return Response(s.NotePhotosSerializer(note, context={"request": request}).data, status=code)


class NotePhotosView(APIView):
    """A note's photos (for whoever may see the note), changed one step at a
    time by its author."""

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @property
    def throttle_scope(self) -> str | None:
        return "uploads" if self.request.method == "POST" else "writes"

    @extend_schema(
        responses={200: s.NotePhotosSerializer, 404: ERROR},
        tags=["notes"],
        operation_id="notes_photos_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _note_photos(request, pk)

    @extend_schema(
        request={"multipart/form-data": s.PhotoInput},
        responses={201: s.NotePhotosSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["notes"],
        operation_id="notes_photos_add",
        description="Add one photo at the end (the note's author only). 400 `too_many_photos` "
        "past 9, `invalid_image` (and its reasons) for what is not a JPEG, PNG or WebP photo.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        upload = request.FILES.get("image")
        if upload is None:
            raise ValidationFailed(fields={"image": ["Attach a photo as the `image` field."]})
        services.note_photo_add(actor=actor, note=note, upload=upload)
        return _note_photos(request, pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NotePhotosOrderInput,
        responses={200: s.NotePhotosSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["notes"],
        operation_id="notes_photos_reorder",
        description="Put the photos in a new order (the note's author only): `photo_ids` lists "
        "each of the note's photos once, else 400 `photo_order_mismatch`.",
    )
    def put(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        data = validated(s.NotePhotosOrderInput, request.data)
        services.note_photos_reorder(actor=actor, note=note, photo_ids=data["photo_ids"])
        return _note_photos(request, pk)


class NotePhotoDetailView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        responses={200: s.NotePhotosSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["notes"],
        operation_id="notes_photos_remove",
        description="Remove one photo (the note's author only); answers the photos left. "
        "404 `unknown_photo` for a photo the note does not have; 400 `photos_required` "
        "for the last photo of a note that is not a draft.",
    )
    def delete(self, request: Request, pk: int, photo_id: int) -> Response:
        actor = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=actor)
        services.note_photo_remove(actor=actor, note=note, photo_id=photo_id)
        return _note_photos(request, pk)


class LikeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    def _state(self, note_id: int, liked: bool) -> Response:
        count = Note.objects.filter(pk=note_id).values_list("like_count", flat=True).first()
        return Response({"liked": liked, "like_count": count or 0})

    @extend_schema(
        request=None, responses={200: s.LikeStateSerializer, 404: ERROR}, tags=["social"]
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=user)
        services.like_add(user=user, note=note)
        return self._state(pk, True)

    @extend_schema(
        request=None, responses={200: s.LikeStateSerializer, 404: ERROR}, tags=["social"]
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=user)
        services.like_remove(user=user, note=note)
        return self._state(pk, False)


class CollectView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    def _state(self, request: Request, note_id: int, collect: Any) -> Response:
        count = Note.objects.filter(pk=note_id).values_list("collect_count", flat=True).first()
        board = None
        if collect is not None:
            # Read again: the service recounted the board in the database.
            fresh = Board.objects.get(pk=collect.board_id)
            board = s.BoardSerializer(fresh, context={"request": request}).data
        return Response(
            {"collected": collect is not None, "collect_count": count or 0, "board": board}
        )

    @extend_schema(
        request=s.CollectInput,
        responses={200: s.CollectStateSerializer, 404: ERROR},
        tags=["social"],
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=user)
        data = validated(s.CollectInput, request.data) if request.data else {}
        collect = services.collect_add(
            user=user, note=note, board_id=data.get("board"), board_name=data.get("board_name")
        )
        return self._state(request, pk, collect)

    @extend_schema(
        request=None, responses={200: s.CollectStateSerializer, 404: ERROR}, tags=["social"]
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=user)
        services.collect_remove(user=user, note=note)
        return self._state(request, pk, None)


class CommentListView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.CommentSerializer, "PaginatedComments"), 404: ERROR},
        tags=["social"],
    )
    def get(self, request: Request, pk: int) -> Response:
        note = selectors.note_for_viewer(note_id=pk, viewer=_viewer(request))
        comments = selectors.note_comments(note=note, viewer=_viewer(request))
        page = pagination.keyset(
            comments, cursor=cursor(request), size=page_size(request), descending=False
        )
        return paginated(request, page, s.CommentSerializer)

    @extend_schema(
        request=s.CommentInput,
        responses={201: s.CommentSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["social"],
    )
    def post(self, request: Request, pk: int) -> Response:
        author = _member(request)
        note = selectors.note_for_viewer(note_id=pk, viewer=author)
        data = validated(s.CommentInput, request.data)
        comment = services.comment_create(
            author=author, note=note, body=data["body"], parent_id=data.get("parent")
        )
        comment.visible_replies = []  # type: ignore[attr-defined]
        return Response(
            s.CommentSerializer(comment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CommentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, 403: ERROR, 404: ERROR}, tags=["social"])
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        comment = selectors.comment_for_viewer(comment_id=pk, viewer=actor)
        services.comment_delete(actor=actor, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- feeds and search --------------------------------------------------------------


def _card_page(request: Request, page: pagination.Page) -> Response:
    """A page of card keys as ``{"results": [note], "next": url}``: the cards
    from the card cache (``community.card_cache``), as ``paginated`` with
    ``NoteSerializer`` would render the notes."""
    next_url = None
    if page.next_cursor:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
    return Response({"results": card_cache.card_payloads(page.items, request), "next": next_url})


class DiscoverFeedView(APIView):
    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NoteSerializer, "DiscoverPage"), 400: ERROR},
        tags=["feeds"],
        description="Ranked by engagement with time decay, boosted for the creators and "
        "topics you follow. No note appears twice across pages.",
    )
    def get(self, request: Request) -> Response:
        page = selectors.feed_discover_keys(
            viewer=_viewer(request), cursor=cursor(request), size=page_size(request)
        )
        return _card_page(request, page)


class FollowingFeedView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NoteSerializer, "FollowingPage"), 401: ERROR},
        tags=["feeds"],
        description="Notes of the members you follow, newest first.",
    )
    def get(self, request: Request) -> Response:
        page = selectors.feed_following_keys(
            viewer=_viewer(request), cursor=cursor(request), size=page_size(request)
        )
        return _card_page(request, page)


class SearchView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "pattern": r"\S"},
                required=True,
                description="What to look for: not blank.",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: s.SearchSerializer, 400: ERROR},
        tags=["search"],
        description="Notes (paged with `cursor`), topics and members. Topics and members "
        "come with the first page only.",
    )
    def get(self, request: Request) -> Response:
        results = selectors.search_results(
            raw_query=request.query_params.get("q", ""),
            viewer=_viewer(request),
            cursor=cursor(request),
            size=page_size(request),
            keys=True,
        )
        context = {"request": request}
        next_url = None
        if results.notes.next_cursor:
            next_url = replace_query_param(
                request.build_absolute_uri(), "cursor", results.notes.next_cursor
            )
        return Response(
            {
                "query": results.query,
                "notes": card_cache.card_payloads(results.notes.items, request),
                "next": next_url,
                "topics": s.TopicSerializer(results.topics, many=True, context=context).data,
                "users": s.UserProfileSerializer(results.users, many=True, context=context).data,
            }
        )


# --- topics ----------------------------------------------------------------------


class TopicDetailView(APIView):
    @extend_schema(responses={200: s.TopicSerializer, 404: ERROR}, tags=["topics"])
    def get(self, request: Request, key: str) -> Response:
        topic = selectors.topic_by_key(key)
        data = dict(s.TopicSerializer(topic, context={"request": request}).data)
        data["following"] = selectors.topic_is_followed(topic=topic, viewer=_viewer(request))
        return Response(data)


class TopicNotesView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("order", str, enum=["hot", "new"]), CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NoteSerializer, "TopicPage"), 404: ERROR},
        tags=["topics"],
    )
    def get(self, request: Request, key: str) -> Response:
        topic = selectors.topic_by_key(key)
        order = request.query_params.get("order", "hot")
        if order not in ("hot", "new"):
            raise ValidationFailed(fields={"order": ["Use hot or new."]})
        page = selectors.feed_topic_keys(
            topic=topic,
            viewer=_viewer(request),
            cursor=cursor(request),
            size=page_size(request),
            order=order,
        )
        return _card_page(request, page)


class TopicFollowView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    def _state(self, key: str, following: bool) -> Response:
        topic = selectors.topic_by_key(key)
        return Response({"following": following, "follower_count": topic.follower_count})

    @extend_schema(
        request=None, responses={200: s.FollowStateSerializer, 404: ERROR}, tags=["topics"]
    )
    def post(self, request: Request, key: str) -> Response:
        services.topic_follow(user=_member(request), topic=selectors.topic_by_key(key))
        return self._state(key, True)

    @extend_schema(
        request=None, responses={200: s.FollowStateSerializer, 404: ERROR}, tags=["topics"]
    )
    def delete(self, request: Request, key: str) -> Response:
        services.topic_unfollow(user=_member(request), topic=selectors.topic_by_key(key))
        return self._state(key, False)


# --- members -----------------------------------------------------------------------


class UserDetailView(APIView):
    @extend_schema(responses={200: s.ProfileSerializer, 404: ERROR}, tags=["users"])
    def get(self, request: Request, username: str) -> Response:
        profile = selectors.profile_for_viewer(username=username, viewer=_viewer(request))
        return Response(s.ProfileSerializer(profile, context={"request": request}).data)


class UserNotesView(APIView):
    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NoteSerializer, "UserNotesPage"), 404: ERROR},
        tags=["users"],
    )
    def get(self, request: Request, username: str) -> Response:
        author = selectors.user_by_username(username)
        page = selectors.feed_author_keys(
            author=author,
            viewer=_viewer(request),
            cursor=cursor(request),
            size=page_size(request),
        )
        return _card_page(request, page)


class FollowView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    def _state(self, username: str, following: bool) -> Response:
        user = selectors.user_by_username(username)
        return Response({"following": following, "follower_count": user.follower_count})

    @extend_schema(
        request=None,
        responses={200: s.FollowStateSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["users"],
    )
    def post(self, request: Request, username: str) -> Response:
        services.user_follow(
            follower=_member(request), followee=selectors.user_by_username(username)
        )
        return self._state(username, True)

    @extend_schema(
        request=None, responses={200: s.FollowStateSerializer, 404: ERROR}, tags=["users"]
    )
    def delete(self, request: Request, username: str) -> Response:
        services.user_unfollow(
            follower=_member(request), followee=selectors.user_by_username(username)
        )
        return self._state(username, False)


class BlockView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.BlockStateSerializer, 400: ERROR, 404: ERROR},
        tags=["users"],
    )
    def post(self, request: Request, username: str) -> Response:
        services.user_block(blocker=_member(request), blocked=selectors.user_by_username(username))
        return Response({"blocked": True})

    @extend_schema(
        request=None, responses={200: s.BlockStateSerializer, 404: ERROR}, tags=["users"]
    )
    def delete(self, request: Request, username: str) -> Response:
        services.user_unblock(
            blocker=_member(request), blocked=selectors.user_by_username(username)
        )
        return Response({"blocked": False})


class BlockedListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: paginated_schema(s.UserProfileSerializer, "BlockedMembersPage"),
            401: ERROR,
        },
        tags=["me"],
        description="The members you blocked, the latest first. Search and feeds leave "
        "them out; `DELETE /api/v1/users/{username}/block` unblocks one.",
    )
    def get(self, request: Request) -> Response:
        blocked = selectors.user_blocked_list(user=_member(request))
        return _member_page(request, blocked, F("blocked_by__id"))


def _member_page(request: Request, members: QuerySet[User], position: F) -> Response:
    """One page of members related to someone, newest relation first:
    ``position`` is the id of the relation row (a follow, a block)."""
    page = pagination.keyset(
        members.annotate(position=position),
        cursor=cursor(request),
        size=page_size(request),
        key="position",
    )
    return paginated(request, page, s.UserProfileSerializer)


class _UserListView(APIView):
    """Members related to a member, paged by the id of the relation row."""

    position: F

    def users(self, user: User) -> QuerySet[User]:
        raise NotImplementedError

    def get(self, request: Request, username: str) -> Response:
        related = self.users(selectors.user_by_username(username))
        return _member_page(request, related, self.position)


class FollowersView(_UserListView):
    position = F("following_rel__id")

    def users(self, user: User) -> QuerySet[User]:
        return selectors.user_followers(user=user)

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.UserProfileSerializer, "FollowersPage")},
        tags=["users"],
    )
    def get(self, request: Request, username: str) -> Response:
        return super().get(request, username)


class FollowingView(_UserListView):
    position = F("follower_rel__id")

    def users(self, user: User) -> QuerySet[User]:
        return selectors.user_following(user=user)

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.UserProfileSerializer, "FollowedMembersPage")},
        tags=["users"],
    )
    def get(self, request: Request, username: str) -> Response:
        return super().get(request, username)


# --- boards, reports, notifications ---------------------------------------------------


class BoardListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.BoardSerializer(many=True)}, tags=["social"])
    def get(self, request: Request) -> Response:
        user = _member(request)
        boards = selectors.user_boards(owner=user, viewer=user).select_related("owner")
        return Response(s.BoardSerializer(boards, many=True).data)

    @extend_schema(
        request=s.BoardInput, responses={201: s.BoardSerializer, 400: ERROR}, tags=["social"]
    )
    def post(self, request: Request) -> Response:
        data = validated(s.BoardInput, request.data)
        board = services.board_create(owner=_member(request), **data)
        return Response(s.BoardSerializer(board).data, status=status.HTTP_201_CREATED)


class BoardNotesView(APIView):
    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NoteSerializer, "BoardPage"), 404: ERROR},
        tags=["social"],
    )
    def get(self, request: Request, pk: int) -> Response:
        board = selectors.board_for_viewer(board_id=pk, viewer=_viewer(request))
        notes = selectors.board_notes(board=board, viewer=_viewer(request))
        page = pagination.keyset(
            notes.annotate(position=F("collects__id")),
            cursor=cursor(request),
            size=page_size(request),
            key="position",
        )
        return paginated(request, page, s.NoteSerializer)


class ReportView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=s.ReportInput,
        responses={201: s.ReportSerializer, 400: ERROR, 404: ERROR},
        tags=["social"],
    )
    def post(self, request: Request) -> Response:
        reporter = _member(request)
        data = validated(s.ReportInput, request.data)
        target: dict[str, Any] = {}
        if data.get("note"):
            target["note"] = selectors.note_for_viewer(note_id=data["note"], viewer=reporter)
        elif data.get("comment"):
            target["comment"] = selectors.comment_for_viewer(
                comment_id=data["comment"], viewer=reporter
            )
        else:
            target["user"] = selectors.user_by_username(data["user"])
        report = services.report_create(
            reporter=reporter, reason=data["reason"], detail=data["detail"], **target
        )
        return Response(s.ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: paginated_schema(s.NotificationSerializer, "NotificationPage")},
        tags=["notifications"],
        description="Newest first. `GET /api/v1/me` carries the unread count.",
    )
    def get(self, request: Request) -> Response:
        notifications = selectors.notification_list(user=_member(request))
        page = pagination.keyset(notifications, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.NotificationSerializer)


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.MarkReadInput,
        responses={
            200: inline_serializer(
                "MarkReadOutput",
                {
                    "marked": serializers.IntegerField(help_text="Notifications marked read."),
                    "unread": serializers.IntegerField(help_text="Unread ones left."),
                },
            )
        },
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        user = _member(request)
        # No body (an empty form or object) marks everything read; a body that
        # is not an object (JSON null, a list) is refused, as the schema says.
        empty = isinstance(request.data, dict) and not request.data
        data = {} if empty else validated(s.MarkReadInput, request.data)
        marked = services.notifications_mark_read(user=user, ids=data.get("ids"))
        return Response(
            {"marked": marked, "unread": selectors.notification_unread_count(user=user)}
        )
