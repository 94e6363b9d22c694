"""The OpenAPI schema's shared parts (core.schema): every error status an
operation can answer is documented, in the one error shape; JSON bodies list
no file field; PATCH bodies require what their serializers require. Runs
with whatever apps the pass installs (the community-only pass too)."""

from __future__ import annotations

from functools import cache
from typing import Any

ERROR_REF = "#/components/schemas/Error"


@cache
def schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema()["paths"].items()
        for method, operation in methods.items()
    ]


def test_the_error_shape_is_one_component() -> None:
    error = schema()["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = schema()["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}


def test_every_error_response_has_the_error_shape() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": ERROR_REF}, (method, path, status)
                assert response["description"], (method, path, status)


def test_every_operation_documents_the_statuses_any_request_can_get() -> None:
    for path, method, operation in operations():
        statuses = set(operation["responses"])
        # A refused query string, a non-JSON Accept, the database restarting.
        assert {"400", "406", "503"} <= statuses, (method, path)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in statuses, (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= statuses, (method, path)
        if {"tokenAuth": []} in operation.get("security", []):
            # A token that is not (or no longer) valid, on any operation reading one.
            assert "401" in statuses, (method, path)


def _is_file(prop: dict[str, Any]) -> bool:
    return prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary"


def test_json_bodies_list_no_file_field() -> None:
    components = schema()["components"]["schemas"]
    for path, method, operation in operations():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None or "$ref" not in body["schema"]:
            continue
        component = components[body["schema"]["$ref"].rsplit("/", 1)[-1]]
        files = [p for p, s in component.get("properties", {}).items() if _is_file(s)]
        assert not files, (method, path, files)


def test_patch_bodies_require_what_their_serializers_require() -> None:
    """No ``Patched*`` component: views check PATCH bodies in full."""
    assert not [name for name in schema()["components"]["schemas"] if name.startswith("Patched")]
