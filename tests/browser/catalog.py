"""The default gift catalog for browser tests.

It comes from a data migration (``wallet/migrations/0003_gift_catalog``),
which the flush after each transactional test wipes out for the tests that
follow. ``serialized_rollback`` cannot bring it back here: while Playwright's
sync API runs, the test thread has a running event loop, so Django hands it
another connection wrapper (asgiref's thread-critical ``Local`` switches to
context-local storage), one without the serialized contents. Tests that need
the catalog load it with the migration's own function instead (idempotent:
existing gifts are left as they are).
"""

from __future__ import annotations

import importlib

from django.apps import apps


def default_gift_catalog() -> None:
    migration = importlib.import_module("wallet.migrations.0003_gift_catalog")
    migration.add_default_catalog(apps, None)
