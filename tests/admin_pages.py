"""The Django admin as tests drive it: one app's changelists and change
pages, bulk actions posted the way the changelist form posts them, and
what a page offers and says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


@dataclass(frozen=True)
class AdminPages:
    """The admin pages of one app (``AdminPages("kol").changelist("niche")``)."""

    app_label: str

    def changelist(self, model: str) -> str:
        return reverse(f"admin:{self.app_label}_{model}_changelist")

    def change(self, model: str, obj: Any) -> str:
        return reverse(f"admin:{self.app_label}_{model}_change", args=[obj.pk])

    def run_action(
        self,
        client: Client,
        model: str,
        action: str,
        objects: list[Any],
        query: str = "",
        **extra: Any,
    ) -> Any:
        """Post a bulk action the way the changelist form does (to the
        changelist URL with its current filters, ``query``)."""
        return client.post(
            self.changelist(model) + query,
            {"action": action, "_selected_action": [o.pk for o in objects], "index": 0, **extra},
            follow=True,
        )

    def changelist_queries(self, client: Client, model: str) -> int:
        """The number of SQL queries one changelist page costs."""
        with CaptureQueriesContext(connection) as captured:
            response = client.get(self.changelist(model))
        assert response.status_code == 200
        return len(captured)


def offered_actions(page: Any) -> list[str]:
    """The bulk actions a changelist page offers."""
    form = page.context["action_form"]
    return [] if form is None else [name for name, _ in form.fields["action"].choices if name]


def page_messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def listed(response: Any) -> list[Any]:
    """The rows a changelist page shows."""
    return list(response.context["cl"].result_list)
