"""Live rooms' models: the cover goes through the one image pipeline."""

from __future__ import annotations

from core.images import CleanImageField, ImageUploadField
from live.models import COVER_MAX_SIDE, Room


def test_the_model_field_hands_its_max_side_to_its_form_field() -> None:
    cover = Room._meta.get_field("cover")
    assert isinstance(cover, CleanImageField)
    formfield = cover.formfield()
    assert isinstance(formfield, ImageUploadField)
    assert formfield.max_side == COVER_MAX_SIDE
