"""Rows built once for a class of tests: Django's ``TestCase.setUpTestData``
for pytest.

Seeding the demo site takes seconds; the tests that only read what one seed
wrote need not each pay for it. A class-scoped fixture writes the rows
inside :func:`kept_rows`, an open transaction on the test database; every
test of the class (``django_db``, not transactional) runs in a savepoint
inside it, so what a test writes is rolled back to the shared rows, and
after the class's last test the shared rows are rolled back too. A class,
not a module: its tests run one after the other, so the other tests of the
module still start from an empty database.

    class TestOneSeed:
        @pytest.fixture(scope="class")
        def seeded(self, django_db_setup, django_db_blocker):
            with kept_rows(django_db_blocker):
                with django_db_blocker.unblock():
                    out = seed()
                yield out
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings


@contextmanager
def kept_rows(django_db_blocker: Any) -> Iterator[None]:
    """Open the shared transaction for the ``with`` body and roll it back at
    the end. Database access is not unblocked for the body: a test still
    needs its own ``django_db`` mark to read the rows."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def seeded_once[T](
    django_db_blocker: Any,
    prepare: Callable[[pytest.MonkeyPatch], None],
    seed: Callable[[], T],
    **settings: Any,
) -> Iterator[T]:
    """The body of a class-scoped fixture sharing one seed: ``prepare``
    patches what the seed should be (smaller, faster), ``seed`` runs under
    ``settings``; its result is yielded while its rows are kept.

        @pytest.fixture(scope="class")
        def seeded(django_db_setup, django_db_blocker):
            yield from seeded_once(django_db_blocker, shrink, seed, SPROUT_X=1)
    """
    with kept_rows(django_db_blocker), pytest.MonkeyPatch.context() as patch:
        prepare(patch)
        with override_settings(**settings), django_db_blocker.unblock():
            output = seed()
        yield output
