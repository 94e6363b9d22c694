"""Forms of the live pages: a new room on the go-live page."""

from __future__ import annotations

from django import forms

from community.models import User
from core.forms import add_domain_errors
from core.images import ACCEPT
from live import services
from live.errors import DomainError
from live.models import Room


class RoomForm(forms.Form):
    """A scheduled room: it goes live when its host starts streaming. The
    cover is checked and cleaned by ``live.services.room_create`` (the one
    image pipeline), like every other upload."""

    title = forms.CharField(
        max_length=services.TITLE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": "What are you streaming today?", "data-count": ""}
        ),
    )
    cover = forms.FileField(
        required=False,
        # The pipeline refuses an empty file with its own code and message.
        allow_empty_file=True,
        help_text="Shown before the live starts, after it ends and on Discover. JPEG, PNG or WebP.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def save(self, *, host: User) -> Room | None:
        """Create the room (``live.services.room_create``) with its cover; on
        a refusal, the errors land on the form and None is returned."""
        try:
            data = self.cleaned_data
            return services.room_create(host=host, title=data["title"], cover=data["cover"] or None)
        except DomainError as exc:
            add_domain_errors(self, exc)
            return None
