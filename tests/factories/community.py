"""Factories of the notes community (``community.models``).

They write rows directly (fast): denormalised counters (likes on a note,
followers of a member, ...) are left as given. Tests of counters and side
effects go through ``community.services`` instead."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from community import ranking
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
from tests.factories.base import ModelFactory, jpeg_bytes

PASSWORD = "correct-horse-battery"


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):  # type: ignore[no-untyped-def]
        if create:
            instance.save()


class TopicFactory(ModelFactory[Topic]):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"topic{n}")
    key = factory.LazyAttribute(lambda t: t.name.casefold())


class NoteFactory(ModelFactory[Note]):
    """A published note with one tiny photo (``photos=0`` for none)."""

    class Meta:
        model = Note
        skip_postgeneration_save = True

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Note number {n}")
    body = "A quiet morning with tea."
    body_html = "<p>A quiet morning with tea.</p>"
    status = Note.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    hot_score = factory.LazyAttribute(
        lambda n: (
            ranking.hot_score(likes=0, collects=0, comments=0, published_at=n.published_at)
            if n.published_at
            else 0.0
        )
    )

    @factory.post_generation
    def photos(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        for position in range(1 if extracted is None else extracted):
            PhotoFactory(note=self, owner=self.author, position=position)


class PhotoFactory(ModelFactory[Photo]):
    class Meta:
        model = Photo

    owner = factory.SubFactory(UserFactory)
    note = None
    position = 0
    format = "jpeg"
    color = "#c8503c"
    original = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(), name="factory.jpg"))


class CommentFactory(ModelFactory[Comment]):
    class Meta:
        model = Comment

    note = factory.SubFactory(NoteFactory)
    author = factory.SubFactory(UserFactory)
    body = "Lovely!"
    body_html = "<p>Lovely!</p>"


class BoardFactory(ModelFactory[Board]):
    class Meta:
        model = Board

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Board {n}")


class ModeratorFactory(UserFactory):
    """A site moderator as the admin knows them: staff, in the Moderators
    group (migration community 0002 makes it; later apps add to its
    permissions)."""

    is_staff = True

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        super()._after_postgeneration(instance, create, results)
        if create:
            instance.groups.add(Group.objects.get(name="Moderators"))


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class LikeFactory(ModelFactory[Like]):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    note = factory.SubFactory(NoteFactory)


class CollectFactory(ModelFactory[Collect]):
    """A note kept in one of the collector's boards (their own, by default)."""

    class Meta:
        model = Collect

    user = factory.SubFactory(UserFactory)
    note = factory.SubFactory(NoteFactory)
    board = factory.SubFactory(BoardFactory, owner=factory.SelfAttribute("..user"))


class FollowFactory(ModelFactory[Follow]):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)


class TopicFollowFactory(ModelFactory[TopicFollow]):
    class Meta:
        model = TopicFollow

    user = factory.SubFactory(UserFactory)
    topic = factory.SubFactory(TopicFactory)


class BlockFactory(ModelFactory[Block]):
    class Meta:
        model = Block

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)


class ReportFactory(ModelFactory[Report]):
    """An open report of one target: the ``comment=`` or ``user=`` given, or
    else a note (a new one unless ``note=`` is given)."""

    class Meta:
        model = Report

    reporter = factory.SubFactory(UserFactory)
    comment = None
    user = None
    note = factory.Maybe(
        factory.LazyAttribute(lambda o: o.comment is None and o.user is None),
        yes_declaration=factory.SubFactory(NoteFactory),
        no_declaration=None,
    )
    reason = Report.Reason.SPAM


class NotificationFactory(ModelFactory[Notification]):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    verb = Notification.Verb.FOLLOW
