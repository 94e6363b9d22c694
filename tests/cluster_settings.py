"""``config.settings.production`` for the worker processes of the live room's
cluster tests (``tests.live.cluster``), with the two changes a shared test
machine needs:

- the channel layer's prefix of the test run (``SPROUT_TEST_CHANNEL_PREFIX``,
  see ``config.settings.test``): Redis pub/sub ignores the database number,
  and the test process publishes under this prefix;
- plain static storage: nginx serves the static files in production, the
  websockets these workers serve never name one, and a manifest would need a
  ``collectstatic`` per run.
"""

import os
from typing import Any

from config.settings.production import *  # noqa: F403
from config.settings.production import CHANNEL_LAYERS, STORAGES

_layer: dict[str, Any] = dict(CHANNEL_LAYERS["default"])
_layer["CONFIG"] = {**_layer["CONFIG"], "prefix": os.environ["SPROUT_TEST_CHANNEL_PREFIX"]}
CHANNEL_LAYERS = {**CHANNEL_LAYERS, "default": _layer}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
