"""ASGI entry point: HTTP through Django (behind the shop's flash-sale edge
while the shop is installed), websockets (live rooms, while the
live app is installed) through channels with session auth and an origin
check (live.handshake)."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if settings.SPROUT_ASGI_HTTP_ONE_HOP:
    # Django's middleware and views in one thread hop per request
    # (core.asgi_http; get_asgi_application above has set Django up).
    from core.asgi_http import OneHopASGIHandler

    django_asgi_app = OneHopASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.apps import apps  # noqa: E402


def _websockets() -> Any:
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from live.handshake import SameOriginOnly
    from live.hub import ServerSend
    from live.routing import websocket_urlpatterns

    return ServerSend(SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))))


def _http() -> Any:
    if not apps.is_installed("shop"):
        return django_asgi_app
    # The flash sale's buy button answered at the door while the crowd is
    # sold out (shop.edge; docs/performance.md, "Flash sales").
    from shop.edge import FlashSaleEdge

    return FlashSaleEdge(django_asgi_app)


routes: dict[str, Any] = {"http": _http()}
if apps.is_installed("live"):
    routes["websocket"] = _websockets()

application = ProtocolTypeRouter(routes)
