"""Root URLs: HTML pages, the REST API under /api/v1/, its schema and docs,
the admin, and media in development."""

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import health
from core.http_errors import api_not_found
from core.metrics.http import metrics_view

handler400 = "core.http_errors.handler400"
handler403 = "core.http_errors.handler403"
handler404 = "core.http_errors.handler404"
handler500 = "core.http_errors.handler500"

urlpatterns = [
    # Probes for load balancers and process managers (core.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus, from loopback or with SPROUT_METRICS_TOKEN (core.metrics.http).
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as its own request:
    # the Content-Security-Policy allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
]

# Each app's routes while it is installed: the site runs with any upper
# layer switched off (a community-only site has no /wallet, no /live/).
# Order matters where prefixes meet: the upper apps' routes come first.
APP_ROUTES = [
    ("live", "live/ingest/", "live.ingest_urls"),
    ("shop", "api/v1/", "shop.api_urls"),
    ("kol", "api/v1/", "kol.api_urls"),
    ("live", "api/v1/", "live.api_urls"),
    ("wallet", "api/v1/", "wallet.gift_urls"),
    ("live", "api/v1/", "live.gift_urls"),
    ("wallet", "api/v1/", "wallet.api_urls"),
    ("community", "api/v1/", "community.api_urls"),
    ("shop", "", "shop.urls"),
    ("kol", "", "kol.urls"),
    ("live", "", "live.urls"),
    ("wallet", "", "wallet.urls"),
    ("community", "", "community.urls"),
]
urlpatterns += [
    path(prefix, include(module)) for app, prefix, module in APP_ROUTES if apps.is_installed(app)
]

# After every app's API routes: an unknown /api/ path is a JSON 404 even
# under DEBUG (make run), never Django's HTML debug page.
# Any character, a newline included: ``.`` matches none, and the schema run
# sent ``/api/v1/comments/-%0A/`` (Django's HTML debug 404 under make run).
urlpatterns += [re_path(r"^api/(?P<rest>[\s\S]*)$", api_not_found)]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
