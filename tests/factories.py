"""factory_boy factories. They write rows directly (fast); tests of counters
and side effects go through ``community.services`` instead."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from community import ranking
from community.models import Board, Comment, Note, Photo, Topic, User


def jpeg_bytes(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 80, 60)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


T = TypeVar("T")


class ModelFactory(factory.django.DjangoModelFactory[T]):
    """factory_boy's factories return model instances when called; this tells
    the type checker so (factory_boy leaves ``__new__`` untyped)."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:

        def __new__(cls, *args: Any, **kwargs: Any) -> T:  # type: ignore[misc]
            ...

        @classmethod
        def create_batch(cls, size: int, **kwargs: Any) -> list[T]: ...


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

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


# --- creator pool -------------------------------------------------------------------

from kol.models import Agency, CreatorProfile, Niche  # noqa: E402


class NicheFactory(ModelFactory[Niche]):
    class Meta:
        model = Niche
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"niche-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class CreatorFactory(ModelFactory[CreatorProfile]):
    """A member in the creator pool (tier derived from their followers)."""

    class Meta:
        model = CreatorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    bio = "Slow mornings, good coffee."

    @factory.post_generation
    def niches(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.niches.set(extracted)


class AgencyFactory(ModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Bright Sprout Media {n}")
    slug = factory.Sequence(lambda n: f"bright-sprout-{n}")
    contact_email = factory.LazyAttribute(lambda o: f"hello@{o.slug}.example.com")
