"""Project-wide response headers that no single view should have to remember."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.deprecation import MiddlewareMixin


class PrivateCacheMiddleware(MiddlewareMixin):
    """Keep pages made for one person out of shared caches.

    A response that depends on the session (``Vary: Cookie``: a member's
    page, or a form carrying a CSRF token) or on an ``Authorization``
    header is ``Cache-Control: private``; a logged-in member's is also
    ``no-store``, so a shared computer's browser does not keep their wallet
    or studio on disk after they log out. A view's own stricter choice
    (``no-store``) is left as it is, and responses that vary on nothing
    personal (public pages for visitors, static files: whitenoise answers
    before this runs) keep their caching.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if "no-store" in response.get("Cache-Control", ""):
            return response
        personal = has_vary_header(response, "Cookie") or "Authorization" in request.headers
        if not personal:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(response, private=True)
        return response
