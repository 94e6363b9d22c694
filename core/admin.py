"""What every app's admin shares: read-only rows, and the list filters the
moderators' queues open on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

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
