"""Forms of the HTML pages. They parse and label input; the rules (lengths
that matter, uniqueness, permissions) live in ``community.services``, whose
field errors are copied back onto the form with :func:`core.forms.add_domain_errors`."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from community import throttles
from community.errors import TooManyAttempts
from community.models import Note, Report

NOTE_TITLE_MAX = 100
NOTE_BODY_MAX = 2000
COMMENT_MAX = 1000
PHOTO_ID = re.compile(r"[1-9][0-9]{0,17}")


class AttemptLimitedLogin(AuthenticationForm):
    """Django's log-in form, refused before the password is checked while
    the account or the client's address is locked (``community.throttles``);
    failures are counted by ``user_login_failed``, whatever form sent them."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and self.request is not None:
            try:
                throttles.check_login(self.request, username)
            except TooManyAttempts as exc:
                raise ValidationError(exc.message, code=TooManyAttempts.code) from exc
        return super().clean()

    @property
    def locked_out(self) -> bool:
        """True when this attempt was refused for too many attempts: the
        page answers 429."""
        return self.has_error(NON_FIELD_ERRORS, TooManyAttempts.code)


class LoginForm(AttemptLimitedLogin):
    """``/login``."""


class AdminLoginForm(AttemptLimitedLogin, AdminAuthenticationForm):
    """``/admin/login/``: the same limits, then the admin's staff check."""


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=30,
        help_text="3 to 30 characters: letters, digits, underscores and inner dots.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        help_text="At least 8 characters; not just numbers, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=50, required=False, label="Display name")
    bio = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A line or two about you and what you post.",
    )
    avatar = forms.FileField(
        required=False,
        # Checked by the image pipeline (core.images), an empty file too.
        allow_empty_file=True,
        label="Profile photo",
        help_text="JPEG, PNG or WebP. It is cropped to a circle.",
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (the compose page without JavaScript)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        # Checked by the image pipeline (core.images), an empty file too.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class PhotoIdsField(forms.Field):
    """The edit page's photo list: ids in order, as repeated hidden fields."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if not all(isinstance(v, str) and PHOTO_ID.fullmatch(v) for v in values):
            raise ValidationError("Unknown photo: reload the page and try again.", code="invalid")
        return [int(v) for v in values]


def photo_order_step(photo_ids: list[int], step: str) -> list[int]:
    """The edit page without scripts: ``earlier:<id>``, ``later:<id>`` or
    ``remove:<id>`` applied to the posted photo list (saved with the form)."""
    action, _, raw = step.partition(":")
    if not PHOTO_ID.fullmatch(raw) or int(raw) not in photo_ids:
        return photo_ids
    ids = list(photo_ids)
    index = ids.index(int(raw))
    if action == "remove":
        del ids[index]
    elif action in ("earlier", "later"):
        to = index - 1 if action == "earlier" else index + 1
        if 0 <= to < len(ids):
            ids[index], ids[to] = ids[to], ids[index]
    return ids


class NoteEditForm(forms.Form):
    """Edit a note. Its author also edits the photos here: ``photo_ids``
    (those kept, in order; ``photos_in_form`` says the list was sent, so an
    empty one means "none") and ``images`` (added at the end)."""

    photos_in_form = forms.BooleanField(required=False, widget=forms.HiddenInput)
    photo_ids = PhotoIdsField(required=False)
    images = MultipleFileField(required=False, label="Add photos")
    title = forms.CharField(max_length=NOTE_TITLE_MAX)
    body = forms.CharField(
        max_length=NOTE_BODY_MAX,
        required=False,
        label="Text",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Use #topics to reach people who follow them and @name to mention someone.",
    )
    status = forms.ChoiceField(
        choices=[(Note.Status.PUBLISHED, "Published"), (Note.Status.DRAFT, "Draft")],
        widget=forms.RadioSelect,
        label="Visibility",
    )


class ComposeForm(forms.Form):
    """The compose page as a plain form: the fallback when scripts are off
    (with scripts, photos upload one by one and the note goes to the API)."""

    images = MultipleFileField(required=False, label="Photos")
    title = forms.CharField(max_length=NOTE_TITLE_MAX)
    body = forms.CharField(
        max_length=NOTE_BODY_MAX,
        required=False,
        label="Text",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    status = forms.ChoiceField(
        choices=[(Note.Status.PUBLISHED, "Publish"), (Note.Status.DRAFT, "Save draft")],
        required=False,
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=COMMENT_MAX,
        label="Add a comment",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Say something nice…"}),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CollectForm(forms.Form):
    board = forms.IntegerField(required=False, min_value=1)
    new_board = forms.CharField(max_length=50, required=False, label="New board")
    remove = forms.BooleanField(required=False)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Report.Reason.choices, widget=forms.RadioSelect, label="What is wrong?"
    )
    detail = forms.CharField(
        max_length=1000,
        required=False,
        label="Anything else moderators should know?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
