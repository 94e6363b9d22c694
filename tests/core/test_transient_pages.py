"""A page or an API path whose database connection dies mid-request (a
restart, a failover: PostgreSQL really terminates the backend) answers 503
``temporarily_unavailable`` with ``Retry-After``, as the API's views do,
not a 500 "something went wrong"; a bug still answers 500.

PostgreSQL pass: the backend is killed for real (``pg_terminate_backend``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, RequestFactory

from core.http_errors import handler500
from tests.faults import terminate_backend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dead_connection() -> Iterator[None]:
    """This thread's database connection, killed by PostgreSQL: the next
    query of the request fails as it does when the server restarts."""
    connection.ensure_connection()
    assert connection.connection is not None
    terminate_backend(connection.connection.info.backend_pid)
    yield
    connection.close()  # the dead one: the test's teardown opens a new one


def test_a_page_whose_database_went_away_says_come_back_in_a_moment(
    dead_connection: None,
) -> None:
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    page = response.content.decode()
    assert "Sprout is back in a moment" in page and "Nothing was lost" in page
    assert "Something went wrong" not in page


def test_an_api_path_whose_database_went_away_answers_temporarily_unavailable(
    dead_connection: None,
) -> None:
    response = Client(raise_request_exception=False).get("/api/v1/notes/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "temporarily_unavailable"


def test_a_bug_is_still_a_500(rf: RequestFactory) -> None:
    request = rf.get("/somewhere")
    request.user = AnonymousUser()
    try:
        raise KeyError("a bug")
    except KeyError:
        response = handler500(request)
    assert response.status_code == 500 and not response.has_header("Retry-After")
    assert "Something went wrong on our side" in response.content.decode()
