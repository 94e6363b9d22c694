"""ASGI entry point: HTTP through Django, websockets (live rooms, while the
live app is installed) through channels with session auth and an origin
check (live.handshake)."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.apps import apps  # noqa: E402


def _websockets() -> Any:
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from live.handshake import SameOriginOnly
    from live.hub import ServerSend
    from live.routing import websocket_urlpatterns

    return ServerSend(SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))))


routes: dict[str, Any] = {"http": django_asgi_app}
if apps.is_installed("live"):
    routes["websocket"] = _websockets()

application = ProtocolTypeRouter(routes)
