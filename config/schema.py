"""OpenAPI schema tweaks (drf-spectacular hooks).

Every API route accepts its path with and without a trailing slash, so a POST
never loses its body to a redirect. The schema lists each operation once,
under the spelling SPEC.md uses."""

from __future__ import annotations

from typing import Any

# SPEC.md spells these without a trailing slash; every other path ends in one.
NO_SLASH = {
    "/api/v1/auth/register",
    "/api/v1/auth/token",
    "/api/v1/me",
    "/api/v1/feed/discover",
    "/api/v1/feed/following",
    "/api/v1/search",
    "/api/v1/notifications/read",
    # As the hook sees them: drf-spectacular renames {pk} to {id} afterwards.
    "/api/v1/invitations/{pk}/accept",
    "/api/v1/invitations/{pk}/decline",
    "/api/v1/live/stream-key",
    "/api/v1/live/rooms/{pk}/ticket",
    "/api/v1/live/rooms/{pk}/end",
    "/api/v1/live/sessions/{pk}/report",
    "/api/v1/live/sessions/{pk}/timeline",
    "/api/v1/live/sessions/{pk}/replay",
    "/api/v1/live/sessions/{pk}/replay/hide",
    "/api/v1/live/sessions/{pk}/replay/watch",
    "/api/v1/wallet/recharge",
    "/api/v1/shop/cart/items/{pk}",
    "/api/v1/shop/checkout",
    "/api/v1/shop/orders/{pk}/cancel",
    "/api/v1/shop/orders/{pk}/ship",
    "/api/v1/shop/orders/{pk}/deliver",
    "/api/v1/shop/orders/{pk}/refund",
}


def one_spelling_per_path(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for path, path_regex, method, callback in endpoints:
        bare = path.rstrip("/")
        canonical = bare if bare in NO_SLASH else bare + "/"
        if (canonical, method) in seen:
            continue
        seen.add((canonical, method))
        kept.append((canonical, path_regex, method, callback))
    return kept
