"""What every app's HTML views share: htmx-aware answers, the way back after
a form post, log-in redirects and the mapping of domain errors to pages and
toasts (the HTML twin of :mod:`core.http_errors`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import AuthenticationRequired, DomainError

type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponse]


def page_size() -> int:
    return int(settings.SPROUT_PAGE_SIZE)


# --- request helpers ------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def cursor_of(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def flag(request: HttpRequest, name: str = "on") -> bool:
    """A toggle's wanted state from a form field ("1" means on)."""
    return request.POST.get(name) == "1"


def page_or_more(
    request: HttpRequest, template: str, more_template: str, context: dict[str, Any]
) -> HttpResponse:
    """A paged list's response: the whole page, or, for the infinite scroll
    (htmx asking with a cursor), only ``more_template`` (the next items and
    the next sentinel). Varies on ``HX-Request`` so caches keep both."""
    from django.utils.cache import patch_vary_headers

    chosen = more_template if is_htmx(request) and cursor_of(request) else template
    response = render(request, chosen, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back after a plain form post: ``next``, else the page the
    form was on, else ``fallback`` (only URLs of this site)."""
    for candidate in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.headers.get("Referer"),
    ):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(candidate)
            # "abc" is a relative URL of this site too, but redirect() reads it
            # as a view name: only paths from the root are places to go back to.
            if parts.path.startswith("/"):
                return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send a visitor to the log-in page and back to where they were."""
    if request.method == "GET" and not is_htmx(request):
        return redirect_to_login(request.get_full_path())
    back = request.headers.get("HX-Current-URL") or safe_next(request, reverse("discover"))
    parts = urlsplit(back)
    target = f"{reverse('login')}?{urlencode({'next': parts.path or '/'}, safe='/')}"
    if is_htmx(request):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def error_message(exc: DomainError) -> str:
    details = [message for messages in exc.fields.values() for message in messages]
    return " ".join(details) if details and exc.status == 400 else exc.message


def error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, AuthenticationRequired):
        return login_redirect(request)
    message = error_message(exc)
    if is_htmx(request):
        response = render(
            request,
            "partials/toast.html",
            {"message": message, "level": "error"},
            status=exc.status,
        )
        response["HX-Retarget"] = "#toasts"
        response["HX-Reswap"] = "beforeend"
        return response
    status = exc.status if exc.status in (400, 403, 404) else 400
    return render(request, f"{status}.html", {"message": message}, status=status)


def handles_domain_errors[**P](view: View[P]) -> View[P]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_response(request, exc)

    return wrapped


def member_required[**P](view: View[P]) -> View[P]:
    """Like ``login_required``, but htmx requests get ``HX-Redirect`` (a
    redirect would swap the log-in page into a button)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return login_redirect(request)
        return view(request, *args, **kwargs)

    return wrapped


def member(request: HttpRequest) -> Any:
    """The logged-in member (the project's user model); AuthenticationRequired
    for a visitor."""
    if not request.user.is_authenticated:
        raise AuthenticationRequired()
    return request.user


def partial(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    announce: str = "",
    extra: str = "",
) -> HttpResponse:
    """An htmx answer: the fragment, out-of-band extras, and a sentence for
    the screen-reader live region."""
    html = render_to_string(template, context, request=request)
    if announce:
        html += format_html('<span hx-swap-oob="innerHTML:#announcer">{}</span>', announce)
    return HttpResponse(html + extra)
