"""Every HTTP endpoint against requests built to break parsers and queries.

The endpoints come from the URL configuration (``get_resolver()``), never
from a list kept by hand, so an endpoint added tomorrow is swept tomorrow;
the OpenAPI schema adds each API operation's query parameters and body
fields. Each endpoint gets:

- the requests refused at the door whoever sends them, whose answer is known
  exactly (``core.middleware``): a NUL byte in each path parameter, in the
  query string and in form fields, more query parameters, form fields or
  files than Django accepts, bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
- then, for each method its view handles, as an anonymous visitor, as a
  member who owns the objects in its path, and as staff where members are
  refused (in the admin, staff only): query parameters of the wrong type or
  size, huge numbers in path parameters, JSON nested 100,000 deep, JSON of
  the wrong shape, fields of the wrong type or size, lone surrogates and NUL
  bytes in JSON and form fields, and the over-limit bodies again for the
  methods whose bodies DRF parses itself.

Never a 5xx; API answers carry ``{"error": {"code", "message", "fields"}}``;
pages are pages, not tracebacks. NUL bytes only crash PostgreSQL, so the
PostgreSQL pass of ``make test`` is the one that proves that part.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseBase
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from community import services as community_services
from community.models import User
from live.models import LiveSession
from tests.clients import logged_in
from tests.factories import (
    ApplicationFactory,
    BoardFactory,
    ChatMessageFactory,
    CommentFactory,
    CreatorFactory,
    HostFactory,
    InvitationFactory,
    NoteFactory,
    PhotoFactory,
    RoomFactory,
    SuperuserFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Query parameters pages read without a schema saying so (the HTML views);
# the schema adds every API operation's own.
COMMON_QUERY = ("q", "page_size", "cursor", "page", "tab", "order", "status", "next", "reply")
# Form fields the HTML views read; the schema adds every API operation's own.
COMMON_FIELDS = (
    "title",
    "body",
    "text",
    "name",
    "username",
    "password",
    "email",
    "reason",
    "kind",
    "status",
    "coins",
    "quantity",
    "idempotency_key",
    "next",
    # The note edit page's photo list (community.views.note_edit).
    "photos_in_form",
    "photo_ids",
    "photo_op",
)
FORM = "application/x-www-form-urlencoded"
OCTETS = "application/octet-stream"
NUL = "\x00"
SURROGATE = "\ud800"


# --- endpoints, from the URL configuration ----------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    regex: str


@dataclass(frozen=True)
class Endpoint:
    route: str  # the URLconf's spelling, for failure messages and test ids
    pattern: URLPattern
    pieces: tuple[str | Param, ...]

    @property
    def params(self) -> list[Param]:
        return [p for p in self.pieces if isinstance(p, Param)]

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _route_pieces(pattern: RoutePattern) -> list[str | Param]:
    route, at = str(pattern), 0
    pieces: list[str | Param] = []
    for match in _CONVERTER.finditer(route):
        pieces.append(route[at : match.start()])
        converter = pattern.converters[match["name"]]
        pieces.append(Param(match["name"], converter.regex))
        at = match.end()
    pieces.append(route[at:])
    return pieces


def _regex_pieces(pattern: RegexPattern) -> list[str | Param]:
    """A regex route as literal text and named groups. Only the shapes the
    URLconf uses are understood; anything else fails loudly, so a new shape
    is taught here rather than skipped."""
    regex = str(pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    regex = regex.replace("/?", "")
    pieces: list[str | Param] = []
    at = 0
    for start in [m.start() for m in re.finditer(r"\(\?P<", regex)]:
        depth, end = 0, start
        for end in range(start, len(regex)):
            depth += {"(": 1, ")": -1}.get(regex[end], 0)
            if depth == 0:
                break
        name, _, group = regex[start + 4 : end].partition(">")
        pieces += [regex[at:start], Param(name, group)]
        at = end + 1
    pieces.append(regex[at:])
    for text in pieces:
        if isinstance(text, str) and re.search(r"[\\()\[\]*+?|{}^$.]", text.replace("-", "")):
            raise ValueError(f"tests/test_abuse.py cannot build a URL from {str(pattern)!r}")
    return pieces


def _walk(patterns: list[Any], prefix: tuple[str | Param, ...], route: str) -> Iterator[Endpoint]:
    for entry in patterns:
        pattern = entry.pattern
        pieces = _route_pieces(pattern) if isinstance(pattern, RoutePattern) else None
        if pieces is None:
            pieces = _regex_pieces(pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, (*prefix, *pieces), route + str(pattern))
        else:
            yield Endpoint(route + str(pattern), entry, (*prefix, *pieces))


def all_endpoints() -> list[Endpoint]:
    """One endpoint per view and path: the API's slash / no-slash twins once."""
    seen: set[str] = set()
    endpoints = []
    for endpoint in _walk(get_resolver().url_patterns, (), ""):
        bare = "".join(p if isinstance(p, str) else f"<{p.name}>" for p in endpoint.pieces)
        if bare.rstrip("/") not in seen:
            seen.add(bare.rstrip("/"))
            endpoints.append(endpoint)
    return endpoints


ENDPOINTS = all_endpoints()


# --- what the schema knows about API operations ---------------------------------------


@dataclass
class Operation:
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> schema
    body: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> schema


@cache
def schema_operations() -> dict[tuple[type, str], Operation]:
    """(view class, METHOD) -> its query parameters and body fields."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        if "allOf" in node:
            return deref(node["allOf"][0])
        return node

    operations: dict[tuple[type, str], Operation] = {}
    for path, methods in schema["paths"].items():
        sample = re.sub(r"\{[^}]+\}", "1", path)
        view = getattr(resolve(sample).func, "cls", None)
        for method, spec in methods.items():
            op = Operation()
            for param in spec.get("parameters", []):
                if param["in"] == "query":
                    op.query[param["name"]] = deref(param.get("schema", {}))
            for content in spec.get("requestBody", {}).get("content", {}).values():
                for name, prop in deref(content.get("schema", {})).get("properties", {}).items():
                    op.body[name] = deref(prop)
            operations[(view, method.upper())] = op  # type: ignore[index]
    return operations


def operation(endpoint: Endpoint, method: str) -> Operation:
    view = getattr(endpoint.pattern.callback, "cls", None)
    return schema_operations().get((view, method), Operation())  # type: ignore[arg-type]


# --- the objects paths point at -------------------------------------------------------


@dataclass
class World:
    member: User
    other: User
    staff: User
    values: dict[str, str]
    ids: dict[str, str]  # the path segment before an id -> an id there


@pytest.fixture
def world() -> World:
    member = HostFactory()
    other = UserFactory()
    CreatorFactory(user=other)
    staff = SuperuserFactory()
    topic = TopicFactory()
    note = NoteFactory(author=member, photos=0)
    note.topics.add(topic)
    NoteFactory(author=other, photos=0)
    comment = CommentFactory(note=note, author=member)
    board = BoardFactory(owner=member)
    room = RoomFactory(host=member, live=True)
    session = LiveSession.objects.get(room=room)
    message = ChatMessageFactory(room=room, user=other, text="hello")
    invitation = InvitationFactory(
        user=member, invited_by=staff, expires_at=timezone.now() + timedelta(days=3)
    )
    application = ApplicationFactory(applicant=member)
    community_services.user_follow(follower=other, followee=member)
    note_type = ContentType.objects.get_for_model(note)
    ids = {
        "notes": str(note.pk),
        "n": str(note.pk),
        "comments": str(comment.pk),
        "c": str(comment.pk),
        "boards": str(board.pk),
        "b": str(board.pk),
        "rooms": str(room.pk),
        "live": str(room.pk),
        "messages": str(message.pk),
        "sessions": str(session.pk),
        "invitations": str(invitation.pk),
        "applications": str(application.pk),
    }
    shop_values: dict[str, str] = {}
    if apps.is_installed("shop"):  # optional (SHOP_ENABLED)
        from tests.factories import ProductFactory, ShopFactory

        ids["products"] = str(ProductFactory(shop=ShopFactory(owner=member)).pk)
        # A product tagged on notes (/notes/{id}/products/{product_id}).
        shop_values["product_id"] = ids["products"]
        from tests.factories import FlashSaleFactory

        ids["flash-sales"] = str(FlashSaleFactory(product__shop=ShopFactory(owner=member)).pk)
        # The checkout page of another member's shop, where the member has a cart line.
        other_shop = ShopFactory(owner=other)
        shop_values["shop_id"] = str(other_shop.pk)
        from tests.factories import CartItemFactory, OrderFactory, OrderLineFactory

        ids["items"] = str(CartItemFactory(user=member).pk)
        CartItemFactory(user=member, product=ProductFactory(shop=other_shop))
        order = OrderFactory(buyer=member)
        OrderLineFactory(order=order)
        ids["orders"] = str(order.pk)
    return World(
        member=member,
        other=other,
        staff=staff,
        values={
            "username": other.username,
            "key": topic.key,
            "kind": "note",
            "ident": str(note.pk),
            "provider": "sandbox",
            "path": "nothing-here.jpg",
            "url": "nothing-here/",
            "rest": "nothing-here/",
            "content_type_id": str(note_type.pk),
            "object_id": str(note.pk),
            # A photo of the member's note (/notes/{id}/photos/{photo_id}).
            "photo_id": str(PhotoFactory(note=note, owner=member).pk),
            # A real password-reset link's parts (the e-mail verification
            # link's <token> gets it too: a token of another kind, refused).
            "uidb64": urlsafe_base64_encode(force_bytes(other.pk)),
            "token": default_token_generator.make_token(other),
            **shop_values,
        },
        ids=ids,
    )


def model_admin_of(view: Any) -> ModelAdmin[Any] | None:
    """The ModelAdmin behind an admin view, through the admin's wrappers."""
    while view is not None:
        owner = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
        if isinstance(owner, ModelAdmin):
            return owner
        view = getattr(view, "__wrapped__", None)
    return None


def sample(endpoint: Endpoint, param: Param, world: World) -> str:
    """A value for ``param`` that names a real object where one is needed."""
    model_admin = model_admin_of(endpoint.pattern.callback)
    if param.name in ("object_id", "id") and model_admin is not None:
        first = model_admin.model._default_manager.order_by("pk").first()
        value = str(first.pk) if first is not None else "1"
    elif param.name == "pk":
        before = "".join(
            p for p in endpoint.pieces[: endpoint.pieces.index(param)] if isinstance(p, str)
        )
        segment = before.rstrip("/").rsplit("/", 1)[-1]
        if segment not in world.ids:
            raise AssertionError(
                f"tests/test_abuse.py: no object for <pk> after {segment!r}/ in {endpoint.route}; "
                "add one to the world fixture's ids"
            )
        value = world.ids[segment]
    elif re.fullmatch(r"[\w|-]+", param.regex):  # an alternation of literals
        value = param.regex.split("|")[0]
    elif param.name in world.values:
        value = world.values[param.name]
    else:
        raise AssertionError(
            f"tests/test_abuse.py: no sample for <{param.name}> in {endpoint.route}; "
            "add one to the world fixture's values"
        )
    assert re.fullmatch(param.regex, value), (endpoint.route, param.name, value)
    return value


def build_path(endpoint: Endpoint, world: World, override: dict[str, str] | None = None) -> str:
    override = override or {}
    parts = []
    for piece in endpoint.pieces:
        if isinstance(piece, str):
            parts.append(piece)
        else:
            raw = override.get(piece.name) or sample(endpoint, piece, world)
            parts.append(quote(raw, safe=""))
    return "/" + "".join(parts)


# --- the requests -----------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    body: bytes = b""
    content_type: str = OCTETS
    # (status, code) where the answer is known whatever the endpoint: requests
    # refused before any view runs (core.middleware).
    expect: tuple[int, str] | None = None


def _json(value: Any) -> bytes:
    # ensure_ascii keeps a lone surrogate as the \ud800 escape a client would send.
    return json.dumps(value, ensure_ascii=True).encode()


def _wrong(spec: dict[str, Any], variant: str) -> Any:
    """A value of the wrong type (or size, or text) for a field of ``spec``."""
    kind = spec.get("type")
    text = kind in (None, "string")
    match variant:
        case "object":
            return {"nested": {"deeper": [1, 2]}}
        case "list":
            return ["x", 1, None]
        case "flipped":  # a string where a number is wanted, a number where a string is
            wrong = {"integer": "twelve", "number": "1e999", "boolean": "maybe", "array": "x"}
            return wrong.get(kind or "", 12345)
        case "huge":
            return "x" * 100_000 if text else 10**30
        case "surrogate":
            return SURROGATE if text else [SURROGATE]
        case "nul":
            return f"a{NUL}b" if text else [f"a{NUL}b"]
    raise ValueError(variant)


def door_cases(endpoint: Endpoint, world: World, path: str) -> list[Case]:
    """Requests refused at the door, before any view, the same on every
    endpoint (core.middleware): the right answer is known. Bodies go with
    POST, the one method whose forms Django parses."""
    malformed = (400, "malformed_request")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    many = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    files = [
        SimpleUploadedFile(f"f{n}.jpg", b"x", "image/jpeg")
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    cases = [
        Case(
            f"NUL in <{param.name}>",
            build_path(endpoint, world, {param.name: f"a{NUL}b"}),
            expect=malformed,
        )
        for param in endpoint.params
    ]
    return [
        *cases,
        Case("NUL in the query string", f"{path}?q=x%00y&page_size=1", expect=malformed),
        Case("NUL in a query parameter's name", f"{path}?q%00=1", expect=malformed),
        Case(
            "more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS",
            f"{path}?{many}",
            expect=(400, "too_many_fields"),
        ),
        Case(
            "a JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE",
            path,
            b'{"title": "' + b"x" * limit + b'"}',
            "application/json",
            expect=(413, "too_large"),
        ),
        Case(
            "a form body over DATA_UPLOAD_MAX_MEMORY_SIZE",
            path,
            b"title=" + b"x" * limit,
            FORM,
            expect=(413, "too_large"),
        ),
        Case(
            "a multipart field over DATA_UPLOAD_MAX_MEMORY_SIZE",
            path,
            encode_multipart(BOUNDARY, {"title": "x" * (limit + 1)}),
            MULTIPART_CONTENT,
            expect=(413, "too_large"),
        ),
        Case(
            "more files than DATA_UPLOAD_MAX_NUMBER_FILES",
            path,
            encode_multipart(BOUNDARY, {"images": files}),
            MULTIPART_CONTENT,
            expect=(400, "too_many_files"),
        ),
        Case(
            "more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS",
            path,
            many.encode(),
            FORM,
            expect=(400, "too_many_fields"),
        ),
        Case("NUL in a form field", path, b"title=a%00b", FORM, expect=malformed),
        Case(
            "NUL in a multipart field",
            path,
            encode_multipart(BOUNDARY, {"title": f"a{NUL}b"}),
            MULTIPART_CONTENT,
            expect=malformed,
        ),
        Case(
            "a multipart body without its boundary",
            path,
            b"--x\r\n",
            "multipart/form-data",
            expect=malformed,
        ),
    ]


def query_cases(endpoint: Endpoint, world: World, path: str, op: Operation) -> list[Case]:
    names = {name: {"type": "string"} for name in COMMON_QUERY} | op.query
    cases = [
        Case(
            f"a huge number in <{param.name}>", build_path(endpoint, world, {param.name: "9" * 40})
        )
        for param in endpoint.params
    ]
    return [
        *cases,
        Case(
            "query parameters of the wrong type",
            f"{path}?{urlencode({n: _wrong(s, 'flipped') for n, s in names.items()})}",
        ),
        Case("huge query parameters", f"{path}?{urlencode(dict.fromkeys(names, '9' * 400))}"),
    ]


def reads_json(endpoint: Endpoint) -> bool:
    view = getattr(endpoint.pattern.callback, "cls", None)
    parsers = getattr(view, "parser_classes", ())
    return any("json" in parser.media_type for parser in parsers)


def body_cases(path: str, op: Operation, *, json_too: bool) -> list[Case]:
    """Bodies a view's parsers meet. Pages and the admin read forms: JSON
    reaches them as a body nobody parses, so they get the deepest JSON only."""
    fields = {name: {"type": "string"} for name in COMMON_FIELDS} | op.body
    files = [
        SimpleUploadedFile(f"f{n}.jpg", b"x", "image/jpeg")
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    file_fields = [n for n, s in op.body.items() if s.get("format") == "binary"]
    file_fields += [n for n, s in op.body.items() if s.get("items", {}).get("format") == "binary"]
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    many = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    cases = [
        Case("JSON nested 100,000 deep", path, b"[" * 100_000, "application/json"),
        Case(
            "a multipart field over DATA_UPLOAD_MAX_MEMORY_SIZE",
            path,
            encode_multipart(BOUNDARY, {"title": too_big}),
            MULTIPART_CONTENT,
        ),
        Case(
            "more files than DATA_UPLOAD_MAX_NUMBER_FILES",
            path,
            encode_multipart(BOUNDARY, dict.fromkeys(file_fields or ["images"], files)),
            MULTIPART_CONTENT,
        ),
        Case(
            "more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS",
            path,
            many.encode(),
            FORM,
        ),
    ]
    if not json_too:
        return [*cases, *form_cases(path, fields)]
    for top in ([1, 2], "x", None):
        name = f"a JSON {type(top).__name__} where an object belongs"
        cases.append(Case(name, path, _json(top), "application/json"))
    for variant in ("object", "list", "flipped", "huge", "surrogate", "nul"):
        data = {name: _wrong(spec, variant) for name, spec in fields.items()}
        cases.append(Case(f"JSON fields: {variant}", path, _json(data), "application/json"))
    return [*cases, *form_cases(path, fields)]


def form_cases(path: str, fields: dict[str, Any]) -> list[Case]:
    cases = []
    for variant in ("flipped", "huge", "nul"):
        form = {name: _wrong({}, variant) for name in fields}
        if variant == "flipped":
            form = dict.fromkeys(fields, "twelve")
        cases.append(Case(f"form fields: {variant}", path, urlencode(form).encode(), FORM))
    return cases


# --- the sweep ---------------------------------------------------------------------------


def methods_of(endpoint: Endpoint) -> tuple[str, ...]:
    """The methods a class-based view handles; every method for functions
    (those that refuse one answer 405 to the first request). The admin reads
    GET and POST and treats any other method as GET."""
    if endpoint.is_admin:
        return ("GET", "POST")
    view = getattr(endpoint.pattern.callback, "cls", None) or getattr(
        endpoint.pattern.callback, "view_class", None
    )
    if view is None:
        return METHODS
    return tuple(m for m in METHODS if hasattr(view, m.lower()))


def content_of(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def problem(case: Case, response: HttpResponseBase) -> str | None:
    """What is wrong with ``response`` to ``case``, or None."""
    status = response.status_code
    content = content_of(response)
    if status >= 500:
        return f"{status}"
    if case.expect is not None and status != case.expect[0]:
        return f"{status}, expected {case.expect[0]}"
    if status < 400:
        return None
    if case.path.startswith("/api/"):
        try:
            error = json.loads(content)["error"]
        except (ValueError, KeyError, TypeError):
            return f"{status} without the error shape: {content[:120]!r}"
        if set(error) != {"code", "message", "fields"} or not error["message"]:
            return f"{status} with a broken error shape: {error!r}"
        if case.expect is not None and error["code"] != case.expect[1]:
            return f"{status} {error['code']!r}, expected {case.expect[1]!r}"
    elif b"Traceback" in content:
        return f"{status} with a traceback"
    elif case.expect is not None and f'class="oops-code" aria-hidden="true">{status}<' not in (
        content.decode()
    ):
        return f"{status} without its error page"
    return None


def send(client: Client, method: str, case: Case) -> HttpResponseBase | str:
    try:
        return client.generic(method, case.path, case.body, content_type=case.content_type)
    except Exception as exc:  # what the test client re-raises, a server answers with 500
        return f"raised {type(exc).__name__}: {str(exc)[:200]}"


# Routes broken by a dependency, with the reason: expected to fail (strictly,
# so the fix shows). Empty: config.apps.SproutBeatConfig mended the last one.
KNOWN_BROKEN: dict[str, str] = {}


@pytest.mark.parametrize(
    "endpoint",
    [
        pytest.param(e, marks=pytest.mark.xfail(reason=KNOWN_BROKEN[e.route], strict=True))
        if e.route in KNOWN_BROKEN
        else e
        for e in ENDPOINTS
    ],
    ids=[e.route for e in ENDPOINTS],
)
def test_endpoint_survives_hostile_requests(endpoint: Endpoint, world: World) -> None:
    failures: list[str] = []
    path = build_path(endpoint, world)

    def check(role: str, client: Client, method: str, case: Case) -> HttpResponseBase | None:
        response = send(client, method, case)
        issue = response if isinstance(response, str) else problem(case, response)
        if issue:
            failures.append(f"{role} {method} {case.name}: {issue}")
        return None if isinstance(response, str) else response

    # Without CSRF checks, every request reaches its view the way one carrying
    # a valid token would (the checks come after the door's refusals).
    anonymous = Client()
    door = set()
    for case in door_cases(endpoint, world, path):
        check("anonymous", anonymous, "POST" if case.content_type != OCTETS else "GET", case)
        door.add(case.name)

    roles = [("anonymous", anonymous)]
    if not endpoint.is_admin:  # the admin sends members away like anonymous visitors
        roles.append(("member", logged_in(world.member)))
    roles.append(("staff", logged_in(world.staff)))
    member_refused: set[str] = set()
    for role, client in roles:
        for method in methods_of(endpoint):
            if role == "staff" and not endpoint.is_admin and method not in member_refused:
                continue  # staff only where members may not go
            plain = check(role, client, method, Case("a plain request", path))
            if plain is None or plain.status_code == 405:
                continue
            if endpoint.is_admin and role == "anonymous":
                continue  # sent to the log-in page before any admin view runs
            if role == "member" and plain.status_code in (302, 401, 403):
                member_refused.add(method)
            cases = []
            if method == "GET":
                cases += query_cases(endpoint, world, path, operation(endpoint, method))
            if method in BODY_METHODS:
                op = operation(endpoint, method)
                cases += body_cases(path, op, json_too=reads_json(endpoint))
                if method == "POST":  # refused at the door whoever sends them
                    cases = [c for c in cases if c.name not in door]
            for case in cases:
                check(role, client, method, case)
    assert not failures, f"{endpoint.route}:\n  " + "\n  ".join(failures)


def test_the_sweep_covers_every_kind_of_endpoint() -> None:
    """The walk finds the API, the pages, the admin and the ingest callbacks:
    a URLconf change that hid a whole area from it fails here."""
    routes = [e.route for e in ENDPOINTS]
    for prefix in ("api/v1/", "admin/", "live/ingest/", "u/", "t/", "creators/", "search"):
        assert any(r.startswith(prefix) for r in routes), prefix
