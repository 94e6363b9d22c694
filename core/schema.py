"""The OpenAPI schema's error responses, documented once for every operation.

Every API view answers its failures through one handler
(:mod:`core.http_errors`) in one shape, ``{"error": {"code", "message",
"fields"}}``, and most failures are not the view's own: a query string with
too many parameters, a body that is not JSON, an ``Accept`` the API cannot
answer, a token that is not valid, a throttle, the database restarting. A
client generated from the schema must know each status it can receive, so
:class:`SproutAutoSchema` adds them to every operation they apply to, from
what the view is (its authentication, permissions, parsers, throttles, path
parameters, method), beside the statuses the view documents itself (a 402,
a 409 of its domain). Each error response carries the same ``Error``
component, so the shape is stated once.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny

# What each status means wherever it appears (an operation's own description
# of a status it documents is kept).
ERROR_DESCRIPTIONS = {
    400: "The request is invalid (`invalid`, `malformed_request`, `invalid_cursor`, "
    "`too_many_fields`, …): `fields` names what is wrong.",
    401: "Not logged in where the operation requires it (`unauthenticated`), or the "
    "token sent is not valid (`authentication_failed`).",
    402: "Not enough coins (`insufficient_funds`).",
    403: "Not allowed to do this (`permission_denied`), or a session's CSRF token is "
    "missing (`csrf_failed`).",
    404: "No such object, or one you may not see (`not_found`).",
    406: "The `Accept` header asks for something other than JSON (`not_acceptable`).",
    409: "The object's state does not allow this now (a domain code says which).",
    413: "The request body is too large (`too_large`).",
    415: "The body's content type is not JSON, multipart or a form (`unsupported_media_type`).",
    429: "Too many requests (`rate_limited`); `Retry-After` says when to try again.",
    503: "A service the request needs is restarting (`temporarily_unavailable`): nothing "
    "was done; send the same request again after `Retry-After`.",
}

# What ``core.api.ERROR`` says: a view's documented error status that
# states nothing of its own gets the common description.
ERROR_PLACEHOLDER = '`{"error": {"code", "message", "fields"}}`'

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: part of the API.")
    message = serializers.CharField(help_text="For people; may change.")
    # (A field named "fields" shadows Serializer.fields in the stubs only: DRF's
    # metaclass takes declared fields off the class.)
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per field (or query parameter) what is wrong; empty when none is.",
    )


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers, whatever its status."""

    error = ErrorDetailSerializer()


class SproutAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with each error status an operation can
    answer documented, in the one ``Error`` shape."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation.setdefault("responses", {})
        error = {
            "application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}
        }
        for status in sorted(self.error_statuses(operation, responses)):
            entry = responses.setdefault(str(status), {})
            entry["content"] = error
            if entry.get("description") in (None, "", ERROR_PLACEHOLDER):
                entry["description"] = ERROR_DESCRIPTIONS.get(status, "An error.")
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        """A PATCH body as its input serializer states it, not every field
        made optional: Sprout's views check a PATCH body with their input
        serializer as it is (``core.api.validated``, never ``partial=True``),
        so what it requires (a cart line's quantity) a PATCH requires too."""
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def error_statuses(self, operation: dict[str, Any], responses: dict[str, Any]) -> set[int]:
        """The error statuses this operation can answer: those the view
        documented and those every view like it gives."""
        view = self.view
        method = self.method.upper()
        statuses = {int(code) for code in responses if str(code).startswith(("4", "5"))}
        # Any request: a query string over DATA_UPLOAD_MAX_NUMBER_FIELDS, a
        # parameter the view refuses; JSON only, so another Accept is a 406;
        # the database can restart under any request.
        statuses |= {400, 406, 503}
        authenticators = getattr(view, "authentication_classes", [])
        permissions = getattr(view, "permission_classes", [])
        public = all(issubclass(p, AllowAny) for p in permissions)
        if not public or any(issubclass(a, TokenAuthentication) for a in authenticators):
            # Asked anonymously where a member is needed, or with a token
            # that is not (or no longer) valid: refused on any operation
            # that reads tokens, public ones included.
            statuses.add(401)
        if method in UNSAFE:
            # A write that carries a session cookie without its CSRF token is
            # refused before any view (csrf_failed), public ones included.
            statuses.add(403)
        if getattr(view, "throttle_classes", []):
            statuses.add(429)
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            statuses.add(404)
        if "requestBody" in operation or method in {"POST", "PUT", "PATCH"}:
            # A body is read (DRF parses it even where the view takes none).
            statuses |= {413, 415}
        return statuses


def _is_file(prop: dict[str, Any]) -> bool:
    if prop.get("format") == "binary":
        return True
    return prop.get("type") == "array" and prop.get("items", {}).get("format") == "binary"


def json_bodies_without_files(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the JSON body of an operation that also takes
    multipart lists no file field. drf-spectacular writes one request
    component for every encoding, but a file only travels in multipart; a
    JSON client sending ``"cover": ""`` is refused ("not a file"). The JSON
    encoding gets a copy of the component without its file fields
    (``<Name>JsonRequest``)."""
    schemas = result.get("components", {}).get("schemas", {})
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            if body is None or "multipart/form-data" not in content:
                continue
            name = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            component = schemas.get(name)
            if component is None:
                continue
            files = {p for p, s in component.get("properties", {}).items() if _is_file(s)}
            if not files:
                continue
            json_name = name.removesuffix("Request") + "JsonRequest"
            if json_name not in schemas:
                copy = deepcopy(component)
                copy["properties"] = {p: s for p, s in copy["properties"].items() if p not in files}
                if "required" in copy:
                    copy["required"] = [p for p in copy["required"] if p not in files]
                schemas[json_name] = copy
            body["schema"] = {"$ref": f"#/components/schemas/{json_name}"}
    return result
