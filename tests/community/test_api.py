"""The REST contract of SPEC.md for the notes community, as a client sees it:
status codes, the error shape, permissions (the other-user case for every
write), idempotency and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from community import card_cache, services
from community.models import Collect, Comment, Follow, Like, Note, Notification, Photo, User
from tests.clients import assert_error
from tests.factories import (
    PASSWORD,
    CommentFactory,
    ModeratorFactory,
    NoteFactory,
    PhotoFactory,
    UserFactory,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db


def jpeg(name: str = "photo.jpg", width: int = 320, height: int = 240) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(width, height), content_type="image/jpeg")


# --- auth -----------------------------------------------------------------------


def test_register_returns_id_username_and_a_working_token(api: APIClient) -> None:
    response = api.post(
        "/api/v1/auth/register",
        {"username": "mei", "password": "plum-blossom-42", "email": "mei@example.com"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "token"}
    assert body["username"] == "mei"
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = api.get("/api/v1/me").json()
    assert me["username"] == "mei"
    assert me["coins"] == 0


def test_register_reports_every_bad_field_at_once(api: APIClient) -> None:
    UserFactory(username="taken")
    response = api.post(
        "/api/v1/auth/register",
        {"username": "TAKEN", "password": "123", "email": "not-an-email"},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"username", "password", "email"}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"username": "a"},
        {"username": ["x"], "password": {"a": 1}, "email": 3},
        {"username": "x" * 500, "password": "p" * 500, "email": "e@x.com"},
        {"username": "bad name!", "password": "plum-blossom-42", "email": "b@example.com"},
    ],
)
def test_register_refuses_malformed_input_with_400(api: APIClient, payload: dict) -> None:
    response = api.post("/api/v1/auth/register", payload, format="json")
    assert_error(response, 400, "invalid")


def test_register_refuses_non_json_garbage(api: APIClient) -> None:
    response = api.post("/api/v1/auth/register", "{not json", content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_token_for_right_and_wrong_password(api: APIClient) -> None:
    UserFactory(username="kai")
    ok = api.post(
        "/api/v1/auth/token",
        {"username": "kai", "password": PASSWORD},
        format="json",
    )
    assert ok.status_code == 200
    assert len(ok.json()["token"]) == 40
    bad = api.post("/api/v1/auth/token", {"username": "kai", "password": "nope"}, format="json")
    assert_error(bad, 400, "invalid_credentials")


def test_me_needs_authentication(api: APIClient) -> None:
    assert_error(api.get("/api/v1/me"), 401, "unauthenticated")


def test_a_bad_token_is_refused(api: APIClient) -> None:
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error(api.get("/api/v1/me"), 401, "authentication_failed")


def test_session_writes_need_the_csrf_token(user: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    note = NoteFactory()
    response = client.post(f"/api/v1/notes/{note.pk}/like/")
    assert_error(response, 403, "csrf_failed")
    assert not Like.objects.exists()


def test_me_can_update_profile(user_api: APIClient, user: User) -> None:
    response = user_api.patch(
        "/api/v1/me", {"display_name": "Lin", "bio": "Tea & plants"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Lin"
    user.refresh_from_db()
    assert user.bio == "Tea & plants"


# --- notes ----------------------------------------------------------------------


def test_create_note_with_images_then_read_it(user_api: APIClient, user: User) -> None:
    response = user_api.post(
        "/api/v1/notes/",
        {
            "title": "Morning oats",
            "body": "Oats with figs #breakfast",
            "status": "published",
            "images": [jpeg("a.jpg"), jpeg("b.jpg", 240, 320)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Morning oats"
    assert body["status"] == "published"
    assert [p["width"] for p in body["photos"]] == [320, 240]
    assert body["topics"][0]["key"] == "breakfast"
    assert 'href="/t/breakfast/"' in body["body_html"]
    detail = APIClient().get(f"/api/v1/notes/{body['id']}/")
    assert detail.status_code == 200
    assert detail.json()["author"]["username"] == user.username


def test_create_note_from_uploaded_photo_ids_keeps_their_order(
    user_api: APIClient, user: User
) -> None:
    first = user_api.post("/api/v1/photos/", {"image": jpeg("1.jpg")}, format="multipart")
    second = user_api.post(
        "/api/v1/photos/", {"image": jpeg("2.jpg", 100, 200)}, format="multipart"
    )
    assert first.status_code == second.status_code == 201
    ids = [second.json()["id"], first.json()["id"]]
    response = user_api.post("/api/v1/notes/", {"title": "Two", "photo_ids": ids}, format="json")
    assert response.status_code == 201, response.content
    assert [p["id"] for p in response.json()["photos"]] == ids


def test_someone_elses_uploaded_photo_cannot_be_attached(
    user_api: APIClient, other_user: User
) -> None:
    photo = PhotoFactory(owner=other_user)
    response = user_api.post(
        "/api/v1/notes/", {"title": "Mine?", "photo_ids": [photo.pk]}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert "photo_ids" in error["fields"]
    assert Photo.objects.get(pk=photo.pk).note_id is None


def test_publishing_without_photos_is_refused(user_api: APIClient) -> None:
    response = user_api.post("/api/v1/notes/", {"title": "Empty"}, format="json")
    assert_error(response, 400, "photos_required")
    assert not Note.objects.exists()


def test_a_draft_may_wait_for_its_photos(user_api: APIClient) -> None:
    response = user_api.post("/api/v1/notes/", {"title": "Later", "status": "draft"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"


def test_ten_photos_are_refused(user_api: APIClient) -> None:
    response = user_api.post(
        "/api/v1/notes/",
        {"title": "Too many", "images": [jpeg(f"{i}.jpg", 40, 40) for i in range(10)]},
        format="multipart",
    )
    assert_error(response, 400, "too_many_photos")


def test_a_non_image_upload_gets_400_and_nothing_is_created(user_api: APIClient) -> None:
    fake = SimpleUploadedFile("holiday.jpg", b"this is plain text", content_type="image/jpeg")
    response = user_api.post(
        "/api/v1/notes/", {"title": "Fake", "images": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_an_image"
    assert not Note.objects.exists()
    assert not Photo.objects.exists()


def test_an_empty_photo_upload_gets_400(user_api: APIClient) -> None:
    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    response = user_api.post("/api/v1/photos/", {"image": empty}, format="multipart")
    assert_error(response, 400, "empty_file")


def test_photo_upload_without_a_file_gets_400(user_api: APIClient) -> None:
    response = user_api.post("/api/v1/photos/", {}, format="multipart")
    assert_error(response, 400, "invalid")


def test_creating_a_note_needs_authentication(api: APIClient) -> None:
    response = api.post("/api/v1/notes/", {"title": "x"}, format="json")
    assert_error(response, 401, "unauthenticated")


def test_only_the_author_changes_or_deletes_a_note(
    user_api: APIClient, other_api: APIClient, user: User
) -> None:
    note = NoteFactory(author=user)
    assert_error(
        other_api.patch(f"/api/v1/notes/{note.pk}/", {"title": "Mine now"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(other_api.delete(f"/api/v1/notes/{note.pk}/"), 403, "permission_denied")
    assert Note.objects.get(pk=note.pk).title == note.title
    response = user_api.patch(f"/api/v1/notes/{note.pk}/", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert user_api.delete(f"/api/v1/notes/{note.pk}/").status_code == 204
    assert not Note.objects.filter(pk=note.pk).exists()


def test_a_moderator_may_hide_a_note_but_its_author_cannot_unhide_it(
    user_api: APIClient, user: User
) -> None:
    moderator = ModeratorFactory()
    client = APIClient()
    client.force_authenticate(moderator)
    note = NoteFactory(author=user)
    response = client.patch(f"/api/v1/notes/{note.pk}/", {"status": "hidden"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "hidden"
    refused = user_api.patch(f"/api/v1/notes/{note.pk}/", {"status": "published"}, format="json")
    assert_error(refused, 400, "invalid_status")
    assert_error(APIClient().get(f"/api/v1/notes/{note.pk}/"), 404, "not_found")


def test_drafts_are_invisible_to_others(user: User, other_api: APIClient) -> None:
    draft = NoteFactory(author=user, status=Note.Status.DRAFT, published_at=None)
    assert_error(other_api.get(f"/api/v1/notes/{draft.pk}/"), 404, "not_found")
    assert_error(other_api.post(f"/api/v1/notes/{draft.pk}/like/"), 404, "not_found")


def test_listing_own_drafts_and_not_others(
    user_api: APIClient, user: User, other_user: User
) -> None:
    NoteFactory(author=user, status=Note.Status.DRAFT, published_at=None)
    mine = user_api.get(f"/api/v1/notes/?author={user.username}&status=draft")
    assert mine.status_code == 200
    assert len(mine.json()["results"]) == 1
    theirs = user_api.get(f"/api/v1/notes/?author={other_user.username}&status=draft")
    assert_error(theirs, 400, "invalid")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/notes/0/",
        "/api/v1/notes/999999999999999999/",
        "/api/v1/notes/99999999999999999999999/",
        "/api/v1/notes/abc/",
        "/api/v1/nothing-here",
    ],
)
def test_unknown_things_are_404_in_the_error_shape(api: APIClient, path: str) -> None:
    assert_error(api.get(path), 404, "not_found")


def test_wrong_method_is_405_in_the_error_shape(user_api: APIClient) -> None:
    assert_error(
        user_api.put("/api/v1/feed/discover", {}, format="json"), 405, "method_not_allowed"
    )


# --- likes, collects, comments -----------------------------------------------------


def test_like_and_collect_are_idempotent(user_api: APIClient, user: User) -> None:
    note = NoteFactory()
    for _ in range(2):
        response = user_api.post(f"/api/v1/notes/{note.pk}/like/")
        assert response.json() == {"liked": True, "like_count": 1}
    for _ in range(2):
        response = user_api.post(f"/api/v1/notes/{note.pk}/collect/")
        assert response.json()["collected"] is True
        assert response.json()["collect_count"] == 1
        assert response.json()["board"]["name"] == "Saved"
    assert Like.objects.count() == Collect.objects.count() == 1
    for _ in range(2):
        assert user_api.delete(f"/api/v1/notes/{note.pk}/like/").json() == {
            "liked": False,
            "like_count": 0,
        }
        assert user_api.delete(f"/api/v1/notes/{note.pk}/collect/").json()["collect_count"] == 0


def test_collect_into_a_named_board_and_only_own_boards(
    user_api: APIClient, other_user: User
) -> None:
    note = NoteFactory()
    board = user_api.post("/api/v1/boards/", {"name": "Recipes"}, format="json").json()
    response = user_api.post(
        f"/api/v1/notes/{note.pk}/collect/", {"board": board["id"]}, format="json"
    )
    assert response.json()["board"]["name"] == "Recipes"
    theirs = services.board_create(owner=other_user, name="Theirs")
    response = user_api.post(
        f"/api/v1/notes/{note.pk}/collect/", {"board": theirs.pk}, format="json"
    )
    assert_error(response, 404, "not_found")


def test_comments_and_replies(user_api: APIClient, other_api: APIClient, user: User) -> None:
    note = NoteFactory(author=user)
    top = other_api.post(
        f"/api/v1/notes/{note.pk}/comments/", {"body": "Recipe please!"}, format="json"
    )
    assert top.status_code == 201
    reply = user_api.post(
        f"/api/v1/notes/{note.pk}/comments/",
        {"body": "Sure, tomorrow", "parent": top.json()["id"]},
        format="json",
    )
    assert reply.status_code == 201
    listing = APIClient().get(f"/api/v1/notes/{note.pk}/comments/").json()
    assert len(listing["results"]) == 1
    assert listing["results"][0]["replies"][0]["body"] == "Sure, tomorrow"
    assert Note.objects.get(pk=note.pk).comment_count == 2


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 1001},
        {"body": "hi", "parent": "abc"},
        {"body": "hi", "parent": 10**30},
    ],
)
def test_bad_comments_get_400(user_api: APIClient, payload: dict) -> None:
    note = NoteFactory()
    response = user_api.post(f"/api/v1/notes/{note.pk}/comments/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid", "too_long", "invalid_parent"}
    assert not Comment.objects.exists()


def test_only_comment_or_note_author_deletes_a_comment(
    user_api: APIClient, other_api: APIClient, user: User, other_user: User
) -> None:
    comment = CommentFactory(author=user)
    assert_error(other_api.delete(f"/api/v1/comments/{comment.pk}/"), 403, "permission_denied")
    assert user_api.delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    on_their_note = CommentFactory(note=NoteFactory(author=other_user), author=user)
    assert other_api.delete(f"/api/v1/comments/{on_their_note.pk}/").status_code == 204


# --- follows, blocks, reports, notifications ------------------------------------------


def test_follow_is_idempotent_and_self_follow_refused(
    user_api: APIClient, user: User, other_user: User
) -> None:
    for _ in range(2):
        response = user_api.post(f"/api/v1/users/{other_user.username}/follow/")
        assert response.json() == {"following": True, "follower_count": 1}
    assert Follow.objects.count() == 1
    assert_error(user_api.post(f"/api/v1/users/{user.username}/follow/"), 400, "self_action")
    assert user_api.delete(f"/api/v1/users/{other_user.username}/follow/").json() == {
        "following": False,
        "follower_count": 0,
    }
    assert_error(user_api.post("/api/v1/users/nobody-here/follow/"), 404, "not_found")


def test_blocked_member_cannot_follow_comment_or_like(
    user_api: APIClient, other_api: APIClient, user: User, other_user: User
) -> None:
    note = NoteFactory(author=user)
    assert user_api.post(f"/api/v1/users/{other_user.username}/block/").json() == {"blocked": True}
    assert_error(other_api.post(f"/api/v1/users/{user.username}/follow/"), 403, "blocked")
    # The blocker's notes no longer exist for the member they blocked.
    assert_error(other_api.post(f"/api/v1/notes/{note.pk}/like/"), 404, "not_found")
    assert_error(
        other_api.post(f"/api/v1/notes/{note.pk}/comments/", {"body": "hey"}, format="json"),
        404,
        "not_found",
    )


def test_a_member_lists_whom_they_blocked_the_latest_first(
    user_api: APIClient, other_api: APIClient, user: User, other_user: User
) -> None:
    first, second, third = UserFactory.create_batch(3)
    for blocked in (first, second, third):
        user_api.post(f"/api/v1/users/{blocked.username}/block/")
    theirs = UserFactory()
    services.user_block(blocker=other_user, blocked=theirs)

    page = user_api.get("/api/v1/me/blocked?page_size=2")
    assert page.status_code == 200, page.content
    assert [u["username"] for u in page.json()["results"]] == [third.username, second.username]
    rest = user_api.get(page.json()["next"]).json()
    assert [u["username"] for u in rest["results"]] == [first.username]
    assert rest["next"] is None
    user_api.delete(f"/api/v1/users/{second.username}/block/")
    listed = user_api.get("/api/v1/me/blocked").json()["results"]
    assert [u["username"] for u in listed] == [third.username, first.username]
    others = other_api.get("/api/v1/me/blocked").json()["results"]
    assert [u["username"] for u in others] == [theirs.username]


def test_the_blocked_list_is_the_callers_own(api: APIClient) -> None:
    assert_error(api.get("/api/v1/me/blocked"), 401, "unauthenticated")


def test_report_a_note_once(user_api: APIClient) -> None:
    note = NoteFactory()
    first = user_api.post("/api/v1/reports/", {"note": note.pk, "reason": "spam"}, format="json")
    again = user_api.post("/api/v1/reports/", {"note": note.pk, "reason": "spam"}, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert_error(
        user_api.post("/api/v1/reports/", {"reason": "spam"}, format="json"), 400, "invalid"
    )
    assert_error(
        user_api.post("/api/v1/reports/", {"note": note.pk, "reason": "meh"}, format="json"),
        400,
        "invalid",
    )


def test_notifications_list_and_mark_read(
    user_api: APIClient, other_api: APIClient, user: User
) -> None:
    note = NoteFactory(author=user)
    other_api.post(f"/api/v1/notes/{note.pk}/like/")
    other_api.post(f"/api/v1/users/{user.username}/follow/")
    assert user_api.get("/api/v1/me").json()["unread_notifications"] == 2
    listing = user_api.get("/api/v1/notifications/").json()
    assert [n["verb"] for n in listing["results"]] == ["follow", "like"]
    assert user_api.post("/api/v1/notifications/read", {}, format="json").json() == {
        "marked": 2,
        "unread": 0,
    }
    assert Notification.objects.filter(read_at=None).count() == 0


# --- feeds and search ---------------------------------------------------------------


def _walk(client: APIClient, url: str) -> list[int]:
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"results", "next"}
        seen += [n["id"] for n in body["results"]]
        url = body["next"]
    return seen


def test_discover_pages_cover_every_note_once(api: APIClient) -> None:
    notes = NoteFactory.create_batch(7)
    seen = _walk(api, "/api/v1/feed/discover?page_size=3")
    assert sorted(seen) == sorted(n.pk for n in notes)


def test_following_feed_is_newest_first_and_needs_login(
    user_api: APIClient, user: User, api: APIClient
) -> None:
    author = UserFactory()
    services.user_follow(follower=user, followee=author)
    notes = NoteFactory.create_batch(4, author=author)
    NoteFactory()  # not followed
    seen = _walk(user_api, "/api/v1/feed/following?page_size=3")
    assert seen == [n.pk for n in reversed(notes)]
    assert_error(api.get("/api/v1/feed/following"), 401, "unauthenticated")


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJrIjoieCIsImkiOjF9", "%%%", "a" * 500])
def test_bad_cursors_get_400(api: APIClient, cursor: str) -> None:
    assert_error(api.get(f"/api/v1/feed/discover?cursor={cursor}"), 400, "invalid_cursor")


def test_bad_page_size_gets_400(api: APIClient) -> None:
    assert_error(api.get("/api/v1/feed/discover?page_size=lots"), 400, "invalid")


@pytest.mark.parametrize("size", ["0", "101", "1000", "-5", "2.5", " ", "99999999999999999999"])
def test_a_page_size_out_of_range_is_refused_not_clamped(api: APIClient, size: str) -> None:
    error = assert_error(api.get("/api/v1/feed/discover", {"page_size": size}), 400, "invalid")
    assert error["fields"]["page_size"] == ["A whole number from 1 to 100."]


def test_page_sizes_at_the_bounds_are_served(api: APIClient) -> None:
    for size in ("1", "100", " 7 "):
        assert api.get("/api/v1/feed/discover", {"page_size": size}).status_code == 200
    assert api.get("/api/v1/feed/discover", {"page_size": ""}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/notes/", "/api/", "/api/v1/notes/x/y/z"]
)
def test_an_unknown_api_path_is_a_json_404_even_in_debug(
    api: APIClient, settings: Any, path: str
) -> None:
    settings.DEBUG = True
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_search_finds_notes_topics_and_members(api: APIClient) -> None:
    author = UserFactory(username="matcha_fan", display_name="Matcha Fan")
    services.note_create(
        author=author, title="Matcha latte at home", body="#matcha is life", status="draft"
    )
    note = Note.objects.get()
    PhotoFactory(owner=author, note=note)
    services.note_update(actor=author, note=note, status="published")
    body = api.get("/api/v1/search?q=matcha").json()
    assert [n["title"] for n in body["notes"]] == ["Matcha latte at home"]
    assert [t["key"] for t in body["topics"]] == ["matcha"]
    assert [u["username"] for u in body["users"]] == ["matcha_fan"]


@pytest.mark.parametrize("query", ["", "   ", "x" * 101])
def test_search_refuses_empty_and_huge_queries(api: APIClient, query: str) -> None:
    assert_error(api.get("/api/v1/search", {"q": query}), 400, "invalid")


# --- query counts ---------------------------------------------------------------------


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _cold_and_warm(client: APIClient, url: str) -> tuple[int, int]:
    """Queries of a feed page with no card cached (every card built), then of
    the same page again (every card from the cache)."""
    card_cache.note_cards_forget(Note.objects.values_list("pk", flat=True))
    card_cache.authors_forget(User.objects.values_list("pk", flat=True))
    cold = _queries(client, url)
    return cold, _queries(client, url)


def test_feed_queries_do_not_grow_with_page_size(user: User) -> None:
    client = APIClient()
    client.force_login(user)
    followed = UserFactory()
    services.user_follow(follower=user, followee=followed)
    topic_note = NoteFactory()
    services.note_update(actor=topic_note.author, note=topic_note, body="#tea")
    services.topic_follow(user=user, topic=topic_note.topics.get())
    NoteFactory.create_batch(3, author=followed, photos=2)
    NoteFactory.create_batch(30, photos=2)
    first = _queries(client, "/api/v1/feed/discover?page_size=2")  # reads the follow graph
    small = _cold_and_warm(client, "/api/v1/feed/discover?page_size=2")
    large = _cold_and_warm(client, "/api/v1/feed/discover?page_size=30")
    # Warm: the session, its member and the feed's one query.
    assert small == large and small[1] < small[0] < first <= 8 and small[1] == 3
    for feed in (
        "/api/v1/feed/following?page_size={}",
        f"/api/v1/topics/{topic_note.topics.get().key}/notes?page_size={{}}",
        f"/api/v1/topics/{topic_note.topics.get().key}/notes?order=new&page_size={{}}",
        f"/api/v1/users/{followed.username}/notes?page_size={{}}",
    ):
        small = _cold_and_warm(client, feed.format(1))
        large = _cold_and_warm(client, feed.format(3))
        # Warm: the session, its member, the topic or author, the feed's query.
        assert small == large and small[1] <= 4 and small[0] <= 8, feed
    assert _queries(client, "/api/v1/notes/?page_size=2") == _queries(
        client, "/api/v1/notes/?page_size=30"
    )
    assert _queries(client, "/api/v1/search?q=Note&page_size=2") == _queries(
        client, "/api/v1/search?q=Note&page_size=30"
    )


# --- schema and docs ---------------------------------------------------------------------


def test_schema_and_docs_are_served_without_a_cdn(api: APIClient) -> None:
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/feed/discover" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_sign_ups_are_throttled(api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "auth": "3/min"}
    )
    for i in range(3):
        api.post(
            "/api/v1/auth/register",
            {"username": f"user{i}", "password": "plum-blossom-42", "email": f"u{i}@example.com"},
            format="json",
        )
    response = api.post(
        "/api/v1/auth/register",
        {"username": "user9", "password": "plum-blossom-42", "email": "u9@example.com"},
        format="json",
    )
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(username="user9").exists()


def test_hand_written_note_representation_matches_the_declared_fields(user: User) -> None:
    from rest_framework import serializers as drf_serializers
    from rest_framework.test import APIRequestFactory

    from community import extensions, selectors
    from community.serializers import NoteDetailSerializer, NoteSerializer

    note = NoteFactory(body="Tea #matcha", photos=2)
    services.note_update(actor=note.author, note=note, body="Tea #matcha")
    services.like_add(user=user, note=note)
    request = APIRequestFactory().get("/")
    loaded = selectors.note_for_viewer(note_id=note.pk, viewer=user)
    for serializer_class in (NoteSerializer, NoteDetailSerializer):
        serializer = serializer_class(context={"request": request})
        with extensions.note_payload_extras.override():  # the keys of the apps above aside
            fast = serializer.to_representation(loaded)
        declared = drf_serializers.Serializer.to_representation(serializer, loaded)
        assert fast == dict(declared), serializer_class.__name__


def test_media_urls_in_the_api_are_absolute(
    user_api: APIClient, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):  # renders the photo (eager Celery)
        response = user_api.post(
            "/api/v1/notes/", {"title": "Abs", "images": [jpeg()]}, format="multipart"
        )
    photo = user_api.get(f"/api/v1/notes/{response.json()['id']}/").json()["photos"][0]
    assert photo["ready"]
    assert photo["original"].startswith("http://testserver/media/")
    assert photo["src"].startswith("http://testserver/media/")
    for files in photo["renditions"].values():
        assert all(url.startswith("http://testserver/media/") for url in files.values())
    assert all(
        item.startswith("http://testserver/media/") for item in photo["srcset_webp"].split(", ")
    )


def test_collect_reports_the_boards_new_count(user_api: APIClient) -> None:
    note = NoteFactory()
    response = user_api.post(f"/api/v1/notes/{note.pk}/collect/")
    assert response.json()["board"]["collect_count"] == 1


def test_schema_generates_without_warnings_and_validates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/auth/register:" in text
    assert "/api/v1/notes/{id}/:" in text
