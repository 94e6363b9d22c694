"""Who is knocking on a room's websocket: the client's address, and whether
the page that opened the socket is the site's own.

Browsers send ``Origin`` on every websocket handshake, and they send the
site's cookies whatever page opens the socket: a page on another site could
otherwise chat and send gifts as the member who visits it (cross-site
websocket hijacking). So a handshake that carries an ``Origin`` must come
from exactly the site's own origin (scheme, host and port, as Django's CSRF
check compares them) or from one of ``CSRF_TRUSTED_ORIGINS``.

A handshake without ``Origin`` does not come from a browser page (native
apps, load tests, command-line clients): no page of another site can be
behind it, so it is let in and authenticates as any client does, with a
ticket (``POST /api/v1/live/rooms/{id}/ticket``) or the session cookie it
holds.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def num_proxies() -> int:
    """How many reverse proxies (nginx, a load balancer) stand in front of
    the site and append to ``X-Forwarded-For``: ``SPROUT_NUM_PROXIES``, the
    same number DRF's throttles use."""
    return int(settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0)


def client_address(scope: Any) -> str:
    """The client's network address: the socket's peer, or, behind
    ``SPROUT_NUM_PROXIES`` proxies, the address the outermost of them saw
    (the entries a client writes itself into ``X-Forwarded-For`` come first
    and are never trusted)."""
    client = scope.get("client") or ("", 0)
    peer = str(client[0] or "")
    proxies = num_proxies()
    forwarded = _header(scope, b"x-forwarded-for")
    if proxies <= 0 or not forwarded:
        return peer
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return peer
    return addresses[-min(proxies, len(addresses))]


def _origin_tuple(origin: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _secure(scope: Any) -> bool:
    if scope.get("scheme") == "wss":
        return True
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if header:
        name, value = header
        wire = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        forwarded = _header(scope, wire)
        return forwarded is not None and forwarded.split(",")[0].strip() == value
    return False


def _trusted(origin: str) -> bool:
    """One of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` included)."""
    wanted = _origin_tuple(origin)
    if wanted is None:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, rest = trusted.partition("://")
        if rest.startswith("*."):
            pattern = _origin_tuple(f"{scheme}://{rest[2:]}")
            if (
                pattern is not None
                and pattern[0] == wanted[0]
                and pattern[2] == wanted[2]
                and wanted[1].endswith("." + pattern[1])
            ):
                return True
        elif _origin_tuple(trusted) == wanted:
            return True
    return False


def origin_allowed(scope: Any) -> bool:
    """True for a handshake without ``Origin``, or from the site's own origin
    (scheme, host and port of this request, its host one of
    ``ALLOWED_HOSTS``), or from a trusted origin."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    if _trusted(origin):
        return True
    host = _header(scope, b"host")
    if not host:
        return False
    domain, _ = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    own = _origin_tuple(f"{'https' if _secure(scope) else 'http'}://{host}")
    return own is not None and _origin_tuple(origin) == own


class SameOriginOnly:
    """ASGI middleware for the websocket routes: refuses (HTTP 403 at the
    handshake) a browser page of another origin; see the module's notes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.app(scope, receive, send)
