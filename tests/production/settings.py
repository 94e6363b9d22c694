"""``config.settings.production`` and one URL that fails on purpose, so that
tests/production sees the 500 page as production renders it. Nothing else
differs from production."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "tests.production.urls"
