"""How tests talk to the site as someone: a browser logged in as a member,
an API client authenticated as one, and what every API refusal looks like."""

from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.test import APIClient


def logged_in(user: Any) -> Client:
    """A browser (Django's test client) with ``user``'s session."""
    client = Client()
    client.force_login(user)
    return client


def api_client(user: Any | None) -> APIClient:
    """An API client authenticated as ``user`` (anonymous for ``None``)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the API's error shape (SPEC.md) with this status and
    code, and a message; returns the ``error`` object."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])
