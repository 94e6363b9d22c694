"""The API's JSON parser: DRF's, refusing what parses but no view should get
(each a 400 ``malformed_request`` through ``core.http_errors``):

- nesting deeper than ``MAX_JSON_DEPTH`` (far deeper, Python's decoder itself
  runs out of stack with a RecursionError);
- unpaired surrogates (``"\\ud800"``): not Unicode, they cannot be stored,
  and echoed in an error they made encoding the reply fail;
- NUL characters (``"\\u0000"``): PostgreSQL text and jsonb cannot hold them.

No Sprout request needs any of these; the body's size is bounded before it
is read (``core.middleware``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_problem(data: Any) -> str | None:
    """What is wrong with decoded JSON ``data``, or None. Iterative: the
    check itself must not recurse as deep as the document."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels."
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    pending.append((key, depth + 1))
                pending.append((item, depth + 1))
        elif isinstance(value, str):
            if "\x00" in value:
                return "The JSON body holds a NUL character (\\u0000), which no text may hold."
            if _SURROGATE.search(value):
                return (
                    "The JSON body holds an unpaired surrogate (a \\ud800-\\udfff escape "
                    "without its pair); text must be valid Unicode."
                )
    return None


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels."
            ) from None
        problem = json_problem(data)
        if problem is not None:
            raise ParseError(problem)
        return data
