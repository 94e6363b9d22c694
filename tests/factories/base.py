"""What every app's factories share: a typed base class and image bytes."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.db import models
from PIL import Image


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


class ServiceMadeFactory(ModelFactory[T]):
    """A factory whose rows only a service may write (money, through the
    ledger): ``create`` calls the service; ``build`` is refused, since an
    unsaved row of this kind would be a lie about the books."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{cls.__name__} only creates: its rows are written by a service")


def fresh[M: models.Model](obj: M) -> M:
    """The row as stored now, in a new instance: counters changed with
    ``UPDATE ... F()`` show, and a member's permission cache starts empty."""
    return type(obj)._default_manager.get(pk=obj.pk)
