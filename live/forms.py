"""Forms of the live pages: a new room on the go-live page."""

from __future__ import annotations

import io
import secrets

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from community.forms import add_domain_errors
from community.models import User
from live import services
from live.errors import DomainError
from live.models import Room

COVER_MAX_BYTES = 10 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000
# Covers show at most this wide (the player's poster, the "Live now" cards):
# stored re-encoded at this size, whatever was uploaded.
COVER_MAX_SIDE = 1280
COVER_QUALITY = 85


def normalised_cover(upload: UploadedFile) -> ContentFile[bytes]:
    """The uploaded picture as a JPEG of at most ``COVER_MAX_SIDE`` pixels a
    side, upright (EXIF orientation applied) and without metadata. Raises
    ``forms.ValidationError`` for anything that is not a picture we can read."""
    if upload.size is not None and upload.size > COVER_MAX_BYTES:
        raise forms.ValidationError(
            f"Covers are at most {COVER_MAX_BYTES // (1024 * 1024)} MB.", code="too_big"
        )
    try:
        upload.seek(0)
        with Image.open(upload) as opened:
            if opened.width * opened.height > COVER_MAX_PIXELS:
                raise forms.ValidationError("This picture is too large.", code="too_many_pixels")
            picture = ImageOps.exif_transpose(opened)
            picture.thumbnail((COVER_MAX_SIDE, COVER_MAX_SIDE))
            if picture.mode != "RGB":
                picture = picture.convert("RGB")
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=COVER_QUALITY, optimize=True, progressive=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise forms.ValidationError(
            "This file is not a picture we can read: use a JPEG, PNG or WebP.", code="invalid"
        ) from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")


class RoomForm(forms.Form):
    """A scheduled room: it goes live when its host starts streaming."""

    title = forms.CharField(
        max_length=services.TITLE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": "What are you streaming today?", "data-count": ""}
        ),
    )
    cover = forms.FileField(
        required=False,
        help_text="Shown before the live starts, after it ends and on Discover. "
        "JPEG, PNG or WebP, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_cover(self) -> ContentFile[bytes] | None:
        upload = self.cleaned_data.get("cover")
        if not upload:
            return None
        return normalised_cover(upload)

    def save(self, *, host: User) -> Room | None:
        """Create the room (``live.services.create_room``) with its cover; on
        a refusal, the errors land on the form and None is returned."""
        try:
            with transaction.atomic():
                room = services.create_room(host=host, title=self.cleaned_data["title"])
                cover = self.cleaned_data.get("cover")
                if cover is not None:
                    room.cover.save(cover.name or "cover.jpg", cover, save=False)
                    room.save(update_fields=["cover"])
        except DomainError as exc:
            add_domain_errors(self, exc)
            return None
        return room
