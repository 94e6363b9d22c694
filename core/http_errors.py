"""One place that maps every error to the public error shape
``{"error": {"code", "message", "fields"}}``: domain errors, DRF's own
exceptions, Django's 404/403, requests Django refuses to read (too large,
too many files or fields, malformed) and, as a last resort, unexpected
exceptions (logged, answered with a generic 500 in the same shape, never a
traceback). Pages get the same refusals as error pages."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DomainError, transient_error

logger = logging.getLogger("sprout.api")

_DRF_CODES: dict[type[drf.APIException], str] = {
    drf.NotAuthenticated: "unauthenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
    drf.ParseError: "malformed_request",
    drf.ValidationError: "invalid",
}


# Lone surrogates (a JSON "\ud800") are str but not Unicode: echoed in a
# message they make encoding the reply fail. Valid pairs were already joined
# into one character by the JSON decoder, so any left here are unpaired.
_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(value: Any) -> Any:
    """``value`` with every lone surrogate replaced by U+FFFD, through lists and
    dicts: what an error echoes from the request can always be encoded."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    fields = printable(fields or {})
    return {"error": {"code": code, "message": printable(message), "fields": fields}}


# --- requests refused before any view reads them ---------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be read: one status, code and message for the API
    and the pages alike."""

    status: int
    code: str
    message: str


MALFORMED = "The request is malformed."


def malformed(message: str = MALFORMED) -> Refusal:
    return Refusal(400, "malformed_request", message)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB ({size:,} bytes)"


def refusal_for(exc: BaseException | None) -> Refusal | None:
    """The answer to a request Django refused to read: its body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, more files or fields than it takes, a
    multipart body it cannot parse, a Host it does not serve. None for any
    other exception."""
    if isinstance(exc, RequestDataTooBig):
        limit = _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Refusal(413, "too_large", f"The request body is larger than {limit}, files aside.")
    if isinstance(exc, TooManyFilesSent):
        files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return Refusal(400, "too_many_files", f"A request may carry at most {files} files.")
    if isinstance(exc, TooManyFieldsSent):
        return Refusal(
            400,
            "too_many_fields",
            f"A request may carry at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
            "form fields and at most as many query parameters.",
        )
    if isinstance(exc, DisallowedHost):
        return Refusal(400, "bad_host", "This site does not answer to that Host header.")
    if isinstance(exc, UnreadablePostError):
        return malformed("The body ended before the length it announced.")
    if isinstance(exc, MultiPartParserError):
        return malformed("The multipart body could not be parsed.")
    if isinstance(exc, BadRequest):  # Django's say what is wrong, for the client
        return malformed(str(exc) or MALFORMED)
    if isinstance(exc, SuspiciousOperation):
        return malformed()
    return None


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The refusal as ``{"error": ...}`` under /api/, an error page elsewhere."""
    if refusal.code == "too_many_fields":
        # The page must not trip over the query string that was refused.
        request.GET = QueryDict()
    template = "413.html" if refusal.status == 413 else "400.html"
    return _page_or_json(request, refusal.status, refusal.code, refusal.message, template)


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    return [str(detail)]


def _fields(detail: Any) -> dict[str, Any]:
    """DRF's nested error detail as ``{field: [messages]}``."""
    if not isinstance(detail, dict):
        return {}
    out: dict[str, Any] = {}
    for name, value in detail.items():
        out[name] = _flatten(value) if not isinstance(value, dict) else _fields(value)
    return out


def _drf_response(exc: drf.APIException) -> Response:
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    headers: dict[str, str] = {}
    if isinstance(exc, drf.ValidationError):
        fields = _fields(exc.detail)
        non_field = fields.pop("non_field_errors", None)
        if non_field:
            message = " ".join(non_field)
        elif fields:
            message = "Some fields are invalid."
        else:
            message = " ".join(_flatten(exc.detail)) or "The request is invalid."
        return Response(error_body(code, message, fields), status=exc.status_code)
    if isinstance(exc, drf.PermissionDenied) and "CSRF" in str(exc.detail):
        code = "csrf_failed"
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    message = " ".join(_flatten(exc.detail))
    return Response(error_body(code, message), status=exc.status_code, headers=headers)


def _domain_response(exc: DomainError) -> Response:
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        error_body(exc.code, exc.message, exc.fields), status=exc.status, headers=headers
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    refusal = refusal_for(exc)
    if refusal is not None:
        set_rollback()
        return Response(error_body(refusal.code, refusal.message), status=refusal.status)
    if isinstance(exc, DomainError):
        set_rollback()
        return _domain_response(exc)
    transient = transient_error(exc)
    if transient is not None:
        # The database went away mid-request: the transaction rolled back, so
        # the client may send the same request (same idempotency key) again.
        set_rollback()
        logger.warning("API request failed for a transient reason: %r", exc)
        return _domain_response(transient)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, drf.APIException):
        set_rollback()
        return _drf_response(exc)
    set_rollback()
    logger.exception("Unhandled error in API view", exc_info=exc)
    return Response(
        error_body("server_error", "Something went wrong on our side; it has been logged."),
        status=500,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page_or_json(
    request: HttpRequest, status: int, code: str, message: str, template: str
) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(code, message), status=status)
    from django.shortcuts import render

    return render(request, template, {"message": printable(message)}, status=status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400s (a SuspiciousOperation, BadRequest or unreadable multipart
    body raised anywhere) with the refusal's own status, code and message."""
    refusal = refusal_for(exception) or malformed()
    return refusal_response(request, refusal)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page_or_json(
        request, 403, "permission_denied", "You do not have permission to see this.", "403.html"
    )


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page_or_json(request, 404, "not_found", "Not found.", "404.html")


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The last route under ``/api/``: an unknown API path answers the
    error shape, also with ``DEBUG`` on (where Django would show its HTML
    debug page instead of ``handler404``)."""
    return JsonResponse(
        error_body("not_found", "No API endpoint here: see /api/docs/ for the ones there are."),
        status=404,
    )


# The 500 page when 500.html itself cannot be rendered: no template, no
# static file, nothing that could fail again.
BARE_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Something went wrong · Sprout</title></head><body>"
    "<h1>Something went wrong on our side</h1>"
    "<p>It has been logged and we will look into it. Please try again in a moment.</p>"
    '<p><a href="/">Back to Discover</a></p></body></html>'
)


# What a page that failed for a transient reason says (core.errors.transient_error).
BACK_SOON_TITLE = "Sprout is back in a moment"
BACK_SOON_TEXT = (
    "A service this page needs is restarting. Nothing was lost: try again in a few seconds."
)
BARE_503 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Back in a moment · Sprout</title></head><body>"
    f"<h1>{BACK_SOON_TITLE}</h1><p>{BACK_SOON_TEXT}</p>"
    '<p><a href="/">Back to Discover</a></p></body></html>'
)


def handler500(request: HttpRequest) -> HttpResponse:
    """Django's last resort, called while the exception is being handled. A
    failure that goes away by itself (``transient_error``: the database or
    Redis restarting) answers 503 ``temporarily_unavailable`` with
    ``Retry-After``, as the API views do, and as a page that says so."""
    failure = sys.exc_info()[1]
    transient = transient_error(failure) if failure is not None else None
    if transient is not None:
        logger.warning("Request failed for a transient reason: %r", failure)
        return _transient_response(request, transient)
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=500,
        )
    return _error_page(request, 500, BARE_500, {})


def _transient_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    retry_after = str(getattr(exc, "retry_after", None) or 1)
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            error_body(exc.code, exc.message, exc.fields), status=exc.status
        )
    else:
        context = {"code": exc.status, "title": BACK_SOON_TITLE, "text": BACK_SOON_TEXT}
        response = _error_page(request, exc.status, BARE_503, context)
    response["Retry-After"] = retry_after
    return response


def _error_page(
    request: HttpRequest, status: int, bare: str, context: dict[str, Any]
) -> HttpResponse:
    from django.shortcuts import render

    try:
        return render(request, "500.html", context, status=status)
    except Exception:
        # A broken deployment (static files not collected: the manifest has
        # no entry for the page's CSS) breaks the error page too; the visitor
        # still gets a page rather than the server's bare text.
        logger.exception("The %s page could not be rendered", status)
        return HttpResponse(bare, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page_or_json(
        request,
        403,
        "csrf_failed",
        "The form expired or came from another site. Reload the page and try again.",
        "403.html",
    )
