"""The project's admin site: Django's, with the log-in attempt limits of
``community.throttles`` (installed as the default site by
``config.apps.SproutAdminConfig``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse

from community.errors import TooManyAttempts
from community.forms import AdminLoginForm


class SproutAdminSite(admin.AdminSite):
    login_form = AdminLoginForm

    @login_not_required  # as Django's own login view
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response: HttpResponse = super().login(request, extra_context)
        # The admin's LoginView answers 200 with the form's errors; a locked
        # account or address is a 429, as on /login.
        form = (getattr(response, "context_data", None) or {}).get("form")
        if isinstance(form, AdminLoginForm) and form.locked_out:
            response.status_code = TooManyAttempts.status
        return response
