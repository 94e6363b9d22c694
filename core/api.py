"""What every app's REST views share: the schema's common parameters and
the parsing of request bodies, page sizes and cursors (errors in the one
``{"error": ...}`` shape through ``core.http_errors``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core import pagination
from core.errors import ValidationFailed
from core.schema import ERROR_PLACEHOLDER

# What the server takes, stated in the schema: a cursor is the base64url text
# a previous page's ``next`` carried (empty means the first page; anything
# else is ``invalid_cursor``), a page size 1 to SPROUT_MAX_PAGE_SIZE.
CURSOR = OpenApiParameter(
    "cursor",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": pagination.CURSOR_MAX_LENGTH},
    description="Opaque cursor from a previous `next`.",
)
PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": int(settings.SPROUT_MAX_PAGE_SIZE)},
    description=f"1–{settings.SPROUT_MAX_PAGE_SIZE}, default {settings.SPROUT_PAGE_SIZE}.",
)
# A view's own error status. Its body (the ``Error`` component) and, where
# this says nothing more, its description come from core.schema, which also
# adds the statuses every operation can answer.
ID_MAX = 2**63 - 1  # the largest id a database key holds


def id_parameter(name: str, description: str) -> OpenApiParameter:
    """A query parameter naming an object by id, as the query serializers
    check it (``IntegerField(min_value=1, max_value=ID_MAX)``)."""
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1, "maximum": ID_MAX}, description=description
    )


# A filter's empty value (``?state=``) means "any", as the views read it; the
# schema lists it among the filter's values.
ANY = ""


ERROR = OpenApiResponse(description=ERROR_PLACEHOLDER)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """``data`` checked by ``serializer_class``; a ``validation_failed`` error
    naming the fields otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def page_size(request: Request) -> int:
    """The ``page_size`` query parameter: 1 to ``SPROUT_MAX_PAGE_SIZE``
    (100), ``SPROUT_PAGE_SIZE`` when absent; anything else is refused
    (``invalid``), not quietly clamped."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return pagination.page_size(None)
    largest = int(settings.SPROUT_MAX_PAGE_SIZE)
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= largest:
        raise ValidationFailed(fields={"page_size": [f"A whole number from 1 to {largest}."]})
    return int(text)


def cursor(request: Request) -> str | None:
    """The ``cursor`` query parameter, None when absent or empty."""
    return request.query_params.get("cursor") or None


def paginated(
    request: Request,
    page: pagination.Page,
    serializer_class: Any,
    *,
    context: dict[str, Any] | None = None,
) -> Response:
    """``{"results": [...], "next": <absolute URL or null>}`` for one page;
    ``context`` is passed to the serializer beside the request."""
    next_url = None
    if page.next_cursor:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
    data = serializer_class(
        page.items, many=True, context={**(context or {}), "request": request}
    ).data
    return Response({"results": data, "next": next_url})


def paginated_schema(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A ``{results, next}`` envelope for the OpenAPI schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        },
    )
