"""HTML pages of the notes community: what visitors and members see, the
htmx endpoints that change rows and answer with a fragment, the other-user
cases, and the discover page's query budget."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import get_template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from community import extensions, services
from community.models import (
    Block,
    Collect,
    Comment,
    Follow,
    Like,
    Note,
    Notification,
    Report,
    TopicFollow,
    User,
)
from tests.clients import logged_in
from tests.factories import (
    PASSWORD,
    BoardFactory,
    CollectFactory,
    CommentFactory,
    NoteFactory,
    TopicFactory,
    UserFactory,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def note(other_user: User) -> Note:
    return NoteFactory(author=other_user, title="Matcha latte at home")


def is_fragment(response) -> bool:  # type: ignore[no-untyped-def]
    return b"<html" not in response.content


# --- pages ------------------------------------------------------------------------


def test_public_pages_render_for_visitors(client: Client, note: Note) -> None:
    topic = TopicFactory(name="matcha")
    note.topics.add(topic)
    board = BoardFactory(owner=note.author, name="Drinks")
    CollectFactory(user=note.author, note=note, board=board)
    author = note.author.username
    urls = [
        reverse("discover"),
        reverse("note", args=[note.pk]),
        reverse("topic", args=["matcha"]),
        reverse("topic", args=["matcha"]) + "?order=new",
        reverse("profile", args=[author]),
        reverse("profile_boards", args=[author]),
        reverse("profile_liked", args=[author]),
        reverse("board", args=[board.pk]),
        reverse("search"),
        reverse("search") + "?q=matcha",
        reverse("signup"),
        reverse("login"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Log in" in response.content, url
    page = client.get(reverse("note", args=[note.pk])).content.decode()
    assert "Matcha latte at home" in page
    assert 'alt="Matcha latte at home"' in page
    assert 'href="/login?next=' in page  # like/follow lead visitors to log in


def test_member_pages_render(user_client: Client, user: User, note: Note) -> None:
    own = NoteFactory(
        author=user, title="My own draft", status=Note.Status.DRAFT, published_at=None
    )
    urls = [
        reverse("discover"),
        reverse("following"),
        reverse("compose"),
        reverse("notifications"),
        reverse("settings_profile"),
        reverse("note", args=[note.pk]),
        reverse("note", args=[own.pk]),
        reverse("note_edit", args=[own.pk]),
        reverse("profile", args=[user.username]),
        reverse("profile_drafts", args=[user.username]),
        reverse("note_collect", args=[note.pk]),
        reverse("report", args=["note", note.pk]),
        reverse("search") + "?q=matcha",
    ]
    for url in urls:
        response = user_client.get(url)
        assert response.status_code == 200, url
        assert b"Log out" in response.content, url
    drafts = user_client.get(reverse("profile_drafts", args=[user.username])).content.decode()
    assert "My own draft" in drafts


@pytest.mark.parametrize("name", ["following", "compose", "notifications", "settings_profile"])
def test_member_pages_send_visitors_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={reverse(name)}"


def test_htmx_writes_by_visitors_redirect_the_page_to_log_in(client: Client, note: Note) -> None:
    response = client.post(
        reverse("note_like", args=[note.pk]),
        {"on": "1"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver/n/{note.pk}/"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/login?next=/n/{note.pk}/"
    assert not Like.objects.exists()


def test_writes_are_post_only(user_client: Client, note: Note) -> None:
    assert user_client.get(reverse("note_like", args=[note.pk])).status_code == 405
    assert user_client.get(reverse("user_follow", args=[note.author.username])).status_code == 405


def test_signup_creates_a_member_and_logs_them_in(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "new_sprout",
            "email": "new@example.com",
            "password": "a-long-safe-pass-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("discover")
    assert User.objects.filter(username="new_sprout").exists()
    assert b"Log out" in client.get(reverse("discover")).content


def test_signup_shows_service_errors_next_to_fields(client: Client, user: User) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": user.username,
            "email": "x@example.com",
            "password": "a-long-safe-pass-42",
        },
    )
    assert response.status_code == 200
    assert "This username is taken." in response.content.decode()


def test_log_in_and_log_out(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert b"Sign up" in client.get(reverse("discover")).content


def test_djangos_default_login_path_leads_to_the_log_in_page(client: Client) -> None:
    response = client.get("/accounts/login/?next=/me")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/me"


# --- feeds ----------------------------------------------------------------------------


def test_discover_pages_with_a_cursor_and_htmx_gets_only_cards(client: Client) -> None:
    NoteFactory.create_batch(25)
    first = client.get(reverse("discover"))
    assert first.content.count(b'class="card"') == 20
    next_url = first.context["next_cursor"]
    assert next_url
    fragment = client.get(reverse("discover"), {"cursor": next_url}, headers=HTMX)
    assert fragment.status_code == 200
    assert is_fragment(fragment)
    assert fragment.content.count(b'class="card"') == 5
    assert b"grid-more" not in fragment.content  # the last page has no sentinel
    assert "HX-Request" in fragment["Vary"]
    # Without scripts the same cursor is a full page.
    plain = client.get(reverse("discover"), {"cursor": next_url})
    assert b"<html" in plain.content


def test_a_bad_cursor_is_a_friendly_400(client: Client) -> None:
    response = client.get(reverse("discover"), {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert b"start again from the first page" in response.content


def test_following_is_empty_with_creators_to_follow(user_client: Client, note: Note) -> None:
    User.objects.filter(pk=note.author_id).update(note_count=1)
    response = user_client.get(reverse("following"))
    page = response.content.decode()
    assert "You follow nobody yet" in page
    assert escape(note.author.shown_name) in page
    assert reverse("user_follow", args=[note.author.username]) in page


def test_following_lists_notes_of_followed_creators(
    user_client: Client, user: User, note: Note
) -> None:
    services.user_follow(follower=user, followee=note.author)
    page = user_client.get(reverse("following")).content.decode()
    assert "Matcha latte at home" in page
    assert "You follow nobody yet" not in page


def test_search_without_words_is_a_friendly_message(client: Client) -> None:
    response = client.get(reverse("search"), {"q": "   "})
    assert response.status_code == 200
    assert "Type something to search for." in response.content.decode()


def test_search_finds_notes_topics_and_members(client: Client, note: Note) -> None:
    TopicFactory(name="matchalove", note_count=3)
    page = client.get(reverse("search"), {"q": "matcha"}).content.decode()
    assert "Matcha latte at home" in page
    assert "#matchalove" in page


def test_search_tabs_show_one_kind_each(client: Client, note: Note) -> None:
    TopicFactory(name="matchalove", note_count=3)
    fan = UserFactory(username="matcha_fan", display_name="Matcha Fan")
    people = client.get(reverse("search"), {"q": "matcha", "type": "people"}).content.decode()
    assert "@matcha_fan" in people or fan.display_name in people
    assert "Matcha latte at home" not in people and "#matchalove" not in people
    topics = client.get(reverse("search"), {"q": "matcha", "type": "topics"}).content.decode()
    assert "#matchalove" in topics and "Matcha latte at home" not in topics
    notes = client.get(reverse("search"), {"q": "matcha", "type": "notes"}).content.decode()
    assert "Matcha latte at home" in notes and "#matchalove" not in notes
    assert 'aria-current="page">Notes<' in notes
    nobody = client.get(reverse("search"), {"q": "zzzz", "type": "people"}).content.decode()
    assert "Nobody by that name yet" in nobody
    # An unknown tab is the Top tab, never an error.
    assert client.get(reverse("search"), {"q": "matcha", "type": "<x>"}).status_code == 200


def test_discover_query_count_does_not_grow_with_notes(
    client: Client,
    user_client: Client,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    """A page of 5 notes and a full page out of 30 cost the same queries.

    A member's page: session, user, follow graph (cold), keys, cards, photos,
    the live-now strip, the shop's strip (when the shop is on), badges
    (verified creators, hosts live now), unread count, and the member's
    permissions (two: the menu offers "Go live" to hosts), trending topics,
    and the member's own fresh notes (they lead)."""
    for browser, budget in ((client, 8), (user_client, 15)):
        NoteFactory.create_batch(5, photos=2)
        with CaptureQueriesContext(connection) as small:
            response = browser.get(reverse("discover"))
        assert response.content.count(b'class="card"') == 5
        assert len(small) <= budget
        NoteFactory.create_batch(25, photos=2)
        with django_assert_max_num_queries(len(small)):
            response = browser.get(reverse("discover"))
        assert response.content.count(b'class="card"') == 20
        Note.objects.all().delete()


# --- notes -----------------------------------------------------------------------------


def test_another_members_draft_does_not_exist(
    user_client: Client, other_client: Client, other_user: User
) -> None:
    draft = NoteFactory(
        author=other_user, status=Note.Status.DRAFT, published_at=None, title="Secret draft"
    )
    assert user_client.get(reverse("note", args=[draft.pk])).status_code == 404
    assert user_client.get(reverse("note_edit", args=[draft.pk])).status_code == 404
    own = other_client.get(reverse("note", args=[draft.pk]))
    assert own.status_code == 200
    assert "Draft — only you can see this note" in own.content.decode()


def test_only_the_author_edits_a_note(
    user_client: Client, other_client: Client, note: Note
) -> None:
    assert user_client.get(reverse("note_edit", args=[note.pk])).status_code == 403
    response = user_client.post(
        reverse("note_edit", args=[note.pk]),
        {"title": "Hijacked", "body": "", "status": "published"},
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.title == "Matcha latte at home"

    response = other_client.post(
        reverse("note_edit", args=[note.pk]),
        {"title": "Iced matcha", "body": "So good #matcha", "status": "published"},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.title == "Iced matcha"
    assert list(note.topics.values_list("key", flat=True)) == ["matcha"]


def test_only_the_author_deletes_a_note(
    user_client: Client, other_client: Client, note: Note
) -> None:
    assert user_client.post(reverse("note_delete", args=[note.pk])).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()
    response = other_client.post(reverse("note_delete", args=[note.pk]))
    assert response.status_code == 302
    assert not Note.objects.filter(pk=note.pk).exists()


def test_compose_without_scripts_creates_the_note(user_client: Client, user: User) -> None:
    photo = SimpleUploadedFile("breakfast.jpg", jpeg_bytes(320, 240), content_type="image/jpeg")
    response = user_client.post(
        reverse("compose"),
        {
            "title": "Sunday breakfast",
            "body": "Eggs and #toast",
            "status": "published",
            "images": [photo],
        },
    )
    created = Note.objects.get(author=user)
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    assert created.is_published
    assert created.photos.count() == 1


def test_compose_shows_why_a_note_cannot_be_published(user_client: Client, user: User) -> None:
    response = user_client.post(reverse("compose"), {"title": "No photos", "status": "published"})
    assert response.status_code == 200
    assert "Add at least one photo to publish." in response.content.decode()
    assert not Note.objects.filter(author=user).exists()


# --- htmx actions ------------------------------------------------------------------------


def test_like_and_unlike_with_htmx(user_client: Client, user: User, note: Note) -> None:
    url = reverse("note_like", args=[note.pk])
    response = user_client.post(url, {"on": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert is_fragment(response)
    html = response.content.decode()
    assert 'aria-pressed="true"' in html
    assert '<span class="like-count">1<' in html
    assert 'hx-swap-oob="innerHTML:#announcer"' in html
    assert Like.objects.filter(user=user, note=note).exists()

    response = user_client.post(url, {"on": "0"}, headers=HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Like.objects.filter(user=user, note=note).exists()
    note.refresh_from_db()
    assert note.like_count == 0


def test_like_without_scripts_redirects_back(user_client: Client, user: User, note: Note) -> None:
    response = user_client.post(
        reverse("note_like", args=[note.pk]),
        {"on": "1"},
        headers={"Referer": "http://testserver/?from=feed"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/?from=feed"
    assert Like.objects.filter(user=user, note=note).exists()


def test_a_blocked_member_cannot_like_and_gets_a_toast(
    user_client: Client, user: User, note: Note
) -> None:
    """Blocked while the note's page was open: the note is gone for them."""
    services.user_block(blocker=note.author, blocked=user)
    response = user_client.post(reverse("note_like", args=[note.pk]), {"on": "1"}, headers=HTMX)
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#toasts"
    assert "This note does not exist." in response.content.decode()
    assert not Like.objects.exists()


def test_collect_picker_lists_boards_and_marks_the_current_one(
    user_client: Client, user: User, note: Note
) -> None:
    board = BoardFactory(owner=user, name="Drinks")
    BoardFactory(owner=user, name="Recipes")
    services.collect_add(user=user, note=note, board_id=board.pk)
    response = user_client.get(reverse("note_collect", args=[note.pk]), headers=HTMX)
    html = response.content.decode()
    assert is_fragment(response)
    assert "Recipes" in html
    assert 'aria-current="true"' in html
    assert "Remove from my boards" in html


def test_collect_into_a_new_board_then_move_then_remove(
    user_client: Client, user: User, note: Note
) -> None:
    url = reverse("note_collect", args=[note.pk])
    response = user_client.post(url, {"new_board": "Drinks to try"}, headers=HTMX)
    assert response.status_code == 200
    assert "collect-btn is-on" in response.content.decode()
    collect = Collect.objects.get(user=user, note=note)
    assert collect.board.name == "Drinks to try"

    other_board = BoardFactory(owner=user, name="Mornings")
    user_client.post(url, {"board": other_board.pk}, headers=HTMX)
    collect.refresh_from_db()
    assert collect.board_id == other_board.pk

    response = user_client.post(url, {"remove": "on"}, headers=HTMX)
    assert "collect-btn is-on" not in response.content.decode()
    assert not Collect.objects.filter(user=user).exists()
    note.refresh_from_db()
    assert note.collect_count == 0


def test_cannot_collect_into_someone_elses_board(
    user_client: Client, note: Note, other_user: User
) -> None:
    theirs = BoardFactory(owner=other_user)
    response = user_client.post(
        reverse("note_collect", args=[note.pk]), {"board": theirs.pk}, headers=HTMX
    )
    assert response.status_code == 404
    assert not Collect.objects.exists()


def test_follow_and_unfollow_a_member_with_htmx(
    user_client: Client, user: User, other_user: User
) -> None:
    url = reverse("user_follow", args=[other_user.username])
    response = user_client.post(url, {"on": "1", "counts": "1"}, headers=HTMX)
    html = response.content.decode()
    assert is_fragment(response)
    assert "Following" in html and 'aria-pressed="true"' in html
    assert f'hx-swap-oob="innerHTML:.follower-count-{other_user.pk}">1<' in html
    assert Follow.objects.filter(follower=user, followee=other_user).exists()

    response = user_client.post(url, {"on": "0"}, headers=HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Follow.objects.exists()


def test_following_yourself_is_refused(user_client: Client, user: User) -> None:
    response = user_client.post(
        reverse("user_follow", args=[user.username]), {"on": "1"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "You cannot follow yourself." in response.content.decode()


def test_follow_a_topic(user_client: Client, user: User) -> None:
    topic = TopicFactory(name="baking")
    response = user_client.post(reverse("topic_follow", args=["baking"]), {"on": "1"}, headers=HTMX)
    assert 'aria-pressed="true"' in response.content.decode()
    assert TopicFollow.objects.filter(user=user, topic=topic).exists()


def test_comment_and_reply_with_htmx(user_client: Client, user: User, note: Note) -> None:
    url = reverse("comment_create", args=[note.pk])
    response = user_client.post(url, {"body": "Looks delicious!"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#comment-list"
    assert "Looks delicious!" in response.content.decode()
    comment = Comment.objects.get(note=note, author=user)
    assert f'id="comment-{comment.pk}"' in response.content.decode()
    assert f'hx-swap-oob="innerHTML:.comment-count-{note.pk}">1<' in response.content.decode()

    response = user_client.post(url, {"body": "And easy.", "parent": comment.pk}, headers=HTMX)
    assert response["HX-Retarget"] == f"#replies-{comment.pk}"
    assert Comment.objects.get(body="And easy.").parent_id == comment.pk


def test_an_empty_comment_is_refused_with_a_message(user_client: Client, note: Note) -> None:
    response = user_client.post(
        reverse("comment_create", args=[note.pk]), {"body": "  "}, headers=HTMX
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#toasts"
    assert "Write something first." in response.content.decode()
    assert not Comment.objects.exists()


def test_cannot_delete_someone_elses_comment(
    user_client: Client, other_client: Client, note: Note, user: User
) -> None:
    stranger = UserFactory()
    theirs = CommentFactory(note=note, author=stranger)
    response = user_client.post(reverse("comment_delete", args=[theirs.pk]), headers=HTMX)
    assert response.status_code == 403
    assert Comment.objects.filter(pk=theirs.pk).exists()

    mine = services.comment_create(author=user, note=note, body="Mine")
    response = user_client.post(reverse("comment_delete", args=[mine.pk]), headers=HTMX)
    assert response.status_code == 200
    assert not Comment.objects.filter(pk=mine.pk).exists()
    # The note's author may remove comments under their note.
    assert other_client.post(reverse("comment_delete", args=[theirs.pk])).status_code == 302
    assert not Comment.objects.filter(pk=theirs.pk).exists()


def test_reply_link_prefills_the_comment_form(user_client: Client, note: Note) -> None:
    comment = CommentFactory(note=note)
    page = user_client.get(reverse("note", args=[note.pk]), {"reply": comment.pk}).content.decode()
    assert f'name="parent" value="{comment.pk}"' in page
    assert f"Replying to <strong data-replying-name>{escape(comment.author.shown_name)}" in page


def test_report_a_note_from_the_dialog(user_client: Client, user: User, note: Note) -> None:
    url = reverse("report", args=["note", note.pk])
    form = user_client.get(url, headers=HTMX)
    assert is_fragment(form)
    assert "Spam or advertising" in form.content.decode()
    response = user_client.post(url, {"reason": "spam", "detail": "Sells followers"}, headers=HTMX)
    assert "Thanks for telling us" in response.content.decode()
    report = Report.objects.get()
    assert (report.reporter, report.note, report.reason) == (user, note, "spam")


def test_reporting_your_own_note_is_refused(other_client: Client, note: Note) -> None:
    response = other_client.post(
        reverse("report", args=["note", note.pk]), {"reason": "spam"}, headers=HTMX
    )
    assert "You cannot report yourself or your own content." in response.content.decode()
    assert not Report.objects.exists()


def test_block_and_unblock_a_member(user_client: Client, user: User, note: Note) -> None:
    author = note.author
    services.user_follow(follower=user, followee=author)
    response = user_client.post(reverse("user_block", args=[author.username]), {"on": "1"})
    assert response.status_code == 302
    assert Block.objects.filter(blocker=user, blocked=author).exists()
    assert not Follow.objects.exists()
    assert user_client.get(reverse("note", args=[note.pk])).status_code == 404
    profile = user_client.get(reverse("profile", args=[author.username])).content.decode()
    assert "You blocked this member" in profile
    user_client.post(reverse("user_block", args=[author.username]), {"on": "0"})
    assert not Block.objects.exists()


def test_the_settings_list_the_members_you_blocked_and_unblock_them(
    user_client: Client, user: User, other_user: User
) -> None:
    blocked = UserFactory(username="loud_neighbour")
    services.user_block(blocker=user, blocked=blocked)
    services.user_block(blocker=other_user, blocked=UserFactory(username="not_mine"))
    # Search hides them from the member who blocked them: the settings do not.
    assert (
        "loud_neighbour" not in user_client.get(reverse("search"), {"q": "loud"}).content.decode()
    )
    page = user_client.get(reverse("settings_profile")).content.decode()
    assert "@loud_neighbour" in page
    assert "not_mine" not in page
    unblock = reverse("user_block", args=["loud_neighbour"])
    assert f'action="{unblock}"' in page

    response = user_client.post(unblock, {"on": "0", "next": reverse("settings_profile")})

    assert response.status_code == 302
    assert response["Location"] == reverse("settings_profile")
    assert not Block.objects.filter(blocker=user).exists()
    page = user_client.get(reverse("settings_profile")).content.decode()
    assert "You unblocked @loud_neighbour." in page
    assert f'action="{unblock}"' not in page
    assert "You have not blocked anyone." in page


def test_notifications_are_marked_read_explicitly(
    user_client: Client, user: User, other_user: User
) -> None:
    mine = NoteFactory(author=user, title="Morning pages")
    services.like_add(user=other_user, note=mine)
    page = user_client.get(reverse("notifications")).content.decode()
    assert "liked your note" in page
    assert "is-unread" in page
    assert Notification.objects.get().read_at is None  # opening the page does not mark

    response = user_client.post(reverse("notifications_read"), headers=HTMX)
    html = response.content.decode()
    assert "is-unread" not in html
    assert 'hx-swap-oob="innerHTML:.notif-badge"' in html
    assert Notification.objects.get().read_at is not None


def test_notifications_of_another_member_are_not_shown(
    user_client: Client, other_user: User, user: User
) -> None:
    theirs = NoteFactory(author=other_user, title="Their note")
    services.like_add(user=UserFactory(), note=theirs)
    assert "Their note" not in user_client.get(reverse("notifications")).content.decode()
    user_client.post(reverse("notifications_read"))
    assert Notification.objects.get().read_at is None


def test_profile_settings_update_name_bio_and_avatar(user_client: Client, user: User) -> None:
    avatar = SimpleUploadedFile("me.jpg", jpeg_bytes(200, 200), content_type="image/jpeg")
    response = user_client.post(
        reverse("settings_profile"),
        {
            "display_name": "Sunny",
            "bio": "I bake on Sundays.",
            "avatar": avatar,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Sunny", "I bake on Sundays.")
    assert (user.avatar.name or "").startswith("avatars/")


def test_a_bad_avatar_is_explained_on_the_form(user_client: Client) -> None:
    bogus = SimpleUploadedFile("me.jpg", b"not an image", content_type="image/jpeg")
    response = user_client.post(reverse("settings_profile"), {"display_name": "x", "avatar": bogus})
    assert response.status_code == 200
    assert "not an image" in response.content.decode()


def test_private_boards_are_only_for_their_owner(
    user_client: Client, other_client: Client, other_user: User
) -> None:
    private = BoardFactory(owner=other_user, name="Gifts", is_private=True)
    assert user_client.get(reverse("board", args=[private.pk])).status_code == 404
    assert other_client.get(reverse("board", args=[private.pk])).status_code == 200
    boards = user_client.get(reverse("profile_boards", args=[other_user.username])).content.decode()
    assert "Gifts" not in boards


def test_drafts_tab_is_only_for_the_owner(user_client: Client, other_user: User) -> None:
    response = user_client.get(reverse("profile_drafts", args=[other_user.username]))
    assert response.status_code == 404


# --- error pages ----------------------------------------------------------------------


def test_unknown_pages_use_the_friendly_404(client: Client) -> None:
    response = client.get("/n/999999/")
    assert response.status_code == 404
    assert b"Nothing here" in response.content
    assert b"This note does not exist." in response.content
    assert client.get("/u/nobody_here/").status_code == 404
    assert client.get("/t/nothing_uses_this/").status_code == 404


def test_500_page_renders_without_any_context() -> None:
    html = get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert "Log out" not in html


@pytest.mark.parametrize("code", ["400", "403", "404"])
def test_error_pages_show_the_message(code: str, rf) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    html = get_template(f"{code}.html").render({"message": "Custom words."}, request)
    assert "Custom words." in html


# --- hostile input the sweep in tests/test_abuse.py found --------------------------------


@pytest.mark.parametrize("target", ["abc", "12345", "n/1/"])
def test_a_next_that_is_not_a_path_goes_back_to_the_note(
    user_client: Client, note: Note, target: str
) -> None:
    # redirect() reads "abc" as a view name: it was a NoReverseMatch (500).
    response = user_client.post(reverse("note_like", args=[note.pk]), {"on": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == note.get_absolute_url()


def test_signup_with_a_next_that_is_not_a_path_lands_on_discover(client: Client) -> None:
    response = client.post(
        reverse("signup") + "?next=abc",
        {
            "username": "new_sprout",
            "email": "new@example.com",
            "password": "a-long-safe-pass-42",
            "next": "abc",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("discover")


def test_a_higher_app_adds_a_section_under_a_notes_photos(client: Client, tmp_path: Path) -> None:
    """community.extensions.note_sections: the shop's product cards go there;
    the community draws whatever section an installed app returns."""
    note = NoteFactory()
    template = '<aside class="extra">{{ section.context.word }}</aside>'
    (tmp_path / "section.html").write_text(template)

    def section(request: Any, shown: Any) -> extensions.NoteSection | None:
        if shown.pk != note.pk:
            return None
        return extensions.NoteSection("extra", "section.html", {"word": "hello"})

    engine: dict[str, Any] = dict(settings.TEMPLATES[0])
    templates = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]
    with override_settings(TEMPLATES=templates), extensions.note_sections.override(section):
        page = client.get(note.get_absolute_url())
    assert '<aside class="extra">hello</aside>' in page.content.decode()

    assert "extra" not in client.get(note.get_absolute_url()).content.decode()


def test_the_header_holds_what_the_installed_apps_add_and_nothing_else(user: Any) -> None:
    """base.html names no app above the community: its links come from the
    extension registry. On a community-only site (make test's second pass)
    there is no wallet, studio or creators link; with the apps, there is."""
    from django.apps import apps

    page = logged_in(user).get(reverse("discover")).content.decode()

    for item in [*extensions.top_nav, *extensions.account_menu]:
        if item.visible(user):
            assert f'href="{reverse(item.url_name)}"' in page, item.label
    for app, path in (("wallet", "/wallet"), ("kol", "/studio/"), ("kol", "/creators/")):
        assert (f'href="{path}"' in page) == apps.is_installed(app), path


def test_a_member_you_blocked_no_longer_reads_your_notes_or_profile(
    user_client: Client, client: Client, user: User, other_user: User
) -> None:
    """As on Instagram and RED, a block hides both ways: the blocked member
    finds the blocker's profile and notes gone, as if they did not exist."""
    note = NoteFactory(author=other_user, title="Quiet garden", photos=1)
    assert user_client.get(note.get_absolute_url()).status_code == 200
    services.user_block(blocker=other_user, blocked=user)
    assert user_client.get(note.get_absolute_url()).status_code == 404
    assert user_client.get(reverse("profile", args=[other_user.username])).status_code == 404
    assert "Quiet garden" not in user_client.get(reverse("discover")).content.decode()
    search = user_client.get(reverse("search"), {"q": "garden"}).content.decode()
    assert "Quiet garden" not in search
    # Everybody else still sees them.
    assert client.get(note.get_absolute_url()).status_code == 200
    assert client.get(reverse("profile", args=[other_user.username])).status_code == 200
    services.user_unblock(blocker=other_user, blocked=user)
    assert user_client.get(note.get_absolute_url()).status_code == 200


def test_followers_and_following_pages_list_people_newest_first(
    client: Client, user_client: Client, user: User, other_user: User
) -> None:
    fans = UserFactory.create_batch(3)
    for fan in fans:
        services.user_follow(follower=fan, followee=other_user)
    services.user_follow(follower=other_user, followee=user)
    profile = client.get(reverse("profile", args=[other_user.username])).content.decode()
    assert reverse("profile_followers", args=[other_user.username]) in profile
    page = client.get(reverse("profile_followers", args=[other_user.username]))
    html = page.content.decode()
    assert page.status_code == 200
    positions = [html.index(f"@{fan.username}<") for fan in reversed(fans)]
    assert positions == sorted(positions)
    following = client.get(reverse("profile_following", args=[other_user.username]))
    assert f"@{user.username}<" in following.content.decode()
    # Your own empty lists say what to do next.
    mine = user_client.get(reverse("profile_following", args=[user.username])).content.decode()
    assert "You follow nobody yet" in mine
    assert client.get(reverse("profile_followers", args=["nobody-here"])).status_code == 404


def test_people_pages_page_by_cursor_and_cost_the_same_queries(
    client: Client, other_user: User, django_assert_max_num_queries: Any
) -> None:
    for fan in UserFactory.create_batch(25):
        services.user_follow(follower=fan, followee=other_user)
    url = reverse("profile_followers", args=[other_user.username])
    with django_assert_max_num_queries(6):
        first = client.get(url, {"page_size": 5})
    with django_assert_max_num_queries(6):
        client.get(url, {"page_size": 20})
    assert "Show more" in first.content.decode()
    seen: set[str] = set()
    cursor = None
    for _ in range(10):
        params = {"page_size": 10, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params, headers=HTMX if cursor else {})
        html = response.content.decode()
        seen.update(re.findall(r"@([\w.]+)</span>", html))
        found = re.search(r'href="[^"]*cursor=([^"&]+)', html)
        cursor = found.group(1) if found else None
        if cursor is None:
            break
    assert len(seen) == 25


def test_the_me_page_reaches_every_destination(user_client: Client, client: Client) -> None:
    """Phones and tablets have no room for the header's account menu: the
    "Me" tab opens a page with every destination of it, and more."""
    page = user_client.get(reverse("me"))
    html = page.content.decode()
    assert page.status_code == 200
    header_menu = html.split('class="menu-panel"')[1].split("</details>")[0]
    for href in re.findall(r'href="([^"]+)"', header_menu):
        assert html.count(f'href="{href}"') >= 2, href  # in the menu and on the page
    assert 'action="/logout"' in html.split("me-page")[1]
    for name in ("discover", "following", "notifications"):
        assert f'href="{reverse(name)}"' in html.split("me-page")[1]
    assert f'href="{reverse("me")}" aria-current="page"' in html
    assert client.get(reverse("me")).status_code == 302


def test_a_notes_hashtags_show_once_as_links_in_its_text(client: Client, user: User) -> None:
    note = services.note_create(
        author=user,
        title="Green tea",
        body="Cold brew #matcha for summer",
        status="published",
        images=[SimpleUploadedFile("a.jpg", jpeg_bytes(320, 240), content_type="image/jpeg")],
    )
    page = client.get(note.get_absolute_url()).content.decode()
    assert page.count("#matcha<") == 1
    assert reverse("topic", args=["matcha"]) in page


def test_likes_of_one_note_and_new_followers_are_grouped(user_client: Client, user: User) -> None:
    note = NoteFactory(author=user, title="Plum jam", photos=1)
    other = NoteFactory(author=user, title="Fig tart", photos=1)
    fans = [UserFactory(display_name=name) for name in ("Ana", "Bo", "Cy", "Dee")]
    for fan in fans:
        services.like_add(user=fan, note=note)
    services.like_add(user=fans[0], note=other)
    for fan in fans[:2]:
        services.user_follow(follower=fan, followee=user)
    html = user_client.get(reverse("notifications")).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    # Newest first: Dee, then Cy, then 2 others liked Plum jam.
    assert "Dee, Cy and 2 others liked your note: Plum jam" in text
    assert "Ana liked your note: Fig tart" in text
    assert "Bo and Ana started following you" in text
    assert html.count('class="notif ') + html.count('class="notif"') == 3
