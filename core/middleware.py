"""Project-wide middleware that no single view should have to remember.

``request_limits``: requests refused at the door, before any view (or CSRF
check) reads them, the same way on every page and endpoint:

- a NUL character in the path, the query string or a posted form field:
  PostgreSQL cannot store or even compare text holding one, so a lookup by
  such a username or a comment saved from such a form would fail in the
  database instead of answering 400 (JSON bodies: ``core.parsers``);
- more query parameters or form fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
  more files than ``DATA_UPLOAD_MAX_NUMBER_FILES``, a form Django cannot parse;
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` that is not multipart (in a
  multipart body the files may be larger: they are streamed to disk and the
  photo pipeline bounds them; Django holds the other fields to the same
  limit). Django refuses such bodies only when a view reads them, and DRF's
  JSON parser never asks it.

Posted forms are parsed here, once: CSRF checks and views reuse the result.
Refusals are answered through ``core.http_errors`` ({"error": ...} under
/api/, an error page elsewhere); ``docs/architecture.md`` lists them.

``PrivateCacheMiddleware``: what was made for one person stays out of shared
caches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponseBase, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.decorators import sync_and_async_middleware
from django.utils.deprecation import MiddlewareMixin

from core.http_errors import Refusal, malformed, refusal_for, refusal_response

NUL = "\x00"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# What reading the query string or a form can raise: Django's refusals
# (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent are
# SuspiciousOperations; a urlencoded body not in UTF-8 is a BadRequest), a
# multipart body it cannot parse, a body cut short.
UNREADABLE = (SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError)


def _holds_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in data.lists())


def _unreadable(request: HttpRequest, exc: Exception) -> Refusal | None:
    # What is rendered next must not trip over the same body again.
    request._mark_post_parse_error()  # type: ignore[attr-defined]
    return refusal_for(exc)


def url_refusal(request: HttpRequest) -> Refusal | None:
    """Why ``request``'s URL or announced size must keep it from any view."""
    if NUL in request.path_info:
        return malformed("The URL holds a NUL character (%00).")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and request.content_type != "multipart/form-data":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then either
        if length > limit:
            return refusal_for(RequestDataTooBig())
    try:
        if _holds_nul(request.GET):
            return malformed("The query string holds a NUL character (%00).")
    except UNREADABLE as exc:
        return _unreadable(request, exc)
    return None


def posts_form(request: HttpRequest) -> bool:
    # Django parses the form bodies of POSTs only; DRF parses the others.
    return request.method == "POST" and request.content_type in FORMS


def form_refusal(request: HttpRequest) -> Refusal | None:
    """Why ``request``'s posted form must keep it from any view."""
    try:
        if _holds_nul(request.POST):
            return malformed("A form field holds a NUL character.")
    except UNREADABLE as exc:
        return _unreadable(request, exc)
    return None


Handler = Callable[[HttpRequest], Any]


@sync_and_async_middleware
def request_limits(get_response: Handler) -> Handler:
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponseBase:
            refusal = url_refusal(request)
            if refusal is None and posts_form(request):
                # Parsing a multipart body writes its files to disk: not on
                # the event loop the live rooms' websockets share.
                refusal = await sync_to_async(form_refusal)(request)
            if refusal is not None:
                # Error pages read the member and their unread count.
                return await sync_to_async(refusal_response)(request, refusal)
            response: Awaitable[HttpResponseBase] = get_response(request)
            return await response

        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponseBase:
        refusal = url_refusal(request)
        if refusal is None and posts_form(request):
            refusal = form_refusal(request)
        if refusal is not None:
            return refusal_response(request, refusal)
        response: HttpResponseBase = get_response(request)
        return response

    return middleware


class PrivateCacheMiddleware(MiddlewareMixin):
    """Keep pages made for one person out of shared caches.

    A response that depends on the session (``Vary: Cookie``: a member's
    page, or a form carrying a CSRF token) or on an ``Authorization``
    header is ``Cache-Control: private``; a logged-in member's is also
    ``no-store``, so a shared computer's browser does not keep their wallet
    or studio on disk after they log out. A view's own stricter choice
    (``no-store``) is left as it is, and responses that vary on nothing
    personal (public pages for visitors, static files: whitenoise answers
    before this runs) keep their caching.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if "no-store" in response.get("Cache-Control", ""):
            return response
        personal = has_vary_header(response, "Cookie") or "Authorization" in request.headers
        if not personal:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(response, private=True)
        return response
