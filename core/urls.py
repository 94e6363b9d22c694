"""URL pieces every app's routes use. The ``id`` converter is registered by
``CoreConfig.ready()``, so ``<id:pk>`` works in any app's ``urls.py``."""

from __future__ import annotations


class IdConverter:
    """Positive ids that fit a 64-bit column: a longer number is a 404, not a
    database overflow error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
