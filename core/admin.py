"""What every app's admin shares: read-only rows, the list filters the
moderators' queues open on, and the page on which an action asks why."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class ReadOnlyAdminMixin:
    """Rows written only by the site itself (follows, notifications, ...):
    the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IsNullFilter(admin.SimpleListFilter):
    """A filter on whether one nullable column is set. Subclasses set
    ``field`` and ``options``: ``(value in the URL, label, is null)``."""

    field = ""
    options: tuple[tuple[str, str, bool], ...] = ()

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(value, label) for value, label, _ in self.options]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for value, _, isnull in self.options:
            if self.value() == value:
                return queryset.filter(**{f"{self.field}__isnull": isnull})
        return queryset


class DefaultStatusFilter(admin.SimpleListFilter):
    """A status filter that opens on one status (what needs work) and offers
    "All" as a choice of its own. Subclasses set ``statuses`` (the model's
    ``Status.choices``) and ``default``."""

    title = "status"
    parameter_name = "status"
    statuses: Sequence[tuple[str, str]] = ()
    default = ""
    everything = "all"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [*self.statuses, (self.everything, "All")]

    def value(self) -> str:
        return str(super().value() or self.default)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == self.everything:
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        # No "All" entry that drops the parameter: without it the default applies.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ReasonForm(forms.Form):
    """The reason an action asks for, up to ``max_length`` characters."""

    def __init__(self, *args: Any, max_length: int, help_text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"] = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
            max_length=max_length,
            help_text=help_text,
            error_messages={"required": "Say why."},
        )


def ask_reason(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action_name: str,
    submit_label: str,
    intro: str,
    max_length: int = 500,
    help_text: str = "",
) -> str | TemplateResponse:
    """For an admin action that needs a reason: the reason, once the
    moderator has given one on the intermediate page; until then, that page
    (``admin/ask_reason.html``, listing the selected rows), which the action
    returns."""
    form = ReasonForm(
        request.POST if "apply" in request.POST else None,
        max_length=max_length,
        help_text=help_text,
    )
    if form.is_valid():
        return str(form.cleaned_data["reason"]).strip()
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": submit_label,
        "intro": intro,
        "objects": list(queryset.model._default_manager.filter(pk__in=queryset.values("pk"))),
        "form": form,
        "action_name": action_name,
        "submit_label": submit_label,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/ask_reason.html", context)
