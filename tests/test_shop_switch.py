"""The shop is optional (SPEC.md): with ``SHOP_ENABLED=false`` it is not
installed and the site shows no trace of it; with it on, its API is there.
``make test`` runs this file both ways (pass 1 and the shop-off pass)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_setting_and_the_installed_apps_agree() -> None:
    assert apps.is_installed("shop") == settings.SHOP_ENABLED


def test_the_shop_api_is_there_exactly_when_the_shop_is() -> None:
    response = Client().get("/api/v1/shop/products/")
    assert response.status_code == (200 if apps.is_installed("shop") else 404)


def test_the_api_schema_names_the_shop_exactly_when_it_is_installed() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert ("/api/v1/shop/" in schema.content.decode()) == apps.is_installed("shop")


def test_no_shop_tables_without_the_shop() -> None:
    tables = [name for name in connection.introspection.table_names() if name.startswith("shop_")]
    assert bool(tables) == apps.is_installed("shop")
