"""The moderators' admin (community.admin): who gets in, what the report queue
shows, what the bulk actions change (rows and counters), and that a
changelist costs the same number of queries for 5 rows as for 25."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from community import services
from community.models import Comment, Note, Notification, Report, Topic, User
from tests.admin_pages import AdminPages
from tests.clients import logged_in
from tests.factories import (
    BoardFactory,
    CommentFactory,
    NoteFactory,
    ReportFactory,
    TopicFactory,
    UserFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

ADMIN = AdminPages("community")
changelist = ADMIN.changelist
run_action = ADMIN.run_action
changelist_queries = ADMIN.changelist_queries

MODERATED_MODELS = ("report", "note", "comment", "user", "topic")
ALL_MODELS = (*MODERATED_MODELS, "board", "follow", "block", "notification")


# --- helpers ------------------------------------------------------------------


def publish(author: User, title: str = "Citrus salad", body: str = "Bright. #salads") -> Note:
    """A note made the real way, so its author's and topics' counters count it."""
    return services.note_create(
        author=author,
        title=title,
        body=body,
        images=[ContentFile(jpeg_bytes(), name="x.jpg")],
    )


# --- access -------------------------------------------------------------------


@pytest.mark.parametrize("model", MODERATED_MODELS)
def test_moderator_opens_the_moderation_changelists(moderator_client: Client, model: str) -> None:
    NoteFactory()
    response = moderator_client.get(changelist(model))
    assert response.status_code == 200


def test_moderator_does_not_see_notifications(moderator_client: Client) -> None:
    assert moderator_client.get(changelist("notification")).status_code == 403


@pytest.mark.parametrize("model", ALL_MODELS)
def test_superuser_opens_every_changelist(superuser_client: Client, model: str) -> None:
    note = NoteFactory()
    CommentFactory(note=note)
    BoardFactory()
    services.user_follow(follower=UserFactory(), followee=note.author)
    assert superuser_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("model", ["report", "note"])
def test_plain_member_is_sent_to_the_admin_login(model: str) -> None:
    client = logged_in(UserFactory())
    response = client.get(changelist(model))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_outside_the_moderators_group_cannot_open_the_queue() -> None:
    client = logged_in(UserFactory(is_staff=True))
    assert client.get(changelist("report")).status_code == 403


def test_moderator_cannot_add_reports_or_notes(moderator_client: Client) -> None:
    assert moderator_client.get(reverse("admin:community_report_add")).status_code == 403
    assert moderator_client.get(reverse("admin:community_note_add")).status_code == 403


def test_moderator_cannot_edit_note_text(moderator_client: Client) -> None:
    note = NoteFactory(title="Original title")
    url = reverse("admin:community_note_change", args=[note.pk])
    page = moderator_client.get(url)
    assert page.status_code == 200
    assert b'name="title"' not in page.content
    moderator_client.post(url, {"title": "Defaced", "body": "spam"})
    assert fresh(note).title == "Original title"


def test_superuser_text_edit_goes_through_the_service(superuser_client: Client) -> None:
    note = publish(UserFactory(), body="Morning #tea")
    url = reverse("admin:community_note_change", args=[note.pk])
    assert b'name="title"' in superuser_client.get(url).content
    response = superuser_client.post(
        url,
        {
            "title": "Evening",
            "body": "Evening #cocoa",
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "1",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
            "photos-0-id": str(note.photos.get().pk),
            "photos-0-note": str(note.pk),
        },
    )
    assert response.status_code == 302
    note = fresh(note)
    assert note.title == "Evening"
    assert "cocoa" in note.body_html  # rendered again, topic linked
    assert list(note.topics.values_list("key", flat=True)) == ["cocoa"]
    assert fresh(Topic.objects.get(key="tea")).note_count == 0


# --- the report queue -------------------------------------------------------------

SPAM = "Advertising followers for sale."


def test_report_queue_shows_open_reports_by_default(moderator_client: Client) -> None:
    open_report = ReportFactory(reporter=UserFactory(), note=NoteFactory(), reason="spam")
    closed = ReportFactory(
        reporter=UserFactory(), note=NoteFactory(), reason="other", status="dismissed"
    )
    default = moderator_client.get(changelist("report"))
    assert list(default.context["cl"].result_list) == [open_report]
    everything = moderator_client.get(changelist("report") + "?status=all")
    assert set(everything.context["cl"].result_list) == {open_report, closed}


def test_report_queue_counts_open_reports_on_the_same_target(moderator_client: Client) -> None:
    note = NoteFactory()
    for _ in range(3):
        ReportFactory(reporter=UserFactory(), note=note, reason="spam")
    ReportFactory(reporter=UserFactory(), note=note, reason="spam", status="dismissed")
    lonely = ReportFactory(reporter=UserFactory(), user=UserFactory(), reason="other")
    rows = {r.pk: r for r in moderator_client.get(changelist("report")).context["cl"].result_list}
    assert [rows[pk].same_open for pk in rows if pk != lonely.pk] == [3, 3, 3]
    assert rows[lonely.pk].same_open == 1


def test_report_queue_filters_by_kind_of_target(moderator_client: Client) -> None:
    note_report = ReportFactory(reporter=UserFactory(), note=NoteFactory(), reason="spam")
    ReportFactory(reporter=UserFactory(), comment=CommentFactory(), reason="spam")
    response = moderator_client.get(changelist("report") + "?target=note")
    assert list(response.context["cl"].result_list) == [note_report]


def test_report_queue_links_target_in_admin_and_on_site(moderator_client: Client) -> None:
    comment = CommentFactory()
    ReportFactory(reporter=UserFactory(), comment=comment, reason="harassment")
    content = moderator_client.get(changelist("report")).content.decode()
    assert reverse("admin:community_comment_change", args=[comment.pk]) in content
    assert reverse("note", args=[comment.note_id]) + f"#comment-{comment.pk}" in content


def test_hide_reported_content_hides_the_note_and_closes_its_reports(
    moderator_client: Client, moderator: User
) -> None:
    author = UserFactory()
    note = publish(author)
    reports = [
        services.report_create(reporter=UserFactory(), reason="spam", note=note) for _ in range(2)
    ]
    elsewhere = services.report_create(
        reporter=UserFactory(), reason="spam", note=publish(UserFactory())
    )
    assert fresh(author).note_count == 1

    response = run_action(
        moderator_client, "report", "hide_reported_content", reports[:1], apply="yes", reason=SPAM
    )

    assert response.status_code == 200
    assert fresh(note).status == Note.Status.HIDDEN
    assert fresh(author).note_count == 0
    assert Topic.objects.get(key="salads").note_count == 1  # the other note still counts
    handled = fresh(reports[0])
    assert (handled.status, handled.handled_by) == (Report.Status.ACTIONED, moderator)
    # Every open report about the hidden note is answered; others stay queued.
    assert fresh(reports[1]).status == Report.Status.ACTIONED
    assert fresh(elsewhere).status == Report.Status.OPEN
    assert LogEntry.objects.filter(object_id=str(reports[0].pk), user=moderator).exists()
    assert "1 report closed" in response.content.decode()


def test_hide_reported_comment_updates_the_comment_count(moderator_client: Client) -> None:
    note = publish(UserFactory())
    comment = services.comment_create(author=UserFactory(), note=note, body="Buy followers!")
    report = services.report_create(reporter=UserFactory(), reason="spam", comment=comment)
    assert fresh(note).comment_count == 1

    run_action(
        moderator_client, "report", "hide_reported_content", [report], apply="yes", reason=SPAM
    )

    assert fresh(comment).status == Comment.Status.HIDDEN
    assert fresh(note).comment_count == 0


def test_dismiss_closes_reports_and_keeps_content(moderator_client: Client) -> None:
    note = publish(UserFactory())
    report = services.report_create(reporter=UserFactory(), reason="other", note=note)

    run_action(moderator_client, "report", "dismiss_reports", [report])

    assert fresh(report).status == Report.Status.DISMISSED
    assert fresh(note).status == Note.Status.PUBLISHED


def test_restore_content_brings_back_a_hidden_note(moderator_client: Client) -> None:
    author = UserFactory()
    note = publish(author)
    report = services.report_create(reporter=UserFactory(), reason="spam", note=note)
    run_action(
        moderator_client, "report", "hide_reported_content", [report], apply="yes", reason=SPAM
    )
    assert fresh(author).note_count == 0

    # Closed reports are out of the default (open) view: the moderator
    # filters to them first, and the action form posts with that filter.
    run_action(moderator_client, "report", "restore_reported_content", [report], "?status=actioned")

    assert fresh(note).status == Note.Status.PUBLISHED
    assert fresh(author).note_count == 1
    assert fresh(report).status == Report.Status.DISMISSED


# --- notes and comments -----------------------------------------------------------


def test_hide_and_restore_selected_notes(moderator_client: Client) -> None:
    author = UserFactory()
    notes = [publish(author, title=f"Note {i}") for i in range(3)]
    assert fresh(author).note_count == 3

    response = run_action(
        moderator_client, "note", "hide_notes", notes[:2], apply="yes", reason=SPAM
    )
    assert "2 notes hidden." in response.content.decode()
    assert [fresh(n).status for n in notes] == ["hidden", "hidden", "published"]
    assert fresh(author).note_count == 1

    # Restoring all three changes only the two hidden ones, and says so.
    response = run_action(moderator_client, "note", "restore_notes", notes)
    assert "2 notes restored. 1 of the 3 selected needed no change." in response.content.decode()
    assert fresh(author).note_count == 3


def test_hide_and_restore_selected_comments(moderator_client: Client) -> None:
    note = publish(UserFactory())
    comments = [
        services.comment_create(author=UserFactory(), note=note, body=f"Comment {i}")
        for i in range(2)
    ]
    run_action(moderator_client, "comment", "hide_comments", comments, apply="yes", reason=SPAM)
    assert fresh(note).comment_count == 0
    assert {fresh(c).status for c in comments} == {Comment.Status.HIDDEN}

    run_action(moderator_client, "comment", "restore_comments", comments[:1])
    assert fresh(note).comment_count == 1


def test_note_changelist_filters_notes_with_open_reports(moderator_client: Client) -> None:
    reported, calm = NoteFactory(), NoteFactory()
    ReportFactory(reporter=UserFactory(), note=reported, reason="spam")
    response = moderator_client.get(changelist("note") + "?reported=yes")
    assert list(response.context["cl"].result_list) == [reported]
    response = moderator_client.get(changelist("note") + "?reported=no")
    assert list(response.context["cl"].result_list) == [calm]


def test_note_changelist_shows_a_thumbnail_of_the_cover(moderator_client: Client) -> None:
    note = NoteFactory(photos=2)
    cover = note.photos.order_by("position").first()
    content = moderator_client.get(changelist("note")).content.decode()
    assert cover is not None
    assert f'src="{cover.original.url}"' in content
    assert 'width="56" height="42"' in content  # the factory's 64x48 photo, scaled


# --- query counts -----------------------------------------------------------------


def make_notes(count: int) -> None:
    for _ in range(count):
        note = NoteFactory(photos=2)
        ReportFactory(reporter=UserFactory(), note=note, reason="spam")
        CommentFactory(note=note)


def make_reports(count: int) -> None:
    for i in range(count):
        kind = i % 3
        if kind == 0:
            ReportFactory(reporter=UserFactory(), note=NoteFactory(), reason="spam")
        elif kind == 1:
            ReportFactory(reporter=UserFactory(), comment=CommentFactory(), reason="spam")
        else:
            ReportFactory(reporter=UserFactory(), user=UserFactory(), reason="other")


@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("note", make_notes),
        ("report", make_reports),
        ("comment", make_notes),
        ("user", make_notes),
    ],
)
def test_changelist_queries_do_not_grow_with_rows(
    moderator_client: Client, model: str, make: Any
) -> None:
    make(5)
    few = changelist_queries(moderator_client, model)
    make(20)
    many = changelist_queries(moderator_client, model)
    assert many == few


@pytest.mark.parametrize(("model", "make"), [("board", make_notes), ("notification", make_notes)])
def test_superuser_changelist_queries_do_not_grow_with_rows(
    superuser_client: Client, model: str, make: Any
) -> None:
    def rows(count: int) -> None:
        make(count)
        for _ in range(count):
            board = BoardFactory()
            note = NoteFactory()
            services.like_add(user=board.owner, note=note)  # a notification
            TopicFactory()

    rows(5)
    few = changelist_queries(superuser_client, model)
    rows(20)
    assert changelist_queries(superuser_client, model) == few


def test_admin_log_in_with_a_100000_character_name_matches_nobody() -> None:
    # Django's log-in form does not bound the name it looks up; SQLite's LIKE
    # failed on one this long (found by tests/test_abuse.py).
    client = logged_in(UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/login/", {"username": "x" * 100_000, "password": "p"})
    assert response.status_code == 200
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("x" * 100_000)


def test_hiding_asks_why_and_tells_the_author(moderator_client: Client, moderator: User) -> None:
    author = UserFactory()
    note = publish(author, title="Cheap followers")
    report = services.report_create(reporter=UserFactory(), reason="spam", note=note)

    asked = run_action(moderator_client, "report", "hide_reported_content", [report])
    page = asked.content.decode()
    assert "Hide what these reports are about" in page and 'name="reason"' in page
    assert fresh(note).status == Note.Status.PUBLISHED  # nothing until a reason is given
    empty = run_action(
        moderator_client, "report", "hide_reported_content", [report], apply="yes", reason=" "
    )
    assert "Say why." in empty.content.decode()
    assert fresh(note).status == Note.Status.PUBLISHED

    run_action(
        moderator_client, "report", "hide_reported_content", [report], apply="yes", reason=SPAM
    )
    assert (fresh(note).status, fresh(note).hidden_reason) == (Note.Status.HIDDEN, SPAM)
    notice = Notification.objects.get(recipient=author)
    assert notice.verb == Notification.Verb.NOTICE
    assert notice.data["text"] == SPAM and notice.data["from"] == "Sprout moderators"
    assert "Cheap followers" in notice.data["title"]

    # The author reads why on the note and in their notifications, not the
    # moderator's name.
    client = Client()
    client.force_login(author)
    note_page = client.get(note.get_absolute_url()).content.decode()
    assert SPAM in note_page
    assert "Likes and comments are closed while the note is hidden." in note_page
    assert "open once the note is published" not in note_page
    notifications = client.get(reverse("notifications")).content.decode()
    assert SPAM in notifications and "Sprout moderators" in notifications
    assert moderator.username not in notifications

    run_action(moderator_client, "report", "restore_reported_content", [report], "?status=actioned")
    assert fresh(note).hidden_reason == ""
    assert Notification.objects.filter(recipient=author).count() == 2


def test_the_report_page_shows_the_content_and_its_decisions_not_save(
    moderator_client: Client,
) -> None:
    note = publish(UserFactory(), title="Suspicious giveaway", body="DM me for free coins")
    report = services.report_create(reporter=UserFactory(), reason="spam", note=note)
    page = moderator_client.get(reverse("admin:community_report_change", args=[report.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Suspicious giveaway" in html and "DM me for free coins" in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert 'value="hide_reported_content"' in html and 'value="dismiss_reports"' in html
    queue = moderator_client.get(changelist("report")).content.decode()
    assert "DM me for free coins" in queue  # the preview column

    # The Dismiss button posts the queue's action for this report.
    moderator_client.post(
        changelist("report"),
        {"action": "dismiss_reports", "_selected_action": [report.pk], "index": 0},
    )
    assert fresh(report).status == Report.Status.DISMISSED
    closed = moderator_client.get(reverse("admin:community_report_change", args=[report.pk]))
    assert 'value="dismiss_reports"' not in closed.content.decode()
