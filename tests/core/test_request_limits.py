"""The requests issue 8 found crashing the parsers, each answered with its own
status, code and message: on the API in the error shape, on pages with an
error page, under WSGI and ASGI alike (``core.middleware``,
``core.parsers``, ``core.http_errors``). tests/test_abuse.py sweeps every
endpoint; these pin the answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, connections
from django.test import AsyncClient, Client
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from community.models import Report, User
from core.http_errors import api_exception_handler, printable
from core.parsers import MAX_JSON_DEPTH
from tests.clients import logged_in
from tests.factories import NoteFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body = json.loads(response.content)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])


def error_page(response: Any, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'class="oops-code" aria-hidden="true">{status}<' in page
    return str(page)


def twenty_one_files() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"p{n}.jpg", b"\xff\xd8\xff", "image/jpeg")
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]


@pytest.fixture
def member_client(user: User) -> Client:
    client = logged_in(user)
    return client


# --- JSON the parser refuses ---------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400_naming_the_limit() -> None:
    response = Client().post("/api/v1/auth/register", b"[" * 100_000, content_type=JSON)
    error = api_error(response, 400, "malformed_request")
    assert f"{MAX_JSON_DEPTH} levels" in error["message"]


def test_json_one_level_past_the_limit_is_refused_and_at_the_limit_is_parsed() -> None:
    def nested(levels: int) -> bytes:
        return b'{"a":' * (levels - 1) + b"[]" + b"}" * (levels - 1)

    client = Client()
    deep = client.post("/api/v1/auth/register", nested(MAX_JSON_DEPTH + 1), content_type=JSON)
    assert f"{MAX_JSON_DEPTH} levels" in api_error(deep, 400, "malformed_request")["message"]
    # Parsed, then refused by the serializer for what it says, not how deep.
    api_error(client.post("/api/v1/auth/register", nested(MAX_JSON_DEPTH), content_type=JSON),
              400, "invalid")  # fmt: skip


def test_a_lone_surrogate_in_a_choice_field_is_a_400_not_an_encoding_crash(
    member_client: Client,
) -> None:
    note = NoteFactory(photos=0)
    body = b'{"note": %d, "reason": "\\ud800"}' % note.pk
    response = member_client.post("/api/v1/reports/", body, content_type=JSON)
    assert "surrogate" in api_error(response, 400, "malformed_request")["message"]
    assert not Report.objects.exists()


def test_a_surrogate_pair_is_text_like_any_other(member_client: Client) -> None:
    response = member_client.patch(
        "/api/v1/me", b'{"display_name": "Mei \\ud83c\\udf31"}', content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert User.objects.get().display_name == "Mei \U0001f331"


def test_a_nul_inside_a_json_string_is_a_400(member_client: Client) -> None:
    response = member_client.patch(
        "/api/v1/me", b'{"display_name": "a\\u0000b"}', content_type=JSON
    )
    assert "NUL" in api_error(response, 400, "malformed_request")["message"]


def test_any_error_echoing_a_lone_surrogate_still_encodes() -> None:
    """The safety net under the parser: whatever an error message echoes, the
    reply can be encoded."""
    exc = ValidationError({"reason": ['"\ud800" is not a valid choice.']})
    response = api_exception_handler(exc, {})
    assert response is not None
    rendered = JSONRenderer().render(response.data)
    assert json.loads(rendered)["error"]["fields"]["reason"] == ['"\ufffd" is not a valid choice.']
    assert printable({"k\udfff": ["\ud800x", 3]}) == {"k\ufffd": ["\ufffdx", 3]}


# --- NUL bytes in URLs ---------------------------------------------------------------------

NUL_URLS = [
    "/api/v1/users/a%00b",
    "/api/v1/users/a%00b/notes",
    "/api/v1/topics/a%00b",
    "/api/v1/creators/a%00b",
    "/api/v1/search?q=a%00b",
    "/api/v1/notes/?topic=a%00b",
    "/api/v1/notes/?author=a%00b",
    "/api/v1/creators/?niche=a%00b",
]
NUL_PAGES = ["/search?q=a%00b", "/u/a%00b/", "/t/a%00b/", "/creators/a%00b/", "/?cursor=%00"]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_in_an_api_url_is_a_400_before_the_database_sees_it(url: str) -> None:
    assert "NUL" in api_error(Client().get(url), 400, "malformed_request")["message"]


@pytest.mark.parametrize("url", NUL_PAGES)
def test_a_nul_in_a_page_url_is_a_400_page(url: str) -> None:
    assert "NUL character" in error_page(Client().get(url), 400)


def test_a_nul_in_a_posted_form_is_a_400_before_any_view(member_client: Client, user: User) -> None:
    note = NoteFactory(author=user, photos=0)
    response = member_client.post(f"/n/{note.pk}/comments", {"body": "a\x00b"})
    assert "NUL" in error_page(response, 400)
    assert not note.comments.exists()


@pytest.mark.postgres
def test_postgresql_refuses_nul_so_its_pass_proves_the_door_holds() -> None:
    """Without the door, the URLs above reach this (SQLite just matches nothing)."""
    with pytest.raises(DataError):
        User.objects.filter(username="a\x00b").exists()


# --- bodies over the limits ----------------------------------------------------------------


def test_a_json_body_over_the_limit_is_a_413_naming_the_limit(member_client: Client) -> None:
    body = b'{"text": "' + b"k" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    response = member_client.post("/api/v1/notes/1/comments/", body, content_type=JSON)
    assert "2.5 MB" in api_error(response, 413, "too_large")["message"]


@pytest.mark.apps("wallet")
def test_an_oversized_callback_body_is_a_413_not_a_crash() -> None:
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = Client().post("/api/v1/wallet/callbacks/sandbox", body, content_type=JSON)
    api_error(response, 413, "too_large")


def test_an_oversized_form_on_a_page_is_a_413_page() -> None:
    body = b"username=" + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = Client().post("/login", body, content_type=FORM)
    assert "2.5 MB" in error_page(response, 413)


def test_an_oversized_multipart_field_is_a_413(member_client: Client) -> None:
    title = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = member_client.post("/api/v1/notes/", {"title": title})  # multipart
    api_error(response, 413, "too_large")


def test_more_files_than_the_limit_is_a_400_naming_it(member_client: Client) -> None:
    response = member_client.post("/api/v1/photos/", {"image": twenty_one_files()})
    message = api_error(response, 400, "too_many_files")["message"]
    assert str(settings.DATA_UPLOAD_MAX_NUMBER_FILES) in message


def test_more_files_than_the_limit_on_a_page_is_a_400_page(member_client: Client) -> None:
    response = member_client.post("/compose", {"title": "t", "images": twenty_one_files()})
    assert "at most 20 files" in error_page(response, 400)


def test_more_query_parameters_than_the_limit_is_a_400() -> None:
    query = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    api_error(Client().get(f"/api/v1/feed/discover?{query}"), 400, "too_many_fields")
    error_page(Client().get(f"/search?{query}"), 400)


def test_more_form_fields_than_the_limit_is_a_400_page() -> None:
    body = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    error_page(Client().post("/signup", body, content_type=FORM), 400)


def test_a_multipart_body_without_its_boundary_is_a_400(member_client: Client) -> None:
    response = member_client.post("/api/v1/photos/", b"--x\r\n", content_type="multipart/form-data")
    api_error(response, 400, "malformed_request")


def test_the_door_answers_before_csrf_checks_read_the_body() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login", {"username": "mei", "files": twenty_one_files()})
    error_page(response, 400)


def test_a_host_the_site_does_not_serve_is_a_400() -> None:
    api_error(Client(headers={"host": "evil.example"}).get("/api/v1/gifts/"), 400, "bad_host")
    error_page(Client(headers={"host": "evil.example"}).get("/"), 400)


# --- under ASGI, as production runs ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_door_holds_under_asgi() -> None:
    client = AsyncClient()
    error_page(await client.get("/u/a%00b/"), 400)
    api_error(await client.get("/api/v1/search?q=a%00b"), 400, "malformed_request")
    big = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    api_error(await client.post("/api/v1/auth/token", big, content_type=JSON), 413, "too_large")
    response = await client.post("/api/v1/photos/", {"image": twenty_one_files()})
    api_error(response, 400, "too_many_files")
    try:
        assert (await client.get("/api/v1/feed/discover")).status_code == 200
    finally:
        # The view ran in asgiref's thread, which keeps its connection open.
        await sync_to_async(connections.close_all)()
