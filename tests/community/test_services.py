"""Writes of the notes community (community.services): outcomes in rows,
counters, notifications and the errors' stable codes."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from community import permissions, selectors, services
from community.errors import (
    Blocked,
    CommentDepthExceeded,
    InvalidTransition,
    PhotosRequired,
    SelfAction,
    TooManyPhotos,
)
from community.models import (
    Block,
    Board,
    Collect,
    Comment,
    Follow,
    Like,
    Note,
    Notification,
    Photo,
    Report,
    Topic,
    TopicFollow,
    User,
)
from core.errors import InvalidImage, NotFound, PermissionDenied, ValidationFailed
from tests.factories import (
    BoardFactory,
    NoteFactory,
    PhotoFactory,
    UserFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------


def photo_ids(owner: User, count: int = 1) -> list[int]:
    return [PhotoFactory(owner=owner).pk for _ in range(count)]


def publish(author: User, title: str = "Slow breakfast", body: str = "", **extra: Any) -> Note:
    return services.note_create(
        author=author, title=title, body=body, photo_ids=photo_ids(author), **extra
    )


def notifications(recipient: User, verb: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(recipient=recipient)
    if verb is not None:
        found = found.filter(verb=verb)
    return list(found.order_by("id"))


def topic(key: str) -> Topic:
    return Topic.objects.get(key=key)


@pytest.fixture
def third_user() -> User:
    return UserFactory()


# --- registration ------------------------------------------------------------------


def test_register_creates_member_with_token() -> None:
    member = services.user_register(
        username=" Sunny_Day ", email="sunny@example.com", password="tea-and-toast-42"
    )
    assert member.username == "Sunny_Day"
    assert member.check_password("tea-and-toast-42")
    assert Token.objects.filter(user=member).count() == 1
    assert services.user_token(user=member) == Token.objects.get(user=member).key


def test_register_refuses_a_username_taken_in_another_case() -> None:
    UserFactory(username="Sunny")
    with pytest.raises(ValidationFailed) as caught:
        services.user_register(
            username="sUNNY", email="new@example.com", password="tea-and-toast-42"
        )
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {"username"}
    assert User.objects.filter(username__iexact="sunny").count() == 1


def test_register_refuses_a_bad_email() -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.user_register(username="sunny", email="not-an-email", password="tea-and-toast-42")
    assert set(caught.value.fields) == {"email"}
    assert not User.objects.filter(username="sunny").exists()


def test_register_refuses_an_email_taken_in_another_case() -> None:
    UserFactory(email="sunny@example.com")
    with pytest.raises(ValidationFailed) as caught:
        services.user_register(
            username="sunny2", email="SUNNY@example.com", password="tea-and-toast-42"
        )
    assert set(caught.value.fields) == {"email"}


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "sunnyday1"])
def test_register_refuses_a_weak_password(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.user_register(username="sunnyday", email="sunny@example.com", password=password)
    assert set(caught.value.fields) == {"password"}
    assert caught.value.fields["password"]
    assert not User.objects.filter(username="sunnyday").exists()


def test_register_reports_every_bad_field_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.user_register(username="a!", email="nope", password="1")
    assert set(caught.value.fields) == {"username", "email", "password"}
    assert not Token.objects.exists()


# --- notes: creation ------------------------------------------------------------------


def test_draft_without_photos_is_created_and_counts_nothing(user: User) -> None:
    note = services.note_create(author=user, title="Idea", body="#Later", status="draft")
    assert note.status == Note.Status.DRAFT
    assert note.published_at is None
    assert fresh(user).note_count == 0
    assert topic("later").note_count == 0


def test_publishing_without_photos_is_refused(user: User) -> None:
    with pytest.raises(PhotosRequired) as caught:
        services.note_create(author=user, title="Breakfast", body="eggs")
    assert caught.value.code == "photos_required"
    assert not Note.objects.exists()


def test_more_than_nine_photos_are_refused(user: User) -> None:
    with pytest.raises(TooManyPhotos) as caught:
        services.note_create(author=user, title="Trip", photo_ids=photo_ids(user, 10))
    assert caught.value.code == "too_many_photos"
    assert not Note.objects.exists()
    assert Photo.objects.filter(note=None).count() == 10


def test_nine_photos_are_attached_in_the_given_order(user: User) -> None:
    ids = photo_ids(user, 9)[::-1]
    note = services.note_create(author=user, title="Trip", photo_ids=ids)
    assert list(note.photos.order_by("position").values_list("pk", flat=True)) == ids
    assert list(note.photos.order_by("position").values_list("position", flat=True)) == list(
        range(9)
    )


def test_photo_ids_of_another_member_are_refused(user: User, other_user: User) -> None:
    foreign = photo_ids(other_user)
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(author=user, title="Mine", photo_ids=foreign)
    assert set(caught.value.fields) == {"photo_ids"}
    assert Photo.objects.get(pk=foreign[0]).note_id is None
    assert not Note.objects.exists()


def test_photo_already_attached_to_a_note_is_refused(user: User) -> None:
    first = publish(user)
    used = first.photos.get().pk
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(author=user, title="Again", photo_ids=[used])
    assert set(caught.value.fields) == {"photo_ids"}
    assert Photo.objects.get(pk=used).note_id == first.pk


def test_photo_listed_twice_is_refused(user: User) -> None:
    (photo,) = photo_ids(user)
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(author=user, title="Twice", photo_ids=[photo, photo])
    assert set(caught.value.fields) == {"photo_ids"}


def upload(name: str = "photo.jpg", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, jpeg_bytes() if content is None else content, content_type="image/jpeg"
    )


def test_uploaded_images_follow_earlier_photos_in_order(user: User) -> None:
    (earlier,) = photo_ids(user)
    note = services.note_create(
        author=user, title="Market", photo_ids=[earlier], images=[upload("b.jpg"), upload("c.jpg")]
    )
    stored = list(note.photos.order_by("position"))
    assert [p.position for p in stored] == [0, 1, 2]
    assert stored[0].pk == earlier
    assert all(p.owner_id == user.pk for p in stored)
    # Stored names never reuse the uploader's file name.
    assert all(len(PurePosixPath(p.original.name or "").stem) == 32 for p in stored[1:])


def test_a_bad_upload_creates_nothing(user: User) -> None:
    with pytest.raises(InvalidImage) as caught:
        services.note_create(
            author=user, title="Oops", images=[upload(), upload("notes.jpg", b"just text")]
        )
    assert caught.value.code == "not_an_image"
    assert set(caught.value.fields) == {"images"}
    assert not Note.objects.exists()
    assert not Photo.objects.exists()


def test_nine_photos_count_uploads_and_earlier_photos_together(user: User) -> None:
    with pytest.raises(TooManyPhotos):
        services.note_create(
            author=user, title="Too many", photo_ids=photo_ids(user, 8), images=[upload(), upload()]
        )
    assert not Note.objects.exists()


def test_photo_uploaded_ahead_is_attached_by_id(user: User) -> None:
    photo = services.photo_upload(owner=user, upload=upload())
    assert photo.note_id is None
    note = services.note_create(author=user, title="Later", photo_ids=[photo.pk])
    assert list(note.photos.all()) == [photo]


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("   ", "", "title"), ("x" * 101, "", "title"), ("ok", "y" * 2001, "body")],
)
def test_note_text_limits(user: User, title: str, body: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(author=user, title=title, body=body, status="draft")
    assert set(caught.value.fields) == {field}


def test_unknown_status_is_refused(user: User) -> None:
    with pytest.raises(InvalidTransition) as caught:
        services.note_create(author=user, title="x", status="hidden", photo_ids=photo_ids(user))
    assert caught.value.code == "invalid_status"


def test_publishing_links_topics_and_mentions_and_counts(user: User, other_user: User) -> None:
    note = publish(user, body=f"#Breakfast with @{other_user.username.upper()} #早餐 #breakfast")
    assert note.status == Note.Status.PUBLISHED
    assert note.published_at is not None
    assert sorted(note.topics.values_list("key", flat=True)) == ["breakfast", "早餐"]
    assert topic("breakfast").name == "Breakfast"
    assert topic("breakfast").note_count == 1
    assert topic("早餐").note_count == 1
    assert fresh(user).note_count == 1
    assert list(note.mentions.all()) == [other_user]
    (mention,) = notifications(other_user)
    assert (mention.verb, mention.actor, mention.note) == ("mention", user, note)
    assert f'href="/u/{other_user.username.upper()}/"' in note.body_html


def test_same_topic_in_another_spelling_is_one_topic(user: User, other_user: User) -> None:
    publish(user, body="#Tea")
    publish(other_user, body="#TEA and #tea")
    assert Topic.objects.count() == 1
    assert topic("tea").note_count == 2


def test_unknown_self_and_blocking_mentions_notify_nobody(
    user: User, other_user: User, third_user: User
) -> None:
    services.user_block(blocker=third_user, blocked=user)
    note = publish(
        user, body=f"@ghost_member @{user.username} @{other_user.username} @{third_user.username}"
    )
    assert list(note.mentions.all()) == [other_user]
    assert notifications(user) == []
    assert notifications(third_user) == []
    assert len(notifications(other_user, "mention")) == 1
    assert "@ghost_member" in note.body_html
    assert "/u/ghost_member/" not in note.body_html
    assert f"/u/{third_user.username}/" not in note.body_html


def test_draft_mentions_notify_when_published(user: User, other_user: User) -> None:
    note = services.note_create(
        author=user,
        title="Soon",
        body=f"#Soon @{other_user.username}",
        status="draft",
        photo_ids=photo_ids(user),
    )
    assert notifications(other_user) == []
    services.note_update(actor=user, note=note, status="published")
    assert len(notifications(other_user, "mention")) == 1
    assert topic("soon").note_count == 1
    assert fresh(user).note_count == 1


# --- notes: changes ---------------------------------------------------------------


def test_counts_follow_publish_unpublish_hide_restore_and_delete(
    user: User, moderator: User
) -> None:
    note = publish(user, body="#Tea")
    publish(user, body="#Tea")
    assert (fresh(user).note_count, topic("tea").note_count) == (2, 2)

    services.note_update(actor=user, note=note, status="draft")
    assert fresh(note).status == Note.Status.DRAFT
    assert (fresh(user).note_count, topic("tea").note_count) == (1, 1)

    services.note_update(actor=user, note=note, status="published")
    assert (fresh(user).note_count, topic("tea").note_count) == (2, 2)

    assert (
        services.notes_set_hidden(
            moderator=moderator, notes=Note.objects.filter(pk=note.pk), hidden=True
        )
        == 1
    )
    assert fresh(note).status == Note.Status.HIDDEN
    assert (fresh(user).note_count, topic("tea").note_count) == (1, 1)

    assert (
        services.notes_set_hidden(
            moderator=moderator, notes=Note.objects.filter(pk=note.pk), hidden=False
        )
        == 1
    )
    assert fresh(note).status == Note.Status.PUBLISHED
    assert (fresh(user).note_count, topic("tea").note_count) == (2, 2)

    services.note_delete(actor=user, note=note)
    assert not Note.objects.filter(pk=note.pk).exists()
    assert (fresh(user).note_count, topic("tea").note_count) == (1, 1)


def test_hiding_twice_changes_nothing_more(user: User, moderator: User) -> None:
    note = publish(user)
    notes = Note.objects.filter(pk=note.pk)
    assert services.notes_set_hidden(moderator=moderator, notes=notes, hidden=True) == 1
    assert services.notes_set_hidden(moderator=moderator, notes=notes, hidden=True) == 0
    assert fresh(user).note_count == 0


def test_non_moderator_cannot_hide_in_bulk(user: User, other_user: User) -> None:
    note = publish(user)
    with pytest.raises(PermissionDenied):
        services.notes_set_hidden(
            moderator=user, notes=Note.objects.filter(pk=note.pk), hidden=True
        )
    assert fresh(note).status == Note.Status.PUBLISHED


def test_editing_the_body_moves_topic_counts_and_notifies_new_mentions_only(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user, body=f"#Tea @{other_user.username}")
    updated = services.note_update(
        actor=user, note=note, body=f"#Coffee @{other_user.username} @{third_user.username}"
    )
    assert list(updated.topics.values_list("key", flat=True)) == ["coffee"]
    assert topic("tea").note_count == 0
    assert topic("coffee").note_count == 1
    assert len(notifications(other_user, "mention")) == 1
    assert len(notifications(third_user, "mention")) == 1
    assert "#Coffee" in updated.body_html


def test_only_author_or_moderator_may_update_or_delete(
    user: User, other_user: User, moderator: User
) -> None:
    note = publish(user, title="Mine")
    with pytest.raises(PermissionDenied) as caught:
        services.note_update(actor=other_user, note=note, title="Stolen")
    assert caught.value.code == "permission_denied"
    with pytest.raises(PermissionDenied):
        services.note_delete(actor=other_user, note=note)
    assert fresh(note).title == "Mine"

    assert services.note_update(actor=moderator, note=note, title="Tidied").title == "Tidied"
    services.note_delete(actor=moderator, note=note)
    assert not Note.objects.filter(pk=note.pk).exists()
    assert fresh(user).note_count == 0


def test_author_cannot_hide_but_a_moderator_can(user: User, moderator: User) -> None:
    note = publish(user)
    with pytest.raises(InvalidTransition) as caught:
        services.note_update(actor=user, note=note, status="hidden")
    assert caught.value.code == "invalid_status"
    assert fresh(note).status == Note.Status.PUBLISHED

    services.note_update(actor=moderator, note=note, status="hidden")
    assert fresh(note).status == Note.Status.HIDDEN
    assert fresh(user).note_count == 0


def test_a_draft_cannot_be_hidden(user: User, moderator: User) -> None:
    draft = services.note_create(author=user, title="Private", status="draft")
    with pytest.raises(InvalidTransition):
        services.note_update(actor=moderator, note=draft, status="hidden")
    assert fresh(draft).status == Note.Status.DRAFT
    assert (
        services.notes_set_hidden(moderator=moderator, notes=Note.objects.all(), hidden=True) == 0
    )


def test_author_cannot_republish_a_hidden_note(user: User, moderator: User) -> None:
    note = publish(user)
    services.notes_set_hidden(
        moderator=moderator, notes=Note.objects.filter(pk=note.pk), hidden=True
    )
    for status in ("published", "draft"):
        with pytest.raises(InvalidTransition):
            services.note_update(actor=user, note=fresh(note), status=status)
    assert fresh(note).status == Note.Status.HIDDEN


def test_update_cannot_publish_without_photos(user: User) -> None:
    note = services.note_create(author=user, title="Bare", status="draft")
    with pytest.raises(PhotosRequired):
        services.note_update(actor=user, note=note, status="published")
    published = publish(user)
    with pytest.raises(PhotosRequired):
        services.note_update(actor=user, note=published, photo_ids=[])
    assert published.photos.count() == 1


def test_update_reorders_adds_and_removes_photos(user: User) -> None:
    note = services.note_create(author=user, title="Trip", photo_ids=photo_ids(user, 3))
    first, second, third = note.photos.order_by("position").values_list("pk", flat=True)
    (new,) = photo_ids(user)
    removed_name = Photo.objects.get(pk=second).original.name or ""
    assert default_storage.exists(removed_name)

    services.note_update(actor=user, note=note, photo_ids=[third, new, first])

    assert list(note.photos.order_by("position").values_list("pk", flat=True)) == [
        third,
        new,
        first,
    ]
    assert not Photo.objects.filter(pk=second).exists()


def test_removed_photos_lose_their_files_after_commit(
    user: User, django_capture_on_commit_callbacks: Any
) -> None:
    note = services.note_create(author=user, title="Trip", photo_ids=photo_ids(user, 2))
    keep, drop = note.photos.order_by("position")
    with django_capture_on_commit_callbacks(execute=True):
        services.note_update(actor=user, note=note, photo_ids=[keep.pk])
    assert not default_storage.exists(drop.original.name or "")
    assert default_storage.exists(keep.original.name or "")


def test_update_refuses_foreign_photos_and_more_than_nine(user: User, other_user: User) -> None:
    note = publish(user)
    with pytest.raises(ValidationFailed) as caught:
        services.note_update(actor=user, note=note, photo_ids=photo_ids(other_user))
    assert set(caught.value.fields) == {"photo_ids"}
    current = list(note.photos.values_list("pk", flat=True))
    with pytest.raises(TooManyPhotos):
        services.note_update(actor=user, note=note, photo_ids=current + photo_ids(user, 9))
    assert list(note.photos.values_list("pk", flat=True)) == current


def test_deleting_a_note_removes_its_rows_files_and_board_counts(
    user: User, other_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    note = publish(user, body="#Tea")
    files = [p.original.name for p in note.photos.all()]
    services.like_add(user=other_user, note=note)
    collect = services.collect_add(user=other_user, note=note)
    services.comment_create(author=other_user, note=note, body="Nice")
    with django_capture_on_commit_callbacks(execute=True):
        services.note_delete(actor=user, note=note)
    assert not Like.objects.exists()
    assert not Collect.objects.exists()
    assert not Comment.objects.exists()
    assert not Photo.objects.exists()
    assert not Notification.objects.filter(note_id=note.pk).exists()
    assert fresh(collect.board).collect_count == 0
    assert topic("tea").note_count == 0
    assert not any(default_storage.exists(name or "") for name in files)


# --- likes ------------------------------------------------------------------------


def test_liking_twice_counts_once(user: User, other_user: User) -> None:
    note = publish(user)
    assert services.like_add(user=other_user, note=note) is True
    assert services.like_add(user=other_user, note=note) is False
    assert fresh(note).like_count == 1
    assert Like.objects.count() == 1
    assert len(notifications(user, "like")) == 1


def test_unlike_is_idempotent_and_removes_the_unread_notification(
    user: User, other_user: User
) -> None:
    note = publish(user)
    services.like_add(user=other_user, note=note)
    assert services.like_remove(user=other_user, note=note) is True
    assert services.like_remove(user=other_user, note=note) is False
    assert fresh(note).like_count == 0
    assert notifications(user, "like") == []


def test_unlike_keeps_a_notification_already_read(user: User, other_user: User) -> None:
    note = publish(user)
    services.like_add(user=other_user, note=note)
    assert services.notifications_mark_read(user=user) == 1
    services.like_remove(user=other_user, note=note)
    assert len(notifications(user, "like")) == 1


def test_like_again_after_unlike_notifies_once(user: User, other_user: User) -> None:
    note = publish(user)
    for _ in range(3):
        services.like_add(user=other_user, note=note)
        services.like_remove(user=other_user, note=note)
    services.like_add(user=other_user, note=note)
    assert fresh(note).like_count == 1
    assert len(notifications(user, "like")) == 1


def test_liking_own_note_counts_without_notification(user: User) -> None:
    note = publish(user)
    services.like_add(user=user, note=note)
    assert fresh(note).like_count == 1
    assert notifications(user) == []


def test_hot_score_rises_with_engagement_and_never_decreases(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user)
    start = fresh(note).hot_score
    services.like_add(user=other_user, note=note)
    services.like_add(user=third_user, note=note)
    liked = fresh(note).hot_score
    assert liked > start
    services.like_remove(user=other_user, note=note)
    services.like_remove(user=third_user, note=note)
    services.collect_remove(user=other_user, note=note)
    assert fresh(note).hot_score == liked
    services.comment_create(author=other_user, note=note, body="Yum")
    assert fresh(note).hot_score > liked


def test_cannot_interact_with_drafts_or_hidden_notes(
    user: User, other_user: User, moderator: User
) -> None:
    draft = services.note_create(author=user, title="Draft", status="draft")
    hidden = publish(user)
    services.notes_set_hidden(
        moderator=moderator, notes=Note.objects.filter(pk=hidden.pk), hidden=True
    )
    hidden = fresh(hidden)
    for note in (draft, hidden):
        for attempt in (
            lambda n: services.like_add(user=other_user, note=n),
            lambda n: services.collect_add(user=other_user, note=n),
            lambda n: services.comment_create(author=other_user, note=n, body="hi"),
        ):
            with pytest.raises(NotFound) as caught:
                attempt(note)
            assert caught.value.code == "not_found"
    assert not Like.objects.exists()
    assert not Collect.objects.exists()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("direction", ["author_blocks_member", "member_blocks_author"])
def test_blocked_members_cannot_like_collect_or_comment(
    user: User, other_user: User, direction: str
) -> None:
    note = publish(user)
    if direction == "author_blocks_member":
        services.user_block(blocker=user, blocked=other_user)
    else:
        services.user_block(blocker=other_user, blocked=user)
    with pytest.raises(Blocked) as caught:
        services.like_add(user=other_user, note=note)
    assert caught.value.code == "blocked"
    with pytest.raises(Blocked):
        services.collect_add(user=other_user, note=note)
    with pytest.raises(Blocked):
        services.comment_create(author=other_user, note=note, body="hi")
    note = fresh(note)
    assert (note.like_count, note.collect_count, note.comment_count) == (0, 0, 0)
    assert notifications(user) == []


# --- collects and boards ---------------------------------------------------------------


def test_collect_goes_into_the_default_saved_board(user: User, other_user: User) -> None:
    note = publish(user)
    collect = services.collect_add(user=other_user, note=note)
    board = Board.objects.get(owner=other_user)
    assert board.name == Board.DEFAULT_NAME
    assert collect.board == board
    assert board.collect_count == 1
    assert fresh(note).collect_count == 1
    assert len(notifications(user, "collect")) == 1


def test_collecting_twice_counts_once(user: User, other_user: User) -> None:
    note = publish(user)
    services.collect_add(user=other_user, note=note)
    services.collect_add(user=other_user, note=note)
    assert Collect.objects.count() == 1
    assert fresh(note).collect_count == 1
    assert Board.objects.get(owner=other_user).collect_count == 1
    assert len(notifications(user, "collect")) == 1


def test_collect_into_a_named_board_creates_it_once(user: User, other_user: User) -> None:
    first, second = publish(user), publish(user)
    services.collect_add(user=other_user, note=first, board_name="Recipes")
    services.collect_add(user=other_user, note=second, board_name=" recipes ")
    board = Board.objects.get(owner=other_user)
    assert board.name == "Recipes"
    assert board.collect_count == 2


def test_collect_into_a_board_by_id_and_not_someone_elses(user: User, other_user: User) -> None:
    note = publish(user)
    mine = BoardFactory(owner=other_user, name="Trips")
    theirs = BoardFactory(owner=user, name="Theirs")
    with pytest.raises(NotFound):
        services.collect_add(user=other_user, note=note, board_id=theirs.pk)
    assert not Collect.objects.exists()
    services.collect_add(user=other_user, note=note, board_id=mine.pk)
    assert fresh(mine).collect_count == 1
    assert fresh(theirs).collect_count == 0


def test_moving_a_collect_between_boards_updates_both_counts(user: User, other_user: User) -> None:
    note = publish(user)
    services.collect_add(user=other_user, note=note)
    moved = services.collect_add(user=other_user, note=note, board_name="Recipes")
    saved = Board.objects.get(owner=other_user, name="Saved")
    recipes = Board.objects.get(owner=other_user, name="Recipes")
    assert moved.board_id == recipes.pk
    assert (saved.collect_count, recipes.collect_count) == (0, 1)
    assert fresh(note).collect_count == 1
    assert Collect.objects.get().board_id == recipes.pk


def test_collect_remove_updates_counts_and_is_idempotent(user: User, other_user: User) -> None:
    note = publish(user)
    services.collect_add(user=other_user, note=note, board_name="Recipes")
    assert services.collect_remove(user=other_user, note=note) is True
    assert services.collect_remove(user=other_user, note=note) is False
    assert fresh(note).collect_count == 0
    assert Board.objects.get(owner=other_user).collect_count == 0
    assert not Collect.objects.exists()


def test_board_names_are_unique_per_member_ignoring_case(user: User, other_user: User) -> None:
    services.board_create(owner=user, name="Recipes")
    with pytest.raises(ValidationFailed) as caught:
        services.board_create(owner=user, name="RECIPES")
    assert caught.value.code == "duplicate_board"
    services.board_create(owner=other_user, name="recipes")
    with pytest.raises(ValidationFailed):
        services.board_create(owner=user, name="  ")
    assert Board.objects.count() == 2


# --- comments ------------------------------------------------------------------------


def test_reply_to_a_reply_attaches_to_the_top_level_comment(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user)
    top = services.comment_create(author=other_user, note=note, body="First")
    reply = services.comment_create(author=user, note=note, body="Thanks", parent_id=top.pk)
    answer = services.comment_create(
        author=third_user, note=note, body="Me too", parent_id=reply.pk
    )
    assert (reply.parent_id, reply.reply_to) == (top.pk, other_user)
    assert (answer.parent_id, answer.reply_to) == (top.pk, user)
    assert fresh(top).reply_count == 2
    assert fresh(note).comment_count == 3


def test_parent_must_be_a_visible_comment_of_the_same_note(
    user: User, other_user: User, moderator: User
) -> None:
    note, elsewhere = publish(user), publish(user)
    foreign = services.comment_create(author=other_user, note=elsewhere, body="there")
    with pytest.raises(CommentDepthExceeded) as caught:
        services.comment_create(author=other_user, note=note, body="x", parent_id=foreign.pk)
    assert caught.value.code == "invalid_parent"
    hidden = services.comment_create(author=other_user, note=note, body="rude")
    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=hidden.pk), hidden=True
    )
    with pytest.raises(CommentDepthExceeded):
        services.comment_create(author=user, note=note, body="x", parent_id=hidden.pk)
    with pytest.raises(CommentDepthExceeded):
        services.comment_create(author=user, note=note, body="x", parent_id=10**9)


def test_no_reply_joins_a_hidden_thread(user: User, other_user: User, moderator: User) -> None:
    note = publish(user)
    top = services.comment_create(author=other_user, note=note, body="top")
    reply = services.comment_create(author=user, note=note, body="reply", parent_id=top.pk)
    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=top.pk), hidden=True
    )
    with pytest.raises(CommentDepthExceeded):
        services.comment_create(author=other_user, note=note, body="x", parent_id=reply.pk)
    assert fresh(note).comment_count == 0
    assert fresh(top).reply_count == 1


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 1001])
def test_comment_body_must_be_one_to_a_thousand_characters(
    user: User, other_user: User, body: str
) -> None:
    note = publish(user)
    with pytest.raises(ValidationFailed) as caught:
        services.comment_create(author=other_user, note=note, body=body)
    assert set(caught.value.fields) == {"body"}
    assert fresh(note).comment_count == 0


def test_comment_counts_stay_exact_across_create_delete_hide_and_restore(
    user: User, other_user: User, moderator: User
) -> None:
    note = publish(user)
    top = services.comment_create(author=other_user, note=note, body="top")
    r1 = services.comment_create(author=user, note=note, body="r1", parent_id=top.pk)
    services.comment_create(author=other_user, note=note, body="r2", parent_id=top.pk)
    other = services.comment_create(author=user, note=note, body="second top")
    assert (fresh(note).comment_count, fresh(top).reply_count) == (4, 2)

    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=r1.pk), hidden=True
    )
    assert (fresh(note).comment_count, fresh(top).reply_count) == (3, 1)
    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=r1.pk), hidden=False
    )
    assert (fresh(note).comment_count, fresh(top).reply_count) == (4, 2)

    # Hiding a thread hides its replies with it: the count is what readers see.
    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=top.pk), hidden=True
    )
    assert fresh(note).comment_count == 1
    shown = list(selectors.note_comments(note=note, viewer=user))
    assert shown == [other]
    services.comments_set_hidden(
        moderator=moderator, comments=Comment.objects.filter(pk=top.pk), hidden=False
    )
    assert fresh(note).comment_count == 4

    services.comment_delete(actor=user, comment=r1)
    assert (fresh(note).comment_count, fresh(top).reply_count) == (3, 1)
    services.comment_delete(actor=other_user, comment=fresh(top))
    assert fresh(note).comment_count == 1
    assert list(Comment.objects.all()) == [other]


def test_comment_delete_permissions(
    user: User, other_user: User, third_user: User, moderator: User
) -> None:
    note = publish(user)
    by_other = [
        services.comment_create(author=other_user, note=note, body=f"c{i}") for i in range(3)
    ]
    with pytest.raises(PermissionDenied) as caught:
        services.comment_delete(actor=third_user, comment=by_other[0])
    assert caught.value.code == "permission_denied"
    assert Comment.objects.count() == 3

    services.comment_delete(actor=other_user, comment=by_other[0])  # its author
    services.comment_delete(actor=user, comment=by_other[1])  # the note's author
    services.comment_delete(actor=moderator, comment=by_other[2])  # a moderator
    assert not Comment.objects.exists()
    assert fresh(note).comment_count == 0


def test_comment_notifications_go_to_the_right_members_once(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user)
    top = services.comment_create(
        author=other_user, note=note, body=f"Lovely @{third_user.username} @{user.username}"
    )
    assert [n.verb for n in notifications(user)] == ["comment"]
    assert [n.verb for n in notifications(third_user)] == ["mention"]
    assert notifications(other_user) == []

    services.comment_create(author=third_user, note=note, body="Agreed", parent_id=top.pk)
    assert [n.verb for n in notifications(other_user)] == ["reply"]
    assert [n.verb for n in notifications(user)] == ["comment", "comment"]

    # The note's author answering in their own thread is told nothing.
    services.comment_create(author=user, note=note, body="Thanks all", parent_id=top.pk)
    assert [n.verb for n in notifications(user)] == ["comment", "comment"]
    assert [n.verb for n in notifications(other_user)] == ["reply", "reply"]


def test_own_comment_on_own_note_notifies_nobody(user: User) -> None:
    note = publish(user)
    top = services.comment_create(author=user, note=note, body=f"note to self @{user.username}")
    services.comment_create(author=user, note=note, body="again", parent_id=top.pk)
    assert not Notification.objects.exists()


def test_reply_to_a_member_who_blocks_you_is_refused(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user)
    top = services.comment_create(author=other_user, note=note, body="top")
    services.user_block(blocker=other_user, blocked=third_user)
    with pytest.raises(Blocked):
        services.comment_create(author=third_user, note=note, body="hey", parent_id=top.pk)
    assert fresh(top).reply_count == 0


def test_blocked_members_comments_vanish_for_the_blocker(
    user: User, other_user: User, third_user: User
) -> None:
    note = publish(user)
    kept = services.comment_create(author=third_user, note=note, body="kept")
    gone = services.comment_create(author=other_user, note=note, body="gone")
    reply_gone = services.comment_create(
        author=other_user, note=note, body="gone too", parent_id=kept.pk
    )
    reply_kept = services.comment_create(author=user, note=note, body="kept too", parent_id=kept.pk)
    services.user_block(blocker=user, blocked=other_user)

    shown = list(selectors.note_comments(note=note, viewer=user))
    assert shown == [kept]
    assert shown[0].visible_replies == [reply_kept]  # type: ignore[attr-defined]

    for_others = list(selectors.note_comments(note=note, viewer=third_user))
    assert for_others == [kept, gone]
    assert for_others[0].visible_replies == [reply_gone, reply_kept]  # type: ignore[attr-defined]


# --- follows and blocks ---------------------------------------------------------------


def test_following_yourself_is_refused(user: User) -> None:
    with pytest.raises(SelfAction) as caught:
        services.user_follow(follower=user, followee=user)
    assert caught.value.code == "self_action"
    assert not Follow.objects.exists()


def test_following_twice_counts_once_and_unfollow_is_idempotent(
    user: User, other_user: User
) -> None:
    assert services.user_follow(follower=user, followee=other_user) is True
    assert services.user_follow(follower=user, followee=other_user) is False
    assert (fresh(user).following_count, fresh(other_user).follower_count) == (1, 1)
    assert Follow.objects.count() == 1
    assert services.user_unfollow(follower=user, followee=other_user) is True
    assert services.user_unfollow(follower=user, followee=other_user) is False
    assert (fresh(user).following_count, fresh(other_user).follower_count) == (0, 0)


def test_follow_unfollow_follow_leaves_one_unread_notification(
    user: User, other_user: User
) -> None:
    services.user_follow(follower=user, followee=other_user)
    services.user_unfollow(follower=user, followee=other_user)
    services.user_follow(follower=user, followee=other_user)
    (note,) = notifications(other_user)
    assert (note.verb, note.actor, note.read_at) == ("follow", user, None)
    assert selectors.notification_unread_count(user=other_user) == 1


def test_blocking_ends_follows_both_ways_and_prevents_following(
    user: User, other_user: User
) -> None:
    services.user_follow(follower=user, followee=other_user)
    services.user_follow(follower=other_user, followee=user)
    assert services.user_block(blocker=user, blocked=other_user) is True
    assert services.user_block(blocker=user, blocked=other_user) is False
    assert not Follow.objects.exists()
    for member in (user, other_user):
        member = fresh(member)
        assert (member.follower_count, member.following_count) == (0, 0)
    with pytest.raises(Blocked):
        services.user_follow(follower=other_user, followee=user)
    with pytest.raises(Blocked):
        services.user_follow(follower=user, followee=other_user)
    assert not Follow.objects.exists()

    assert services.user_unblock(blocker=user, blocked=other_user) is True
    assert services.user_unblock(blocker=user, blocked=other_user) is False
    assert services.user_follow(follower=other_user, followee=user) is True


def test_blocking_yourself_is_refused(user: User) -> None:
    with pytest.raises(SelfAction):
        services.user_block(blocker=user, blocked=user)
    assert not Block.objects.exists()


def test_a_block_shows_at_once_for_the_same_viewer_object(user: User, other_user: User) -> None:
    note = publish(other_user)
    assert list(selectors.note_visible(user)) == [note]
    services.user_block(blocker=user, blocked=other_user)
    assert list(selectors.note_visible(user)) == []
    services.user_unblock(blocker=user, blocked=other_user)
    assert list(selectors.note_visible(user)) == [note]


def test_following_a_topic_is_idempotent_and_counted(user: User) -> None:
    publish(user, body="#Tea")
    tea = topic("tea")
    assert services.topic_follow(user=user, topic=tea) is True
    assert services.topic_follow(user=user, topic=tea) is False
    assert fresh(tea).follower_count == 1
    assert services.topic_unfollow(user=user, topic=tea) is True
    assert services.topic_unfollow(user=user, topic=tea) is False
    assert fresh(tea).follower_count == 0
    assert not TopicFollow.objects.exists()


def test_notify_followers_tells_each_follower_once(
    user: User, other_user: User, third_user: User
) -> None:
    services.user_follow(follower=other_user, followee=user)
    services.user_follow(follower=third_user, followee=user)
    Notification.objects.all().delete()
    told = services.followers_notify(actor=user, verb=Notification.Verb.WENT_LIVE, data={"room": 7})
    assert told == 2
    assert sorted(n.recipient_id for n in Notification.objects.all()) == sorted(
        [other_user.pk, third_user.pk]
    )
    assert {n.data["room"] for n in Notification.objects.all()} == {7}


def test_mark_read_marks_only_the_callers_listed_notifications(
    user: User, other_user: User, third_user: User
) -> None:
    services.user_follow(follower=other_user, followee=user)
    services.user_follow(follower=third_user, followee=user)
    services.user_follow(follower=user, followee=other_user)
    first, _second = notifications(user)
    assert services.notifications_mark_read(user=other_user, ids=[first.pk]) == 0
    assert services.notifications_mark_read(user=user, ids=[first.pk]) == 1
    assert selectors.notification_unread_count(user=user) == 1
    assert services.notifications_mark_read(user=user) == 1
    assert selectors.notification_unread_count(user=user) == 0
    assert selectors.notification_unread_count(user=other_user) == 1


# --- reports -----------------------------------------------------------------------------


def test_a_report_names_exactly_one_target(user: User, other_user: User) -> None:
    note = publish(other_user)
    with pytest.raises(ValidationFailed):
        services.report_create(reporter=user, reason="spam")
    with pytest.raises(ValidationFailed):
        services.report_create(reporter=user, reason="spam", note=note, user=other_user)
    with pytest.raises(ValidationFailed) as caught:
        services.report_create(reporter=user, reason="boring", note=note)
    assert set(caught.value.fields) == {"reason"}
    assert not Report.objects.exists()


def test_reporting_again_while_open_returns_the_same_report(
    user: User, other_user: User, moderator: User
) -> None:
    note = publish(other_user)
    first = services.report_create(reporter=user, reason="spam", note=note)
    again = services.report_create(reporter=user, reason="other", note=note)
    assert again.pk == first.pk
    assert Report.objects.count() == 1
    services.reports_resolve(moderator=moderator, reports=Report.objects.all(), hide=False)
    later = services.report_create(reporter=user, reason="spam", note=note)
    assert later.pk != first.pk
    assert Report.objects.count() == 2


def test_members_cannot_report_themselves_or_their_content(user: User, other_user: User) -> None:
    note = publish(user)
    comment = services.comment_create(author=user, note=note, body="mine")
    for target in ({"note": note}, {"comment": comment}, {"user": user}):
        with pytest.raises(SelfAction):
            services.report_create(reporter=user, reason="spam", **target)
    assert not Report.objects.exists()


def test_resolving_with_hide_hides_content_and_marks_reports_actioned(
    user: User, other_user: User, third_user: User, moderator: User
) -> None:
    note = publish(user, body="#Tea")
    elsewhere = publish(third_user)
    comment = services.comment_create(author=user, note=elsewhere, body="rude")
    reports = [
        services.report_create(reporter=other_user, reason="spam", note=note),
        services.report_create(reporter=other_user, reason="harassment", comment=comment),
        services.report_create(reporter=other_user, reason="spam", user=user),
    ]
    resolved = services.reports_resolve(
        moderator=moderator,
        reports=Report.objects.filter(pk__in=[r.pk for r in reports]),
        hide=True,
    )
    assert resolved == 3
    assert fresh(note).status == Note.Status.HIDDEN
    assert fresh(comment).status == Comment.Status.HIDDEN
    assert fresh(elsewhere).comment_count == 0
    assert (fresh(user).note_count, topic("tea").note_count) == (0, 0)
    for report in reports:
        report = fresh(report)
        assert (report.status, report.handled_by) == (Report.Status.ACTIONED, moderator)
        assert report.handled_at is not None
    # Resolving again touches nothing: the reports are closed.
    assert (
        services.reports_resolve(moderator=moderator, reports=Report.objects.all(), hide=True) == 0
    )


def test_dismissing_leaves_content_alone(user: User, other_user: User, moderator: User) -> None:
    note = publish(user)
    report = services.report_create(reporter=other_user, reason="spam", note=note)
    services.reports_resolve(moderator=moderator, reports=Report.objects.all(), hide=False)
    assert fresh(report).status == Report.Status.DISMISSED
    assert fresh(note).status == Note.Status.PUBLISHED


def test_restoring_brings_hidden_content_back(
    user: User, other_user: User, moderator: User
) -> None:
    note = publish(user)
    comment = services.comment_create(author=other_user, note=note, body="hmm")
    services.report_create(reporter=other_user, reason="spam", note=note)
    services.report_create(reporter=user, reason="spam", comment=comment)
    services.reports_resolve(moderator=moderator, reports=Report.objects.all(), hide=True)
    assert fresh(user).note_count == 0

    assert services.reports_restore(moderator=moderator, reports=Report.objects.all()) == 2
    assert fresh(note).status == Note.Status.PUBLISHED
    assert fresh(comment).status == Comment.Status.VISIBLE
    assert fresh(note).comment_count == 1
    assert fresh(user).note_count == 1
    assert set(Report.objects.values_list("status", flat=True)) == {Report.Status.DISMISSED}


def test_non_moderators_cannot_resolve_or_restore(user: User, other_user: User) -> None:
    note = publish(user)
    services.report_create(reporter=other_user, reason="spam", note=note)
    for member in (user, other_user):
        with pytest.raises(PermissionDenied) as caught:
            services.reports_resolve(moderator=member, reports=Report.objects.all(), hide=True)
        assert caught.value.code == "permission_denied"
        with pytest.raises(PermissionDenied):
            services.reports_restore(moderator=member, reports=Report.objects.all())
        with pytest.raises(PermissionDenied):
            services.comments_set_hidden(
                moderator=member, comments=Comment.objects.all(), hidden=True
            )
    assert fresh(note).status == Note.Status.PUBLISHED
    assert Report.objects.get().status == Report.Status.OPEN


def test_superuser_counts_as_moderator_and_inactive_moderator_does_not(
    moderator: User,
) -> None:
    assert permissions.is_moderator(moderator)
    assert permissions.is_moderator(UserFactory(is_superuser=True))
    moderator.is_active = False
    assert not permissions.is_moderator(moderator)
    assert not permissions.is_moderator(UserFactory())


# --- profiles ------------------------------------------------------------------------


def test_profile_update_trims_and_limits(user: User) -> None:
    services.user_profile_update(user=user, display_name="  Sunny  ", bio="b" * 600)
    stored = fresh(user)
    assert stored.display_name == "Sunny"
    assert len(stored.bio) == 500


def test_note_factory_rows_are_visible_to_services(user: User, other_user: User) -> None:
    # Factories write rows directly; services must still work on them.
    note = NoteFactory(author=user)
    services.like_add(user=other_user, note=note)
    assert fresh(note).like_count == 1


# --- edge cases found while testing ------------------------------------------------------


def test_republishing_does_not_mention_members_again(user: User, other_user: User) -> None:
    note = publish(user, body=f"with @{other_user.username}")
    for status in ("draft", "published", "draft", "published"):
        services.note_update(actor=user, note=note, status=status)
    services.note_update(actor=user, note=note, body="nobody")
    services.note_update(actor=user, note=note, body=f"again @{other_user.username}")
    assert len(notifications(other_user, "mention")) == 1


def test_topic_whose_case_folded_key_is_too_long_is_not_a_topic(user: User) -> None:
    # "ß" folds to "ss": 30 characters make a 60-character key.
    note = publish(user, body="#" + "ß" * 30 + " #ok")
    assert list(note.topics.values_list("key", flat=True)) == ["ok"]
    assert note.body_html.count('class="topic"') == 1


def test_a_long_board_name_is_found_again(user: User, other_user: User) -> None:
    first, second = publish(user), publish(user)
    name = "Things to cook on a slow Sunday afternoon with friends and family"
    services.collect_add(user=other_user, note=first, board_name=name)
    services.collect_add(user=other_user, note=second, board_name=name)
    board = Board.objects.get(owner=other_user)
    assert board.name == name[:50]
    assert board.collect_count == 2


def test_update_refuses_a_photo_listed_twice(user: User) -> None:
    note = services.note_create(author=user, title="Trip", photo_ids=photo_ids(user, 2))
    first, second = note.photos.order_by("position").values_list("pk", flat=True)
    with pytest.raises(ValidationFailed) as caught:
        services.note_update(actor=user, note=note, photo_ids=[first, first])
    assert set(caught.value.fields) == {"photo_ids"}
    assert list(note.photos.order_by("position").values_list("pk", flat=True)) == [first, second]
