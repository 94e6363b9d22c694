"""Forms of the creator pool's pages. They parse and label input; the rules
(pitch length, known niches, web addresses) live in ``kol.services`` and come
back onto the form through ``community.forms.add_domain_errors``."""

from __future__ import annotations

from typing import Any

from django import forms

from kol.models import Niche, Tier
from kol.services import MAX_LINKS

PITCH_MAX = 1000
MAX_NICHES = 5


def niche_choices(niches: list[Niche]) -> list[tuple[str, str]]:
    return [(niche.slug, niche.name) for niche in niches]


class DirectoryFilterForm(forms.Form):
    """The directory's filters (GET). Every field is optional: an empty one
    means "all"."""

    niche = forms.ChoiceField(required=False, label="Niche")
    tier = forms.ChoiceField(
        required=False,
        label="Audience size",
        choices=[("", "All"), *Tier.choices],
        widget=forms.RadioSelect,
    )

    def __init__(self, data: Any, *, niches: list[Niche]) -> None:
        data = data.copy()
        for name in ("niche", "tier"):  # "All" is checked when nothing is chosen
            data.setdefault(name, "")
        super().__init__(data)
        niche_field = self.fields["niche"]
        assert isinstance(niche_field, forms.ChoiceField)
        niche_field.choices = [("", "All niches"), *niche_choices(niches)]

    def filters(self) -> dict[str, str | None]:
        """The valid filters (``None`` for "all"); an invalid value is dropped
        (and shown as an error next to its field)."""
        self.is_valid()  # cleaned_data holds the fields that are valid
        return {name: self.cleaned_data.get(name) or None for name in ("niche", "tier")}


class ApplicationForm(forms.Form):
    pitch = forms.CharField(
        max_length=PITCH_MAX,
        label="Why you, and what you post",
        help_text="What you make, who it is for, and what you would do live. "
        "20 to 1,000 characters.",
        error_messages={"required": "Tell us about yourself and what you post."},
        widget=forms.Textarea(attrs={"rows": 7, "data-count": ""}),
    )
    niches = forms.MultipleChoiceField(
        label="Your niches",
        help_text="Pick one to five.",
        error_messages={"required": "Pick at least one niche."},
        widget=forms.CheckboxSelectMultiple,
    )
    links = forms.CharField(
        required=False,
        max_length=2_000,
        label="Links",
        help_text=f"Your blog, shop or other channels: one web address per line, up to "
        f"{MAX_LINKS}.",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "https://",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args: Any, niches: list[Niche], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        niche_field = self.fields["niches"]
        assert isinstance(niche_field, forms.MultipleChoiceField)
        niche_field.choices = niche_choices(niches)

    def clean_niches(self) -> list[str]:
        picked: list[str] = self.cleaned_data["niches"]
        if len(picked) > MAX_NICHES:
            raise forms.ValidationError(f"Pick at most {MAX_NICHES} niches.")
        return picked

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines()]
        links = [line for line in lines if line]
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(f"Give at most {MAX_LINKS} links.")
        return links
